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
    """
    from gensim.models import KeyedVectors

    kv = KeyedVectors(int(matrix.shape[1]), count=0, dtype=matrix.dtype)
    kv.index_to_key = list(keys)
    kv.key_to_index = {key: i for i, key in enumerate(kv.index_to_key)}
    kv.next_index = len(kv.index_to_key)
    kv.vectors = matrix
    names = [f"{path.name}.vectors.npy", path.name]
    with atomic_files(path.parent, names, replace=force) as tmp:
        kv.save(str(tmp / path.name), separately=["vectors"])
