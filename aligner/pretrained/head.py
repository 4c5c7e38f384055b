"""Read the first rows of a vectors file, whatever their tokens.

:func:`~aligner.pretrained.formats.read_vectors` keeps the rows a task
vocabulary can use and reads the whole file. Evaluating vectors needs the
opposite: every row up to a limit (the most frequent words, in a file sorted
by frequency), and nothing after it. :func:`read_head` reads every format
``read_vectors`` reads (plain or compressed) and stops at the limit.

Example:
    >>> head = read_head("glove.6B.300d.txt", 300_000)  # doctest: +SKIP
    >>> head.vectors.vectors.shape  # doctest: +SKIP
    (300000, 300)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from itertools import chain, islice
from pathlib import Path
from typing import IO

import numpy as np

from aligner.errors import InputError, VectorsFormatError
from aligner.pretrained.archive import decompression_errors, open_stream
from aligner.pretrained.formats import FORMATS, HEADER, ReadResult, ReadStats, detect_format
from aligner.progress import SILENT, Progress
from aligner.vectors import WordVectors

__all__ = ["read_head"]

CHUNK = 1 << 22  # bytes read at a time from a binary file
ROWS_PER_PARSE = 1 << 15  # text rows whose values are parsed together
SAMPLE_ROWS = 20  # GloVe rows whose commonest field count is the dimension, as read_vectors does


def read_head(
    source: str | os.PathLike[str],
    limit: int | None = None,
    *,
    format: str | None = None,
    member: str | None = None,
    skip_bad_rows: bool = False,
    progress: Progress = SILENT,
) -> ReadResult:
    """The first ``limit`` distinct keys of a vectors file and their vectors, in file order.

    A key seen before is skipped (the first row wins, as everywhere in
    aligner) and counted in ``stats.duplicates``; rows holding NaN or Inf are
    dropped and counted in ``stats.nonfinite_rows``.

    Args:
        source: a vectors file in any format of
            :data:`~aligner.pretrained.formats.FORMATS`, plain or compressed.
        limit: how many rows to keep (``None``: all of them).
        format: the file's format; detected when ``None``.
        member: the member to read inside a zip archive.
        skip_bad_rows: skip (and count) malformed rows instead of failing.
        progress: receives a bar in on-disk bytes.

    Returns:
        A :class:`~aligner.pretrained.formats.ReadResult`.

    Raises:
        InputError: ``limit`` is below 1.
        VectorsFormatError: a missing, empty or malformed file (the message
            names the file and line).

    Example:
        >>> read_head("vectors.vec.gz", 2).vectors.keys  # doctest: +SKIP
        ['the', ',']
    """
    if limit is not None and limit < 1:
        raise InputError(f"the row limit must be at least 1, got {limit}")
    path = Path(source)
    if not path.is_file():
        raise VectorsFormatError(f"vectors file {path} does not exist; check the path")
    fmt = format or detect_format(path, member=member)
    if fmt not in FORMATS:
        raise VectorsFormatError(
            f"unknown vectors format {fmt!r}; choose one of: {', '.join(FORMATS)}"
        )
    if fmt == "fasttext-bin":
        return _fasttext_head(path, limit, member)
    with (
        decompression_errors(path),
        open_stream(path, member=member) as opened,
        progress.bar(f"read {path.name}", total=opened.size, unit="B") as bar,
    ):
        reader = _Head(path, fmt, limit, skip_bad_rows)
        if fmt == "word2vec-binary":
            reader.binary(opened.stream)
        else:
            reader.text(opened.stream)
        bar.update(opened.position())
        return reader.result()


def _fasttext_head(path: Path, limit: int | None, member: str | None) -> ReadResult:
    """The first rows of a fastText model's word table (its words by frequency)."""
    from aligner.pretrained.fasttext_bin import _load

    model = _load(path, member)
    keys = list(model.index_to_key[:limit])
    matrix = np.asarray(model.vectors[: len(keys)], dtype=np.float32)
    stats = ReadStats(rows_read=len(keys), rows_kept=len(keys))
    source = {"kind": "pretrained", "path": str(path), "format": "fasttext-bin"}
    return ReadResult(WordVectors(keys, matrix, source), "fasttext-bin", model.vector_size, stats)


def _glove_dim(path: Path, sample: list[bytes]) -> int:
    """The commonest number of values in the first rows of a GloVe file.

    The rule of :func:`~aligner.pretrained.formats.read_vectors`: a first row
    whose token holds spaces (glove.840B) does not decide the dimension.
    """
    counts = [len(fields) - 1 for fields in (r.rstrip(b"\r\n ").split(b" ") for r in sample)
              if len(fields) > 1]  # fmt: skip
    if not counts:
        if not any(row.strip() for row in sample):
            raise VectorsFormatError(f"vectors file {path} is empty")
        raise VectorsFormatError(f"{path}, line 1: no values after the token")
    return max(set(counts), key=counts.count)


