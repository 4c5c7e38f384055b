"""GloVe on a corpus: count the vocabulary, count co-occurrences, train.

Neither torch nor the counting code is imported until training starts
(:mod:`aligner.train.glove` imports torch lazily), so ``aligner`` and its
CLI stay quick to import.

Example:
    >>> from aligner.corpus import Corpus
    >>> params = GloveTrainingParams(dim=50, min_count=2, epochs=15)
    >>> wv = train_glove_corpus(Corpus("data_samples/corpus.txt"), params)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

from aligner.corpus import Corpus
from aligner.errors import InputError
from aligner.progress import SILENT, Progress
from aligner.train.glove import GloveParams
from aligner.vectors import WordVectors

__all__ = ["GloveTrainingParams", "train_glove_corpus"]


@dataclass(frozen=True)
class GloveTrainingParams(GloveParams):
    """Everything GloVe needs, from counting to training.

    The trainer's fields come from :class:`aligner.train.glove.GloveParams`;
    added here:

    Attributes:
        window: symmetric context window, words are weighted 1/distance.
        min_count: words rarer than this are dropped before counting.
        max_vocab: keep at most this many most frequent words.
        memory_gb: memory budget of the co-occurrence counting; partial
            counts beyond it are spilled to disk and merged.
    """

    window: int = 15
    min_count: int = 5
    max_vocab: int | None = None
    memory_gb: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.window < 1 or self.min_count < 1:
            raise InputError(
                f"GloVe needs window >= 1 and min_count >= 1, got {self.window}, {self.min_count}"
            )
        if self.max_vocab is not None and self.max_vocab < 1:
            raise InputError(f"--max-vocab must be at least 1, got {self.max_vocab}")
        if not self.memory_gb > 0:
            raise InputError(f"--memory-gb must be positive, got {self.memory_gb}")


def train_glove_corpus(
    corpus: Corpus, params: GloveTrainingParams | None = None, *, progress: Progress = SILENT
) -> WordVectors:
    """Count and train GloVe on ``corpus``.

    Raises:
        CorpusError: empty or unreadable corpus.
        TrainingError: no word reaches ``min_count``.
        InputError: a memory budget too small, or ``device="cuda"`` without a GPU.
    """
    from aligner.train.cooccur import count_cooccurrences, count_vocab
    from aligner.train.glove import resolve_device, train_glove

    params = params or GloveTrainingParams()
    resolve_device(params.device)  # fail before counting, not after
    vocab = count_vocab(corpus, min_count=params.min_count, max_vocab=params.max_vocab,
                        progress=progress)  # fmt: skip
    cooc = count_cooccurrences(
        corpus, vocab, window=params.window, memory_gb=params.memory_gb, progress=progress
    )
    vectors = train_glove(cooc, vocab, params, progress=progress)
    vectors.source |= {
        "corpus": corpus.describe()
        | {"sentences": corpus.lines_read, "tokens": corpus.tokens_read},
        "tokenizer": corpus.tokenizer.to_dict(),
    }
    return vectors
