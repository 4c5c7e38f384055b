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
float is parsed: only rows that the vocabulary can use (exactly, or through a
fold of the fallback chain: case, accents, digits; see :mod:`aligner.align`)
are kept, so memory grows with the task vocabulary, not with the file. The
floats of the kept rows are parsed together by pyarrow's CSV reader.

Without a vocabulary every row is kept (the first of each key), and ``limit``
stops the pass after that many: the most frequent words of a file sorted by
frequency, as evaluation reads them.

Example:
    >>> from aligner.vocab import read_vocab
    >>> result = read_vectors("glove.6B.300d.txt", read_vocab("vocab.txt"))  # doctest: +SKIP
    >>> result.vectors.vectors.shape, result.stats.rows_read  # doctest: +SKIP
    ((47512, 300), 400000)
    >>> read_vectors("glove.6B.300d.txt", limit=300_000).vectors.vectors.shape  # doctest: +SKIP
    (300000, 300)
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aligner.align import FALLBACKS, check_fallbacks, step_folds
from aligner.errors import InputError, VectorsFormatError
from aligner.pretrained.archive import (
    compression_of,
    decompression_errors,
    inner_name,
    open_stream,
)
from aligner.progress import SILENT, Progress
from aligner.vectors import DIGIT_MARKS, WordVectors, fold_digits, strip_accents
from aligner.vocab import COMPRESSED_MAGIC, FASTTEXT_BIN_MAGIC, Vocab, binary_kind, is_utf8

__all__ = ["FORMATS", "ReadResult", "ReadStats", "detect_format", "read_vectors"]