class _Head:
    """Collects rows until the limit; text values are parsed in batches by pyarrow."""

    def __init__(self, path: Path, fmt: str, limit: int | None, skip_bad_rows: bool) -> None:
        self.path, self.fmt, self.limit, self.skip_bad_rows = path, fmt, limit, skip_bad_rows
        self.stats = ReadStats()
        self.dim = 0
        self.seen: set[bytes] = set()
        self.keys: list[str] = []
        self.blocks: list[np.ndarray] = []
        self.values: list[bytes] = []
        self.lines: list[int] = []

    def full(self) -> bool:
        return self.limit is not None and len(self.keys) >= self.limit

    def add(self, key: bytes) -> bool:
        """Count a row; True when its key is new and is to be kept."""
        self.stats.rows_read += 1
        if key in self.seen:
            self.stats.duplicates += 1
            return False
        self.seen.add(key)
        try:
            self.keys.append(key.decode("utf-8"))
        except UnicodeDecodeError:
            self.stats.invalid_utf8 += 1
            self.keys.append(key.decode("utf-8", "replace"))
        return True

    def header(self, line: bytes, lineno: int) -> None:
        match = HEADER.match(line.rstrip(b"\r\n"))
        if match is None:
            raise VectorsFormatError(
                f"{self.path}, line {lineno}: expected a 'rows dim' header, found {line[:40]!r}; "
                "pass --format glove if the file has no header"
            )
        self.stats.header_rows, self.dim = int(match.group(1)), int(match.group(2))
        if self.dim < 1:
            raise VectorsFormatError(f"{self.path}, line {lineno}: the header says dimension 0")

    def bad_row(self, lineno: int, problem: str) -> None:
        if not self.skip_bad_rows:
            raise VectorsFormatError(
                f"{self.path}, line {lineno}: {problem}; fix the file or pass --skip-bad-rows"
            )
        self.stats.bad_rows += 1

    def text(self, stream: IO[bytes]) -> None:
        """GloVe and word2vec text: one row per line (a header first for word2vec)."""
        lines: Iterator[tuple[int, bytes]] = enumerate(stream, start=1)
        _, raw = next(lines, (1, b""))
        self.stats.bom = raw.startswith(b"\xef\xbb\xbf")
        first = (1, raw.removeprefix(b"\xef\xbb\xbf"))
        if self.fmt == "word2vec":
            self.header(first[1], 1)
        else:
            sample = [first, *islice(lines, SAMPLE_ROWS - 1)]
            self.dim = _glove_dim(self.path, [row for _, row in sample])
            lines = chain(sample, lines)
        for lineno, raw in lines:
            self.stats.crlf = self.stats.crlf or raw.endswith(b"\r\n")
            self.text_row(raw.rstrip(b"\r\n").rstrip(b" "), lineno)
            if self.full():
                break
        self.parse()

    def text_row(self, row: bytes, lineno: int) -> None:
        if not row.strip():
            return
        fields = row.count(b" ")
        if fields < self.dim:
            self.stats.rows_read += 1
            self.bad_row(lineno, f"expected {self.dim} values after the token, found {fields}")
            return
        if fields == self.dim:
            key = row[: row.find(b" ")]
        else:  # glove.840B: the token itself holds spaces; the vector is the last D fields
            key = row.rsplit(b" ", self.dim)[0]
            self.stats.spaced_tokens += 1
        if self.add(key):
            self.values.append(row[len(key) + 1 :])
            self.lines.append(lineno)
            if len(self.values) >= ROWS_PER_PARSE:
                self.parse()

    def parse(self) -> None:
        from aligner.pretrained.readers import _parse_batch

        if not self.values:
            return
        batch = _parse_batch(self.path, self.dim, self.values, self.lines, self.skip_bad_rows)
        if not batch.keep.all():  # rows skipped as bad: drop their keys too
            start = len(self.keys) - len(self.values)
            kept = [k for k, ok in zip(self.keys[start:], batch.keep, strict=True) if ok]
            self.keys[start:] = kept
            self.stats.bad_rows += batch.bad_rows
        self.blocks.append(batch.matrix)
        self.values, self.lines = [], []

    def binary(self, stream: IO[bytes]) -> None:
        """word2vec binary: a text header, then ``token`` + space + D little-endian float32."""
        buf = stream.read(CHUNK)
        if not buf.strip():
            raise VectorsFormatError(f"vectors file {self.path} is empty")
        end = buf.find(b"\n")
        if end < 0:
            raise VectorsFormatError(f"{self.path}, line 1: no header line; is it a vectors file?")
        self.header(buf[:end].removeprefix(b"\xef\xbb\xbf"), 1)
        width, pos, rows = 4 * self.dim, end + 1, []
        while not self.full():
            sp = buf.find(b" ", pos)
            if sp < 0 or sp + 1 + width > len(buf):
                more = stream.read(CHUNK)
                if not more:
                    self.truncated(buf[pos:])
                    break
                buf, pos = buf[pos:] + more, 0
                continue
            if self.add(buf[pos:sp].lstrip(b"\n")):  # the C tool ends each row with "\n"
                rows.append(buf[sp + 1 : sp + 1 + width])
            pos = sp + 1 + width
        matrix = np.frombuffer(b"".join(rows), dtype="<f4").astype(np.float32)
        self.blocks.append(matrix.reshape(-1, self.dim))

    def truncated(self, rest: bytes) -> None:
        if not rest.strip(b"\n"):
            return
        if not self.skip_bad_rows:
            raise VectorsFormatError(
                f"{self.path}, row {self.stats.rows_read + 1}: the file ends inside a row "
                "(truncated); download it again, or pass --skip-bad-rows"
            )
        self.stats.bad_rows += 1

    def result(self) -> ReadResult:
        matrix = np.concatenate(self.blocks) if self.blocks else np.zeros((0, self.dim), "f4")
        finite = np.isfinite(matrix).all(axis=1)
        keys = self.keys
        if not finite.all():
            self.stats.nonfinite_rows = int((~finite).sum())
            matrix, keys = matrix[finite], [k for k, ok in zip(keys, finite, strict=True) if ok]
        self.stats.rows_kept = len(keys)
        source = {"kind": "pretrained", "path": str(self.path), "format": self.fmt}
        return ReadResult(WordVectors(keys, matrix, source), self.fmt, self.dim, self.stats)
