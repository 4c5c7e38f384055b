"""fastText ``.bin`` models: table rows, plus subword vectors for missing words.

A ``.bin`` model holds hashed character n-grams besides its word table; a
word missing from the table gets the mean of its n-grams' vectors. Those rows
have the match kind ``subword``. The model is loaded with gensim, whole (the
format has no index to skip by); its structure is checked first, and a
compressed model is decompressed once into the cache directory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from aligner.align import FALLBACKS, step_folds
from aligner.errors import VectorsFormatError
from aligner.pretrained.archive import open_stream
from aligner.vectors import WordVectors
from aligner.vocab import Vocab

if TYPE_CHECKING:
    from aligner.pretrained.formats import ReadResult

__all__ = ["read_fasttext_bin", "read_fasttext_table"]


class _Exact:
    """A stream whose reads return all bytes asked for or raise EOFError.

    gensim reads a model's words byte by byte until a NUL; on a truncated
    file a plain stream returns b"" forever and the loader never stops.
    """

    def __init__(self, stream: IO[bytes], name: str) -> None:
        self._stream = stream
        self.name = name

    def read1(self, size: int = 1 << 20) -> bytes:
        data = self._stream.read(size)
        if not data:
            raise EOFError("the file ends early (truncated)")
        return data

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if size is not None and size > 0 and len(data) < size:
            raise EOFError("the file ends early (truncated)")
        return data


MAGIC = 793712314
HEADER = struct.Struct("<ii12id")  # magic, version, dim, ws, epoch, ..., maxn, lr_update_rate, t


def check_structure(stream: IO[bytes], name: str) -> int:
    """Walk a model's header and word list with strict reads; return its dimension.

    gensim reads each word byte by byte until a NUL and, on a truncated or
    corrupt file, never stops: checking the structure first turns that into
    an error.

    Raises:
        VectorsFormatError: not a fastText model, or it ends inside the word list.
    """
    fin = _Exact(stream, name)
    try:
        magic, _version, dim, *_ = HEADER.unpack(fin.read(HEADER.size))
        if magic != MAGIC:
            raise VectorsFormatError(f"{name} is not a fastText .bin model (wrong magic number)")
        size, nwords, nlabels = struct.unpack("<3i", fin.read(12))
        fin.read(16)  # ntokens, pruneidx_size
        if not (0 <= nwords <= size <= 200_000_000 and nlabels >= 0 and 0 < dim <= 100_000):
            raise VectorsFormatError(
                f"{name}: implausible header (dim {dim}, {size} words); the file is corrupt"
            )
        buffer, pos = b"", 0
        for _ in range(size):
            while (end := buffer.find(b"\x00", pos)) < 0 or end + 10 > len(buffer):
                buffer, pos = buffer[pos:] + fin.read1(), 0
            pos = end + 10  # NUL, int64 count, int8 entry type
    except (EOFError, struct.error):
        raise VectorsFormatError(
            f"{name} ends inside its header or word list: it is truncated; download it again"
        ) from None
    return int(dim)


def _model_path(path: Path, member: str | None) -> Path:
    """A plain file gensim can open: the file itself, or decompressed into the cache.

    gensim's reader assumes full reads, which compressed streams do not give,
    so a compressed model (or a zip member) is decompressed once into
    ``<cache>/extracted/`` and reused from there.
    """
    from aligner.pretrained.archive import compression_of, inner_name
    from aligner.pretrained.download import cache_dir

    if compression_of(path) is None:
        return path
    name = inner_name(path, member)
    stat = path.stat()
    identity = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}:{name}"
    key = hashlib.sha256(identity.encode()).hexdigest()[:16]
    target = cache_dir() / "extracted" / key / Path(name).name
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        with open_stream(path, member=member) as opened, part.open("wb") as dst:
            shutil.copyfileobj(opened.stream, dst, 1 << 20)
        os.replace(part, target)
    return target


def _load(path: Path, member: str | None, dim: int | None = None) -> Any:
    """The model's KeyedVectors, of dimension ``dim`` when given."""
    from gensim.models.fasttext import load_facebook_vectors

    with open_stream(path, member=member) as opened:
        check_structure(opened.stream, str(path))
    try:
        model = load_facebook_vectors(str(_model_path(path, member)))
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
    path: Path, *, member: str | None = None, dim: int | None = None, limit: int | None = None
) -> ReadResult:
    """The first ``limit`` rows of a model's word table (its words by frequency), in order.

    Raises:
        VectorsFormatError: unreadable model or a dimension other than ``dim``.
    """
    from aligner.pretrained.formats import ReadResult, ReadStats

    model = _load(path, member, dim)
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
) -> ReadResult:
    """Rows of a fastText model for ``vocab``: table rows, then composed subword rows.

    A token takes the table row its fallback chain finds first (exactly, then
    through each normalising step's folds); a token none finds is composed
    from subword n-grams when the chain has ``subword``.

    Raises:
        VectorsFormatError: unreadable model or a dimension other than ``dim``.
    """
    from aligner.pretrained.formats import ReadResult, ReadStats

    model = _load(path, member, dim)
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
