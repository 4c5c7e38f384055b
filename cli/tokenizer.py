"""Tokenizer options shared by ``build``, ``train`` and ``vocab``: one decorator, one spec."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from aligner_cli.common import grouped_options

if TYPE_CHECKING:
    from aligner.task import SentencePieceTraining
    from aligner.tokenize import TokenizerSpec

F = TypeVar("F", bound=Callable[..., Any])
NAMES = ("tokenizer", "lowercase", "nfkc", "sp_model", "sp_vocab_size", "sp_model_type")

_OPTIONS = [
    click.option(
        "--tokenizer",
        type=click.Choice(["whitespace", "regex", "sentencepiece"]),
        default="whitespace",
        show_default=True,
        help="How text is split: on whitespace; words and punctuation (regex); or "
        "sentencepiece pieces (--sp-model, or train one with --sp-vocab-size).",
    ),
    click.option("--lowercase", is_flag=True, help="Lowercase text before splitting."),
    click.option("--nfkc", is_flag=True, help="NFKC-normalize text first (ﬁ → fi, Ａ → A)."),
    click.option(
        "--sp-model",
        type=click.Path(exists=True, dir_okay=False),
        help="An existing sentencepiece .model file.",
    ),
    click.option(
        "--sp-vocab-size",
        type=click.IntRange(min=2),
        help="Train a sentencepiece model with this many pieces.",
    ),
    click.option(
        "--sp-model-type",
        type=click.Choice(["unigram", "bpe"]),
        default="unigram",
        show_default=True,
        help="Sentencepiece model to train.",
    ),
]


#: the tokenizer options; the command receives them as ``tokenizer: dict``
tokenizer_options = grouped_options("tokenizer", _OPTIONS, NAMES)


def make_tokenizer(
    options: dict[str, Any], *, train_on: str
) -> TokenizerSpec | SentencePieceTraining:
    """The spec (or sentencepiece training) the options describe.

    Raises:
        click.UsageError: sentencepiece options without ``--tokenizer
            sentencepiece``, both or neither of ``--sp-model`` and
            ``--sp-vocab-size`` with it, or ``--sp-model-type`` without
            ``--sp-vocab-size``.
    """
    from aligner.task import SentencePieceTraining
    from aligner.tokenize import TokenizerSpec

    kind, model, size = options["tokenizer"], options["sp_model"], options["sp_vocab_size"]
    if size is None and _given("sp_model_type"):
        raise click.UsageError("--sp-model-type applies when training one with --sp-vocab-size")
    common = {"lowercase": options["lowercase"], "normalize": "nfkc" if options["nfkc"] else None}
    if kind != "sentencepiece":
        if model is not None or size is not None:
            raise click.UsageError("--sp-model and --sp-vocab-size need --tokenizer sentencepiece")
        return TokenizerSpec(kind, **common)
    if (model is None) == (size is None):
        raise click.UsageError(
            "--tokenizer sentencepiece needs one of --sp-model (load) and --sp-vocab-size (train)"
        )
    if model is not None:
        return TokenizerSpec.sentencepiece(model, **common)
    return SentencePieceTraining(
        size, model_type=options["sp_model_type"], train_on=train_on, **common
    )


def given_tokenizer(options: dict[str, Any], command: str) -> TokenizerSpec:
    """The spec the options describe, for commands that cannot train sentencepiece.

    Raises:
        click.UsageError: ``--sp-vocab-size`` was given.
    """
    from aligner.tokenize import TokenizerSpec

    spec = make_tokenizer(options, train_on="data")
    if not isinstance(spec, TokenizerSpec):
        raise click.UsageError(
            f"aligner {command} takes an existing --sp-model; to train one, use aligner build "
            "--tokenizer sentencepiece --sp-vocab-size N (the artifact keeps the model)"
        )
    return spec


def _given(name: str) -> bool:
    """Whether the user set the option ``name`` (command line or environment) in the
    running command; ``False`` outside one."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return False
    sources = (click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT)
    return ctx.get_parameter_source(name) in sources
