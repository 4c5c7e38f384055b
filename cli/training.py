"""Training options shared by ``build`` and ``train``: one decorator, one dict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from aligner_cli.common import grouped_options
from aligner_cli.engine import EnginePath, local_only, uses_spark

F = TypeVar("F", bound=Callable[..., Any])


def _dim_option(*, pretrained: bool) -> Callable[[F], F]:
    checks = "; with --pretrained, the size the vectors must have (checked)" if pretrained else ""
    return click.option(
        "--dim",
        type=click.IntRange(min=1),
        default=None,
        show_default="100" if not pretrained else "100 when training",
        help=f"Vector size to train{checks}.",
    )


def _options(*, pretrained: bool) -> list[Callable[[F], F]]:
    """The training options in the order ``--help`` lists them: every method's,
    then word2vec and fasttext, fasttext, glove."""
    return [
        click.option(
            "--method",
            type=click.Choice(["word2vec", "fasttext", "glove"]),
            default="word2vec",
            help="word2vec or fasttext (gensim; fasttext also composes vectors for unseen "
            "words from character n-grams), or glove (aligner's own, in torch).",
        ),
        _dim_option(pretrained=pretrained),
        click.option(
            "--window",
            type=click.IntRange(min=1),
            default=None,
            show_default="5; fasttext from the corpus size; glove 15",
            help="Context window: words at most this far apart are each other's context. "
            "Depends on the corpus size for fasttext: 10 below 4 M tokens, else 5.",
        ),
        click.option(
            "--min-count",
            type=click.IntRange(min=1),
            default=5,
            help="Words seen fewer times in the corpus get no trained vector.",
        ),
        click.option(
            "--epochs",
            type=click.IntRange(min=1),
            default=None,
            show_default="from the corpus size; glove 25",
            help="Passes over the corpus. Depends on the corpus size for word2vec and "
            "fasttext: about 20 M tokens read in all, within 5 to 20 epochs (20 for 1 M "
            "tokens or fewer, 5 from 4 M on), counted in the first pass.",
        ),
        click.option(
            "--sg/--cbow",
            default=True,
            help="word2vec, fasttext: skip-gram (predict the context from a word) or CBOW "
            "(a word from its context).",
        ),
        click.option(
            "--negative",
            type=click.IntRange(min=1),
            default=5,
            help="word2vec, fasttext: negative samples drawn per word (negative sampling).",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            default=None,
            show_default="1; with --pretrained, one per core" if pretrained else "1",
            help="word2vec, fasttext: training threads; 1 makes results byte-reproducible."
            + (
                " With --pretrained: processes that scan an uncompressed text file (the "
                "artifact is the same for any number)."
                if pretrained
                else ""
            ),
        ),
        click.option(
            "--min-n",
            type=click.IntRange(min=1),
            default=3,
            help="fasttext: shortest character n-gram.",
        ),
        click.option(
            "--max-n",
            type=click.IntRange(min=1),
            default=6,
            help="fasttext: longest character n-gram.",
        ),
        click.option(
            "--bucket",
            type=click.IntRange(min=1),
            default=None,
            show_default="2000000",
            help="fasttext: hash buckets of the n-grams (a .bin model holds bucket x dim numbers).",
        ),
        click.option(
            "--x-max",
            type=click.FloatRange(min=0, min_open=True),
            default=None,
            show_default="10",
            help="glove: count at which a pair's weight reaches 1 (the paper's 100 suits "
            "corpora of billions of tokens).",
        ),
        click.option(
            "--alpha",
            type=click.FloatRange(min=0),
            default=None,
            show_default="0.75",
            help="glove: exponent of a pair's weight below --x-max.",
        ),
        click.option(
            "--learning-rate",
            type=click.FloatRange(min=0, min_open=True),
            default=None,
            show_default="0.05",
            help="glove: AdaGrad learning rate, as in the reference implementation.",
        ),
        click.option(
            "--max-vocab",
            type=click.IntRange(min=1),
            default=None,
            show_default="no limit",
            help="glove: keep at most this many most frequent words.",
        ),
        click.option(
            "--memory-gb",
            type=click.FloatRange(min=0, min_open=True),
            default=None,
            show_default="1",
            help="glove: memory budget of co-occurrence counting; beyond it partial counts "
            "spill to disk.",
        ),
        click.option(
            "--device",
            type=click.Choice(["auto", "cpu", "cuda"]),
            default=None,
            show_default="auto: CUDA when available",
            help="glove: where to train.",
        ),
        click.option(
            "--threads",
            type=click.IntRange(min=1),
            default=None,
            show_default="torch's",
            help="glove: CPU threads for training.",
        ),
    ]


KEYS = ("method", "dim", "window", "min_count", "epochs", "sg", "negative", "workers",
        "min_n", "max_n", "bucket", "x_max", "alpha", "learning_rate", "max_vocab", "memory_gb",
        "device", "threads")  # fmt: skip
#: the methods of each training option that does not apply to all of them
APPLIES = {
    **dict.fromkeys(("sg", "negative", "workers"), ("word2vec", "fasttext")),
    **dict.fromkeys(("min_n", "max_n", "bucket"), ("fasttext",)),
    **dict.fromkeys(
        ("x_max", "alpha", "learning_rate", "max_vocab", "memory_gb", "device", "threads"),
        ("glove",),
    ),
}


def training_options(*, pretrained: bool) -> Callable[[F], F]:
    """The training options; the command receives them as ``training: dict``.

    Args:
        pretrained: the command also reads ``--pretrained`` vectors (``build``),
            and ``--dim`` then checks their size.
    """
    return grouped_options("training", _options(pretrained=pretrained), KEYS)


def given(ctx: click.Context, names: tuple[str, ...] | list[str]) -> list[str]:
    """The parameters among ``names`` the user set (on the command line or through the
    environment), not left at their defaults."""
    sources = (click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT)
    return [name for name in names if ctx.get_parameter_source(name) in sources]


def flag(ctx: click.Context, name: str) -> str:
    """The option as the user wrote it: ``--cbow`` for ``sg`` set to false."""
    for param in ctx.command.params:
        if param.name == name:
            if param.secondary_opts and ctx.params.get(name) is False:
                return param.secondary_opts[0]
            return param.opts[0]
    return "--" + name.replace("_", "-")


def training_values(
    ctx: click.Context, training: dict[str, Any], *, pretrained: bool = False
) -> tuple[str, dict[str, Any]]:
    """The method and the training parameters that apply to it.

    Raises:
        click.UsageError: a training option given with ``--pretrained`` (other
            than ``--dim``), one of another method (``--cbow`` with glove,
            ``--device`` with word2vec, ``--min-n`` with word2vec, ...), or
            ``--min-n`` above ``--max-n``.
    """
    method = training["method"]
    chosen = given(ctx, KEYS)
    if pretrained:
        unused = [flag(ctx, name) for name in chosen if name not in ("dim", "workers")]
        if unused:
            raise click.UsageError(
                f"{', '.join(unused)} {'apply' if len(unused) > 1 else 'applies'} to training "
                "on --corpus; --pretrained vectors are read as they are (--dim checks their size, "
                "--workers sets the processes that read them)"
            )
        return method, {}
    for name in chosen:
        methods = APPLIES.get(name)
        if methods is not None and method not in methods:
            raise click.UsageError(
                f"{flag(ctx, name)} applies to --method {' and '.join(methods)}, not {method}"
            )
    if method == "fasttext" and training["min_n"] > training["max_n"]:
        raise click.UsageError(
            f"--min-n {training['min_n']} is above --max-n {training['max_n']}; the shortest "
            "n-gram cannot be longer than the longest"
        )
    values = {
        name: value
        for name, value in training.items()
        if name != "method"
        and method in APPLIES.get(name, (method,))
        and not (name == "workers" and value is None)  # the method's default (1)
    }
    return method, values | {"dim": training["dim"] or 100}


def check_tokenizer_options(ctx: click.Context, tokenizer: dict[str, Any]) -> None:
    """Refuse ``--sp-model-type`` where no sentencepiece model is trained.

    Raises:
        click.UsageError: ``--sp-model-type`` without ``--sp-vocab-size``.
    """
    if given(ctx, ["sp_model_type"]) and tokenizer["sp_vocab_size"] is None:
        raise click.UsageError("--sp-model-type applies when training one with --sp-vocab-size")


def run_build(build: Callable[..., Any], config: Any, progress: Any) -> Any:
    """``build(config)``; when coverage falls short of --min-coverage, the coverage
    table and the likely causes go to stderr before the one-line error."""
    from aligner.align import CoverageShortfall
    from aligner_cli.report import coverage_lines

    try:
        return build(config, progress=progress)
    except CoverageShortfall as exc:
        for line in coverage_lines(exc.coverage.to_dict()):
            click.echo(line, err=True)
        for line in exc.warnings:
            click.echo(f"warning: {line}", err=True)
        raise


def corpus_option(*, required: bool) -> Callable[[F], F]:
    """``--corpus``: dataset 0, as ``build`` and ``train`` take it."""
    return click.option(
        "--corpus",
        required=required,
        type=EnginePath(exists=True),
        help="Dataset 0, to train on: a file or directory of text (plain, .gz, .bz2, .xz), "
        "Parquet, Arrow, JSONL or CSV/TSV. With --engine spark (--method glove): files, "
        "directories or globs Spark reads (hdfs://, s3a://).",
    )


def check_engine(engine: dict[str, Any], method: str) -> None:
    """Refuse ``--engine spark`` with word2vec and fastText, which train with gensim here.

    Raises:
        click.UsageError: ``--engine spark`` with ``--method word2vec`` or ``fasttext``.
    """
    if uses_spark(engine) and method != "glove":
        raise click.UsageError(
            f"--engine spark counts GloVe's co-occurrences (--method glove); --method {method} "
            "trains with gensim on one machine (Spark can prepare its input: "
            "aligner.engines.spark.write_token_shards)"
        )


def check_build_engine(
    engine: dict[str, Any],
    *,
    pretrained: str | None,
    method: str,
    sentencepiece_on: str | None,
    alignment: dict[str, Any],
    follow_links: bool,
) -> None:
    """Refuse what ``build --engine spark`` does not run on Spark.

    Args:
        engine: the engine options.
        pretrained: ``--pretrained``.
        method: ``--method``.
        sentencepiece_on: what ``--sp-vocab-size`` trains on (``"corpus"`` or
            ``"data"``), None when no model is trained.
        alignment: the alignment options (``--subword-pieces``, ``--subword-model``).
        follow_links: ``--follow-links``.

    Raises:
        click.UsageError: with ``--engine spark``: ``--pretrained``, word2vec or
            fastText, sentencepiece trained on ``--corpus``, subword pieces,
            ``--follow-links`` (each reads the corpus on this machine).
    """
    if not uses_spark(engine):
        return
    if pretrained is not None:
        raise click.UsageError(
            "--engine spark counts a --corpus's GloVe co-occurrences, and --pretrained vectors "
            "are read on this machine; drop --engine spark"
        )
    check_engine(engine, method)
    if sentencepiece_on == "corpus":
        raise click.UsageError(
            "--sp-vocab-size trains sentencepiece on --corpus on this machine, not on Spark; "
            "add --sp-train-on data, pass --sp-model FILE, or drop --engine spark"
        )
    pieces = {name: alignment[name] for name in ("subword_pieces", "subword_model")}
    local_only(engine, **pieces, follow_links=follow_links)
