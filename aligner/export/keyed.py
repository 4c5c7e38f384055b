"""The artifact as gensim ``KeyedVectors``: ``NAME.kv`` and ``NAME.kv.vectors.npy``.

gensim writes its own format: the ``.kv`` file is a pickle of the
``KeyedVectors`` object without its matrix, and the matrix is a plain ``.npy``
file beside it, which ``KeyedVectors.load(path, mmap="r")`` maps instead of
reading. aligner only writes it (through gensim); it never loads a pickle.

Example:
    >>> from gensim.models import KeyedVectors  # doctest: +SKIP
    >>> KeyedVectors.load("emb.kv", mmap="r").most_similar("guitar")  # doctest: +SKIP
"""

from __future__ import annotations

import errno
import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from aligner.export.place import atomic_files

__all__ = ["select_rows", "write_keyed"]

CHUNK_ROWS = 1 << 16


def select_rows(matrix: np.ndarray, rows: np.ndarray | None, dtype: str = "float32") -> np.ndarray:
    """``matrix[rows]`` as ``dtype``, with at most one full copy.

    The matrix itself when nothing is to change (all rows, the same type);
    otherwise one new array, filled a slice at a time, so neither a
    memory-mapped matrix nor a row selection is copied twice.
    """
    count = matrix.shape[0] if rows is None else len(rows)
    if rows is None and matrix.dtype == np.dtype(dtype):
        return matrix
    out = np.empty((count, matrix.shape[1]), dtype=dtype)
    for start in range(0, count, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, count)
        out[start:stop] = matrix[start:stop] if rows is None else matrix[rows[start:stop]]
    return out


def write_keyed(path: Path, keys: Sequence[str], matrix: np.ndarray, *, force: bool) -> None:
    """Save ``keys`` and ``matrix`` (float32) as gensim ``KeyedVectors`` at ``path``.

    Both files appear together or not at all (see :mod:`aligner.export.place`).

    Args:
        path: the ``.kv`` file; the matrix goes to ``PATH.vectors.npy``.
        keys: row ``i``'s key.
        matrix: the vectors, row ``i`` for ``keys[i]``; written as they are
            (a memory map is not read into memory first).
        force: replace existing files.

    Raises:
        InputError: a file exists (or appears meanwhile) without ``force``.
        OSError: a file cannot be written (a full disk, a file too large for
            the file system or the process's limit); it names the output
            file, and nothing is left behind.
    """
    from gensim.models import KeyedVectors

    kv = KeyedVectors(int(matrix.shape[1]), count=0, dtype=matrix.dtype)
    kv.index_to_key = list(keys)
    kv.key_to_index = {key: i for i, key in enumerate(kv.index_to_key)}
    kv.next_index = len(kv.index_to_key)
    kv.vectors = matrix
    names = [f"{path.name}.vectors.npy", path.name]
    with atomic_files(path.parent, names, replace=force) as tmp:
        try:
            kv.save(str(tmp / path.name), separately=["vectors"])
        except OSError as exc:
            raise _named(exc, tmp, path, matrix) from None
        if not _whole(tmp / names[0], matrix):  # numpy can cut a write short silently
            raise _named(OSError("short write"), tmp, path, matrix)


# numpy reports a short write without an errno: "N requested and M written",
# "Not enough free space to write N bytes"
_SHORT_WRITE = re.compile(
    r"requested and [0-9]+ written|not enough free space|short write", re.IGNORECASE
)


def _named(exc: OSError, tmp: Path, path: Path, matrix: np.ndarray) -> OSError:
    """``exc`` naming the output file it failed to write (not its temporary), with an errno."""
    npy = path.with_name(f"{path.name}.vectors.npy")
    if exc.filename is not None:
        final = path.with_name(os.path.basename(os.fsdecode(exc.filename)))
    else:  # the matrix first (it may be cut short silently), then the .kv file
        final = path if _whole(tmp / npy.name, matrix) else npy
    code = exc.errno
    if code is None and _SHORT_WRITE.search(str(exc)):
        code = errno.ENOSPC if shutil.disk_usage(tmp).free < matrix.nbytes else errno.EFBIG
    if code is None:
        return exc
    return OSError(code, exc.strerror or os.strerror(code), str(final))


def _whole(npy: Path, matrix: np.ndarray) -> bool:
    """Whether ``npy`` holds all of ``matrix`` (its header read, its size checked)."""
    try:
        with npy.open("rb") as fh:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
            else:
                shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
            size = os.fstat(fh.fileno()).st_size
            return shape == matrix.shape and size == fh.tell() + matrix.size * dtype.itemsize
    except (OSError, ValueError):
        return False
