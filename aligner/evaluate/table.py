"""The rows an evaluation searches, and how a set's words find them.

A :class:`Table` holds the first ``restrict_vocab`` rows of the vectors (the
most frequent words when the source is sorted by frequency, as gensim's
``restrict_vocab`` assumes). With ``case_insensitive`` (the default, as in
gensim) a word and the keys are compared in upper case (``str.upper``), and
of several keys equal up to case the first row answers for all of them.

Example:
    >>> table = make_table(["Paris", "paris", "rome"], np.eye(3, dtype=np.float32), limit=10)
    >>> table.row("PARIS"), table.row("Rome"), table.row("london")
    (0, 2, None)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["Table", "make_table"]


def _identity(word: str) -> str:
    return word


class Table:
    """Keys and float32 vectors of the rows searched, with the folded-key index.

    Use :func:`make_table` to build one.

    Attributes:
        keys: one distinct key per row.
        vectors: ``(len(keys), dim)`` float32.
        case_insensitive: whether words are compared in upper case.
        left_out: folded keys of rows that were left out of the table
            (rows an artifact filled at random); words among them count as
            out of vocabulary, and are reported apart.
    """

    def __init__(
        self,
        keys: list[str],
        vectors: np.ndarray,
        *,
        case_insensitive: bool = True,
        left_out: Iterable[str] = (),
    ) -> None:
        self.keys = keys
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.case_insensitive = case_insensitive
        self.fold = str.upper if case_insensitive else _identity
        # reversed, so that the first row of each folded key is the one that stays
        self.index = {
            self.fold(k): i for i, k in zip(range(len(keys) - 1, -1, -1), keys[::-1], strict=True)
        }
        self.left_out = frozenset(self.fold(k) for k in left_out) - self.index.keys()
        self._norms: np.ndarray | None = None
        self._canonical: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.keys)

    def row(self, word: str) -> int | None:
        """The row answering for ``word``, or ``None`` when it is out of vocabulary."""
        return self.index.get(self.fold(word))

    def was_left_out(self, word: str) -> bool:
        """True when ``word`` has a row in the source that was left out of the table."""
        return self.fold(word) in self.left_out

    @property
    def norms(self) -> np.ndarray:
        """Euclidean norm of every row, float32 (computed once)."""
        if self._norms is None:
            self._norms = np.linalg.norm(self.vectors, axis=1)
        return self._norms

    @property
    def canonical(self) -> np.ndarray:
        """For each row, the row answering for its folded key (itself, or a case twin)."""
        if self._canonical is None:
            fold, index = self.fold, self.index
            self._canonical = np.fromiter((index[fold(k)] for k in self.keys), np.int64)
        return self._canonical

    def unit_rows(self, rows: np.ndarray) -> np.ndarray:
        """The rows divided by their norms, float32; an all-zero row stays zero."""
        norms = self.norms[rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            unit = self.vectors[rows] / norms[:, None]
        unit[norms == 0] = 0.0
        return unit


def make_table(
    keys: Sequence[str],
    vectors: np.ndarray,
    *,
    limit: int | None,
    case_insensitive: bool = True,
    left_out: Iterable[str] = (),
) -> Table:
    """A table of the first ``limit`` distinct keys (a repeated key's later rows are dropped).

    Args:
        keys: one key per row of ``vectors``.
        vectors: the matrix, any float dtype (copied to float32 for the kept rows).
        limit: how many rows to keep (``None``: all).
        case_insensitive: compare words in upper case.
        left_out: keys of rows left out before (reported apart as out of vocabulary).

    Example:
        >>> len(make_table(["a", "b", "a"], np.ones((3, 2), np.float32), limit=None))
        2
    """
    seen: set[str] = set()
    rows: list[int] = []
    for i, key in enumerate(keys):
        if limit is not None and len(rows) >= limit:
            break
        if key not in seen:
            seen.add(key)
            rows.append(i)
    if len(rows) == len(keys):
        matrix = np.asarray(vectors, dtype=np.float32)
    elif rows == list(range(len(rows))):
        matrix = np.asarray(vectors[: len(rows)], dtype=np.float32)
    else:
        matrix = np.asarray(vectors[rows], dtype=np.float32)
    kept = [keys[i] for i in rows]
    return Table(kept, matrix, case_insensitive=case_insensitive, left_out=left_out)
