"""``build`` options for the task side: vocabulary from dataset 1, fallback chain, coverage."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from aligner_cli.common import grouped_options

F = TypeVar("F", bound=Callable[..., Any])
STEPS = ("exact", "lowercase", "accents", "digits", "subword")


def _chain(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    steps = tuple(step.strip() for step in value.split(",") if step.strip())
    unknown = [step for step in steps if step not in STEPS]
    if not steps or unknown or len(set(steps)) != len(steps):
        raise click.BadParameter(
            f"{value!r}: give distinct steps, in order, among {','.join(STEPS)}"
        )
    return steps


vocab_options = grouped_options(
    "task_data",
    [
        click.option(
            "--data",
            type=click.Path(exists=True),
            help="Dataset 1 instead of --vocab: count the vocabulary from it "
            "(text, CSV/TSV, JSONL, Parquet, Arrow, or a directory).",
        ),
        click.option(
            "--data-column", help="Text column of tabular --data (CSV without header: 2)."
        ),
        click.option(
            "--vocab-min-count", type=click.IntRange(min=1), help="With --data: drop rarer tokens."
        ),
        click.option(
            "--vocab-max-size",
            type=click.IntRange(min=1),
            help="With --data: keep the N most frequent.",
        ),
    ],
    ("data", "data_column", "vocab_min_count", "vocab_max_size"),
)

alignment_options = grouped_options(
    "alignment",
    [
        click.option(
            "--fallbacks",
            default=",".join(STEPS),
            show_default=True,
            callback=_chain,
            help="Ordered matching steps, comma-separated; leave one out to switch it off. "
            "Rows still missing are filled (--init).",
        ),
        click.option(
            "--no-lowercase-fallback",
            is_flag=True,
            help="Drop the lowercase step from --fallbacks.",
        ),
        click.option(
            "--subword-pieces",
            type=click.IntRange(min=2),
            help="Train a sentencepiece model of N pieces on the corpus and vectors for "
            "its pieces: a word without a vector gets the mean of its pieces (subword step).",
        ),
        click.option(
            "--subword-model",
            type=click.Path(exists=True, dir_okay=False),
            help="Like --subword-pieces, with an existing sentencepiece .model file.",
        ),
        click.option(
            "--min-coverage",
            type=click.FloatRange(0, 1),
            help="Fail, writing nothing, below this coverage (of tokens when the vocabulary "
            "has counts, else of types), e.g. 0.9.",
        ),
    ],
    ("fallbacks", "no_lowercase_fallback", "subword_pieces", "subword_model", "min_coverage"),
)


def alignment_config(alignment: dict[str, Any], *, corpus: str | None) -> dict[str, Any]:
    """BuildConfig fields for the alignment options.

    Raises:
        click.UsageError: both piece options, or pieces without a corpus.
    """
    from aligner.task import SentencePieceTraining
    from aligner.tokenize import TokenizerSpec

    fallbacks = alignment["fallbacks"]
    if alignment["no_lowercase_fallback"]:
        fallbacks = tuple(step for step in fallbacks if step != "lowercase")
    size, model = alignment["subword_pieces"], alignment["subword_model"]
    pieces: Any = None
    if size is not None and model is not None:
        raise click.UsageError("pass one of --subword-pieces and --subword-model")
    if (size is not None or model is not None) and corpus is None:
        raise click.UsageError("--subword-pieces and --subword-model need --corpus")
    if size is not None:
        pieces = SentencePieceTraining(size, train_on="corpus")
    elif model is not None:
        pieces = TokenizerSpec.sentencepiece(model)
    return {"fallbacks": fallbacks, "pieces": pieces, "min_coverage": alignment["min_coverage"]}
