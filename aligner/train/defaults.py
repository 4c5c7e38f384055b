"""Training defaults that depend on the corpus, chosen by measurement.

A small corpus needs more passes than a large one: gensim's default of 5
epochs leaves word2vec on a 1 M-token corpus at WordSim353 0.14, where 20
give 0.33 (``benchmarks/README.md``, "Quality"). When ``epochs`` is not
given, it is chosen from the number of tokens counted in the first pass
over the corpus (the vocabulary count), so the choice costs nothing.

Example:
    >>> word2vec_epochs(1_000_000), word2vec_epochs(10_000_000)
    (20, 5)
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "DEFAULT_SEED",
    "GLOVE_EPOCHS",
    "GLOVE_X_MAX",
    "WORD2VEC_EPOCHS",
    "WORD2VEC_PASSES",
    "seed_of",
    "word2vec_epochs",
]

#: word2vec and fastText: epochs within these bounds ...
WORD2VEC_EPOCHS = (5, 20)
#: ... that together read about this many tokens
WORD2VEC_PASSES = 20_000_000
#: GloVe: epochs over the co-occurrence pairs
GLOVE_EPOCHS = 25
#: GloVe: count at which a pair's weight reaches 1
GLOVE_X_MAX = 10.0
#: the seed of training when neither the parameters nor the build give one
DEFAULT_SEED = 0


def seed_of(params: Any) -> int:
    """The training seed of a parameter object: its ``seed``, or :data:`DEFAULT_SEED` when unset.

    Example:
        >>> from aligner.train import Word2VecParams
        >>> seed_of(Word2VecParams()), seed_of(Word2VecParams(seed=4))
        (0, 4)
    """
    seed = getattr(params, "seed", None)
    return DEFAULT_SEED if seed is None else int(seed)


def word2vec_epochs(tokens: int) -> int:
    """Epochs for word2vec and fastText on a corpus of ``tokens`` tokens.

    About :data:`WORD2VEC_PASSES` tokens in all, within :data:`WORD2VEC_EPOCHS`.
    """
    low, high = WORD2VEC_EPOCHS
    return max(low, min(high, math.ceil(WORD2VEC_PASSES / max(tokens, 1))))
