"""Training defaults that depend on the corpus, chosen by measurement.

A small corpus needs more passes than a large one: gensim's default of 5
epochs leaves word2vec on a 1 M-token corpus at WordSim353 0.14, where 20
give 0.33 (``benchmarks/README.md``, "Quality"). When ``epochs`` is not
given, it is chosen from the number of tokens counted in the first pass
over the corpus (the vocabulary count), so the choice costs nothing.

fastText's context window follows the corpus size the same way: on small
corpora a wider window (10) lifts WordSim353 by about 0.06 at equal SimLex;
from a few million tokens on it costs on both sets, and gensim's 5 is best.

Example:
    >>> word2vec_epochs(1_000_000), word2vec_epochs(10_000_000)
    (20, 5)
    >>> fasttext_window(1_000_000), fasttext_window(10_000_000)
    (10, 5)
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "DEFAULT_SEED",
    "FASTTEXT_WIDE_WINDOW_BELOW",
    "GLOVE_EPOCHS",
    "GLOVE_X_MAX",
    "WORD2VEC_EPOCHS",
    "WORD2VEC_PASSES",
    "fasttext_window",
    "seed_of",
    "word2vec_epochs",
]

#: word2vec and fastText: epochs within these bounds ...
WORD2VEC_EPOCHS = (5, 20)
#: ... that together read about this many tokens
WORD2VEC_PASSES = 20_000_000
#: fastText: the window is 10 on corpora of fewer tokens than this, else 5
FASTTEXT_WIDE_WINDOW_BELOW = 4_000_000
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


def fasttext_window(tokens: int) -> int:
    """fastText's context window on a corpus of ``tokens`` tokens.

    10 below :data:`FASTTEXT_WIDE_WINDOW_BELOW` tokens, else 5
    (``benchmarks/README.md``, "How the defaults were chosen").
    """
    return 10 if tokens < FASTTEXT_WIDE_WINDOW_BELOW else 5
