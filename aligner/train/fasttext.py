"""fastText (gensim): word2vec with subword n-grams.

Words missing from the trained vocabulary still get vectors, composed from
their character n-grams: pass them as ``compose`` and they come back as
subword rows (match kind ``subword`` after alignment) instead of being filled
at random.

Example:
    >>> from aligner.corpus import Corpus
    >>> wv = train_fasttext(Corpus("data_samples/corpus.txt"), FastTextParams(dim=50),
    ...                     compose=["guitr"])  # doctest: +SKIP
    >>> wv.row_subword("guitr") is not None  # doctest: +SKIP
    True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from aligner.corpus import Corpus
from aligner.errors import InputError
from aligner.progress import SILENT, Progress
from aligner.train.word2vec import Word2VecParams, fit, gensim_kwargs, trained_source
from aligner.vectors import WordVectors

__all__ = [
    "FastTextParams",
    "fit_fasttext",
    "save_fasttext_bin",
    "table_vectors",
    "train_fasttext",
]


@dataclass(frozen=True)
class FastTextParams(Word2VecParams):
    """word2vec's parameters plus the n-gram range and hash buckets [min_n, max_n, bucket].

    ``window`` defaults to ``None``: chosen from the corpus size counted in the
    vocabulary pass (:func:`aligner.train.defaults.fasttext_window`: 10 below
    4 M tokens, else 5).
    """

    window: int | None = None  # type: ignore[assignment]
    min_n: int = 3
    max_n: int = 6
    bucket: int = 2_000_000

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 < self.min_n <= self.max_n or self.bucket < 1:
            raise InputError(
                f"fastText needs 0 < min_n <= max_n and bucket >= 1, got min_n={self.min_n}, "
                f"max_n={self.max_n}, bucket={self.bucket}"
            )


def fit_fasttext(
    corpus: Corpus, params: FastTextParams | None = None, *, progress: Progress = SILENT
) -> tuple[Any, FastTextParams]:
    """Train gensim's fastText model on a corpus (what :func:`train_fasttext` and the
    ``.bin`` output of ``aligner train`` start from).

    Returns:
        The gensim ``FastText`` model and ``params`` with ``epochs`` and
        ``seed`` filled in.

    Raises:
        CorpusError: the corpus is empty or unreadable.
        TrainingError: no token reaches ``min_count``.
    """
    from gensim.models import FastText

    params = params or FastTextParams()
    kwargs = gensim_kwargs(params) | {
        "min_n": params.min_n,
        "max_n": params.max_n,
        "bucket": params.bucket,
    }
    return fit(FastText(**kwargs), corpus, params, "fasttext", progress)


def table_vectors(
    model: Any, corpus: Corpus, params: FastTextParams, compose: Iterable[str] = ()
) -> WordVectors:
    """The trained table of a fitted model, then one subword row per missing ``compose`` token."""
    wv = model.wv
    keys = list(wv.index_to_key)
    table = wv.key_to_index
    missing = list(dict.fromkeys(t for t in compose if t not in table))
    rows = [np.asarray(wv.vectors, dtype=np.float32)]
    if missing:
        rows.append(np.stack([wv.get_vector(t) for t in missing]).astype(np.float32))
    source = trained_source(corpus, "fasttext", params, len(keys))
    return WordVectors(keys + missing, np.concatenate(rows), source, n_subword=len(missing))


def save_fasttext_bin(model: Any, fh: IO[bytes]) -> None:
    """Write a fitted model in fastText's own binary format (words and n-gram buckets).

    gensim's ``load_facebook_model`` and aligner's ``fasttext-bin`` reader load
    it, and compose vectors for words outside the table from their n-grams.
    """
    from gensim.models.fasttext import save_facebook_model

    save_facebook_model(model, fh)


def train_fasttext(
    corpus: Corpus,
    params: FastTextParams | None = None,
    *,
    compose: Iterable[str] = (),
    progress: Progress = SILENT,
) -> WordVectors:
    """Train fastText on a corpus.

    Args:
        corpus: the dataset-0 corpus, tokenized with its tokenizer spec.
        params: hyper-parameters; defaults to :class:`FastTextParams`.
        compose: tokens to compose from n-grams when they are not in the
            trained vocabulary (typically the task vocabulary).
        progress: receives a bar in corpus bytes.

    Returns:
        WordVectors of the trained vocabulary, then one subword row per token
        of ``compose`` missing from it (``n_subword``).

    Raises:
        CorpusError: the corpus is empty or unreadable.
        TrainingError: no token reaches ``min_count``.
    """
    model, params = fit_fasttext(corpus, params, progress=progress)
    return table_vectors(model, corpus, params, compose)
