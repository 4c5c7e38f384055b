"""The checks ``build`` makes on its configuration before anything is read.

A field that does not apply to the build asked for is refused, not ignored:
training parameters with pretrained vectors, ``dim`` (the expected size of
pretrained vectors) when training, a parameter object of another method
(its defaults differ: GloVe's window is 15, word2vec's 5), two different
seeds. One seed rule holds (see :func:`build_seed`).

Example:
    >>> from aligner.pipeline import BuildConfig
    >>> build_seed(BuildConfig(out="o", corpus="c.txt", vocab="v.txt", seed=3))
    3
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aligner.errors import AlignerError, InputError
from aligner.task import SentencePieceTraining
from aligner.tokenize import TokenizerSpec
from aligner.train import METHODS, make_params
from aligner.train.defaults import DEFAULT_SEED

if TYPE_CHECKING:
    from aligner.pipeline import BuildConfig

__all__ = ["build_seed", "check_config", "data_errors", "holds_tables", "training_params"]

#: build's option for the text column of dataset 1 alone (``--text-column`` names the
#: text column of dataset 0 and dataset 1 alike)
DATA_COLUMN_OPTION = "--data-text-column"


@contextmanager
def data_errors() -> Iterator[None]:
    """Errors about dataset 1 name the option that sets its column alone,
    ``--data-text-column`` (the readers' messages say ``--text-column``)."""
    try:
        yield
    except AlignerError as exc:
        message = str(exc)
        if "--text-column" not in message:
            raise
        raise type(exc)(message.replace("--text-column", DATA_COLUMN_OPTION)) from None


def holds_tables(path: str | os.PathLike[str], *, follow_links: bool = False) -> bool:
    """Whether a dataset (a file, or a directory of files) holds a table file:
    Parquet, Arrow, JSONL or CSV/TSV, told by the file names; nothing is read.

    A path whose files cannot be listed counts as holding tables, so that
    reading it reports the problem.

    Args:
        path: a corpus or dataset-1 file or directory.
        follow_links: as :class:`~aligner.corpus.Corpus` takes it.

    Returns:
        True when at least one file is a table, False when all are plain text.

    Example:
        >>> holds_tables("data_samples/corpus.txt"), holds_tables("data_samples/train.tsv")
        (False, True)
    """
    from aligner.corpus import _discover

    try:
        files = _discover(Path(path), follow_links)
    except AlignerError:
        return True
    return any(file.layout != "text" for file in files)


def _params_seed(params: Any) -> int | None:
    seed = params.get("seed") if isinstance(params, Mapping) else getattr(params, "seed", None)
    return None if seed is None else int(seed)


def build_seed(config: BuildConfig) -> int:
    """The one seed of a build: for training, filling and sentencepiece training.

    It is ``config.seed`` or the training parameters' ``seed``, whichever is
    given; both given must agree; neither gives 0.

    Raises:
        InputError: both are given and differ.
    """
    given = _params_seed(config.params) if config.corpus is not None else None
    if given is not None and config.seed is not None and given != config.seed:
        raise InputError(
            f"two seeds: BuildConfig.seed={config.seed} and params seed={given}; give one "
            "(BuildConfig.seed seeds training and fill; a params seed must agree with it)"
        )
    for seed in (given, config.seed):
        if seed is not None:
            return seed
    return DEFAULT_SEED


def training_params(config: BuildConfig, seed: int) -> Any:
    """The method's parameter object, seeded with the build's seed.

    Raises:
        InputError: parameters of another method, or fields it does not have.
    """
    return make_params(config.method, config.params, seed=seed)


def _check_sources(config: BuildConfig) -> None:
    if (config.corpus is None) == (config.pretrained is None):
        raise InputError("pass exactly one source of vectors: a corpus or pretrained vectors")
    if (config.vocab is None) == (config.data is None):
        raise InputError(
            "pass exactly one task vocabulary: a vocabulary file or dataset 1 to count it from"
        )
    if config.method not in METHODS:
        raise InputError(
            f"unknown training method {config.method!r}; choose one of: {', '.join(METHODS)}"
        )


def _not_applying(config: BuildConfig) -> list[str]:
    """The fields given that the build asked for does not use, with what they need."""
    found = []
    if config.pretrained is not None:
        if config.method != "word2vec" or config.params is not None:
            found.append(
                "method and params train on a corpus; pretrained vectors are read as they are"
            )
        if config.text_column is not None:
            found.append("text_column names the corpus's column; pretrained vectors have none")
    else:
        pretrained_only = {"format": config.format, "member": config.member, "dim": config.dim}
        given = [name for name, value in pretrained_only.items() if value is not None]
        if config.skip_bad_rows:
            given.append("skip_bad_rows")
        if given:
            found.append(
                f"{', '.join(given)} apply to pretrained vectors (to train with another "
                "dimension, set params dim)"
            )
    if config.vocab is not None:
        given = [n for n in ("data_column", "vocab_max_size") if getattr(config, n) is not None]
        given += ["vocab_min_count"] if config.vocab_min_count != 1 else []
        if given:
            found.append(f"{', '.join(given)} apply when counting the vocabulary from data")
    if config.init_scale is not None and config.init != "uniform":
        found.append("init_scale applies to init='uniform'")
    return found


def _check_training(training: Any, config: BuildConfig) -> None:
    if not isinstance(training, SentencePieceTraining):
        return
    if training.train_on == "data" and config.data is None:
        raise InputError("sentencepiece can train on dataset 1 only when it is given (--data)")
    if training.train_on == "corpus" and config.corpus is None:
        raise InputError("sentencepiece can train on the corpus only when one is given")


def _spark_refusal(config: BuildConfig) -> str | None:
    """Why ``config.spark`` does not apply to this build (with the remedy), or ``None``."""
    if config.pretrained is not None:
        return (
            "spark counts a corpus's GloVe co-occurrences, and pretrained vectors are read "
            "on this machine; leave out spark"
        )
    if config.method != "glove":
        return (
            f"spark counts GloVe's co-occurrences (method='glove'), and {config.method} trains "
            "with gensim on one machine; leave out spark (Spark can prepare its input: "
            "aligner.engines.spark.write_token_shards)"
        )
    if config.pieces is not None:
        return (
            "pieces are trained on the corpus on this machine, not on Spark; leave out "
            "pieces, or spark"
        )
    tokenizer = config.tokenizer
    if isinstance(tokenizer, SentencePieceTraining) and tokenizer.train_on == "corpus":
        return (
            "a sentencepiece model trained on the corpus reads it on this machine, not on "
            "Spark; train it on the data (train_on='data') or pass a model "
            "(TokenizerSpec.sentencepiece(path)), or leave out spark"
        )
    if config.follow_links:
        return (
            "follow_links applies to the local engine (Spark lists the corpus itself); "
            "drop it, or spark"
        )
    return None


def check_config(config: BuildConfig) -> int:
    """Check a build configuration; return the build's seed (see :func:`build_seed`).

    Raises:
        InputError: a missing or doubled source, a field that does not apply,
            parameters of another method, two different seeds, a bad value, or
            ``spark`` with what it does not count (pretrained vectors, word2vec,
            fastText, pieces, a sentencepiece model trained on the corpus,
            ``follow_links``).
    """
    from aligner.vocab import check_specials

    check_specials(config.pad, config.unk)  # before dataset 1 is counted
    _check_sources(config)
    unused = _not_applying(config)
    if unused:
        raise InputError(f"BuildConfig: {unused[0]}; leave them out")
    for training in (config.tokenizer, config.pieces):
        _check_training(training, config)
    refusal = _spark_refusal(config) if config.spark is not None else None
    if config.spark is None and config.spark_shards is not None:
        refusal = "spark_shards is where Spark's co-occurrence shards go; it needs spark"
    if refusal is not None:
        raise InputError(f"BuildConfig: {refusal}")
    if config.pieces is not None:
        if config.corpus is None or config.method == "fasttext":
            raise InputError(
                "sentencepiece pieces compose word vectors when training word2vec or GloVe "
                "on a corpus; fastText composes from its own subwords"
            )
        if isinstance(config.pieces, TokenizerSpec) and config.pieces.kind != "sentencepiece":
            raise InputError("pieces need a sentencepiece tokenizer")
    if config.min_coverage is not None and not 0.0 <= config.min_coverage <= 1.0:
        raise InputError(f"min_coverage {config.min_coverage} is not between 0 and 1")
    seed = build_seed(config)
    if config.corpus is not None:
        training_params(config, seed)  # parameters of another method fail now
    return seed
