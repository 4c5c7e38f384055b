"""Read pretrained vectors in one streaming pass, keeping only the task's rows.

Formats (auto-detected, or named):

================= ==========================================================
``glove``         text, no header: ``token v1 ... vD`` per line
``word2vec``      text with a ``N D`` header line (fastText ``.vec`` files too)
``word2vec-binary`` ``N D`` header, then ``token`` + space + D little-endian float32
``fasttext-bin``  a fastText model; its subword n-grams give vectors for words
                  missing from its table (match kind ``subword``)
================= ==========================================================

Each may be plain or ``.gz`` / ``.bz2`` / ``.xz`` / ``.zip`` (see
:mod:`aligner.pretrained.archive`). A line's token is looked up *before* any
float is parsed: only rows that the vocabulary can use (exactly or up to case)
are kept, so memory grows with the task vocabulary, not with the file. The
floats of the kept rows are parsed together by pyarrow's CSV reader.

Example:
    >>> from aligner.vocab import read_vocab
    >>> result = read_vectors("glove.6B.300d.txt", read_vocab("vocab.txt"))  # doctest: +SKIP
    >>> result.vectors.vectors.shape, result.stats.rows_read  # doctest: +SKIP
    ((47512, 300), 400000)
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aligner.errors import VectorsFormatError
from aligner.pretrained.archive import decompression_errors, inner_name, open_stream
from aligner.progress import SILENT, Progress
from aligner.vectors import WordVectors
from aligner.vocab import Vocab

__all__ = ["FORMATS", "ReadResult", "ReadStats", "detect_format", "read_vectors"]

FORMATS = ("glove", "word2vec", "word2vec-binary", "fasttext-bin")
FASTTEXT_MAGIC = (793712314).to_bytes(4, "little")
HEADER = re.compile(rb"^\s*(\d+)\s+(\d+)\s*$")


@dataclass
class ReadStats:
    """What the pass saw; reported with the coverage.

    Only rows whose token the vocabulary can use are examined closely, so
    ``duplicates``, ``spaced_tokens``, ``bad_rows`` and ``nonfinite_rows``
    count among those rows.
    """

    rows_read: int = 0
    rows_kept: int = 0
    header_rows: int | None = None
    header_mismatch: bool = False
    duplicates: int = 0
    spaced_tokens: int = 0
    invalid_utf8: int = 0
    nonfinite_rows: int = 0
    bad_rows: int = 0
    bom: bool = False
    crlf: bool = False
    subword_rows: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready counts."""
        return asdict(self)


@dataclass
class ReadResult:
    """The rows read, the detected format and dimension, and the pass's counts."""

    vectors: WordVectors
    format: str
    dim: int
    stats: ReadStats = field(default_factory=ReadStats)


class Wanted:
    """The byte keys a vocabulary can use: exact tokens, and tokens up to case."""

    def __init__(self, vocab: Vocab, lowercase: bool) -> None:
        words = vocab.tokens[len(vocab.specials) :]
        self.exact = {w.encode("utf-8", "surrogatepass") for w in words}
        self.lower = (
            {w.lower().encode("utf-8", "surrogatepass") for w in words} if lowercase else set()
        )
        # a token holding spaces is found through its first word (glove.840B rows)
        firsts = {w.split(" ")[0].encode("utf-8", "surrogatepass") for w in words if " " in w}
        self.scan_exact = self.exact | firsts
        self.scan_lower = self.lower | {lower_key(f) for f in firsts} if lowercase else set()
        self.kept_exact: set[bytes] = set()
        self.kept_lower: set[bytes] = set()
        self.kept_by_case: set[bytes] = set()

    def wants(self, key: bytes) -> bool:
        if key in self.scan_exact:
            return True
        if not self.scan_lower:
            return False
        return lower_key(key) in self.scan_lower

    def keep(self, key: bytes, stats: ReadStats) -> bool:
        """Decide for a confirmed row: first of each exact key, first of each lowercase key."""
        if key in self.exact:
            if key in self.kept_exact:
                stats.duplicates += 1
                return False
            self.kept_exact.add(key)
            return True
        low = lower_key(key)
        if low in self.kept_lower or low not in self.lower:
            if key in self.kept_by_case:
                stats.duplicates += 1
            return False
        self.kept_lower.add(low)
        self.kept_by_case.add(key)
        return True


