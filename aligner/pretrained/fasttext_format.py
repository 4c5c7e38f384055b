"""fastText's binary model format (``.bin``), read without loading the model whole.

The file holds, little-endian: the magic number and format version (int32),
the arguments (twelve int32 from ``dim`` to ``lr_update_rate``, then the
float64 ``t``), the dictionary (int32 size, words, labels; int64 tokens and
prune-index size; then per entry its UTF-8 bytes, a NUL, an int64 count and
an int8 type, 0 for a word), the prune index (pairs of int32), then the
input matrix (a bool "quantized", int64 rows and columns, float32 values:
one row per word, then ``bucket`` rows of n-grams) and the output matrix,
which word vectors do not need.

:func:`open_model` walks the header and the dictionary and checks every size
against the file's; :meth:`Model.read_rows` then reads rows of the input
matrix through bounded windows of the file mapped in memory, so a model of
any size takes little memory. :mod:`~aligner.pretrained.fasttext_extract` walks a
*stream* (a compressed model) the same way, to bound what it may decompress to.

Example:
    >>> with open_model("cc.en.300.bin") as model:  # doctest: +SKIP
    ...     model.dim, model.words[:2], model.read_rows(np.array([0, 1])).shape
    (300, [',', 'the'], (2, 300))
"""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

import numpy as np

from aligner.errors import VectorsFormatError

__all__ = [
    "DICTIONARY",
    "HEADER",
    "MAGIC",
    "MATRIX",
    "MAX_WORD_BYTES",
    "Args",
    "Model",
    "open_model",
]
__all__ += ["parse_header", "too_long", "truncated"]

MAGIC = 793712314
VERSIONS = (11, 12)
HEADER = struct.Struct("<ii12id")  # magic, version, dim, ws, epoch, ..., maxn, lr_update_rate, t
DICTIONARY = struct.Struct("<3i2q")  # size, words, labels, tokens, prune-index size
MATRIX = struct.Struct("<?2q")  # quantized, rows, columns
MAX_WORD_BYTES = 1 << 16
MAX_WORDS = 200_000_000
MAX_DIM = 100_000
MAX_NGRAM = 100
#: bytes of the file mapped at a time to read rows of the input matrix
WINDOW = 64 << 20


@dataclass(frozen=True)
class Args:
    """The header fields word vectors depend on."""

    version: int
    dim: int
    bucket: int
    minn: int
    maxn: int


def truncated(name: str, where: str) -> VectorsFormatError:
    """The error for a model that ends inside its ``where``."""
    return VectorsFormatError(f"{name} ends inside its {where}: it is truncated; download it again")


def _corrupt(name: str, what: str) -> VectorsFormatError:
    return VectorsFormatError(f"{name}: {what}; the file is corrupt: download it again")


def parse_header(data: bytes, name: str) -> tuple[Args, int, int, int]:
    """The arguments and the dictionary's size, words and prune-index size.

    ``data`` holds the first ``HEADER.size + DICTIONARY.size`` bytes of the model.

    Raises:
        VectorsFormatError: too short, not a fastText model, another version, a
            supervised or quantized model, or sizes no model has.
    """
    if len(data) >= 8:
        magic, version = struct.unpack_from("<2i", data)
        _check_signature(magic, version, name)
    if len(data) < HEADER.size + DICTIONARY.size:
        raise truncated(name, "header")
    _magic, version, dim, *ints, _t = HEADER.unpack_from(data)
    size, nwords, nlabels, _tokens, prune = DICTIONARY.unpack_from(data, HEADER.size)
    bucket, minn, maxn = ints[7:10]  # ws, epoch, min_count, neg, word_ngrams, loss, model, ...
    if nlabels > 0:
        raise VectorsFormatError(
            f"{name} is a supervised (classifier) fastText model with {nlabels} labels; "
            "pass an unsupervised (skipgram or cbow) model"
        )
    if prune > 0:
        raise _quantized(name)
    if not (
        0 < dim <= MAX_DIM and 0 <= nwords == size <= MAX_WORDS and nlabels == 0
        and bucket >= 0 and 0 <= minn <= MAX_NGRAM and 0 <= maxn <= MAX_NGRAM
    ):  # fmt: skip
        raise _corrupt(
            name,
            f"implausible header (dim {dim}, {size} entries of which {nwords} words, "
            f"{bucket} buckets, n-grams of {minn} to {maxn})",
        )
    return Args(version, dim, bucket, minn, maxn), size, nwords, prune


