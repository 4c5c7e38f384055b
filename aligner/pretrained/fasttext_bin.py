"""fastText ``.bin`` models: table rows, plus subword vectors for missing words.

A ``.bin`` model holds hashed character n-grams besides its word table; a
word missing from the table gets the mean of its n-grams' vectors. Those rows
have the match kind ``subword``. The model is loaded with gensim, whole (the
format has no index to skip by); its structure is checked first, and a
compressed model is decompressed once into the cache directory: by one process
at a time, never past the size its header implies.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from aligner.align import FALLBACKS, step_folds
from aligner.errors import VectorsFormatError
from aligner.pretrained.archive import open_stream
from aligner.vectors import WordVectors
from aligner.vocab import Vocab

if TYPE_CHECKING:
    from aligner.pretrained.rows import ReadResult

__all__ = ["read_fasttext_bin", "read_fasttext_table"]


class _Strict:
    """Reads that return all bytes asked for or raise EOFError, counting the bytes consumed.

    gensim reads a model's words byte by byte until a NUL; on a truncated
    file a plain stream returns b"" forever and the loader never stops.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._buffer = b""
        self._pos = 0  # bytes of the buffer already consumed
        self.offset = 0

    def _fill(self, need: int) -> None:
        """Make at least ``need`` unconsumed bytes available."""
        if len(self._buffer) - self._pos >= need:
            return
        parts = [self._buffer[self._pos :]]
        have = len(parts[0])
        while have < need:
            data = self._stream.read(max(need - have, 1 << 16))
            if not data:
                raise EOFError("the file ends early (truncated)")
            parts.append(data)
            have += len(data)
        self._buffer, self._pos = b"".join(parts), 0

    def take(self, size: int) -> bytes:
        self._fill(size)
        data = self._buffer[self._pos : self._pos + size]
        self._pos += size
        self.offset += size
        return data

    def skip_word(self, name: str) -> None:
        """Skip one dictionary entry: a word, its NUL, an int64 count, an int8 type."""
        while (end := self._buffer.find(b"\x00", self._pos)) < 0:
            if len(self._buffer) - self._pos > MAX_WORD_BYTES:
                raise VectorsFormatError(
                    f"{name}: a word of its dictionary is longer than {MAX_WORD_BYTES} bytes; "
                    "the file is corrupt: download it again"
                )
            self._fill(len(self._buffer) - self._pos + 1)
        self.take(end - self._pos + 10)


MAGIC = 793712314
HEADER = struct.Struct("<ii12id")  # magic, version, dim, ws, epoch, ..., maxn, lr_update_rate, t
MAX_WORD_BYTES = 1 << 16
_MARGIN = 1 << 20  # bytes beyond the matrices, for the quantizer's tables and flags


@dataclass(frozen=True)
class Layout:
    """What a model's header says: its dimension, and the most bytes the whole model can have.

    The input matrix has at most words + buckets rows, the output matrix at
    most one row per word (or label), each of ``dim`` float32.
    """

    dim: int
    words: int
    bucket: int
    max_bytes: int


def check_structure(stream: IO[bytes], name: str) -> Layout:
    """Walk a model's header and word list with strict reads; return its layout.

    gensim reads each word byte by byte until a NUL and, on a truncated or
    corrupt file, never stops: checking the structure first turns that into
    an error.

    Raises:
        VectorsFormatError: not a fastText model, or it ends inside the word list.
    """
    fin = _Strict(stream)
    try:
        magic, _version, dim, *ints, _t = HEADER.unpack(fin.take(HEADER.size))
        if magic != MAGIC:
            raise VectorsFormatError(f"{name} is not a fastText .bin model (wrong magic number)")
        bucket = ints[7]  # ws, epoch, min_count, neg, word_ngrams, loss, model, bucket, ...
        size, nwords, nlabels = struct.unpack("<3i", fin.take(12))
        _ntokens, prune = struct.unpack("<2q", fin.take(16))
        if not (
            0 <= nwords <= size <= 200_000_000 and 0 <= nlabels <= size
            and 0 < dim <= 100_000 and bucket >= 0 and prune <= 1 << 31
        ):  # fmt: skip
            raise VectorsFormatError(
                f"{name}: implausible header (dim {dim}, {size} words); the file is corrupt"
            )
        for _ in range(size):
            fin.skip_word(name)
    except (EOFError, struct.error):
        raise VectorsFormatError(
            f"{name} ends inside its header or word list: it is truncated; download it again"
        ) from None
    rows = (size + bucket) + size
    matrices = rows * dim * 4 + 2 * 17 + max(prune, 0) * 8
    return Layout(int(dim), size, bucket, fin.offset + matrices + _MARGIN + 2048 * dim)