FORMATS = ("glove", "word2vec", "word2vec-binary", "fasttext-bin")
FASTTEXT_MAGIC = FASTTEXT_BIN_MAGIC
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
    """The byte keys a vocabulary can use under a fallback chain.

    A row is wanted when its key is a vocabulary token, or when one of the
    folds of the chain's normalising steps (:func:`aligner.align.step_folds`)
    maps it to the fold of a token; a token holding spaces is also found
    through its first word (glove.840B rows). :meth:`keep` then keeps the
    first row of each exact key and of each wanted folded key.

    ``scan_exact`` and ``scan_lower`` are what the text reader's hot loop
    tests: the raw key ``in scan_exact``, else its lowercase form ``in
    scan_lower``. When the chain folds nothing but case they are plain sets.
    With accent or digit folds, ``scan_exact`` is a :class:`_FoldScan` that
    folds only the keys that can need it (non-ASCII keys, keys with a digit
    byte: an ASCII key without digits folds to itself or its lowercase form)
    and ``scan_lower`` is empty.
    """

    def __init__(self, vocab: Vocab, fallbacks: Sequence[str] = FALLBACKS) -> None:
        words = [_encode(w) for w in vocab.tokens[len(vocab.specials) :]]
        firsts = [w.split(b" ")[0] for w in words if b" " in w]
        self.exact = set(words)
        self.folds = tuple(dict.fromkeys(f for fs in step_folds(fallbacks).values() for f in fs))
        self.ascii = [(f.lowercase, None if f.mark is None else _MARKS[f.mark]) for f in self.folds]
        self.accents = any(f.accents for f in self.folds)
        self.bases = list(dict.fromkeys((f.accents, f.lowercase) for f in self.folds))
        self.plan = [(self.bases.index((f.accents, f.lowercase)), f.mark) for f in self.folds]
        self.want = self.fold_all(words)
        self.first_folds = self.fold_all(firsts)
        # what a fold must give to be wanted; a value leaves once its first row is kept
        self.scan = [want | first for want, first in zip(self.want, self.first_folds, strict=True)]
        self.digit_scans = [
            (lower, marks, scan)
            for (lower, marks), scan in zip(self.ascii, self.scan, strict=True)
            if marks is not None
        ]
        self.raw, self.lowered = self.exact | set(firsts), set[bytes]()
        for fold, values in zip(self.folds, self.scan, strict=True):
            (self.lowered if fold.lowercase else self.raw).update(values)
        self.needs_fold = any(f.accents or f.mark is not None for f in self.folds)
        self.scan_exact, self.scan_lower = self.raw, self.lowered
        if self.needs_fold:
            self.scan_exact, self.scan_lower = _FoldScan(self.raw, self), set()
        self.kept_keys: set[bytes] = set()
        self.kept: list[set[bytes]] = [set() for _ in self.folds]

    def fold_all(self, keys: list[bytes]) -> list[set[bytes]]:
        """The values of each fold over ``keys``."""
        plain = [k for k in keys if k.isascii()]
        lowered = [k.lower() for k in plain]
        others = [k.decode("utf-8", "replace") for k in keys if not k.isascii()]
        out = []
        for fold, (lower, marks) in zip(self.folds, self.ascii, strict=True):
            base = lowered if lower else plain
            values = set(base) if marks is None else {k.translate(marks) for k in base}
            values.update(_encode(fold(text)) for text in others)
            out.append(values)
        return out

    def wants(self, key: bytes) -> bool:
        """True when a row with this raw key may be kept (decided by :meth:`keep`).

        The same test as ``scan_exact`` / ``scan_lower``, in one call.
        """
        if key in self.raw:
            return True
        if not self.needs_fold:
            return bool(self.lowered) and lower_key(key) in self.lowered
        if key.isalpha() or (key.isascii() and _DIGIT_BYTE.search(key) is None):
            return key.lower() in self.lowered  # folds to itself or its lowercase form
        return self.wants_unusual(key)

    def wants_unusual(self, key: bytes) -> bool:
        """Whether a key that is not in ``raw`` has a wanted fold.

        Meant for keys other than ASCII letters: an ASCII key without digits
        folds to itself or its lowercase form, which ``raw`` and ``lowered``
        hold; only non-ASCII keys and keys with a digit byte are folded.
        """
        if key in self.kept_keys:
            return True  # a duplicate: counted by keep
        if not key.isascii():
            return any(v in s for v, s in zip(self.folded(key), self.scan, strict=True))
        low = key.lower()
        if low in self.lowered:
            return True
        if _DIGIT_BYTE.search(key) is None:
            return False  # folds to itself or its lowercase form: not wanted
        for lower, marks, scan in self.digit_scans:  # the other folds gave key or low
            if (low if lower else key).translate(marks) in scan:
                return True
        return False

    def folded(self, key: bytes) -> list[bytes]:
        """The key under each fold, in bytes (ASCII keys with bytes operations)."""
        if key.isascii():
            low = key.lower()
            if key.isalpha():  # no digit to replace
                return [low if lower else key for lower, _ in self.ascii]
            return [(low if lower else key).translate(marks) for lower, marks in self.ascii]
        text = key.decode("utf-8", "replace")
        stripped = strip_accents(text) if self.accents else text
        bases = []
        for accents, lower in self.bases:  # each distinct (accents, lowercase) once
            base = stripped if accents else text
            bases.append(base.lower() if lower else base)
        return [_encode(bases[i] if m is None else fold_digits(bases[i], m)) for i, m in self.plan]

    def keep(self, key: bytes, stats: ReadStats) -> bool:
        """Decide for a confirmed row: the first of each exact key and of each wanted fold."""
        if key in self.kept_keys:
            stats.duplicates += 1
            return False
        if key.isalpha() and key in self.exact:
            # ASCII letters fold to themselves or their lowercase form; not marking these
            # folds saves time and keeps at most one more row per fold (a case variant)
            self.kept_keys.add(key)
            return True
        fresh = False
        sets = zip(self.want, self.kept, self.scan, self.first_folds, strict=True)
        for value, (want, kept, scan, first) in zip(self.folded(key), sets, strict=True):
            if value in want and value not in kept:
                kept.add(value)  # a later row folding the same way adds nothing
                if value not in first:
                    scan.discard(value)
                fresh = True
        if fresh or key in self.exact:
            self.kept_keys.add(key)
            return True
        return False


class AllRows:
    """What :class:`Wanted` decides, without a vocabulary: every row, the first of each key."""

    def __init__(self) -> None:
        self.kept_keys: set[bytes] = set()

    def wants(self, key: bytes) -> bool:
        """Every row may be kept."""
        return True

    def keep(self, key: bytes, stats: ReadStats) -> bool:
        """Keep the first row of each key; count the repeats in ``stats.duplicates``."""
        if key in self.kept_keys:
            stats.duplicates += 1
            return False
        self.kept_keys.add(key)
        return True


