"""Write word vectors as a standalone file: word2vec text or binary.

The format follows the name: ``.bin`` is word2vec binary (little-endian
float32), ``.txt`` or ``.vec`` word2vec text with a ``N D`` header; ``.gz``,
``.bz2`` or ``.xz`` on top compresses it. Any other name is refused before
anything is written (see :func:`vectors_file_format`). Values are written with
9 significant digits, so text files read back to the same float32 values. The
file is written beside its destination and moved into place: a failed write
leaves nothing behind.

Example:
    >>> write_vectors("vectors.txt", wv)  # doctest: +SKIP
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

from aligner.atomic import atomic_file, check_file_output
from aligner.errors import InputError
from aligner.vectors import WordVectors

__all__ = ["VECTORS_SUFFIXES", "vectors_file_format", "write_vectors"]

#: the names a vectors file may have: a format, then a compression (optional)
FORMAT_SUFFIXES = {".txt": "text", ".vec": "text", ".bin": "binary"}
COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz")
VECTORS_SUFFIXES = "NAME.txt, NAME.vec or NAME.bin, optionally + .gz, .bz2 or .xz"


def vectors_file_format(path: str | os.PathLike[str]) -> tuple[str, str | None]:
    """``("text" | "binary", compression suffix or None)`` that ``path``'s name asks for.

    Example:
        >>> vectors_file_format("wiki.vec.xz")
        ('text', '.xz')

    Raises:
        InputError: a name that says another format (``.npy``, ``.parquet``),
            or none.
    """
    name = Path(path).name.lower()
    compression = next((c for c in COMPRESSION_SUFFIXES if name.endswith(c)), None)
    inner = name.removesuffix(compression or "")
    kind = FORMAT_SUFFIXES.get(os.path.splitext(inner)[1])
    if kind is None:
        raise InputError(
            f"cannot write vectors to {path}: its name says no format aligner writes; "
            f"name it {VECTORS_SUFFIXES}"
        )
    return kind, compression


@contextlib.contextmanager
def compressed(raw: IO[bytes], compression: str | None) -> Iterator[IO[bytes]]:
    """``raw``, or a writer compressing into it as ``compression`` (a suffix) says."""
    if compression is None:
        yield raw
        return
    with _compressor(raw, compression) as opened:
        yield cast(IO[bytes], opened)


def _compressor(raw: IO[bytes], compression: str) -> gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile:
    if compression == ".gz":
        return gzip.GzipFile(fileobj=raw, mode="wb", mtime=0)
    if compression == ".bz2":
        return bz2.BZ2File(raw, mode="wb")
    return lzma.LZMAFile(raw, mode="wb")


def _rows(fh: IO[bytes], vectors: WordVectors, binary: bool) -> None:
    words = len(vectors.keys) - vectors.n_subword
    fh.write(f"{words} {vectors.dim}\n".encode())
    matrix = vectors.vectors[:words]
    for key, row in zip(vectors.keys[:words], matrix, strict=True):
        if not key or any(c.isspace() for c in key):
            raise InputError(f"token {key!r} is empty or holds whitespace: it cannot be written")
        if binary:
            fh.write(key.encode("utf-8") + b" " + row.astype("<f4").tobytes() + b"\n")
        else:
            fh.write((key + " " + " ".join(f"{v:.9g}" for v in row.tolist()) + "\n").encode())


def write_vectors(
    path: str | os.PathLike[str], vectors: WordVectors, *, force: bool = False
) -> Path:
    """Write the table rows of ``vectors`` (subword rows are not part of a table).

    Args:
        path: destination; the name chooses the format (see the module).
        vectors: the vectors to write.
        force: replace an existing file.

    Returns:
        The written path.

    Raises:
        InputError: the name says no format written here, the file exists
            without ``force`` (or appears meanwhile), or a token holds
            whitespace.
    """
    kind, compression = vectors_file_format(path)
    path = check_file_output(path, force=force)
    with (
        atomic_file(path, replace=force) as tmp,
        tmp.open("wb") as raw,
        compressed(raw, compression) as fh,
    ):
        _rows(fh, vectors, kind == "binary")
    return path
