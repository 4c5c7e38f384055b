"""fastText models that come compressed: checked, then decompressed once into the cache.

The reader maps a model's file in memory, which a compressed stream cannot
be. So a compressed model (``.gz``, ``.bz2``, ``.xz``, a zip member) is first
walked as a stream up to the end of its word list (:func:`check_structure`):
that refuses a broken model early and bounds the bytes the whole model may
have. It is then decompressed into ``<cache>/extracted/``, by one process at
a time, never past that bound, and reused from there.

Example:
    >>> plain_model(Path("cc.en.300.bin.gz"))  # doctest: +SKIP
    PosixPath('/home/me/.cache/aligner/extracted/3f2a.../cc.en.300.bin')
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from aligner.errors import VectorsFormatError
from aligner.pretrained.archive import open_stream
from aligner.pretrained.fasttext_format import (
    DICTIONARY,
    HEADER,
    MATRIX,
    MAX_WORD_BYTES,
    parse_header,
    too_long,
    truncated,
)

__all__ = ["Layout", "check_structure", "plain_model"]

_MARGIN = 1 << 20  # bytes beyond the matrices (the quantizer's tables, flags), and free-space slack


class _Strict:
    """Reads of a stream that return all bytes asked for or raise EOFError, counting them."""

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
                raise too_long(name)
            self._fill(len(self._buffer) - self._pos + 1)
        if end - self._pos > MAX_WORD_BYTES:
            raise too_long(name)
        self.take(end - self._pos + 10)


@dataclass(frozen=True)
class Layout:
    """A model's dimension and sizes, and the most bytes it can have (both matrices included)."""

    dim: int
    words: int
    bucket: int
    max_bytes: int


def check_structure(stream: IO[bytes], name: str) -> Layout:
    """Walk a model's header and word list from a stream (a compressed model); return its layout.

    Args:
        stream: the model's bytes, from the start.
        name: how messages name the file.

    Returns:
        Its :class:`Layout`: ``max_bytes`` bounds what it may decompress to.

    Raises:
        VectorsFormatError: as :func:`~aligner.pretrained.fasttext_format.open_model`
            does, up to the end of the word list.

    Example:
        >>> import gzip
        >>> with gzip.open("cc.en.300.bin.gz") as fh:  # doctest: +SKIP
        ...     check_structure(fh, "cc.en.300.bin.gz").dim
        300
    """
    fin = _Strict(stream)
    try:
        head = fin.take(HEADER.size + DICTIONARY.size)
    except EOFError:
        raise truncated(name, "header") from None
    args, size, _nwords, prune = parse_header(head, name)
    try:
        for _ in range(size):
            fin.skip_word(name)
    except EOFError:
        raise truncated(name, "word list") from None
    rows = (size + args.bucket) + size
    matrices = rows * args.dim * 4 + 2 * MATRIX.size + max(prune, 0) * 8
    max_bytes = fin.offset + matrices + _MARGIN + 2048 * args.dim
    return Layout(args.dim, size, args.bucket, max_bytes)


def _extract_key(path: Path, member: str | None, name: str) -> str:
    stat = path.stat()
    identity = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}:{name}"
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def _model_path(path: Path, member: str | None, layout: Layout, cache: Path | None) -> Path:
    """A compressed model (or a zip member) decompressed into the cache, as a plain file.

    The reader maps the model's file in memory, which a compressed stream
    cannot be, so a compressed model is decompressed once into
    ``<cache>/extracted/`` and reused from there. One process decompresses
    (the others wait for it), into a temporary name renamed into place whole;
    the decompressed file is checked against its sidecar on every use.
    """
    from aligner.pretrained import cache as entries
    from aligner.pretrained.archive import inner_name
    from aligner.pretrained.download import cache_folder

    name = inner_name(path, member)
    root = cache_folder(cache)
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


def plain_model(path: Path, member: str | None = None, cache: Path | None = None) -> Path:
    """The model as a plain file: ``path`` itself, or its copy decompressed into the cache.

    Args:
        path: a fastText model, plain or compressed (``.gz``, ``.bz2``, ``.xz``, ``.zip``).
        member: the member to read inside a zip archive.
        cache: the cache root (:func:`aligner.pretrained.download.cache_dir` when ``None``).

    Returns:
        ``path`` when it is not compressed, else ``<cache>/extracted/<key>/<name>``.

    Raises:
        VectorsFormatError: a model whose header or word list is broken, one
            that decompresses past what its header allows, or a cache that
            cannot be written.

    Example:
        >>> plain_model(Path("cc.en.300.bin.gz"))  # doctest: +SKIP
        PosixPath('/home/me/.cache/aligner/extracted/3f2a.../cc.en.300.bin')
    """
    from aligner.pretrained.archive import compression_of

    if compression_of(path) is None:
        return path
    with open_stream(path, member=member) as opened:
        layout = check_structure(opened.stream, str(path))
    return _model_path(path, member, layout, cache)
