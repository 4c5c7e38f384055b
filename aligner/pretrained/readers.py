"""The streaming readers behind :func:`aligner.pretrained.formats.read_vectors`.

``TextReader`` (GloVe and word2vec text) finds each line's token with two
``bytes.find`` calls and a set lookup, copies only wanted lines, and has
their values parsed by pyarrow in batches on a worker thread while it scans
on. ``BinaryReader`` (word2vec binary) slices each row's float32 bytes.

Without a vocabulary (:class:`~aligner.pretrained.rows.AllRows`) every
line is copied, and a row limit ends the pass at the row that reaches it.

Memory stays bounded on hostile input: before the dimension is known a line
may hold at most :data:`FIRST_LINES_MAX` bytes, after it ``dim`` ×
:data:`BYTES_PER_VALUE` + :data:`~aligner.pretrained.sanity.TOKEN_MAX`; a
longer line is an error naming it. A file that yields no vector (a header and
no rows, every usable row skipped), a dimension below 2 (a ``word count``
file) or rows that disagree with the header's dimension is an error too
(:mod:`aligner.pretrained.sanity`).
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from aligner.errors import VectorsFormatError
from aligner.pretrained.archive import Opened
from aligner.pretrained.batches import Batch, parse_batch
from aligner.pretrained.rows import AllRows, ReadResult, ReadStats, Wanted, lower_key
from aligner.pretrained.sanity import CHECKED_TOKENS, TOKEN_MAX, Checks, count_values
from aligner.progress import ProgressBar
from aligner.vectors import WordVectors

__all__ = [
    "BATCH",
    "BYTES_PER_VALUE",
    "CHUNK",
    "FIRST_LINES_MAX",
    "BinaryReader",
    "Reader",
    "TextReader",
]

CHUNK = 1 << 22  # bytes read from the file at a time
BATCH = 1 << 22  # bytes of kept rows' values parsed together
FIRST_LINES_MAX = 1 << 22  # bytes a line may hold before the dimension is known
BYTES_PER_VALUE = 48  # bytes a printed number may take, with its separator


class Reader(Checks):
    def __init__(
        self,
        path: Path,
        opened: Opened,
        bar: ProgressBar,
        wanted: Wanted | AllRows,
        fmt: str,
        dim: int | None,
        skip_bad_rows: bool,
        *,
        limit: int | None = None,
    ) -> None:
        self.path, self.opened, self.bar, self.wanted = path, opened, bar, wanted
        self.fmt, self.expected_dim, self.skip_bad_rows = fmt, dim, skip_bad_rows
        self.limit = limit
        self.stopped = False  # the row limit ended the pass: rows past it were not read
        self.stats = ReadStats()
        self.dim = 0
        self.keys: list[str] = []
        self.reported = 0

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

    def read(self) -> ReadResult:
        self.values: list[bytes] = []
        self.lines: list[int] = []
        self.batch_bytes = 0
        self.jobs: deque[Future[Batch]] = deque()
        self.done: list[Batch] = []
        with ThreadPoolExecutor(max_workers=1) as self.pool:
            try:
                self.scan_file()
                self.flush()
                while self.jobs:
                    self.done.append(self.jobs.popleft().result())
            finally:
                for job in self.jobs:
                    job.cancel()
        matrices = [batch.matrix for batch in self.done]
        keep = (
            np.concatenate([batch.keep for batch in self.done]) if self.done else np.ones(0, bool)
        )
        self.stats.bad_rows += sum(batch.bad_rows for batch in self.done)
        self.keys = [key for key, ok in zip(self.keys, keep, strict=True) if ok]
        matrix = np.concatenate(matrices) if matrices else np.zeros((0, self.dim), np.float32)
        return self.finish(matrix)

    def scan_file(self) -> None:
        lineno = 0
        carry = b""
        first = True
        while True:
            data = self.read_chunk()
            if first:
                if not data.strip():
                    raise VectorsFormatError(f"vectors file {self.path} is empty")
                if data.startswith(b"\xef\xbb\xbf"):
                    self.stats.bom = True
                    data = data[3:]
                lineno, data = self.start(self.first_lines(data))
                first = False
            if not data:
                if carry.strip():
                    self.scan_block(carry + b"\n", 0, len(carry) + 1, lineno)
                return
            cut = data.rfind(b"\n")
            if cut < 0:
                carry += data
                self.check_carry(carry, lineno)
                continue
            head = data.find(b"\n")
            line = carry + data[: head + 1]
            lineno = self.scan_block(line, 0, len(line), lineno)
            if cut > head and not self.stopped:
                lineno = self.scan_block(data, head + 1, cut + 1, lineno)
            if self.stopped:
                return
            carry = data[cut + 1 :]
            self.check_carry(carry, lineno)

    def check_carry(self, carry: bytes, lineno: int) -> None:
        """Refuse a line end that is not within reach (memory stays bounded)."""
        if len(carry) > self.line_max:
            raise self.too_long(lineno + 1)

    def first_lines(self, data: bytes) -> bytes:
        """The first block, read on until it holds the lines :meth:`start` looks at."""
        need = 2 if self.fmt == "word2vec" else 1  # the header and a row, or a row
        while data.count(b"\n") < need:
            if len(data) > FIRST_LINES_MAX:
                raise self.too_long(data.count(b"\n") + 1)
            more = self.read_chunk()
            if not more:
                break
            data += more
        return data

    def start(self, data: bytes) -> tuple[int, bytes]:
        """Handle the header (word2vec) or infer the dimension (GloVe)."""
        end = data.find(b"\n")
        first = data if end < 0 else data[:end]
        self.stats.crlf = first.endswith(b"\r")
        first = first.rstrip(b"\r")
        rest = data[end + 1 :] if end >= 0 else b""
        if self.fmt == "word2vec":
            self.header(first, 1, _sample(rest))
            return 1, rest
        sample = _sample(data)
        counts = [n for n in map(count_values, sample) if n]
        if not counts:
            raise VectorsFormatError(f"{self.path}, line 1: no values after the token")
        self.set_dim(max(set(counts), key=counts.count), 1, "its rows have", sample)
        return 0, data

    def scan_block(self, buf: bytes, pos: int, end: int, lineno: int) -> int:
        """Scan the complete lines of ``buf[pos:end]``; only wanted lines are copied."""
        if isinstance(self.wanted, AllRows):
            return self.scan_all(buf, pos, end, lineno)
        find, take = buf.find, self.take
        exact, lower = self.wanted.scan_exact, self.wanted.scan_lower
        count = blank = 0
        while pos < end:
            nl = find(b"\n", pos, end)
            sp = find(b" ", pos, nl)
            count += 1
            if sp > pos:
                key = buf[pos:sp]
                if key in exact or (
                    lower and (key.lower() if key.isascii() else lower_key(key)) in lower
                ):
                    take(buf[pos:nl], lineno + count)
            elif sp < 0:
                if buf[pos:nl].strip():
                    self.bad_row(lineno + count, "a token without values")
                else:
                    blank += 1
            pos = nl + 1
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
        self.values.append(split[1])
        self.lines.append(lineno)
        self.batch_bytes += len(split[1])
        if self.batch_bytes >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.values:
            return
        if len(self.jobs) >= 2:
            self.done.append(self.jobs.popleft().result())
        job = self.pool.submit(
            parse_batch, self.path, self.dim, self.values, self.lines, self.skip_bad_rows
        )
        self.jobs.append(job)
        self.values, self.lines, self.batch_bytes = [], [], 0

    def split_row(self, row: bytes, lineno: int) -> tuple[bytes, bytes] | None:
        """The token and the D values of a wanted row, or None to drop it."""
        row = row.rstrip(b"\r ")
        if len(row) > self.line_max:
            raise self.too_long(lineno)
        fields = row.count(b" ")
        if fields == self.dim:
            key, _, values = row.partition(b" ")
            return key, values
        if fields < self.dim:
            self.bad_row(lineno, f"expected {self.dim} values after the token, found {fields}")
            return None
        # glove.840B style: the token itself holds spaces; the vector is the last D fields
        parts = row.rsplit(b" ", self.dim)
        self.stats.spaced_tokens += 1
        return parts[0], row[len(parts[0]) + 1 :]


def _sample(data: bytes) -> list[bytes]:
    """The first (up to 20) complete lines of ``data``, blank lines left out."""
    head = data[: 1 << 16]
    if b"\n" in head:
        head = head[: head.rfind(b"\n")]
    elif len(data) > len(head):
        head = data[: data.find(b"\n")] if b"\n" in data else data
    lines = (line.rstrip(b"\r ") for line in head.split(b"\n", 20)[:20])
    return [line for line in lines if line]


class BinaryReader(Reader):
    """word2vec binary: a text header, then ``token`` + space + D float32 per row."""

    def read(self) -> ReadResult:
        buf = self.read_chunk()
        if not buf.strip():
            raise VectorsFormatError(f"vectors file {self.path} is empty")
        end = buf.find(b"\n")
        if end < 0:
            raise VectorsFormatError(f"{self.path}, line 1: no header line; is it a vectors file?")
        self.header(buf[:end].removeprefix(b"\xef\xbb\xbf").rstrip(b"\r"), 1)
        width, limit = 4 * self.dim, self.limit
        wants, keep, stats = self.wanted.wants, self.wanted.keep, self.stats
        pos = end + 1
        values: list[bytes] = []
        while True:
            sp = buf.find(b" ", pos)
            if sp < 0 or sp + 1 + width > len(buf):
                if sp - pos > TOKEN_MAX or (sp < 0 and len(buf) - pos > TOKEN_MAX):
                    self.misaligned(stats.rows_read + 1, buf[pos : pos + 20])  # bounds memory
                more = self.read_chunk()
                if not more:
                    break
                buf = buf[pos:] + more
                pos = 0
                continue
            key = buf[pos:sp]
            stats.rows_read += 1
            if key.startswith(b"\n"):  # the C tool ends each vector with a newline
                key = key.lstrip(b"\n")
            if stats.rows_read <= CHECKED_TOKENS:
                self.check_row(key, buf[sp + 1 : sp + 1 + width])
            if wants(key) and keep(key, stats):
                self.keys.append(self.decode_key(key))
                values.append(buf[sp + 1 : sp + 1 + width])
                if len(self.keys) == limit:
                    self.stopped = True
                    break
            pos = sp + 1 + width
        if not self.stopped and buf[pos:].strip(b"\n"):
            if not self.skip_bad_rows:
                raise VectorsFormatError(
                    f"{self.path}, row {self.stats.rows_read + 1}: the file ends inside a row "
                    f"(truncated, or rows of other than {self.dim} values); download it again, "
                    "or pass --skip-bad-rows"
                )
            self.stats.bad_rows += 1
        raw = b"".join(values)
        matrix = np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(-1, self.dim)
        return self.finish(matrix)
