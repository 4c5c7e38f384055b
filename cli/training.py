"""Training options shared by ``build`` and ``train``: one decorator, one dict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from aligner_cli.common import follow_links_option, grouped_options

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
    click.option(
        "--bucket",
        type=click.IntRange(min=1),
        default=None,
        help="fastText: hash buckets of the n-grams (default 2000000; a .bin model holds "
        "bucket x dim numbers).",
    ),
]
KEYS = ("method", "dim", "window", "min_count", "epochs", "sg", "negative", "workers",
        "x_max", "alpha", "learning_rate", "max_vocab", "memory_gb", "device", "threads",
        "min_n", "max_n", "bucket")  # fmt: skip
#: the methods of each training option that does not apply to all of them
APPLIES = {
    **dict.fromkeys(("sg", "negative", "workers"), ("word2vec", "fasttext")),
    **dict.fromkeys(("min_n", "max_n", "bucket"), ("fasttext",)),
    **dict.fromkeys(
        ("x_max", "alpha", "learning_rate", "max_vocab", "memory_gb", "device", "threads"),
        ("glove",),
    ),
}


#: the training options; the command receives them as ``training: dict``
training_options = grouped_options("training", _OPTIONS, KEYS)


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
            than ``--dim``), or one of another method (``--cbow`` with glove,
            ``--device`` with word2vec, ``--min-n`` with word2vec, ...).
    """
    method = training["method"]
    chosen = given(ctx, KEYS)
    if pretrained:
        unused = [flag(ctx, name) for name in chosen if name != "dim"]
        if unused:
            raise click.UsageError(
                f"{', '.join(unused)} {'apply' if len(unused) > 1 else 'applies'} to training "
                "on --corpus; --pretrained vectors are read as they are (--dim checks their size)"
            )
        return method, {}
    for name in chosen:
        methods = APPLIES.get(name)
        if methods is not None and method not in methods:
            raise click.UsageError(
                f"{flag(ctx, name)} applies to --method {' and '.join(methods)}, not {method}"
            )
    values = {
        name: value
        for name, value in training.items()
        if name != "method" and method in APPLIES.get(name, (method,))
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


def corpus_options(*, required: bool) -> Callable[[F], F]:
    """``--corpus`` and ``--text-column``, as ``build`` and ``train`` take them."""

    def decorate(func: F) -> F:
        func = follow_links_option(func)
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
