"""Training options shared by ``build`` and ``train``: one decorator, one dict."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS = [
    click.option(
        "--method",
        type=click.Choice(["word2vec", "fasttext"]),
        default="word2vec",
        show_default=True,
        help="Training method (fasttext composes vectors for unseen words from subwords).",
    ),
    click.option(
        "--dim",
        type=click.IntRange(min=1),
        default=None,
        help="Vector size to train (default 100); with --pretrained, the expected size.",
    ),
    click.option("--window", type=click.IntRange(min=1), default=5, show_default=True),
    click.option("--min-count", type=click.IntRange(min=1), default=5, show_default=True),
    click.option("--epochs", type=click.IntRange(min=1), default=5, show_default=True),
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
        "--max-n",
        type=click.IntRange(min=1),
        default=6,
        show_default=True,
        help="fastText: longest character n-gram.",
    ),
]
KEYS = ("method", "dim", "window", "min_count", "epochs", "sg", "negative", "workers",
        "min_n", "max_n")  # fmt: skip


def training_options(func: F) -> F:
    """Add the training options; the command receives them as ``training: dict``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        training = {key: kwargs.pop(key) for key in KEYS}
        return func(*args, training=training, **kwargs)

    for option in reversed(_OPTIONS):
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]