def _check_signature(magic: int, version: int, name: str) -> None:
    if magic != MAGIC:
        raise VectorsFormatError(
            f"{name} is not a fastText .bin model (wrong magic number); "
            "pass --format to read it as another format"
        )
    if version not in VERSIONS:
        raise VectorsFormatError(
            f"{name}: fastText format version {version} is not one aligner reads (11, 12); "
            "save the model again with a current fastText"
        )


def _quantized(name: str) -> VectorsFormatError:
    return VectorsFormatError(
        f"{name} is a quantized fastText model (.ftz): its vectors are compressed; "
        "pass the full .bin model"
    )


def too_long(name: str) -> VectorsFormatError:
    """The error for a model with a word longer than :data:`MAX_WORD_BYTES`."""
    return _corrupt(name, f"a word of its dictionary is longer than {MAX_WORD_BYTES} bytes")


def _walk_words(buffer: mmap.mmap, start: int, size: int, name: str) -> tuple[list[bytes], int]:
    """The dictionary's ``size`` words from ``start``, and the offset just past them."""
    if size > (len(buffer) - start) // 10:  # an entry has at least a NUL, a count and a type
        raise truncated(name, f"word list (it cannot hold the {size} words its header says)")
    find, limit = buffer.find, MAX_WORD_BYTES + 1
    words: list[bytes] = []
    append = words.append
    ends = np.empty(size, np.int64)
    pos = start
    for i in range(size):
        end = find(b"\x00", pos, pos + limit)
        if end < 0:
            if len(buffer) - pos > MAX_WORD_BYTES:
                raise too_long(name)
            raise truncated(name, f"word list (at word {i + 1} of {size})")
        append(buffer[pos:end])
        ends[i] = end
        pos = end + 10  # the NUL, an int64 count, an int8 type
    if pos > len(buffer):
        raise truncated(name, f"word list (at word {size} of {size})")
    _check_types(buffer, ends, name)
    return words, pos


def _check_types(buffer: mmap.mmap, ends: np.ndarray, name: str) -> None:
    """Every entry is a word (type 0): a shifted or corrupt table shows here first."""
    if not len(ends):
        return
    types = np.frombuffer(buffer, np.uint8, int(ends[-1]) + 10)[ends + 9]  # a copy: no view
    wrong = np.flatnonzero(types != 0)
    if len(wrong):
        i = int(wrong[0])
        raise _corrupt(name, f"entry {i + 1} of its word list has type {types[i]}, not 0 (a word)")


def _decode(words: list[bytes]) -> list[str]:
    """The words as gensim decodes them: UTF-8, invalid bytes as ``\\xNN`` escapes."""
    try:
        joined = b"\x00".join(words).decode("utf-8")
    except UnicodeDecodeError:
        return [w.decode("utf-8", "backslashreplace") for w in words]
    return joined.split("\x00") if words else []