def _extract_key(path: Path, member: str | None, name: str) -> str:
    stat = path.stat()
    identity = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}:{name}"
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def _model_path(path: Path, member: str | None, layout: Layout, cache: Path | None) -> Path:
    """A plain file gensim can open: the file itself, or decompressed into the cache.

    gensim's reader assumes full reads, which compressed streams do not give,
    so a compressed model (or a zip member) is decompressed once into
    ``<cache>/extracted/`` and reused from there. One process decompresses
    (the others wait for it), into a temporary name renamed into place whole;
    the decompressed file is checked against its sidecar on every use.
    """
    from aligner.pretrained import cache as entries
    from aligner.pretrained.archive import compression_of, inner_name
    from aligner.pretrained.download import cache_dir

    if compression_of(path) is None:
        return path
    name = inner_name(path, member)
    root = cache if cache is not None else cache_dir()
    target = root / "extracted" / _extract_key(path, member, name) / Path(name).name
    if entries.problem(target, verify=False) is None:
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with entries.locked(target):
            entries.sweep(target)
            target.with_name(target.name + ".part").unlink(missing_ok=True)  # older versions
            if entries.problem(target) is not None:
                entries.forget(target)
                _decompress(path, member, target, layout)
    except OSError as exc:
        raise _cache_error(target, exc) from None
    return target


def _cache_error(target: Path, exc: OSError) -> VectorsFormatError:
    from aligner.pretrained.cache import write_remedy

    return VectorsFormatError(f"cannot decompress into {target.parent} ({write_remedy(exc)})")


def _decompress(path: Path, member: str | None, target: Path, layout: Layout) -> None:
    """Decompress ``path`` to ``target`` (atomically), no larger than its header allows.

    Errors reading ``path`` blame it; errors writing (a full disk) reach the caller as OSError.
    """
    from aligner.atomic import atomic_file
    from aligner.pretrained import cache as entries
    from aligner.pretrained.archive import decompression_errors

    free = shutil.disk_usage(target.parent).free
    if layout.max_bytes > free + _MARGIN:
        raise VectorsFormatError(
            f"{path}: its header allows up to {layout.max_bytes} bytes decompressed, but "
            f"{target.parent} has {free} free: free some space or set ALIGNER_CACHE to a "
            "folder on a bigger disk"
        )
    hasher = hashlib.sha256()
    written = 0
    with (
        atomic_file(target) as tmp,
        tmp.open("wb") as out,
        open_stream(path, member=member) as opened,
    ):
        while True:
            with decompression_errors(path):
                chunk = opened.stream.read(entries.CHUNK_SIZE)
            if not chunk:
                break
            written += len(chunk)
            if written > layout.max_bytes:
                raise VectorsFormatError(
                    f"{path} decompresses to more than the {layout.max_bytes} bytes its header "
                    f"allows (dim {layout.dim}, {layout.words} words, {layout.bucket} buckets): "
                    "it is corrupt or hostile; nothing was kept: download it again"
                )
            out.write(chunk)
            hasher.update(chunk)
    entries.write_record(target, hasher.hexdigest())


def _load(path: Path, member: str | None, dim: int | None, cache: Path | None) -> Any:
    """The model's KeyedVectors, of dimension ``dim`` when given."""
    from gensim.models.fasttext import load_facebook_vectors

    with open_stream(path, member=member) as opened:
        layout = check_structure(opened.stream, str(path))
    try:
        model = load_facebook_vectors(str(_model_path(path, member, layout, cache)))
    except (
        ValueError, EOFError, OSError, AssertionError, NotImplementedError,
        MemoryError, struct.error, UnicodeDecodeError,
    ) as exc:  # fmt: skip
        raise VectorsFormatError(
            f"{path}: not a readable fastText .bin model ({exc}); "
            "download it again or pass --format"
        ) from None
    if dim is not None and model.vector_size != dim:
        raise VectorsFormatError(
            f"{path}: the model has dimension {model.vector_size}, but --dim is {dim}"
        )
    return model