class _FoldScan(set[bytes]):
    """Raw keys wanted as they are; ``in`` also folds the keys that can need it."""

    def __init__(self, raw: set[bytes], wanted: Wanted) -> None:
        super().__init__(raw)
        self.lowered = wanted.lowered
        self.unusual = wanted.wants_unusual

    def __contains__(self, key: bytes, _has: Any = set.__contains__) -> bool:  # type: ignore[override]
        if _has(self, key):
            return True
        if key.isalpha() or (key.isascii() and _DIGIT_BYTE.search(key) is None):
            return key.lower() in self.lowered  # folds to itself or its lowercase form
        return self.unusual(key)


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


_DIGIT_BYTE = re.compile(rb"[0-9]")
_MARKS = {m: bytes.maketrans(b"0123456789", m.encode() * 10) for m in DIGIT_MARKS}


def lower_key(key: bytes) -> bytes:
    if key.isascii():
        return key.lower()
    return key.decode("utf-8", "replace").lower().encode("utf-8")


def detect_format(path: str | os.PathLike[str], *, member: str | None = None) -> str:
    """Guess the format from the name inside any compression and the first bytes.

    Raises:
        VectorsFormatError: the file is empty, or not vectors (a pickle, an
            array, a misnamed archive...: the message says what to pass).
    """
    return _inspect(Path(path), member, None)


def _inspect(path: Path, member: str | None, fmt: str | None) -> str:
    """Refuse a file that is not vectors; return ``fmt``, or the format detected."""
    _check_compression(path)
    with decompression_errors(path), open_stream(path, member=member) as opened:
        head = opened.stream.read(1 << 16)
    if not head.strip():
        raise VectorsFormatError(f"vectors file {path} is empty")
    compressed = compression_of(path) is not None
    refused = binary_kind(head, path, role="vectors", zip_ok=compressed)
    if refused is not None:
        raise VectorsFormatError(refused)
    fmt = fmt or _detect(path, member, head)
    if fmt in ("glove", "word2vec") and b"\x00" in head and not is_utf8(head):
        raise VectorsFormatError(
            f"{path} is binary (it holds NUL bytes), not {fmt} text; pass --format "
            "word2vec-binary if it is word2vec's binary format"
        )
    return fmt


def _check_compression(path: Path) -> None:
    """Refuse a file named as compressed whose bytes are not (a text file named .gz)."""
    kind = compression_of(path)
    if kind is None:
        return
    with path.open("rb") as fh:
        magic = fh.read(8)
    expected = {name: m for m, name, _, _ in COMPRESSED_MAGIC} | {"zip": b"PK"}
    if magic and not magic.startswith(expected[kind]):
        raise VectorsFormatError(
            f"{path} is not a valid {kind} file (it starts with {magic!r}); rename it "
            f"without {path.suffix} if it is plain text, or download it again"
        )


def _detect(path: Path, member: str | None, head: bytes) -> str:
    if head.startswith(FASTTEXT_MAGIC):
        return "fasttext-bin"
    first, _, rest = head.removeprefix(b"\xef\xbb\xbf").partition(b"\n")
    match = HEADER.match(first.rstrip(b"\r"))
    if not match:
        return "glove"
    if inner_name(path, member).lower().endswith(".bin"):
        return "word2vec-binary"
    if _looks_like_text_row(rest, int(match.group(2))) or _is_text(rest):
        return "word2vec"  # text rows, perhaps malformed: the text reader names the line
    return "word2vec-binary"


def _is_text(data: bytes) -> bool:
    """Lines of UTF-8 text without NUL bytes (float32 rows almost never are)."""
    return b"\n" in data and b"\x00" not in data and is_utf8(data)


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


def _chain(fallbacks: Sequence[str] | None, lowercase: bool | None) -> tuple[str, ...]:
    if lowercase is None:
        return check_fallbacks(FALLBACKS if fallbacks is None else fallbacks)
    if fallbacks is not None:
        raise InputError("pass the fallback chain or lowercase=, not both")
    return ("exact", "lowercase", "subword") if lowercase else ("exact", "subword")


def _check_rows(
    vocab: Vocab | None, limit: int | None, fallbacks: Sequence[str] | None, lowercase: bool | None
) -> None:
    """The options that choose the rows kept agree with each other."""
    if limit is not None and limit < 1:
        raise InputError(f"the row limit must be at least 1, got {limit}")
    if vocab is not None and limit is not None:
        raise InputError(
            "limit= keeps the first rows of a file, without a vocabulary: pass vocab=None, "
            "or drop limit= to keep every row the vocabulary can use"
        )
    if vocab is None and (fallbacks is not None or lowercase is not None):
        raise InputError("fallbacks= and lowercase= choose rows for a vocabulary: pass one too")


