"""``build`` options for the task side: vocabulary from dataset 1, fallback chain, coverage."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from aligner_cli.common import grouped_options, text_column_option
from aligner_cli.training import flag

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


def _deprecated_data_column(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    if value is not None:
        click.echo(
            "note: --data-column is deprecated; use --text-column (the text column of --corpus "
            "and --data alike) or --data-text-column (of --data alone)",
            err=True,
        )
    return value


#: build's dataset-1 options; the command receives them as ``task_data: dict``, and
#: ``--text-column`` (listed after ``--data``, for --corpus and --data) as ``text_column``
vocab_options = grouped_options(
    "task_data",
    [
        click.option(
            "--data",
            type=click.Path(exists=True),
            help="Dataset 1 instead of --vocab: count the vocabulary from it "
            "(text, CSV/TSV, JSONL, Parquet, Arrow, or a directory).",
        ),
        text_column_option("of --corpus and --data tables (Parquet, Arrow, JSONL, CSV/TSV)"),
        click.option(
            "--data-text-column",
            metavar="COL",
            help="Text column of a --data table when it differs from the --corpus table's "
            "(--text-column names both).",
        ),
        click.option(
            "--data-column",
            "deprecated_data_column",
            hidden=True,
            callback=_deprecated_data_column,
            help="Deprecated: --data-text-column.",
        ),
        click.option(
            "--vocab-min-count",
            type=click.IntRange(min=1),
            show_default="1",
            help="With --data: drop tokens seen fewer times.",
        ),
        click.option(
            "--vocab-max-size",
            type=click.IntRange(min=1),
            show_default="no limit",
            help="With --data: keep the N most frequent tokens.",
        ),
    ],
    ("data", "data_text_column", "deprecated_data_column", "vocab_min_count", "vocab_max_size"),
)


def task_columns(
    ctx: click.Context,
    text_column: str | None,
    task_data: dict[str, Any],
    *,
    corpus: str | None,
    follow_links: bool,
) -> tuple[str | None, str | None]:
    """The text columns of build's corpus and dataset 1.

    ``--text-column`` names the text column of every table input (a plain
    text input has none); ``--data-text-column`` (old name ``--data-column``)
    overrides it for dataset 1.

    Args:
        ctx: the running command, for the options given.
        text_column: ``--text-column``.
        task_data: the dataset-1 options (see :data:`vocab_options`), ``--data`` included.
        corpus: ``--corpus`` (None with ``--pretrained``).
        follow_links: ``--follow-links``, as the readers will take it.

    Returns:
        The corpus's column and dataset 1's, each None where it has none.

    Raises:
        click.UsageError: dataset-1 options without ``--data``, both names of
            its column, or ``--text-column`` where no input is a table.
    """
    from aligner.build_checks import holds_tables

    data = task_data["data"]
    own = _data_column(ctx, task_data)
    corpus_tables = corpus is not None and holds_tables(corpus, follow_links=follow_links)
    data_tables = data is not None and holds_tables(data, follow_links=follow_links)
    if text_column is not None and not (corpus_tables or data_tables):
        plain = [f"--{name} {path}" for name, path in (("corpus", corpus), ("data", data)) if path]
        read = f"{' and '.join(plain)} hold plain text only" if plain else "neither is read"
        raise click.UsageError(
            f"--text-column applies to --corpus and --data tables (Parquet, Arrow, JSONL, "
            f"CSV/TSV), and {read}; drop --text-column"
        )
    data_column = own if own is not None else (text_column if data_tables else None)
    return (text_column if corpus_tables else None), data_column


def _data_column(ctx: click.Context, task_data: dict[str, Any]) -> str | None:
    """``--data-text-column`` or its old name, checked against ``--data``."""
    new, old = task_data["data_text_column"], task_data["deprecated_data_column"]
    if new is not None and old is not None:
        raise click.UsageError(
            "--data-column is the old name of --data-text-column; pass --data-text-column only"
        )
    if task_data["data"] is None:
        names = {"data_text_column": new, "deprecated_data_column": old}
        names |= {key: task_data[key] for key in ("vocab_min_count", "vocab_max_size")}
        given = [flag(ctx, name) for name, value in names.items() if value is not None]
        if given:
            raise click.UsageError(
                f"options of dataset 1 need --data, which the vocabulary is counted from: "
                f"with --vocab, drop {', '.join(given)}"
            )
    return new if new is not None else old


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
