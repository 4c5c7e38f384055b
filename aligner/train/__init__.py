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
    """The parameter object of ``method`` from one of its own, a mapping, or defaults.

    A parameter object of another method is refused rather than converted:
    the methods' defaults differ (GloVe's window is 15, word2vec's 5), so a
    conversion would train with values nobody chose. A mapping may name only
    the method's own fields; ``None`` values count as not given, and
    ``overrides`` win.

    Example:
        >>> make_params("glove", {"dim": 50}).window
        15

    Raises:
        InputError: an unknown method, a parameter object of another method,
            or a field the method does not have.
    """
    if method not in _PARAMS:
        raise InputError(f"unknown training method {method!r}; choose one of: {', '.join(METHODS)}")
    cls = _PARAMS[method]
    if values is None:
        given: dict[str, Any] = {}
    elif isinstance(values, Mapping):
        given = dict(values)
    elif type(values) is cls:
        given = values.to_dict()
    else:
        raise InputError(
            f"training parameters {type(values).__name__} do not belong to method {method!r}: "
            f"pass {cls.__name__}(...) or a mapping of its fields (defaults differ between "
            "methods, so they are not converted)"
        )
    given = {k: v for k, v in (given | overrides).items() if v is not None}
    fields = cls.__dataclass_fields__
    unknown = sorted(k for k in given if k not in fields)
    if unknown:
        raise InputError(
            f"{method} has no parameter {', '.join(unknown)}; its parameters are: "
            f"{', '.join(fields)}"
        )
    return cls(**given)


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
        params: the method's parameters (its own object or a mapping; see
            :func:`make_params`).
        compose: for fastText, tokens to compose from subwords when missing
            from the trained vocabulary.
        progress: receives progress bars.

    Raises:
        InputError: unknown method, or parameters of another method;
            CorpusError, TrainingError: see the methods.
    """
    chosen = make_params(method, params)
    if method == "fasttext":
        return train_fasttext(corpus, chosen, compose=compose, progress=progress)
    if method == "glove":
        return train_glove_corpus(corpus, chosen, progress=progress)
    return train_word2vec(corpus, chosen, progress=progress)
