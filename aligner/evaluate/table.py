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

__all__ = ["Table", "make_table", "none_found"]


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
        limit: the ``restrict_vocab`` the rows were cut to (``None``: no limit).
        twins: for each row, the first row holding the same vector under the
            same folded key (an artifact's rows found through a fallback, see
            :func:`aligner.evaluate.lookup.first_twins`), or ``None``: such
            rows are one word, as keys equal up to case are.
    """

    def __init__(
        self,
        keys: list[str],
        vectors: np.ndarray,
        *,
        case_insensitive: bool = True,
        left_out: Iterable[str] = (),
        limit: int | None = None,
        twins: np.ndarray | None = None,
    ) -> None:
        self.keys = keys
        self.limit = limit
        self.twins = twins
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
        """For each row, the row standing for its word: the first of the rows equal to it
        up to case (with ``case_insensitive``) or twins of it (see ``twins``)."""
        if self._canonical is None:
            fold, index = self.fold, self.index
            case = np.fromiter((index[fold(k)] for k in self.keys), np.int64, len(self.keys))
            self._canonical = case if self.twins is None else _merge(case, self.twins)
        return self._canonical

    def unit_rows(self, rows: np.ndarray) -> np.ndarray:
        """The rows divided by their norms, float32; an all-zero row stays zero."""
        norms = self.norms[rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            unit = self.vectors[rows] / norms[:, None]
        unit[norms == 0] = 0.0
        return unit


def _merge(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The lowest row of each class of the two relations "row -> its first equal" together."""
    parent = np.arange(len(first))

    def root(row: int) -> int:
        while parent[row] != row:
            parent[row] = parent[parent[row]]
            row = int(parent[row])
        return row

    for links in (first, second):
        for row in np.flatnonzero(links != np.arange(len(links))).tolist():
            a, b = root(row), root(int(links[row]))
            parent[max(a, b)] = min(a, b)
    return np.fromiter((root(row) for row in range(len(first))), np.int64, len(first))


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
    return Table(kept, matrix, case_insensitive=case_insensitive, left_out=left_out, limit=limit)


def none_found(path: object, items: str, table: Table, left_out: int) -> str:
    """The error for a set none of whose ``items`` is in the table, with what may help.

    ``left_out``: how many of the items have a word whose row was left out
    (filled at random in an artifact).
    """
    case = "up to case " if table.case_insensitive else ""
    advice = ["check the set's words and language"]
    if left_out:
        have = "has" if left_out == 1 else "have"
        advice.append(f"{left_out} of them {have} a word filled at random (--include-filled)")
    if table.limit is not None and len(table) >= table.limit:
        advice.append(f"search more than the first {table.limit} rows (--restrict-vocab)")
    return f"{path}: none of its {items} {case}among the {len(table)} rows searched; " + (
        "; ".join(advice)
    )
