"""Look at vectors like a user does: nearest neighbours and cosine similarity.

A query is a word, found through the artifact's fallback chain
(:mod:`aligner.evaluate.lookup`), or a vector. Cosines are computed for every
row at once, block by block over the memory map; special tokens, all-zero rows,
the query's row and its twins are never neighbours. Twins (rows of one vector
and one folded key, such as ``guitar`` and ``Guitar`` found through the
``lowercase`` fallback) are listed once, under the row that stands for them
(found ``exact`` first, then the most frequent). Rows filled at random (kind
``fill``) are listed and marked (:attr:`Neighbor.random`), or left out with
``found_only=True``.

Example:
    >>> art = aligner.load("build/demo")  # doctest: +SKIP
    >>> [n.label for n in most_similar(art, "Guitar", k=2)]  # doctest: +SKIP
    ['piano (also: Piano)', 'drums']
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

import numpy as np
from numpy.typing import ArrayLike

from aligner.errors import InputError
from aligner.evaluate.lookup import RANDOM_KINDS, Match, kind_rank, resolve, twin_fold
from aligner.vectors import Fold

if TYPE_CHECKING:
    from aligner.artifact import Artifact

__all__ = ["Neighbor", "Neighbors", "cosine_similarity", "most_similar", "neighbors"]

#: rows scored per step (bounded float32 copies, also for float16 storage)
BLOCK = 65_536
#: cosines of one vector on two rows differ by rounding only, far below this
TIE = 1e-4


@dataclass(frozen=True)
class Neighbor:
    """One row of a neighbour list.

    Attributes:
        token: the row that stands for its twins.
        cosine: cosine similarity with the query.
        kind: the row's build-time provenance (``exact``, ..., ``fill``).
        twins: other tokens holding the same vector under the same folded key.
        row: the row of ``token`` in the artifact.
    """

    token: str
    cosine: float
    kind: str
    twins: tuple[str, ...] = ()
    row: int = -1

    @property
    def random(self) -> bool:
        """True for a row filled at random: its place in the list means nothing."""
        return self.kind in RANDOM_KINDS

    @property
    def label(self) -> str:
        """``token``, with its twins: ``guitar (also: Guitar)``."""
        return f"{self.token} (also: {', '.join(self.twins)})" if self.twins else self.token

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: token, cosine (6 decimals), kind, twins."""
        return {
            "token": self.token,
            "cosine": round(self.cosine, 6),
            "kind": self.kind,
            "twins": list(self.twins),
        }


