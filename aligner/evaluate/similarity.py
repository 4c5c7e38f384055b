"""Word similarity: how well cosines rank word pairs the way people scored them.

The figures are gensim's ``KeyedVectors.evaluate_word_pairs`` with its
defaults (``restrict_vocab=300000, case_insensitive=True,
dummy4unknown=False``), computed the same way: a pair with a word outside the
first ``restrict_vocab`` rows is out of vocabulary, skipped and counted; the
cosine of each other pair is the dot product of the two vectors scaled to
unit length (an all-zero vector stays zero, cosine 0); Spearman's ρ (ranks,
ties averaged) and Pearson's r compare the cosines with the scores.

Example:
    >>> result = evaluate_similarity(table, read_similarity("pairs.tsv"))  # doctest: +SKIP
    >>> result.spearman, result.used, result.pairs  # doctest: +SKIP
    (0.61, 340, 353)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from aligner.errors import EvalSetError
from aligner.evaluate.sets import SimilaritySet
from aligner.evaluate.table import Table, none_found

__all__ = ["SimilarityResult", "evaluate_similarity"]


@dataclass
class SimilarityResult:
    """Correlations of one similarity set, and what they cover.

    Attributes:
        name: the set's name.
        path: the set's file.
        pairs: pairs in the set.
        used: pairs with both words in the table (the correlations' sample).
        oov: pairs skipped because a word is out of vocabulary
            (``pairs == used + oov``).
        left_out: of ``oov``, pairs with a word whose row was left out
            (filled at random in an artifact).
        spearman: Spearman's ρ, ``None`` when undefined (fewer than two
            pairs used, or constant scores or cosines).
        pearson: Pearson's r, ``None`` when undefined.
    """

    name: str
    path: str
    pairs: int
    used: int
    oov: int
    left_out: int
    spearman: float | None
    pearson: float | None

    @property
    def coverage(self) -> float:
        """Fraction of the pairs used."""
        return self.used / self.pairs if self.pairs else 0.0

    @property
    def oov_percent(self) -> float:
        """Percentage of pairs out of vocabulary (gensim's ``oov_ratio``)."""
        return 100.0 * self.oov / self.pairs if self.pairs else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures, coverage included."""
        return {
            "name": self.name,
            "path": self.path,
            "spearman": self.spearman,
            "pearson": self.pearson,
            "pairs": self.pairs,
            "used": self.used,
            "oov": self.oov,
            "oov_treatment": "skipped",
            "left_out": self.left_out,
            "coverage": self.coverage,
        }


def _unit64(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length in float64, then stored as float32 (gensim's ``unitvec``)."""
    wide = vectors.astype(np.float64)
    norms = np.linalg.norm(wide, axis=1)
    scale = np.divide(1.0, norms, out=np.ones_like(norms), where=norms > 0)
    return (wide * scale[:, None]).astype(np.float32)


def cosines(table: Table, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """float32 cosines of the row pairs ``(a[i], b[i])``; a zero vector gives 0.

    Each is one float32 dot product of two unit vectors, the arithmetic of
    gensim's ``similarity``, so that equal inputs give equal figures.
    """
    rows, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    unit = _unit64(table.vectors[rows])
    ua, ub = unit[inverse[: len(a)]], unit[inverse[len(a) :]]
    return np.array([np.dot(x, y) for x, y in zip(ua, ub, strict=True)], dtype=np.float32)


def _correlations(gold: np.ndarray, model: np.ndarray) -> tuple[float | None, float | None]:
    """Spearman's ρ and Pearson's r; ``None`` where undefined."""
    if len(gold) < 2:
        return None, None
    from scipy import stats

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant input: scipy warns and returns nan
        rho = float(stats.spearmanr(gold, model).statistic)
        r = float(stats.pearsonr(gold, model).statistic)
    return (None if math.isnan(rho) else rho), (None if math.isnan(r) else r)


def evaluate_similarity(
    table: Table, pairs: SimilaritySet, *, require: bool = False
) -> SimilarityResult:
    """Spearman's ρ and Pearson's r of the table's cosines against a set's scores.

    Args:
        table: the rows searched (see :func:`aligner.evaluate.table.make_table`).
        pairs: the scored pairs.
        require: raise when no pair has both words in the table (for a
            user's own file; a bundled set is then reported as uncovered).

    Returns:
        A :class:`SimilarityResult`.

    Raises:
        EvalSetError: ``require`` and no pair is in the vocabulary.

    Example:
        >>> evaluate_similarity(table, bundled_set("wordsim353")).spearman  # doctest: +SKIP
        0.66
    """
    found: list[tuple[int, int, float]] = []
    left_out = 0
    for pair in pairs.pairs:
        a, b = table.row(pair.a), table.row(pair.b)
        if a is None or b is None:
            left_out += table.was_left_out(pair.a) or table.was_left_out(pair.b)
            continue
        found.append((a, b, pair.score))
    if require and not found:
        items = f"{len(pairs.pairs)} pairs has both words"
        raise EvalSetError(none_found(pairs.path, items, table, left_out))
    rows_a = np.array([f[0] for f in found], dtype=np.int64)
    rows_b = np.array([f[1] for f in found], dtype=np.int64)
    gold = np.array([f[2] for f in found], dtype=np.float64)
    spearman, pearson = _correlations(gold, cosines(table, rows_a, rows_b))
    total = len(pairs.pairs)
    return SimilarityResult(
        pairs.name, str(pairs.path), total, len(found), total - len(found), left_out,
        spearman, pearson,
    )  # fmt: skip
