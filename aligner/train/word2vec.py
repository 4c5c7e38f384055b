"""word2vec (skip-gram or CBOW) through gensim, reproducible and quiet.

With ``workers=1`` and a fixed ``seed``, two runs on the same corpus give
bit-identical vectors (gensim's threads otherwise interleave updates).

Example:
    >>> from aligner.corpus import Corpus
    >>> corpus = Corpus("data_samples/corpus.txt")  # doctest: +SKIP
    >>> wv = train_word2vec(corpus, Word2VecParams(dim=50))  # doctest: +SKIP
    >>> wv.vectors.shape  # doctest: +SKIP
    (512, 50)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any, TypeVar

import numpy as np

from aligner.corpus import Corpus
from aligner.errors import CorpusError, InputError, TrainingError
from aligner.progress import SILENT, Progress, ProgressBar
from aligner.train.defaults import fasttext_window, seed_of, word2vec_epochs
from aligner.vectors import WordVectors

__all__ = ["Word2VecParams", "train_word2vec"]


@dataclass(frozen=True)
class Word2VecParams:
    """word2vec hyper-parameters (gensim names in brackets).

    Attributes:
        sg: skip-gram if True, CBOW if False [sg].
        dim: vector size [vector_size].
        window: maximum distance between centre and context word [window].
        min_count: ignore words rarer than this in the corpus [min_count].
        epochs: passes over the corpus [epochs]; ``None`` chooses them from
            the corpus size counted in the vocabulary pass
            (:func:`aligner.train.defaults.word2vec_epochs`: 20 for 1 M
            tokens or fewer, 5 from 4 M tokens on).
        negative: negative samples per positive one; 0 disables [negative].
        sample: down-sampling threshold of frequent words [sample].
        workers: training threads; 1 makes runs reproducible [workers].
        seed: random seed [seed]; ``None`` (unset) trains with the build's
            seed (:class:`~aligner.pipeline.BuildConfig` ``seed``), else 0.
    """

    sg: bool = True
    dim: int = 100
    window: int = 5
    min_count: int = 5
    epochs: int | None = None
    negative: int = 5
    sample: float = 1e-3
    workers: int = 1
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("dim", "window", "min_count", "epochs", "workers"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise InputError(f"word2vec {name} must be at least 1, got {getattr(self, name)}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters, for the manifest."""
        return asdict(self)


P = TypeVar("P", bound="Word2VecParams")


def _epoch_callback(bar: ProgressBar, epochs: int, *, tick: bool = False) -> Any:
    """A gensim callback showing the epoch; with ``tick`` it also advances an epoch bar."""
    from gensim.models.callbacks import CallbackAny2Vec

    class _Report(CallbackAny2Vec):
        def __init__(self) -> None:
            self.epoch = 0

        def on_epoch_begin(self, model: Any) -> None:
            self.epoch += 1
            bar.status(f"epoch {self.epoch}/{epochs}")

        def on_epoch_end(self, model: Any) -> None:
            if tick:
                bar.update(1)

    return _Report()


def _check_vocabulary(corpus: Corpus, model: Any, min_count: int) -> None:
    if corpus.tokens_read == 0:
        raise CorpusError(
            f"corpus {corpus.path} is empty: it has no tokens; "
            "pass text with one sentence per line (or the right --text-column)"
        )
    if len(model.wv) == 0:
        counts = Counter(model.raw_vocab).most_common(3)
        top = ", ".join(f"{w!r} x{c}" for w, c in counts)
        raise TrainingError(
            f"no token of corpus {corpus.path} occurs at least min_count={min_count} times "
            f"(most frequent: {top}); lower --min-count or use a larger corpus"
        )


def gensim_kwargs(params: Word2VecParams) -> dict[str, Any]:
    """The gensim constructor arguments shared by Word2Vec and FastText."""
    return {
        "sg": int(params.sg),
        "vector_size": params.dim,
        "window": params.window or 5,  # a window chosen from the corpus size is set in fit()
        "min_count": params.min_count,
        "negative": params.negative,
        "sample": params.sample,
        "workers": params.workers,
        "seed": seed_of(params),
    }


#: gensim silently drops the tokens of a sentence past this many (its MAX_WORDS_IN_BATCH)
MAX_SENTENCE = 10_000


