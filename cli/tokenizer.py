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


def _options(*, trains: bool) -> list[Callable[[F], F]]:
    return [
        click.option(
            "--tokenizer",
            type=click.Choice(["whitespace", "regex", "sentencepiece"]),
            default="whitespace",
            help="How text is split: on whitespace; words and punctuation (regex); or "
            "sentencepiece pieces (--sp-model"
            + (", or train one with --sp-vocab-size)." if trains else ")."),
        ),
        click.option("--lowercase", is_flag=True, help="Lowercase text before splitting."),
        click.option("--nfkc", is_flag=True, help="NFKC-normalize text first (ﬁ → fi, Ａ → A)."),
        click.option(
            "--sp-model",
            type=click.Path(exists=True, dir_okay=False),
            help="An existing sentencepiece .model file.",
        ),
        # hidden where the command cannot train one: given, they are refused with the remedy
        click.option(
            "--sp-vocab-size",
            type=click.IntRange(min=2),
            hidden=not trains,
            help="Train a sentencepiece model with this many pieces.",
        ),
        click.option(
            "--sp-model-type",
            type=click.Choice(["unigram", "bpe"]),
            default="unigram",
            hidden=not trains,
            help="Sentencepiece model to train with --sp-vocab-size.",
        ),
    ]


def tokenizer_options(*, trains: bool) -> Callable[[F], F]:
    """The tokenizer options; the command receives them as ``tokenizer: dict``.

    Args:
        trains: the command can train a sentencepiece model (``build``); other
            commands take an existing ``--sp-model`` and do not list the
            training options (given anyway, they are refused with the remedy).
    """
    return grouped_options("tokenizer", _options(trains=trains), NAMES)


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


def sentencepiece_text(
    options: dict[str, Any], train_on: str | None, *, corpus: str | None, data: str | None
) -> str:
    """What build trains a sentencepiece model on: ``"corpus"`` or ``"data"``.

    Args:
        options: the tokenizer options.
        train_on: ``--sp-train-on``, None when not given (the corpus when
            there is one, else dataset 1).
        corpus: ``--corpus`` (None with ``--pretrained``).
        data: ``--data`` (None with ``--vocab``).

    Raises:
        click.UsageError: ``--sp-train-on`` without ``--sp-vocab-size``, or
            naming a text the build does not have.
    """
    if options["sp_vocab_size"] is None:
        if train_on is not None:
            raise click.UsageError("--sp-train-on applies when training one with --sp-vocab-size")
        return "corpus" if corpus is not None else "data"
    chosen = train_on or ("corpus" if corpus is not None else "data")
    have = {"corpus": corpus, "data": data}
    if have[chosen] is None:
        if train_on is None:
            raise click.UsageError(
                "--sp-vocab-size trains sentencepiece on --corpus or --data, and this build "
                "has neither (--pretrained, --vocab); pass an existing --sp-model"
            )
        raise click.UsageError(f"--sp-train-on {chosen} needs --{chosen}, which is not given")
    return chosen


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