def read_vectors(
    source: str | os.PathLike[str],
    vocab: Vocab | None = None,
    *,
    format: str | None = None,
    member: str | None = None,
    dim: int | None = None,
    fallbacks: Sequence[str] | None = None,
    lowercase: bool | None = None,
    limit: int | None = None,
    skip_bad_rows: bool = False,
    progress: Progress = SILENT,
    cache: str | os.PathLike[str] | None = None,
) -> ReadResult:
    """Read the rows of a vectors file that ``vocab`` can use, or its first rows.

    Args:
        source: a local vectors file (see the module table for formats).
        vocab: the task vocabulary; decides which rows are kept. ``None``
            keeps every row (the first of each key), in file order.
        format: one of :data:`FORMATS`; detected when ``None``.
        member: the member to read inside a zip archive.
        dim: expected dimension; a file of another dimension is an error.
        fallbacks: the alignment's fallback chain (:data:`aligner.align.FALLBACKS`
            when ``None``); rows its normalising steps can use are kept too.
        lowercase: shorthand for a chain of ``exact`` (and ``lowercase``
            when true) then ``subword``; not together with ``fallbacks``.
        limit: without a vocabulary, stop once this many rows are kept (rows
            past it are not read, so their faults go unnoticed); ``None``: all.
        skip_bad_rows: skip (and count) rows with too few fields or
            unparsable numbers instead of failing.
        progress: receives a bar in on-disk bytes.
        cache: the cache root a compressed fastText ``.bin`` is decompressed
            into (``$ALIGNER_CACHE`` or the user cache when ``None``).

    Returns:
        A :class:`ReadResult`; ``vectors.keys`` are file tokens in file order.

    Raises:
        InputError: an invalid chain, both ``fallbacks`` and ``lowercase``, a
            limit below 1, or ``limit`` / a chain that does not fit ``vocab``.
        VectorsFormatError: empty file, unknown format, wrong dimension, or a
            malformed row (the message names the file and line); a file that
            yields no vector (a header without rows, every usable row skipped),
            a dimension below 2 or a ``word count`` file, rows that contradict
            the header's dimension, a line longer than the dimension allows,
            and files of other kinds (pickles, arrays, misnamed archives: the
            message says what to pass instead).

    Example:
        >>> read_vectors("vectors.vec.gz", limit=2).vectors.keys  # doctest: +SKIP
        ['the', ',']
    """
    _check_rows(vocab, limit, fallbacks, lowercase)
    chain = _chain(fallbacks, lowercase)
    path = Path(source)
    if not path.is_file():
        if path.exists():
            raise VectorsFormatError(
                f"vectors file {path} is not a regular file (a directory, device or pipe); "
                "pass a vectors file"
            )
        raise VectorsFormatError(f"vectors file {path} does not exist; check the path")
    if format is not None and format not in FORMATS:
        raise VectorsFormatError(
            f"unknown vectors format {format!r}; choose one of: {', '.join(FORMATS)}"
        )
    fmt = _inspect(path, member, format)
    if fmt == "fasttext-bin":
        from aligner.pretrained.fasttext_bin import read_fasttext_bin, read_fasttext_table

        if vocab is None:
            result = read_fasttext_table(path, member=member, dim=dim, limit=limit, cache=cache)
        else:
            result = read_fasttext_bin(
                path, vocab, member=member, dim=dim, fallbacks=chain, cache=cache
            )
        if result.dim < 2:
            raise VectorsFormatError(
                f"{path}: the fastText model has dimension {result.dim}; vectors have at least "
                "2 values per row: check that this is the right model"
            )
        return result
    wanted = AllRows() if vocab is None else Wanted(vocab, chain)
    with (
        decompression_errors(path),
        open_stream(path, member=member) as opened,
        progress.bar(f"read {path.name}", total=opened.size, unit="B") as bar,
    ):
        from aligner.pretrained.readers import BinaryReader, TextReader

        kind = BinaryReader if fmt == "word2vec-binary" else TextReader
        reader = kind(path, opened, bar, wanted, fmt, dim, skip_bad_rows, limit=limit)
        result = reader.read()
        bar.update(opened.size - reader.reported)  # a zip's index at the end is never read
        return result
