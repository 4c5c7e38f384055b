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

An uncompressed GloVe or word2vec text file is scanned by ``workers``
processes (one per core by default) when it is large enough to pay for them
(:mod:`aligner.pretrained.parallel`); the result is the same as with one.

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
from pathlib import Path

import numpy as np

from aligner.align import FALLBACKS, check_fallbacks
from aligner.errors import InputError, VectorsFormatError
from aligner.pretrained.archive import (
    compression_of,
    decompression_errors,
    inner_name,
    open_stream,
)
from aligner.pretrained.binary import BinaryReader
from aligner.pretrained.readers import TextReader
from aligner.pretrained.rows import AllRows, ReadResult, ReadStats, Wanted
from aligner.pretrained.sanity import HEADER
from aligner.progress import SILENT, Progress
from aligner.sniff import COMPRESSED_MAGIC, FASTTEXT_BIN_MAGIC, binary_kind, is_utf8
from aligner.vocab import Vocab

__all__ = ["FORMATS", "ReadResult", "ReadStats", "detect_format", "read_vectors"]

FORMATS = ("glove", "word2vec", "word2vec-binary", "fasttext-bin")
FASTTEXT_MAGIC = FASTTEXT_BIN_MAGIC


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
    workers: int | None = None,
    digest: str | None = None,
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
        workers: processes that scan an uncompressed text file (GloVe,
            word2vec text) of at least
            :data:`~aligner.pretrained.parallel.PARALLEL_MIN_BYTES` for the
            vocabulary's rows, each a range of its lines; ``None``: one per
            available core. The result, the counts and the errors are those of
            one process. Compressed files, binary formats and reads without a
            vocabulary use one.
        digest: the file's sha256, when the caller knows it: an uncompressed
            text file read for a vocabulary then has its lines recorded in
            ``<cache>/rows/`` on the first read, and later reads of the same
            content read only the lines they need
            (:mod:`aligner.pretrained.row_index`); same result, errors and counts.

    Returns:
        A :class:`ReadResult`; ``vectors.keys`` are file tokens in file order.

    Raises:
        InputError: an invalid chain, both ``fallbacks`` and ``lowercase``, a
            limit or ``workers`` below 1, ``limit`` / a chain that does not
            fit ``vocab``, or a ``digest`` that is not a hex sha256.
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
    if workers is not None and workers < 1:
        raise InputError(f"workers must be at least 1, got {workers}")
    if digest is not None and not _SHA256.fullmatch(digest):
        raise InputError(f"digest must be a sha256 in 64 lowercase hex digits, got {digest!r}")
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
        return _informative(path, result, vocab is None)
    wanted = AllRows() if vocab is None else Wanted(vocab, chain)
    if workers is None:
        from aligner.pretrained.parallel import available_cores

        workers = available_cores()
    with decompression_errors(path), open_stream(path, member=member) as opened:
        kind = BinaryReader if fmt == "word2vec-binary" else TextReader
        rows_cache = None
        if digest is not None and kind is TextReader:
            from aligner.pretrained.download import cache_folder

            rows_cache = (cache_folder(cache), digest)
        reader = kind(
            path, opened, wanted, fmt, dim, skip_bad_rows,
            limit=limit, workers=workers, rows_cache=rows_cache,
        )  # fmt: skip
        result = reader.read(progress)
    return _informative(path, result, vocab is None)


_SHA256 = re.compile(r"[0-9a-f]{64}")


def _informative(path: Path, result: ReadResult, every_row: bool) -> ReadResult:
    """Refuse rows that are all zero: they carry no information (and fills from them are zero)."""
    matrix = result.vectors.vectors
    if len(matrix) and not np.any(matrix):
        which = "every row" if every_row else "every row the vocabulary can use"
        raise VectorsFormatError(
            f"{path}: {which} ({len(matrix)} kept) is all zeros, so the vectors carry no "
            "information; fix or replace the file"
        )
    return result