def lower_key(key: bytes) -> bytes:
    if key.isascii():
        return key.lower()
    return key.decode("utf-8", "replace").lower().encode("utf-8")


def detect_format(path: str | os.PathLike[str], *, member: str | None = None) -> str:
    """Guess the format from the name inside any compression and the first bytes.

    Raises:
        VectorsFormatError: the file is empty.
    """
    with decompression_errors(path), open_stream(path, member=member) as opened:
        head = opened.stream.read(1 << 16)
    if not head.strip():
        raise VectorsFormatError(f"vectors file {path} is empty")
    if head.startswith(FASTTEXT_MAGIC):
        return "fasttext-bin"
    first, _, rest = head.removeprefix(b"\xef\xbb\xbf").partition(b"\n")
    match = HEADER.match(first.rstrip(b"\r"))
    if not match:
        return "glove"
    if inner_name(path, member).lower().endswith(".bin"):
        return "word2vec-binary"
    return "word2vec" if _looks_like_text_row(rest, int(match.group(2))) else "word2vec-binary"


def _looks_like_text_row(rest: bytes, dim: int) -> bool:
    """True when the line after a header is a token and ``dim`` printed numbers."""
    line, newline, _ = rest.partition(b"\n")
    if not newline and len(rest) >= (1 << 16) - 64:
        return False  # no line end in 64 KiB: binary floats
    fields = line.rstrip(b"\r ").split(b" ")
    if len(fields) <= dim:
        return False
    try:
        [float(x) for x in fields[-dim:]]
    except ValueError:
        return False
    return True


def read_vectors(
    source: str | os.PathLike[str],
    vocab: Vocab,
    *,
    format: str | None = None,
    member: str | None = None,
    dim: int | None = None,
    lowercase: bool = True,
    skip_bad_rows: bool = False,
    progress: Progress = SILENT,
) -> ReadResult:
    """Read the rows of a vectors file that ``vocab`` can use.

    Args:
        source: a local vectors file (see the module table for formats).
        vocab: the task vocabulary; decides which rows are kept.
        format: one of :data:`FORMATS`; detected when ``None``.
        member: the member to read inside a zip archive.
        dim: expected dimension; a file of another dimension is an error.
        lowercase: also keep rows matching a vocabulary token up to case.
        skip_bad_rows: skip (and count) rows with too few fields or
            unparsable numbers instead of failing.
        progress: receives a bar in on-disk bytes.

    Returns:
        A :class:`ReadResult`; ``vectors.keys`` are file tokens in file order.

    Raises:
        VectorsFormatError: empty file, unknown format, wrong dimension, or a
            malformed row (the message names the file and line).
    """
    path = Path(source)
    if not path.is_file():
        raise VectorsFormatError(f"vectors file {path} does not exist; check the path")
    fmt = format or detect_format(path, member=member)
    if fmt not in FORMATS:
        raise VectorsFormatError(
            f"unknown vectors format {fmt!r}; choose one of: {', '.join(FORMATS)}"
        )
    if fmt == "fasttext-bin":
        from aligner.pretrained.fasttext_bin import read_fasttext_bin

        return read_fasttext_bin(path, vocab, member=member, dim=dim, lowercase=lowercase)
    wanted = Wanted(vocab, lowercase)
    with (
        decompression_errors(path),
        open_stream(path, member=member) as opened,
        progress.bar(f"read {path.name}", total=opened.size, unit="B") as bar,
    ):
        from aligner.pretrained.readers import BinaryReader, TextReader

        kind = BinaryReader if fmt == "word2vec-binary" else TextReader
        reader = kind(path, opened, bar, wanted, fmt, dim, skip_bad_rows)
        result = reader.read()
        bar.update(opened.size - reader.reported)  # a zip's index at the end is never read
        return result