def read_fasttext_table(
    path: Path,
    *,
    member: str | None = None,
    dim: int | None = None,
    limit: int | None = None,
    cache: str | os.PathLike[str] | None = None,
) -> ReadResult:
    """The first ``limit`` rows of a model's word table (its words by frequency), in order.

    A compressed model is decompressed into ``<cache>/extracted/`` (``cache``
    defaults to :func:`aligner.pretrained.download.cache_dir`).

    Raises:
        VectorsFormatError: unreadable model or a dimension other than ``dim``.
    """
    from aligner.pretrained.rows import ReadResult, ReadStats

    model = _load(path, member, dim, _root(cache))
    keys = list(model.index_to_key[:limit])
    matrix = np.asarray(model.vectors[: len(keys)], dtype=np.float32)
    stats = ReadStats(rows_read=len(keys), rows_kept=len(keys))
    source = {"kind": "pretrained", "path": str(path), "format": "fasttext-bin"}
    vectors = WordVectors(keys, matrix, source)
    return ReadResult(vectors, "fasttext-bin", int(model.vector_size), stats)


def read_fasttext_bin(
    path: Path,
    vocab: Vocab,
    *,
    member: str | None = None,
    dim: int | None = None,
    fallbacks: Sequence[str] = FALLBACKS,
    cache: str | os.PathLike[str] | None = None,
) -> ReadResult:
    """Rows of a fastText model for ``vocab``: table rows, then composed subword rows.

    A token takes the table row its fallback chain finds first (exactly, then
    through each normalising step's folds); a token none finds is composed
    from subword n-grams when the chain has ``subword``. A compressed model is
    decompressed into ``<cache>/extracted/`` (see :func:`read_fasttext_table`).

    Raises:
        VectorsFormatError: unreadable model or a dimension other than ``dim``.
    """
    from aligner.pretrained.rows import ReadResult, ReadStats

    model = _load(path, member, dim, _root(cache))
    table = model.key_to_index
    find = _finder(table, model.index_to_key, fallbacks)
    keys: list[str] = []
    seen: set[str] = set()
    rows: list[np.ndarray] = []
    missing: list[str] = []
    for token in vocab.tokens[len(vocab.specials) :]:
        key = find(token)
        if key is None:
            missing.append(token)
        elif key not in seen:
            seen.add(key)
            keys.append(key)
            rows.append(model.vectors[table[key]])
    subword = [t for t in missing if model.bucket and "subword" in fallbacks]
    rows.extend(model.get_vector(t) for t in subword)
    stats = ReadStats(rows_read=len(table), rows_kept=len(keys), subword_rows=len(subword))
    matrix = np.asarray(rows, dtype=np.float32).reshape(len(rows), model.vector_size)
    source = {"kind": "pretrained", "path": str(path), "format": "fasttext-bin"}
    vectors = WordVectors(keys + subword, matrix, source, n_subword=len(subword))
    return ReadResult(vectors, "fasttext-bin", int(model.vector_size), stats)


def _root(cache: str | os.PathLike[str] | None) -> Path | None:
    return None if cache is None else Path(cache).expanduser()


def _finder(
    table: dict[str, int], index_to_key: list[str], fallbacks: Sequence[str]
) -> Callable[[str], str | None]:
    """A lookup of the table key a token's chain finds; fold indexes built on first use."""
    folds = [fold for step in step_folds(fallbacks).values() for fold in step]
    indexes: dict[str, dict[str, str]] = {}

    def find(token: str) -> str | None:
        if token in table:
            return token
        for fold in folds:
            index = indexes.get(fold.name)
            if index is None:
                index = indexes[fold.name] = {}
                for key in index_to_key:
                    index.setdefault(fold(key), key)
            found = index.get(fold(token))
            if found is not None:
                return found
        return None

    return find
