"""Training word vectors on a dataset-0 corpus: one entry point for every method.

Example:
    >>> from aligner.corpus import Corpus
    >>> wv = train(Corpus("data_samples/corpus.txt"), "fasttext", {"dim": 50})  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aligner.corpus import Corpus
from aligner.errors import InputError
from aligner.progress import SILENT, Progress
from aligner.train.fasttext import FastTextParams, train_fasttext
from aligner.train.glove_corpus import GloveTrainingParams, train_glove_corpus
from aligner.train.word2vec import Word2VecParams, train_word2vec
from aligner.vectors import WordVectors

__all__ = [
    "METHODS",
    "FastTextParams",
    "GloveTrainingParams",
    "Word2VecParams",
    "make_params",
    "train",
    "train_fasttext",
    "train_word2vec",
]

METHODS = ("word2vec", "fasttext", "glove")
_PARAMS: dict[str, type[Any]] = {
    "word2vec": Word2VecParams,
    "fasttext": FastTextParams,
    "glove": GloveTrainingParams,
}


def make_params(method: str, values: Any = None, **overrides: Any) -> Any:
    """The parameter object of ``method`` from another one, a mapping, or defaults.

    Fields the method does not have are dropped (word2vec's ``sg`` means
    nothing to GloVe); ``overrides`` win.

    Raises:
        InputError: an unknown method.
    """
    if method not in _PARAMS:
        raise InputError(f"unknown training method {method!r}; choose one of: {', '.join(METHODS)}")
    cls = _PARAMS[method]
    given = values.to_dict() if hasattr(values, "to_dict") else dict(values or {})
    given = {k: v for k, v in given.items() if v is not None}
    fields = cls.__dataclass_fields__
    return cls(**{k: v for k, v in (given | overrides).items() if k in fields})


def train(
    corpus: Corpus,
    method: str = "word2vec",
    params: Any = None,
    *,
    compose: Iterable[str] = (),
    progress: Progress = SILENT,
) -> WordVectors:
    """Train vectors with ``method`` on ``corpus``.

    Args:
        corpus: the dataset-0 corpus.
        method: ``"word2vec"``, ``"fasttext"`` or ``"glove"``.
        params: the method's parameters (an object or a mapping; see
            :func:`make_params`).
        compose: for fastText, tokens to compose from subwords when missing
            from the trained vocabulary.
        progress: receives progress bars.

    Raises:
        InputError: unknown method; CorpusError, TrainingError: see the methods.
    """
    chosen = make_params(method, params if not isinstance(params, Mapping) else dict(params))
    if method == "fasttext":
        return train_fasttext(corpus, chosen, compose=compose, progress=progress)
    if method == "glove":
        return train_glove_corpus(corpus, chosen, progress=progress)
    return train_word2vec(corpus, chosen, progress=progress)