class _Pieces:
    """Re-iterable view of a corpus cutting long texts into pieces gensim keeps whole."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus

    def __iter__(self) -> Iterator[list[str]]:
        for tokens in self.corpus:
            if len(tokens) <= MAX_SENTENCE:
                yield tokens
            else:
                for start in range(0, len(tokens), MAX_SENTENCE):
                    yield tokens[start : start + MAX_SENTENCE]


def fit(model: Any, corpus: Corpus, params: P, label: str, progress: Progress) -> tuple[Any, P]:
    """Count the vocabulary and train a gensim model, with progress bars in corpus bytes.

    Returns:
        The model and ``params`` with ``epochs``, ``window`` (fastText) and
        ``seed`` filled in when they were ``None``.

    Raises:
        CorpusError: the corpus is empty or unreadable.
        TrainingError: no token reaches ``min_count``.
    """
    params = replace(params, seed=seed_of(params))
    path = corpus.plain_text_path
    file_mode = path is not None and params.workers > 1
    with progress.bar("counting words", total=corpus.size, unit="B") as bar:
        corpus.on_bytes = bar.update
        try:
            if file_mode:
                model.build_vocab(corpus_file=str(path), keep_raw_vocab=True)
                corpus.lines_read = int(model.corpus_count)
                corpus.tokens_read = int(model.corpus_total_words)
                bar.update(corpus.size)
            else:
                model.build_vocab(corpus_iterable=_Pieces(corpus), keep_raw_vocab=True)
        finally:
            corpus.on_bytes = None
    _check_vocabulary(corpus, model, params.min_count)
    model.raw_vocab = None
    tokens = int(model.corpus_total_words)
    if params.epochs is None:
        params = replace(params, epochs=word2vec_epochs(tokens))
    if params.window is None:
        params = replace(params, window=fasttext_window(tokens))
        model.window = params.window
    epochs = int(params.epochs or 0)
    if file_mode:
        _train_file(model, str(path), epochs, label, progress)
    else:
        _train_stream(model, corpus, epochs, label, progress)
    return model, params


def _train_stream(model: Any, corpus: Corpus, epochs: int, label: str, progress: Progress) -> None:
    """Stream the corpus once per epoch (byte-reproducible with one worker)."""
    with progress.bar(label, total=corpus.size * epochs, unit="B") as bar:
        corpus.on_bytes = bar.update
        try:
            model.train(
                corpus_iterable=_Pieces(corpus),
                total_examples=model.corpus_count,
                epochs=epochs,
                callbacks=[_epoch_callback(bar, epochs)],
            )
        finally:
            corpus.on_bytes = None


def _train_file(model: Any, path: str, epochs: int, label: str, progress: Progress) -> None:
    """gensim's ``corpus_file`` mode: each worker reads its own part of the file.

    Used for one plain, space-separated text file with several workers, where
    it scales with the workers; with one worker the streamed path is kept
    (it is byte-reproducible). Progress is per epoch.
    """
    with progress.bar(f"{label} (corpus_file)", total=epochs, unit="epoch") as bar:
        model.train(
            corpus_file=path,
            total_words=model.corpus_total_words,
            epochs=epochs,
            callbacks=[_epoch_callback(bar, epochs, tick=True)],
        )


def trained_source(corpus: Corpus, method: str, params: Any, vocab_size: int) -> dict[str, Any]:
    """The ``source`` facts of trained vectors, for the manifest."""
    return {
        "kind": "trained",
        "method": method,
        "corpus": corpus.describe()
        | {"sentences": corpus.lines_read, "tokens": corpus.tokens_read},
        "tokenizer": corpus.tokenizer.to_dict(),
        "params": params.to_dict(),
        "reader": "corpus_file"
        if corpus.plain_text_path is not None and getattr(params, "workers", 1) > 1
        else "stream",
        "trained_vocab_size": vocab_size,
        "gensim_version": _gensim_version(),
    }


def train_word2vec(
    corpus: Corpus, params: Word2VecParams | None = None, *, progress: Progress = SILENT
) -> WordVectors:
    """Train word2vec on a corpus.

    Args:
        corpus: the dataset-0 corpus, tokenized with its tokenizer spec.
        params: hyper-parameters; defaults to :class:`Word2VecParams`.
        progress: receives a bar in corpus bytes over the vocabulary pass and
            every epoch.

    Returns:
        WordVectors in gensim's order (most frequent first), with the method
        and parameters in ``source``.

    Raises:
        CorpusError: the corpus is empty or unreadable.
        TrainingError: no token reaches ``min_count``.
    """
    from gensim.models import Word2Vec

    params = params or Word2VecParams()
    model, params = fit(Word2Vec(**gensim_kwargs(params)), corpus, params, "word2vec", progress)
    keys = list(model.wv.index_to_key)
    vectors = np.asarray(model.wv.vectors, dtype=np.float32)
    return WordVectors(keys, vectors, trained_source(corpus, "word2vec", params, len(keys)))


def _gensim_version() -> str:
    import gensim

    return str(gensim.__version__)
