"""Training options shared by ``build`` and ``train``: one decorator, one dict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from aligner_cli.common import grouped_options

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS = [
    click.option(
        "--method",
        type=click.Choice(["word2vec", "fasttext", "glove"]),
        default="word2vec",
        show_default=True,
        help="Training method: word2vec and fasttext (gensim; fasttext composes vectors for "
        "unseen words from subwords) or glove (aligner's own, torch).",
    ),
    click.option(
        "--dim",
        type=click.IntRange(min=1),
        default=None,
        help="Vector size to train (default 100); with --pretrained, the expected size.",
    ),
    click.option(
        "--window",
        type=click.IntRange(min=1),
        default=None,
        help="Context window (default: 5 for word2vec and fasttext, 15 for glove).",
    ),
    click.option("--min-count", type=click.IntRange(min=1), default=5, show_default=True),
    click.option(
        "--epochs",
        type=click.IntRange(min=1),
        default=None,
        help="Passes over the corpus (default: glove 25; word2vec and fasttext from the "
        "corpus size counted in the first pass: about 20 M tokens read in all, 5 to 20 "
        "epochs, so 20 for 1 M tokens and 5 from 4 M on).",
    ),
    click.option("--sg/--cbow", default=True, show_default=True, help="Skip-gram or CBOW."),
    click.option("--negative", type=click.IntRange(min=0), default=5, show_default=True),
    click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=1,
        show_default=True,
        help="Training threads; 1 makes results byte-reproducible.",
    ),
    click.option(
        "--min-n",
        type=click.IntRange(min=1),
        default=3,
        show_default=True,
        help="fastText: shortest character n-gram.",
    ),
    click.option(
        "--x-max",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        help="glove: count at which a pair's weight reaches 1 (default 10; the paper's 100 "
        "suits corpora of billions of tokens).",
    ),
    click.option(
        "--alpha",
        type=click.FloatRange(min=0),
        default=None,
        help="glove: weighting exponent (default 0.75).",
    ),
    click.option(
        "--learning-rate",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        help="glove: AdaGrad learning rate, as in the reference implementation (default 0.05).",
    ),
    click.option(
        "--max-vocab",
        type=click.IntRange(min=1),
        default=None,
        help="glove: keep at most this many most frequent words.",
    ),
    click.option(
        "--memory-gb",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        help="glove: memory budget of co-occurrence counting; beyond it partial "
        "counts spill to disk (default 1).",
    ),
    click.option(
        "--device",
        type=click.Choice(["auto", "cpu", "cuda"]),
        default=None,
        help="glove: where to train (default auto: CUDA when available).",
    ),
    click.option(
        "--threads",
        type=click.IntRange(min=1),
        default=None,
        help="glove: CPU threads for training (default: torch's).",
    ),
    click.option(
        "--max-n",
        type=click.IntRange(min=1),
        default=6,
        show_default=True,
        help="fastText: longest character n-gram.",
    ),
]
KEYS = ("method", "dim", "window", "min_count", "epochs", "sg", "negative", "workers",
        "x_max", "alpha", "learning_rate", "max_vocab", "memory_gb", "device", "threads",
        "min_n", "max_n")  # fmt: skip


#: the training options; the command receives them as ``training: dict``
training_options = grouped_options("training", _OPTIONS, KEYS)


def corpus_options(*, required: bool) -> Callable[[F], F]:
    """``--corpus`` and ``--text-column``, as ``build`` and ``train`` take them."""

    def decorate(func: F) -> F:
        func = click.option(
            "--text-column", help="Column holding the text in Parquet/Arrow/JSONL/CSV files."
        )(func)
        return click.option(
            "--corpus",
            required=required,
            type=click.Path(exists=True),
            help="Dataset-0 corpus: a file or directory of text (plain, .gz, .bz2, .xz), "
            "Parquet, Arrow, JSONL or CSV/TSV.",
        )(func)

    return decorate
