"""Look at vectors: nearest neighbours by cosine similarity."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from aligner.errors import InputError

if TYPE_CHECKING:
    from aligner.artifact import Artifact

__all__ = ["neighbors"]


def neighbors(artifact: Artifact, word: str, *, k: int = 10) -> list[tuple[str, float]]:
    """The ``k`` vocabulary tokens closest to ``word`` by cosine similarity.

    Special tokens and all-zero rows are never returned.

    Raises:
        InputError: ``word`` is not in the vocabulary, or ``k`` < 1.

    Example:
        >>> aligner.load("build/demo").neighbors("guitar", k=3)  # doctest: +SKIP
        [('piano', 0.91), ('drums', 0.89), ('chord', 0.87)]
    """
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}")
    row = artifact.vocab.get(word)
    if row is None:
        raise InputError(f"{word!r} is not in the vocabulary of {artifact.path}")
    vectors = np.asarray(artifact.vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1)
    safe = np.where(norms > 0, norms, 1.0)
    scores = (vectors @ vectors[row]) / (safe * (norms[row] or 1.0))
    scores[norms == 0] = -np.inf
    scores[row] = -np.inf
    scores[: len(artifact.vocab.specials)] = -np.inf
    k = min(k, int(np.isfinite(scores).sum()))
    top = np.argpartition(-scores, k - 1)[:k] if k else np.array([], dtype=int)
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(artifact.vocab.tokens[i], float(scores[i])) for i in top]