@dataclass(frozen=True)
class Neighbors(Sequence[Neighbor]):
    """The result of :func:`most_similar`: a sequence of :class:`Neighbor`.

    Attributes:
        items: the neighbours, closest first.
        query: the row the query word answered to (``None`` for a vector).
        twins: the query row's own twins (never listed as neighbours).
        found_only: whether rows filled at random were left out.
    """

    items: tuple[Neighbor, ...]
    query: Match | None = None
    twins: tuple[str, ...] = ()
    found_only: bool = False

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> Neighbor: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Neighbor, ...]: ...
    def __getitem__(self, index: int | slice) -> Neighbor | tuple[Neighbor, ...]:
        return self.items[index]

    def __iter__(self) -> Iterator[Neighbor]:
        return iter(self.items)

    def to_list(self) -> list[dict[str, Any]]:
        """JSON-ready: one :meth:`Neighbor.to_dict` per neighbour."""
        return [n.to_dict() for n in self.items]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"query": ..., "neighbors": [...]}``.

        ``query`` is ``None`` for a query vector; for a word it names the word
        asked for, the row that answered (``token``, ``row``), the ``step`` that
        found it, the row's ``kind``, whether that row is ``random`` (its
        neighbours mean nothing) and its ``twins``; ``neighbors`` is :meth:`to_list`.
        """
        match = self.query
        query = None if match is None else {
            "word": match.query, "token": match.token, "row": match.row, "step": match.step,
            "kind": match.kind, "random": match.random, "twins": list(self.twins),
        }  # fmt: skip
        return {"query": query, "neighbors": self.to_list()}


def _query_vector(artifact: Artifact, query: str | ArrayLike) -> tuple[np.ndarray, Match | None]:
    """The query as a float32 vector, and its row when it is a word."""
    if isinstance(query, str):
        match = resolve(artifact, query)
        vector = np.array(artifact.vectors[match.row], dtype=np.float32)
        what = f"{query!r} (row {match.row} of {artifact.path}, kind {match.kind})"
    else:
        match, what = None, "the query vector"
        try:
            vector = np.asarray(query, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise InputError(f"the query is neither a word nor a vector: {exc}") from None
        if vector.shape != (artifact.dim,):
            raise InputError(
                f"the query vector has shape {vector.shape}, but {artifact.path} holds "
                f"{artifact.dim}-dimensional vectors: pass shape ({artifact.dim},)"
            )
    if not np.isfinite(vector).all():
        raise InputError(f"the vector of {what} holds NaN or infinity: no cosine is defined")
    if not vector.any():
        raise InputError(
            f"the vector of {what} is all zeros: it has no direction, so no cosine with any row"
        )
    return vector, match


def _cosines(artifact: Artifact, query: np.ndarray) -> np.ndarray:
    """Cosine of every row with ``query`` (float64); ``-inf`` for all-zero rows."""
    vectors = artifact.vectors
    dots = np.empty(len(vectors), dtype=np.float64)
    norms = np.empty(len(vectors), dtype=np.float64)
    for start in range(0, len(vectors), BLOCK):
        block = np.asarray(vectors[start : start + BLOCK], dtype=np.float32)
        dots[start : start + len(block)] = block @ query
        norms[start : start + len(block)] = np.einsum("ij,ij->i", block, block)
    np.sqrt(norms, out=norms)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = dots / (norms * float(np.linalg.norm(query.astype(np.float64))))
    scores[~np.isfinite(scores) | (norms == 0)] = -np.inf
    return scores


def _twin_rows(
    artifact: Artifact, scores: np.ndarray, row: int, self_score: float, fold: Fold
) -> list[int]:
    """Rows other than ``row`` holding its vector under its folded key.

    ``self_score`` is the cosine of ``row`` with itself: its twins score the
    same up to rounding, so only the rows that close are compared.
    """
    near = np.flatnonzero(scores >= self_score - TIE)
    tokens, vectors = artifact.vocab.tokens, artifact.vectors
    key = fold(tokens[row])
    return [
        int(r)
        for r in near
        if r != row and fold(tokens[r]) == key and np.array_equal(vectors[r], vectors[row])
    ]


def _group(artifact: Artifact, rows: np.ndarray, fold: Fold | None) -> list[list[int]]:
    """``rows`` (closest first) gathered into twin groups, in order of first row."""
    groups: list[list[int]] = []
    by_key: dict[str, list[int]] = {}
    tokens, vectors = artifact.vocab.tokens, artifact.vectors
    for row in rows.tolist():
        if fold is None:
            groups.append([row])
            continue
        same = by_key.setdefault(fold(tokens[row]), [])
        twin = next((g for g in same if np.array_equal(vectors[groups[g][0]], vectors[row])), None)
        if twin is None:
            same.append(len(groups))
            groups.append([row])
        else:
            groups[twin].append(row)
    return groups


def _closest(scores: np.ndarray, m: int) -> np.ndarray:
    """The ``m`` highest-scoring rows, closest first; ties go to the lower row."""
    cut = scores[np.argpartition(-scores, m - 1)[m - 1]]
    top = np.flatnonzero(scores >= cut)  # every row tied with the m-th, not an arbitrary one
    return top[np.lexsort((top, -scores[top]))][:m]


def _complete(scores: np.ndarray, top: np.ndarray, last: list[int], fold: Fold | None) -> bool:
    """Whether rows past ``top`` are too far to be twins of the ``last`` group kept."""
    return fold is None or bool(scores[top[-1]] < scores[last[0]] - TIE)


def _top_groups(
    artifact: Artifact, scores: np.ndarray, k: int, fold: Fold | None
) -> list[list[int]]:
    """The ``k`` closest twin groups, each complete (twins score within :data:`TIE`)."""
    n = int(np.isfinite(scores).sum())
    m = min(n, k if fold is None else 2 * k + 8)
    while m:
        top = _closest(scores, m)
        groups = _group(artifact, top, fold)
        if m == n or (len(groups) >= k and _complete(scores, top, groups[k - 1], fold)):
            return groups[:k]
        m = min(n, 2 * m)
    return []


def _neighbor(artifact: Artifact, scores: np.ndarray, group: list[int]) -> Neighbor:
    kinds, tokens = artifact.provenance, artifact.vocab.tokens
    head = min(group, key=lambda r: (kind_rank(kinds[r]), r))
    twins = tuple(tokens[r] for r in sorted(group) if r != head)
    return Neighbor(tokens[head], float(scores[head]), kinds[head], twins, head)


def most_similar(
    artifact: Artifact,
    query: str | ArrayLike,
    *,
    k: int = 10,
    found_only: bool = False,
    fold_twins: bool = True,
) -> Neighbors:
    """The ``k`` rows closest to ``query`` by cosine similarity.

    Args:
        artifact: an opened artifact.
        query: a word (found through the artifact's fallback chain) or a
            vector of the artifact's dimension.
        k: how many neighbours (twin groups count once).
        found_only: leave out rows filled at random (kind ``fill``).
        fold_twins: list twins once (``guitar (also: Guitar)``); when false,
            each row on its own (the query's twins are left out either way).

    Returns:
        :class:`Neighbors`, closest first, with the row the query answered to.

    Raises:
        InputError: ``k`` < 1; a word without a row (the message says what
            was tried); a vector of the wrong shape; an all-zero query.

    Example:
        >>> result = most_similar(aligner.load("build/demo"), "guitar", k=3)  # doctest: +SKIP
        >>> [(n.token, round(n.cosine, 2), n.kind) for n in result]  # doctest: +SKIP
        [('piano', 0.91, 'exact'), ('drums', 0.89, 'exact'), ('Zarvik', 0.4, 'fill')]
    """
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}")
    vector, match = _query_vector(artifact, query)
    scores = _cosines(artifact, vector)
    self_score = float(scores[match.row]) if match is not None else 0.0
    scores[: len(artifact.vocab.specials)] = -np.inf
    fold = twin_fold(artifact)
    twins: list[int] = []
    if match is not None:
        twins = _twin_rows(artifact, scores, match.row, self_score, fold)
        scores[[match.row, *twins]] = -np.inf
    if found_only:
        scores[np.asarray(artifact.provenance) == "fill"] = -np.inf
    groups = _top_groups(artifact, scores, k, fold if fold_twins else None)
    return Neighbors(
        tuple(_neighbor(artifact, scores, g) for g in groups),
        match,
        tuple(artifact.vocab.tokens[r] for r in twins),
        found_only,
    )


def cosine_similarity(artifact: Artifact, a: str | ArrayLike, b: str | ArrayLike) -> float:
    """Cosine similarity of two words (through the fallback chain) or vectors.

    Raises:
        InputError: a word without a row, a vector of the wrong shape, or an
            all-zero vector (the padding row).

    Example:
        >>> art = aligner.load("build/demo")  # doctest: +SKIP
        >>> round(cosine_similarity(art, "guitar", "Piano"), 2)  # doctest: +SKIP
        0.91
    """
    va, _ = _query_vector(artifact, a)
    vb, _ = _query_vector(artifact, b)
    va64, vb64 = va.astype(np.float64), vb.astype(np.float64)
    return float(va64 @ vb64 / (np.linalg.norm(va64) * np.linalg.norm(vb64)))


def neighbors(artifact: Artifact, word: str, *, k: int = 10) -> list[tuple[str, float]]:
    """``(token, cosine)`` of the ``k`` rows closest to ``word``.

    The plain-pairs form of :func:`most_similar` (twins folded, filled rows
    included), kept for existing callers.

    Raises:
        InputError: ``word`` has no row, or ``k`` < 1.

    Example:
        >>> aligner.load("build/demo").neighbors("guitar", k=3)  # doctest: +SKIP
        [('piano', 0.91), ('drums', 0.89), ('chord', 0.87)]
    """
    return [(n.token, n.cosine) for n in most_similar(artifact, word, k=k)]
