"""Fill the rows that found no vector, reproducibly.

Methods:

- ``normal`` (default): each dimension drawn from a normal distribution with
  the mean and standard deviation of that dimension over the found vectors;
- ``uniform``: uniform on ``[-scale, scale]``, ``scale`` defaulting to
  ``sqrt(3 * v)``, ``v`` being the mean over dimensions of the found
  vectors' per-dimension variance: filled rows then have the found vectors'
  average per-dimension variance;
- ``zeros``: all zero.

A row's random values depend only on the global seed and the row's token
(a hash of both seeds its generator), never on its position or on other rows:
adding a word to the vocabulary leaves every other row unchanged. The padding
row always stays zero.

Example:
    >>> import numpy as np
    >>> from aligner.align import align
    >>> from aligner.vectors import WordVectors
    >>> from aligner.vocab import Vocab
    >>> wv = WordVectors(["a", "b"], np.array([[1, 0], [3, 2]], dtype=np.float32))
    >>> result = fill(align(Vocab(["a", "zz"]), wv), wv, method="zeros")
    >>> result.matrix.tolist()
    [[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from aligner.align import Alignment
from aligner.errors import InputError
from aligner.vectors import WordVectors

__all__ = ["METHODS", "FillResult", "fill", "token_rng"]

METHODS = ("normal", "uniform", "zeros")


@dataclass
class FillResult:
    """The full embedding matrix and the parameters used to fill it."""

    matrix: np.ndarray
    params: dict[str, Any]


def token_rng(seed: int, token: str) -> np.random.Generator:
    """A random generator that depends only on ``seed`` and ``token``.

    It is ``np.random.default_rng(n)``, ``n`` being the 16-byte blake2b digest
    of the token keyed with the seed (little-endian), built without the
    checks of ``default_rng`` (which cost as much again).
    """
    digest = hashlib.blake2b(
        token.encode("utf-8", "surrogatepass"), digest_size=16, key=str(seed).encode()
    ).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest, "little")))


#: found rows gathered (and their statistics summed) at a time: no copy of them all is made
ROWS_AT_ONCE = 1024


def _gather(
    matrix: np.ndarray, vectors: np.ndarray, rows: np.ndarray, sources: np.ndarray
) -> np.ndarray:
    """Copy ``vectors[sources]`` into ``matrix[rows]``, block by block; their column sums.

    The sums are float64 and sequential over the rows, as numpy's
    ``sum(axis=0, dtype=float64)`` of the found rows gives them: each block is
    summed after the running total, in one float64 buffer used for every
    block (a fresh one per block cost a page fault per 4 KiB).
    """
    buffer = np.zeros((min(len(rows), ROWS_AT_ONCE) + 1, matrix.shape[1]))
    for at in range(0, len(rows), ROWS_AT_ONCE):
        block = vectors[sources[at : at + ROWS_AT_ONCE]]
        matrix[rows[at : at + ROWS_AT_ONCE]] = block
        buffer[1 : len(block) + 1] = block
        buffer[0] = np.add.reduce(buffer[: len(block) + 1], axis=0)
    return buffer[0].copy()


def _spread(matrix: np.ndarray, rows: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """The per-column standard deviation of ``matrix[rows]`` around ``mean``, block by
    block: the float64 values of numpy's ``std(axis=0, dtype=float64)``."""
    buffer = np.zeros((min(len(rows), ROWS_AT_ONCE) + 1, matrix.shape[1]))
    for at in range(0, len(rows), ROWS_AT_ONCE):
        block = rows[at : at + ROWS_AT_ONCE]
        deviation = buffer[1 : len(block) + 1]
        deviation[...] = matrix[block]
        deviation -= mean
        deviation *= deviation
        buffer[0] = np.add.reduce(buffer[: len(block) + 1], axis=0)
    return np.sqrt(buffer[0] / len(rows))


def _statistics(
    matrix: np.ndarray, rows: np.ndarray, total: np.ndarray, dim: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of the found rows (``total``: their column sums)."""
    if len(rows) >= 2:
        if dim < 2:  # numpy sums one column pairwise, not row after row: let it
            found = matrix[rows]
            mean, std = found.mean(axis=0, dtype=np.float64), found.std(axis=0, dtype=np.float64)
        else:
            mean = total / len(rows)
            std = _spread(matrix, rows, mean)
        if std.any():
            return mean, std
        # every found row the same: no spread to match, so random rows of roughly unit norm
        # around them (a zero spread would make every filled row identical)
        return mean, np.full(dim, 1.0 / np.sqrt(dim))
    # Nothing (or one row) to learn from: rows of roughly unit norm.
    return np.zeros(dim), np.full(dim, 1.0 / np.sqrt(dim))


def fill(
    alignment: Alignment,
    vectors: WordVectors,
    *,
    method: str = "normal",
    seed: int = 0,
    scale: float | None = None,
) -> FillResult:
    """Build the embedding matrix: found rows copied, missing rows filled.

    Args:
        alignment: the result of :func:`aligner.align.align`.
        vectors: the word vectors the alignment points into.
        method: ``"normal"``, ``"uniform"`` or ``"zeros"``.
        seed: global seed; with the token it determines each filled row.
        scale: half-width for ``"uniform"``; see the module docstring.

    Returns:
        A :class:`FillResult` with a float32 C-ordered ``(len(vocab), dim)``
        matrix and the fill parameters (for the manifest).

    Raises:
        InputError: an unknown method or a non-positive scale.
    """
    if method not in METHODS:
        raise InputError(f"unknown fill method {method!r}; choose one of: {', '.join(METHODS)}")
    if scale is not None and not 0 < scale <= float(np.finfo(np.float32).max):
        raise InputError(f"fill scale must be positive and finite in float32, got {scale}")
    dim = vectors.dim
    matrix = np.zeros((len(alignment.vocab), dim), dtype=np.float32)
    rows = np.flatnonzero(alignment.found)
    total = _gather(matrix, vectors.vectors, rows, alignment.source_rows[rows])
    mean = std = np.zeros(dim)
    if method == "normal" or (method == "uniform" and scale is None):  # else unused
        mean, std = _statistics(matrix, rows, total, dim)
    params: dict[str, Any] = {"method": method, "seed": seed}
    if method == "uniform":
        scale = float(
            scale if scale is not None else np.sqrt(3.0) * float(np.sqrt((std**2).mean()))
        )
        params["scale"] = scale
    elif method == "normal":
        params["mean_norm"] = float(np.linalg.norm(mean))
        params["std_mean"] = float(std.mean())
    for row, kind in enumerate(alignment.kinds):
        if kind not in ("fill", "special") or method == "zeros":
            continue
        rng = token_rng(seed, alignment.vocab.tokens[row])
        if method == "normal":
            values = mean + std * rng.standard_normal(dim)
        else:
            assert scale is not None
            values = rng.uniform(-scale, scale, dim)
        matrix[row] = values.astype(np.float32)
    return FillResult(matrix, params)
