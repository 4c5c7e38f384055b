"""Word vectors as a text or binary table: word2vec text and binary, GloVe text.

The format follows the name: ``.bin`` is word2vec binary (little-endian
float32), ``.txt`` or ``.vec`` word2vec text with a ``N D`` header; ``.gz``,
``.bz2`` or ``.xz`` on top compresses it. GloVe text is word2vec text without
the header. Any other name is refused before anything is written (see
:func:`vectors_file_format`). Values are written with 9 significant digits, so
text files read back to the same float32 values. The file is written beside
its destination and moved into place: a failed write leaves nothing behind.

Example:
    >>> write_vectors("vectors.txt", wv)  # doctest: +SKIP
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, cast

import numpy as np

from aligner.atomic import atomic_file, check_file_output
from aligner.errors import InputError
from aligner.progress import ProgressBar
from aligner.vectors import WordVectors
from aligner.writable import shown

__all__ = [
    "COMPRESSION_SUFFIXES",
    "FORMAT_SUFFIXES",
    "VECTORS_SUFFIXES",
    "compressed",
    "split_compression",
    "vectors_file_format",
    "write_table",
    "write_vectors",
]

#: the names a vectors file may have: a format, then a compression (optional)
FORMAT_SUFFIXES = {".txt": "text", ".vec": "text", ".bin": "binary"}
COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz")
VECTORS_SUFFIXES = "NAME.txt, NAME.vec or NAME.bin, optionally + .gz, .bz2 or .xz"
#: rows formatted per batch (the matrix may be a memory map: read it a slice at a time)
CHUNK_ROWS = 4096


def split_compression(path: str | os.PathLike[str]) -> tuple[str, str | None]:
    """``(name without the compression suffix, lower case; the suffix or None)``.

    Example:
        >>> split_compression("Wiki.VEC.xz")
        ('wiki.vec', '.xz')
    """
    name = Path(path).name.lower()
    compression = next((c for c in COMPRESSION_SUFFIXES if name.endswith(c)), None)
    return name.removesuffix(compression or ""), compression


def vectors_file_format(path: str | os.PathLike[str]) -> tuple[str, str | None]:
    """``("text" | "binary", compression suffix or None)`` that ``path``'s name asks for.

    Example:
        >>> vectors_file_format("wiki.vec.xz")
        ('text', '.xz')

    Raises:
        InputError: a name that says another format (``.npy``, ``.parquet``),
            or none.
    """
    inner, compression = split_compression(path)
    kind = FORMAT_SUFFIXES.get(os.path.splitext(inner)[1])
    if kind is None:
        raise InputError(
            f"cannot write vectors to {shown(path)}: its name says no format aligner writes; "
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


#: gzip level of ``.gz`` outputs. Exporting 150,000 x 100 vectors as word2vec text
#: (183 MB plain, written in 6 s) took 7 s at level 1 (88 MB), 14 s at 3 (84 MB),
#: 23 s at 6 (81 MB) and 55 s at 9 (80 MB, gzip's default): level 1 keeps the
#: export about as fast as plain text for a file 10 % larger than level 9's.
GZIP_LEVEL = 1


def _compressor(raw: IO[bytes], compression: str) -> gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile:
    if compression == ".gz":
        return gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=GZIP_LEVEL)
    if compression == ".bz2":
        return bz2.BZ2File(raw, mode="wb")
    return lzma.LZMAFile(raw, mode="wb")


def _check_key(key: str, row: int, where: str | None) -> None:
    if key and not any(c.isspace() for c in key):
        return
    if where is None:
        raise InputError(f"token {key!r} is empty or holds whitespace: it cannot be written")
    raise InputError(
        f"{where}: token {key!r} (row {row}) is empty or holds whitespace, which a word2vec or "
        "GloVe file cannot hold; export to gensim or safetensors instead"
    )


def write_table(
    fh: IO[bytes],
    keys: Sequence[str],
    matrix: np.ndarray,
    rows: np.ndarray | None = None,
    *,
    binary: bool = False,
    header: bool = True,
    where: str | None = None,
    bar: ProgressBar | None = None,
) -> int:
    """Write ``keys[i]`` and ``matrix[i]`` for each ``i`` in ``rows`` (all rows: ``None``).

    Args:
        fh: the (binary) output stream.
        keys: one key per matrix row.
        matrix: the vectors (any float dtype; a memory map is read a slice at a time).
        rows: the rows to write, in order.
        binary: word2vec binary (``key``, a space, little-endian float32, a
            newline) instead of text.
        header: start with the ``N D`` line (word2vec); ``False``: GloVe text.
        where: names the source in the message about a bad key.
        bar: advanced by the rows written.

    Returns:
        The number of rows written.

    Raises:
        InputError: a key is empty or holds whitespace.
    """
    order = np.arange(len(keys)) if rows is None else rows
    if header:
        fh.write(f"{len(order)} {matrix.shape[1]}\n".encode())
    for start in range(0, len(order), CHUNK_ROWS):
        part = order[start : start + CHUNK_ROWS]
        block = np.asarray(matrix[part], dtype="<f4")
        lines = []
        for row, values in zip(part.tolist(), block, strict=True):
            key = keys[row]
            _check_key(key, row, where)
            if binary:
                lines.append(key.encode("utf-8") + b" " + values.tobytes() + b"\n")
            else:
                text = " ".join(f"{v:.9g}" for v in values.tolist())
                lines.append(f"{key} {text}\n".encode())
        fh.write(b"".join(lines))
        if bar is not None:
            bar.update(len(part))
    return len(order)


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
    words = len(vectors.keys) - vectors.n_subword
    with (
        atomic_file(path, replace=force) as tmp,
        tmp.open("wb") as raw,
        compressed(raw, compression) as fh,
    ):
        write_table(fh, vectors.keys[:words], vectors.vectors[:words], binary=kind == "binary")
    return path
