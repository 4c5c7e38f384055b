"""The streaming readers behind :func:`aligner.pretrained.formats.read_vectors`.

``TextReader`` (GloVe and word2vec text) finds each line's token with two
``bytes.find`` calls and a set lookup, copies only wanted lines, and has
their values parsed by pyarrow in batches on a worker thread while it scans
on. ``BinaryReader`` (word2vec binary, :mod:`aligner.pretrained.binary`)
slices each row's float32 bytes.

Without a vocabulary (:class:`~aligner.pretrained.rows.AllRows`) every
line is copied, and a row limit ends the pass at the row that reaches it.

Memory stays bounded on hostile input: before the dimension is known a line
may hold at most :data:`FIRST_LINES_MAX` bytes, after it ``dim`` ×
:data:`BYTES_PER_VALUE` + :data:`~aligner.pretrained.sanity.TOKEN_MAX`; a
longer line is an error naming it. A file that yields no vector (a header and
no rows, every usable row skipped), a dimension below 2 (a ``word count``
file) or rows that disagree with the header's dimension is an error too
(:mod:`aligner.pretrained.sanity`).

An uncompressed text file of at least
:data:`~aligner.pretrained.parallel.PARALLEL_MIN_BYTES` is scanned by several
processes when ``workers`` > 1 (:mod:`aligner.pretrained.parallel`), with the
same result; its head (the header, the dimension) is read here first.

When the caller knows the file's digest, a full pass over an uncompressed
text file also records its lines (:mod:`aligner.pretrained.row_index`), and a
read that finds such a record reads only the lines it keeps
(:mod:`aligner.pretrained.indexed_read`), again with the same result.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from aligner.errors import VectorsFormatError
from aligner.pretrained.archive import Opened
from aligner.pretrained.batches import FEW, LONG, SPACED, Batch, parse_batch, split_fields
from aligner.pretrained.row_index import Recorder, RowIndex, load_index, save_index
from aligner.pretrained.rows import AllRows, ReadResult, ReadStats, Wanted
from aligner.pretrained.sanity import TOKEN_MAX, Checks
from aligner.progress import Progress, ProgressBar
from aligner.vectors import WordVectors

if TYPE_CHECKING:
    from aligner.pretrained.parallel import Scan

__all__ = ["BATCH", "BYTES_PER_VALUE", "CHUNK", "FIRST_LINES_MAX", "Reader", "TextReader"]

CHUNK = 1 << 22  # bytes read from the file at a time
BATCH = 1 << 22  # bytes of kept rows' values parsed together
FIRST_LINES_MAX = 1 << 22  # bytes a line may hold before the dimension is known
BYTES_PER_VALUE = 48  # bytes a printed number may take, with its separator


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def status(self, text: str) -> None:
        pass


class Reader(Checks):
    def __init__(
        self,
        path: Path,
        opened: Opened,
        wanted: Wanted | AllRows,
        fmt: str,
        dim: int | None,
        skip_bad_rows: bool,
        *,
        limit: int | None = None,
        workers: int = 1,
        rows_cache: tuple[Path, str] | None = None,
    ) -> None:
        self.path, self.opened, self.wanted = path, opened, wanted
        self.fmt, self.expected_dim, self.skip_bad_rows = fmt, dim, skip_bad_rows
        self.limit, self.workers = limit, workers
        self.bar: ProgressBar = _NoBar()
        self.stopped = False  # the row limit ended the pass: rows past it were not read
        self.stats = ReadStats()
        self.dim = 0
        self.keys: list[str] = []
        self.reported = 0
        self.rows_cache = rows_cache
        self.recorder: Recorder | None = None
        self.recorded_from = (0, 0)

    def read(self, progress: Progress) -> ReadResult:
        """Read the rows, counting the bytes on disk in a bar of ``progress``."""
        with self.progress_bar(progress):
            return self.read_rows()

    def read_rows(self) -> ReadResult:
        raise NotImplementedError

    @contextmanager
    def progress_bar(self, progress: Progress) -> Iterator[None]:
        """A bar of the bytes on disk; it starts with what was read before it opened."""
        with progress.bar(f"read {self.path.name}", total=self.opened.size, unit="B") as bar:
            self.bar = bar
            bar.update(self.reported)
            yield
            bar.update(self.opened.size - self.reported)  # a zip's index at the end is never read
            self.reported = self.opened.size

    def read_chunk(self) -> bytes:
        data: bytes = self.opened.stream.read(CHUNK)
        now = self.opened.position()
        self.bar.update(now - self.reported)
        self.reported = now
        return data

    @property
    def line_max(self) -> int:
        """The longest line allowed: fixed until the dimension is known, then from it."""
        if not self.dim:
            return FIRST_LINES_MAX
        return self.dim * BYTES_PER_VALUE + TOKEN_MAX

    def too_long(self, lineno: int) -> VectorsFormatError:
        what = f"a token and {self.dim} values" if self.dim else "a row"
        return VectorsFormatError(
            f"{self.path}, line {lineno}: longer than {self.line_max} bytes without a line end, "
            f"too long for {what}; the file is corrupt or not a vectors file"
        )

    def bad_row(self, lineno: int, problem: str) -> None:
        if not self.skip_bad_rows:
            raise VectorsFormatError(
                f"{self.path}, line {lineno}: {problem}; fix the file or pass --skip-bad-rows"
            )
        self.stats.bad_rows += 1

    def too_few(self, lineno: int, fields: int) -> None:
        self.bad_row(lineno, f"expected {self.dim} values after the token, found {fields}")

    def decode_key(self, key: bytes) -> str:
        try:
            return key.decode("utf-8")
        except UnicodeDecodeError:
            self.stats.invalid_utf8 += 1
            return key.decode("utf-8", "replace")

    def finish(self, matrix: np.ndarray) -> ReadResult:
        finite = np.isfinite(matrix).all(axis=1)
        if not finite.all():
            self.stats.nonfinite_rows = int((~finite).sum())
            matrix = matrix[finite]
            self.keys = [k for k, ok in zip(self.keys, finite, strict=True) if ok]
        stats = self.stats
        stats.rows_kept = len(self.keys)
        if stats.header_rows is not None and not self.stopped:
            stats.header_mismatch = stats.header_rows != stats.rows_read
        self.check_yield()
        source = {"kind": "pretrained", "path": str(self.path), "format": self.fmt}
        vectors = WordVectors(self.keys, matrix.reshape(len(self.keys), self.dim), source)
        return ReadResult(vectors, self.fmt, self.dim, stats)


class TextReader(Reader):
    """GloVe and word2vec text: find each line's token, keep wanted lines, parse in batches.

    Kept rows are parsed by pyarrow in batches on a worker thread (pyarrow
    releases the GIL) while this thread scans on; at most two batches are in
    flight, so memory stays near the size of the output matrix.
    """

    parse_skips = False  # parse_batch skips rows it cannot parse (else skip_bad_rows decides)

    def read(self, progress: Progress) -> ReadResult:
        """Read the head, then the rest: through the row index when the cache has one, else
        in other processes when it pays, else here (recording the index when asked to)."""
        lineno, data = self.head()
        index = self.row_index(self.reported - len(data), lineno)
        if index is not None:
            from aligner.pretrained.indexed_read import read_indexed

            with self.progress_bar(progress):
                return read_indexed(self, index, lambda: self.read_stream(data, lineno))
        scan = self.start_workers(lineno, data)
        try:
            with self.progress_bar(progress):
                result = None if scan is None else scan.result()
                if result is None:
                    return self.read_stream(data, lineno)
                self.keep_record()  # the workers recorded their ranges
                return result
        finally:
            if scan is not None:
                scan.stop()  # already done, unless the bar failed to open

    def row_index(self, offset: int, lineno: int) -> RowIndex | None:
        """The cached row index of this file, if it fits this read; without one, a recorder
        is set up to make it (a plain text file read for a vocabulary, its digest known)."""
        plain = self.opened.stream is self.opened.raw
        if self.rows_cache is None or not plain or not isinstance(self.wanted, Wanted):
            return None
        cache, digest = self.rows_cache
        index = load_index(cache, digest, self.opened.size)
        fits = index is not None and (index.first_offset, index.first_line) == (offset, lineno)
        if index is not None and fits and index.longest() <= self.line_max:
            return index
        self.recorder, self.recorded_from = Recorder(), (offset, lineno)
        return None

    def start_workers(self, lineno: int, data: bytes) -> Scan | None:
        """The parallel scan of the rest of the file, started; ``None``: scan it here."""
        plain = self.opened.stream is self.opened.raw  # not compressed, not a zip member
        if self.workers < 2 or not plain or not isinstance(self.wanted, Wanted):
            return None
        from aligner.pretrained.parallel import start_scan

        return start_scan(self, self.reported - len(data), lineno)

    def read_stream(self, data: bytes, lineno: int) -> ReadResult:
        """Scan ``data`` and the rest of the stream here; the rows kept."""
        batches = self.parse_while(lambda: self.scan_stream(data, lineno))
        self.keep_record()
        return self.collect(batches)

    def keep_record(self) -> None:
        """Save the row index a whole pass recorded (see :meth:`row_index`)."""
        if self.recorder is not None and self.rows_cache is not None:
            offset, first = self.recorded_from
            index = self.recorder.index(first_offset=offset, first_line=first)
            if index is not None and index.longest() <= self.line_max:  # else never used
                save_index(*self.rows_cache, index)

    def collect(self, batches: list[Batch]) -> ReadResult:
        """The result of a pass, from its parsed batches."""
        keep = np.concatenate([b.keep for b in batches]) if batches else np.ones(0, bool)
        self.stats.bad_rows += sum(batch.bad_rows for batch in batches)
        self.keys = [key for key, ok in zip(self.keys, keep, strict=True) if ok]
        matrices = [batch.matrix for batch in batches]
        matrix = np.concatenate(matrices) if matrices else np.zeros((0, self.dim), np.float32)
        return self.finish(matrix)

    def parse_while(self, scan: Callable[[], object]) -> list[Batch]:
        """Run ``scan`` while the rows it keeps are parsed on a thread; the parsed batches."""
        self.values: list[bytes] = []
        self.lines: list[int] = []
        self.batch_bytes = 0
        self.jobs: deque[Future[Batch]] = deque()
        self.done: list[Batch] = []
        with ThreadPoolExecutor(max_workers=1) as self.pool:
            try:
                scan()
                self.flush()
                while self.jobs:
                    self.done.append(self.jobs.popleft().result())
            finally:
                for job in self.jobs:
                    job.cancel()
        return self.done

    def head(self) -> tuple[int, bytes]:
        """Read the header (word2vec) or the dimension (GloVe); see
        :mod:`~aligner.pretrained.text_head`.

        Returns:
            The lines consumed (1 for a header) and the bytes after them.
        """
        from aligner.pretrained.text_head import read_head

        return read_head(self)

    def scan_stream(self, data: bytes, lineno: int) -> int:
        """Scan ``data`` and the chunks read after it; the number of the last line scanned."""
        carry = b""
        while True:
            if not data:
                if carry.strip():
                    lineno = self.scan_block(carry + b"\n", 0, len(carry) + 1, lineno)
                elif self.recorder is not None:
                    self.recorder.tail = len(carry)  # whitespace: not a row, but the file's end
                return lineno
            cut = data.rfind(b"\n")
            if cut < 0:
                carry += data
            else:
                head = data.find(b"\n")
                line = carry + data[: head + 1]
                lineno = self.scan_block(line, 0, len(line), lineno)
                if cut > head and not self.stopped:
                    lineno = self.scan_block(data, head + 1, cut + 1, lineno)
                if self.stopped:
                    return lineno
                carry = data[cut + 1 :]
            self.check_carry(carry, lineno)
            data = self.read_chunk()

    def check_carry(self, carry: bytes, lineno: int) -> None:
        """Refuse a line end that is not within reach (memory stays bounded)."""
        if len(carry) > self.line_max:
            raise self.too_long(lineno + 1)

    def scan_block(self, buf: bytes, pos: int, end: int, lineno: int) -> int:
        """Scan the complete lines of ``buf[pos:end]``; only wanted lines are copied.

        The test is :meth:`Wanted.wants`, with its common cases inline: a key
        in ``raw``, or of ASCII letters whose lowercase form is in ``lowered``.
        """
        if isinstance(self.wanted, AllRows):
            return self.scan_all(buf, pos, end, lineno)
        find, take = buf.find, self.take
        raw, lowered, wants = self.wanted.raw, self.wanted.lowered, self.wanted.wants
        recorder, first = self.recorder, pos  # each line's end and first space, for the index
        ends: list[int] = []
        spaces: list[int] = []
        count = blank = 0
        while pos < end:
            nl = find(b"\n", pos, end)
            sp = find(b" ", pos, nl)
            count += 1
            if recorder is not None:
                ends.append(nl)
                spaces.append(sp)
            if sp > pos:
                key = buf[pos:sp]
                if key in raw or (key.lower() in lowered if key.isalpha() else wants(key)):
                    take(buf[pos:nl], lineno + count)
            elif sp < 0:
                if buf[pos:nl].strip():
                    self.bad_row(lineno + count, "a token without values")
                else:
                    blank += 1
            pos = nl + 1
        if recorder is not None:
            recorder.block(buf, first, ends, spaces)
        self.stats.rows_read += count - blank
        return lineno + count

    def scan_all(self, buf: bytes, pos: int, end: int, lineno: int) -> int:
        """:meth:`scan_block` without a vocabulary: every line is copied, up to the limit."""
        find, take, limit, keys = buf.find, self.take, self.limit, self.keys
        count = blank = 0
        while pos < end:
            nl = find(b"\n", pos, end)
            sp = find(b" ", pos, nl)
            count += 1
            if sp > pos:
                take(buf[pos:nl], lineno + count)
                if len(keys) == limit:
                    self.stopped = True
                    break
            elif not buf[pos:nl].strip():
                blank += 1
            elif sp < 0:
                self.bad_row(lineno + count, "a token without values")
            pos = nl + 1
        self.stats.rows_read += count - blank
        return lineno + count

    def take(self, row: bytes, lineno: int) -> None:
        """Keep a wanted row: record its token now, queue its values for parsing."""
        if row.endswith(b"\r"):
            self.stats.crlf = True
        split = self.split_row(row, lineno)
        if split is None or not self.wanted.keep(split[0], self.stats):
            return
        self.keys.append(self.decode_key(split[0]))
        self.queue(split[1], lineno)

    def queue(self, values: bytes, lineno: int) -> None:
        """Queue the values of a kept row for parsing."""
        self.values.append(values)
        self.lines.append(lineno)
        self.batch_bytes += len(values)
        if self.batch_bytes >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.values:
            return
        if len(self.jobs) >= 2:
            self.done.append(self.jobs.popleft().result())
        skip = self.skip_bad_rows or self.parse_skips
        job = self.pool.submit(parse_batch, self.path, self.dim, self.values, self.lines, skip)
        self.jobs.append(job)
        self.values, self.lines, self.batch_bytes = [], [], 0

    def split_row(self, row: bytes, lineno: int) -> tuple[bytes, bytes] | None:
        """The token and the D values of a wanted row, or None to drop it."""
        outcome, key, values, fields = split_fields(row, self.dim, self.line_max)
        if outcome == LONG:
            raise self.too_long(lineno)
        if outcome == FEW:
            self.too_few(lineno, fields)
            return None
        if outcome == SPACED:
            self.stats.spaced_tokens += 1
        return key, values