class Model:
    """An open fastText model: its arguments, its word table, and its input matrix on disk.

    Attributes:
        path: the model file.
        args: its header's :class:`Args`.
        words: the table's words, in file order (decoded as gensim decodes them).
        index: each word's row (the first, should a word repeat).
    """

    def __init__(self, path: Path, args: Args, words: list[str], fh: IO[bytes], at: int):
        self.path, self.args, self.words = path, args, words
        self.index = dict(zip(reversed(words), range(len(words) - 1, -1, -1), strict=True))
        self._fh, self._at = fh, at

    @property
    def dim(self) -> int:
        """The vector dimension."""
        return self.args.dim

    def read_rows(self, ids: np.ndarray) -> np.ndarray:
        """Rows ``ids`` (sorted, distinct int64) of the input matrix, as a float32 matrix.

        The file is mapped :data:`WINDOW` bytes at a time, and only the pages
        holding these rows are read: the memory the map takes stays bounded
        however large the model.

        Example:
            >>> model.read_rows(np.array([0, 7])).shape  # doctest: +SKIP
            (2, 300)
        """
        dim = self.args.dim
        out = np.empty((len(ids), dim), np.float32)
        if not len(ids):
            return out
        starts = self._at + ids.astype(np.int64) * (4 * dim)
        cuts = np.flatnonzero(np.diff(starts // WINDOW)) + 1
        for lo, hi in zip([0, *cuts.tolist()], [*cuts.tolist(), len(ids)], strict=True):
            first, end = int(starts[lo]), int(starts[hi - 1]) + 4 * dim
            base = first - first % mmap.ALLOCATIONGRANULARITY
            window = mmap.mmap(self._fh.fileno(), end - base, access=mmap.ACCESS_READ, offset=base)
            try:
                _copy_rows(window, first - base, ids[lo:hi] - ids[lo], out[lo:hi])
            finally:
                window.close()
        return out

    def close(self) -> None:
        """Close the file."""
        self._fh.close()

    def __enter__(self) -> Model:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _copy_rows(window: mmap.mmap, offset: int, rows: np.ndarray, out: np.ndarray) -> None:
    """``out[:] =`` the ``rows`` of the matrix starting at ``offset`` in ``window``.

    No name holds a view of the map, so it can close even when this fails.
    """
    dim = out.shape[1]
    count = (int(rows[-1]) + 1) * dim
    out[:] = np.frombuffer(window, np.dtype("<f4"), count, offset).reshape(-1, dim)[rows]


def _matrix_offset(buffer: mmap.mmap, at: int, args: Args, nwords: int, name: str) -> int:
    """Check the input matrix's header and size; return the offset of its first value."""
    if at + MATRIX.size > len(buffer):
        raise truncated(name, "input matrix header")
    quantized, rows, cols = MATRIX.unpack_from(buffer, at)
    if quantized:
        raise _quantized(name)
    if rows != nwords + args.bucket or cols != args.dim:
        raise _corrupt(
            name,
            f"its input matrix is {rows} x {cols}, but its header says "
            f"{nwords} words + {args.bucket} buckets = {nwords + args.bucket} rows of {args.dim}",
        )
    need = rows * cols * 4
    have = len(buffer) - at - MATRIX.size
    if need > have:
        raise VectorsFormatError(
            f"{name}: its input matrix ({rows} x {cols} float32) needs {need} bytes but only "
            f"{have} follow: the file is truncated or its header is corrupt; download it again"
        )
    return at + MATRIX.size


def open_model(
    path: str | os.PathLike[str], *, name: str | None = None, dim: int | None = None
) -> Model:
    """Open a fastText ``.bin`` model: check its header and sizes, read its word table.

    Args:
        path: an uncompressed model file.
        name: how messages name the file (``path`` when ``None``).
        dim: the expected dimension; another is an error (before the words are read).

    Returns:
        A :class:`Model`, whose rows :meth:`Model.read_rows` reads (a context
        manager that closes the file).

    Raises:
        VectorsFormatError: an unreadable, truncated, corrupt, supervised or
            quantized model, or one of another dimension than ``dim``.

    Example:
        >>> with open_model("model.bin") as model:  # doctest: +SKIP
        ...     model.read_rows(np.array([model.index["guitar"]]))
    """
    path = Path(path)
    label = str(path) if name is None else name
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise _unreadable(label, exc) from None
    try:
        args, words, at = _read_table(fh, label, dim)
        return Model(path, args, words, fh, at)
    except MemoryError:
        fh.close()
        raise VectorsFormatError(
            f"{label}: its word list does not fit in memory; check that this is the right "
            "model, or use a machine with more memory"
        ) from None
    except BaseException:
        fh.close()
        raise


def _unreadable(label: str, exc: OSError) -> VectorsFormatError:
    return VectorsFormatError(
        f"cannot read {label} ({exc.strerror or exc}); check the path and its permissions"
    )


def _read_table(fh: IO[bytes], label: str, dim: int | None) -> tuple[Args, list[str], int]:
    """The arguments, the words and the offset of the input matrix's first value."""
    try:
        if os.fstat(fh.fileno()).st_size < HEADER.size + DICTIONARY.size:
            parse_header(fh.read(HEADER.size + DICTIONARY.size), label)  # says what is wrong
        buffer = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as exc:
        raise _unreadable(label, exc) from None
    with buffer:
        args, size, nwords, _prune = parse_header(buffer[: HEADER.size + DICTIONARY.size], label)
        if dim is not None and args.dim != dim:
            raise VectorsFormatError(
                f"{label}: the model has dimension {args.dim}, but --dim is {dim}"
            )
        raw, at = _walk_words(buffer, HEADER.size + DICTIONARY.size, size, label)
        return args, _decode(raw), _matrix_offset(buffer, at, args, nwords, label)
