"""Write word vectors as a standalone file: word2vec text or binary.

The format follows the extension: ``.bin`` is word2vec binary (little-endian
float32), anything else (``.txt``, ``.vec``) word2vec text with a ``N D``
header; ``.gz`` on top compresses it. Values are written with 9 significant
digits, so text files read back to the same float32 values. The file is
written beside its destination and renamed into place: a failed write leaves
nothing behind.

Example:
    >>> write_vectors("vectors.txt", wv)  # doctest: +SKIP
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import IO, cast

from aligner.atomic import atomic_file, check_file_output
from aligner.errors import InputError
from aligner.vectors import WordVectors

__all__ = ["write_vectors"]


def _binary(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith(".bin")


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
        path: destination; the extension chooses the format (see the module).
        vectors: the vectors to write.
        force: replace an existing file.

    Returns:
        The written path.

    Raises:
        InputError: the file exists without ``force``, or a token holds
            whitespace.
    """
    path = check_file_output(path, force=force)
    with atomic_file(path) as tmp, tmp.open("wb") as raw:
        if path.suffix.lower() == ".gz":
            with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
                _rows(cast(IO[bytes], fh), vectors, _binary(path))
        else:
            _rows(raw, vectors, _binary(path))
    return path
