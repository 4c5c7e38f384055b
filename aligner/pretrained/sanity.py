"""The sanity checks a streaming reader runs on what it reads.

They refuse, with a message naming the file and the line or row: a header
that is not ``rows dim``, or whose dimension the rows below it contradict; a
dimension below 2 (saying so when the file is a ``word count`` vocabulary),
or other than the one asked for; a pass that yields no vector (a header and
no rows, every usable row skipped); and word2vec binary rows whose tokens show
they are not ``dim`` float32 values wide, or whose values are printed text.
:class:`Checks` is mixed into :class:`aligner.pretrained.readers.Reader`.

Example:
    >>> count_values(b"guitar 0.1 0.2 0.3")
    3
    >>> HEADER.match(b"400000 300").groups()
    (b'400000', b'300')
"""

from __future__ import annotations

import re
from pathlib import Path

from aligner.errors import VectorsFormatError
from aligner.pretrained.rows import AllRows, ReadStats, Wanted

__all__ = ["CHECKED_TOKENS", "HEADER", "TOKEN_MAX", "Checks", "count_values", "first_rows"]

HEADER = re.compile(rb"^\s*(\d+)\s+(\d+)\s*$")
TOKEN_MAX = 1 << 16  # bytes a token may take
CHECKED_TOKENS = 1000  # binary rows whose tokens are checked (see Checks.check_row)
_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")
_PRINTED = re.compile(rb"[\t\n\r\x20-\x7e]*")  # text where float32 bytes should be


class Checks:
    """The checks of :class:`~aligner.pretrained.readers.Reader`, on the attributes it sets."""

    path: Path
    stats: ReadStats
    wanted: Wanted | AllRows
    expected_dim: int | None
    stopped: bool
    dim: int

    def header(self, line: bytes, lineno: int, rows: list[bytes] | None = None) -> None:
        """Read the ``rows dim`` header; ``rows``: the first rows below it, when text."""
        match = HEADER.match(line)
        if match is None:
            raise VectorsFormatError(
                f"{self.path}, line {lineno}: expected a 'rows dim' header, found {line[:40]!r}; "
                "pass --format glove if the file has no header"
            )
        self.stats.header_rows = int(match.group(1))
        dim = int(match.group(2))
        self.set_dim(dim, lineno, "the header says", rows or [])
        found = [n for n in map(count_values, rows or []) if n]
        values = max(set(found), key=found.count) if found else dim
        if values != dim:
            raise VectorsFormatError(
                f"{self.path}, line {lineno}: the header says dimension {dim}, but the rows "
                f"below it have {values} values; fix the header line, or pass --format glove "
                "to read the file without it"
            )

    def set_dim(self, dim: int, lineno: int, how: str, rows: list[bytes]) -> None:
        """Take the dimension; refuse one below 2 (saying so when it is a counts file)."""
        if _counts_like(rows):
            raise VectorsFormatError(
                f"{self.path}: every row is a token and one integer: this looks like a "
                "vocabulary with counts, not vectors; pass it to --vocab, and vectors to "
                "--pretrained"
            )
        if dim < 2:
            raise VectorsFormatError(
                f"{self.path}, line {lineno}: {how} dimension {dim}; vectors have at least 2 "
                "values per row: check that this is a vectors file"
            )
        if self.expected_dim is not None and dim != self.expected_dim:
            raise VectorsFormatError(
                f"{self.path}, line {lineno}: {how} dimension {dim}, but --dim is "
                f"{self.expected_dim}; pass the file of the right dimension or drop --dim"
            )
        self.dim = dim

    def check_yield(self) -> None:
        """Refuse a pass that yields no vector: no rows at all, or every usable row skipped."""
        stats = self.stats
        if stats.rows_read == 0 and not self.stopped:
            said = f"the header says {stats.header_rows} rows, but " if stats.header_rows else ""
            raise VectorsFormatError(
                f"{self.path}: {said}no row of vectors follows; the file is truncated or "
                "empty: download it again"
            )
        if stats.rows_kept == 0 and stats.bad_rows + stats.nonfinite_rows:
            usable = "" if isinstance(self.wanted, AllRows) else " the vocabulary can use"
            raise VectorsFormatError(
                f"{self.path}: every row{usable} was skipped ({stats.bad_rows} malformed, "
                f"{stats.nonfinite_rows} not finite), so it yields no vector; fix or replace "
                "the file"
            )

    def check_row(self, key: bytes, values: bytes) -> None:
        """Refuse one of the first rows when it shows the file is not what its header says.

        A token that is empty, long or holds control bytes means the rows are not
        ``dim`` float32 values wide; values that are printed text, a text file.
        """
        row = self.stats.rows_read
        if not key or len(key) > TOKEN_MAX or _CONTROL.search(key):
            self.misaligned(row, key[:20])
        if row == 1 and len(values) >= 16 and _PRINTED.fullmatch(values):
            raise VectorsFormatError(
                f"{self.path}, row 1: the values are printed text, not float32 bytes; "
                "pass --format word2vec (or glove)"
            )

    def misaligned(self, row: int, key: bytes) -> None:
        """Refuse a row whose token is not one: the rows do not have the header's width."""
        problem = f"is empty, longer than {TOKEN_MAX} bytes or holds control bytes"
        raise VectorsFormatError(
            f"{self.path}, row {row}: the token {key!r}... {problem}, so the "
            f"rows are not {self.dim} float32 values each as the header says (or the file is "
            "not word2vec binary); fix the header, or pass the right --format"
        )


def count_values(line: bytes) -> int:
    """How many values follow the token of a row (space-separated)."""
    return line.count(b" ")


def first_rows(data: bytes) -> list[bytes]:
    """The first (up to 20) complete lines of ``data``, blank lines left out."""
    head = data[: 1 << 16]
    if b"\n" in head:
        head = head[: head.rfind(b"\n")]
    elif len(data) > len(head):
        head = data[: data.find(b"\n")] if b"\n" in data else data
    lines = (line.rstrip(b"\r ") for line in head.split(b"\n", 20)[:20])
    return [line for line in lines if line]


def _counts_like(rows: list[bytes]) -> bool:
    """True when every row is a token and one integer (a ``word count`` vocabulary)."""
    return bool(rows) and all(
        count_values(row) == 1 and row.rpartition(b" ")[2].isdigit() for row in rows
    )
