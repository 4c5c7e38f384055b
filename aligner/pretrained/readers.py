"""The streaming readers behind :func:`aligner.pretrained.formats.read_vectors`.

``TextReader`` (GloVe and word2vec text) finds each line's token with two
``bytes.find`` calls and a set lookup, copies only wanted lines, and has
their values parsed by pyarrow in batches on a worker thread while it scans
on. ``BinaryReader`` (word2vec binary) slices each row's float32 bytes.

Without a vocabulary (:class:`~aligner.pretrained.formats.AllRows`) every
line is copied, and a row limit ends the pass at the row that reaches it.
"""

from __future__ import annotations

import io
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aligner.errors import VectorsFormatError
from aligner.pretrained.archive import Opened
from aligner.pretrained.formats import HEADER, AllRows, ReadResult, ReadStats, Wanted, lower_key
from aligner.progress import ProgressBar
from aligner.vectors import WordVectors

__all__ = ["BATCH", "CHUNK", "BinaryReader", "Reader", "TextReader"]

CHUNK = 1 << 22  # bytes read from the file at a time
BATCH = 1 << 22  # bytes of kept rows' values parsed together


class Reader:
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

    def header(self, line: bytes, lineno: int) -> None:
        match = HEADER.match(line)
        if match is None:
            raise VectorsFormatError(
                f"{self.path}, line {lineno}: expected a 'rows dim' header, found {line[:40]!r}; "
                "pass --format glove if the file has no header"
            )
        self.stats.header_rows = int(match.group(1))
        self.set_dim(int(match.group(2)), lineno, "the header says")

    def set_dim(self, dim: int, lineno: int, how: str) -> None:
        if dim < 1:
            raise VectorsFormatError(f"{self.path}, line {lineno}: {how} dimension {dim}")
        if self.expected_dim is not None and dim != self.expected_dim:
            raise VectorsFormatError(
                f"{self.path}, line {lineno}: {how} dimension {dim}, but --dim is "
                f"{self.expected_dim}; pass the file of the right dimension or drop --dim"
            )
        self.dim = dim

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
        self.jobs: deque[Future[_Batch]] = deque()
        self.done: list[_Batch] = []
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
                lineno, data = self.start(data)
                first = False
            if not data:
                if carry.strip():
                    self.scan_block(carry + b"\n", 0, len(carry) + 1, lineno)
                return
            cut = data.rfind(b"\n")
            if cut < 0:
                carry += data
                continue
            head = data.find(b"\n")
            line = carry + data[: head + 1]
            lineno = self.scan_block(line, 0, len(line), lineno)
            if cut > head and not self.stopped:
                lineno = self.scan_block(data, head + 1, cut + 1, lineno)
            if self.stopped:
                return
            carry = data[cut + 1 :]

    def start(self, data: bytes) -> tuple[int, bytes]:
        """Handle the header (word2vec) or infer the dimension (GloVe)."""
        end = data.find(b"\n")
        first = data if end < 0 else data[:end]
        self.stats.crlf = first.endswith(b"\r")
        first = first.rstrip(b"\r")
        if self.fmt == "word2vec":
            self.header(first, 1)
            return 1, data[end + 1 :] if end >= 0 else b""
        head = data[:65536]
        complete = head[: head.rfind(b"\n")] if b"\n" in head else head
        sample = [ln.rstrip(b"\r ").split(b" ") for ln in complete.split(b"\n")[:20]]
        counts = [len(fields) - 1 for fields in sample if len(fields) > 1]
        if not counts:
            raise VectorsFormatError(f"{self.path}, line 1: no values after the token")
        self.set_dim(max(set(counts), key=counts.count), 1, "its rows have")
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
            _parse_batch, self.path, self.dim, self.values, self.lines, self.skip_bad_rows
        )
        self.jobs.append(job)
        self.values, self.lines, self.batch_bytes = [], [], 0

    def split_row(self, row: bytes, lineno: int) -> tuple[bytes, bytes] | None:
        """The token and the D values of a wanted row, or None to drop it."""
        row = row.rstrip(b"\r ")
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


@dataclass
class _Batch:
    """Parsed rows of one batch; ``keep`` is False for rows skipped as bad."""

    matrix: np.ndarray
    keep: np.ndarray
    bad_rows: int = 0


def _parse_batch(
    path: Path, dim: int, values: list[bytes], lines: list[int], skip_bad_rows: bool
) -> _Batch:
    """Parse rows of D space-separated floats at once (pyarrow), or row by row on error."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"v{i}" for i in range(dim)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(b"\n".join(values)),
            read_options=pacsv.ReadOptions(
                column_names=names, block_size=1 << 23, use_threads=False
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=" ", quote_char=False, escape_char=False, double_quote=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.float32()), quoted_strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return _parse_slowly(path, dim, values, lines, skip_bad_rows)
    if table.num_rows != len(values) or any(column.null_count for column in table.columns):
        return _parse_slowly(path, dim, values, lines, skip_bad_rows)
    matrix = np.empty((table.num_rows, dim), dtype=np.float32)
    for i, column in enumerate(table.columns):
        matrix[:, i] = column.to_numpy()
    return _Batch(matrix, np.ones(len(values), dtype=bool))


def _parse_slowly(
    path: Path, dim: int, values: list[bytes], lines: list[int], skip_bad_rows: bool
) -> _Batch:
    """Row by row, to name the bad line (or skip it with skip_bad_rows)."""
    matrix = np.zeros((len(values), dim), dtype=np.float32)
    keep = np.ones(len(values), dtype=bool)
    for i, (row, lineno) in enumerate(zip(values, lines, strict=True)):
        try:
            matrix[i] = [float(x) for x in row.split(b" ")]
        except ValueError:
            if not skip_bad_rows:
                raise VectorsFormatError(
                    f"{path}, line {lineno}: a value is not a number; "
                    "fix the file or pass --skip-bad-rows"
                ) from None
            keep[i] = False
    return _Batch(matrix[keep], keep, bad_rows=int((~keep).sum()))


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
                    "(truncated); download it again, or pass --skip-bad-rows"
                )
            self.stats.bad_rows += 1
        raw = b"".join(values)
        matrix = np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(-1, self.dim)
        return self.finish(matrix)
