"""The ``aligner`` command: one thin command per stage over the library."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import click

from aligner_cli.common import (
    OutputFile,
    check_follow_links,
    emit,
    follow_links_option,
    format_option,
    json_option,
    library_errors,
    seed_option,
    shown,
    text_column_option,
)
from aligner_cli.compare import compare
from aligner_cli.download import download
from aligner_cli.encode import encode
from aligner_cli.engine import engine_options, engine_session, local_only
from aligner_cli.evaluate import eval_command
from aligner_cli.evaluate import manifest_lines as eval_manifest_lines
from aligner_cli.export import export as export_command
from aligner_cli.help import SectionedCommand, section
from aligner_cli.neighbors import neighbors
from aligner_cli.report import build_lines, manifest_lines
from aligner_cli.task import alignment_config, alignment_options, task_columns, vocab_options
from aligner_cli.tokenizer import (
    given_tokenizer,
    make_tokenizer,
    sentencepiece_text,
    tokenizer_options,
)
from aligner_cli.training import (
    check_build_engine,
    check_engine,
    check_tokenizer_options,
    corpus_option,
    run_build,
    training_options,
    training_values,
)
from aligner_cli.vocab import vocab as vocab_command

# Every command's --help ends with an example ("\b" keeps click from rewrapping it).
EXAMPLES = {
    "cli": "\b\nExample:\n  aligner build --corpus corpus.txt --vocab vocab.txt --out emb/",
    "build": "\b\nExample:\n  aligner build --corpus data_samples/corpus.txt "
    "--vocab data_samples/vocab.txt \\\n      --out build/demo --dim 50 --min-count 2",
    "train": "\b\nExample:\n  aligner train --corpus data_samples/corpus.txt --method fasttext "
    "\\\n      --dim 50 --min-count 2 --out build/vectors.txt",
    "info": "\b\nExample:\n  aligner info build/demo --json",
}


def _special(value: str) -> str | None:
    return value or None


@click.group(
    # every command shows its options' defaults the same way: [default: X]
    context_settings={"help_option_names": ["-h", "--help"], "show_default": True},
    epilog=EXAMPLES["cli"],
)
@click.version_option(package_name="aligner")
def cli() -> None:
    """Prepare word embeddings for a downstream model.

    Train vectors on a corpus, align them to a task vocabulary, fill the rows
    still missing, and write an artifact that `aligner.load()` opens as a
    torch embedding.
    """
    from aligner_cli.signals import install_signal_handlers

    install_signal_handlers()  # SIGTERM/SIGHUP unwind like Ctrl-C: temporaries are removed


@cli.command(cls=SectionedCommand, epilog=EXAMPLES["build"])
@section("Input")
@corpus_option(required=False)
@click.option(
    "--pretrained",
    metavar="SOURCE",
    help="Pretrained vectors instead of --corpus: a local file, a registry name or "
    "gensim-data:NAME (aligner download --list), hf://[datasets/]OWNER/REPO[@REVISION]/PATH "
    "on the Hugging Face Hub, or an http(s) URL.",
)
@format_option("Format of --pretrained.")
@click.option("--member", help="File to read inside a --pretrained zip archive.")
@click.option("--skip-bad-rows", is_flag=True, help="Skip and count malformed --pretrained rows.")
@click.option(
    "--vocab",
    type=click.Path(exists=True, dir_okay=False),
    help="Task vocabulary: 'token' or 'token<TAB>count' per line.",
)
@vocab_options
@follow_links_option
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    show_default="$ALIGNER_CACHE, else the user cache directory",
    help="Cache of downloads and of input file digests.",
)
@section("Training")
@training_options(pretrained=True)
@section("Tokenizer")
@tokenizer_options(trains=True)
@click.option(
    "--sp-train-on",
    type=click.Choice(["corpus", "data"]),
    default=None,
    show_default="corpus if given, else data",
    help="Text to train --sp-vocab-size pieces on: --corpus or --data.",
)
@section("Alignment and fill")
@alignment_options
@click.option(
    "--init",
    type=click.Choice(["normal", "uniform", "zeros"]),
    default="normal",
    help="How rows without a vector are filled.",
)
@click.option(
    "--init-scale",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    show_default="the vectors' spread",
    help="Half-width of --init uniform.",
)
@click.option("--pad-token", default="<pad>", help="Padding token (row 0); '' for none.")
@click.option("--unk-token", default="<unk>", help="Unknown token; '' for none.")
@section("Output")
@click.option("--out", required=True, type=click.Path(), help="Artifact directory to write.")
@click.option(
    "--dtype",
    type=click.Choice(["float32", "float16"]),
    default="float32",
    help="Storage type of the vectors; layers are float32 either way.",
)
@click.option("--force", is_flag=True, help="Replace an existing artifact at --out.")
@click.option(
    "--eval",
    "run_eval",
    is_flag=True,
    help="Also evaluate on the bundled similarity and analogy sets (see aligner eval); "
    "the figures go into the manifest.",
)
@json_option
@section("Other")
@seed_option("training, sentencepiece and fill")
@section("Engine")
@engine_options
@library_errors
def build(
    corpus: str | None,
    pretrained: str | None,
    vectors_format: str | None,
    member: str | None,
    skip_bad_rows: bool,
    vocab: str | None,
    text_column: str | None,
    task_data: dict[str, Any],
    follow_links: bool,
    cache_dir: str | None,
    training: dict[str, Any],
    tokenizer: dict[str, Any],
    sp_train_on: str | None,
    alignment: dict[str, Any],
    init: str,
    init_scale: float | None,
    pad_token: str,
    unk_token: str,
    out: str,
    dtype: str,
    force: bool,
    run_eval: bool,
    as_json: bool,
    seed: int,
    engine: dict[str, Any],
) -> None:
    """Build an embedding artifact for a vocabulary from a corpus or pretrained vectors.

    Same inputs (same file contents and options) as the artifact already at
    --out: it is reused at once; other inputs: the error says which changed.
    Warnings (very low coverage and its likely cause) go to stderr. Options
    that do not apply (another method's, training options with --pretrained)
    are refused. --engine spark counts GloVe's co-occurrences of --corpus on
    Spark (--method glove; the same vectors); --vocab or --data is read here.
    """
    from aligner.pipeline import BuildConfig, build
    from aligner.progress import TqdmProgress

    ctx = click.get_current_context()
    if init_scale is not None and init != "uniform":
        raise click.UsageError("--init-scale applies only to --init uniform")
    _check_sources(corpus, pretrained, vocab, task_data["data"])
    if corpus is not None and (vectors_format or member or skip_bad_rows):
        raise click.UsageError("--format, --member and --skip-bad-rows apply to --pretrained")
    corpus_column, data_column = task_columns(
        ctx, text_column, task_data, corpus=corpus, follow_links=follow_links
    )
    check_tokenizer_options(ctx, tokenizer)
    train_on = sentencepiece_text(tokenizer, sp_train_on, corpus=corpus, data=task_data["data"])
    method, values = training_values(ctx, training, pretrained=pretrained is not None)
    sentencepiece_on = train_on if tokenizer["sp_vocab_size"] is not None else None
    check_build_engine(engine, pretrained=pretrained, method=method, alignment=alignment,
                       sentencepiece_on=sentencepiece_on, follow_links=follow_links)  # fmt: skip
    check_follow_links(follow_links, corpus, task_data["data"])
    pieces = alignment_config(alignment, corpus=corpus)
    if pieces["pieces"] is not None and method == "fasttext":
        raise click.UsageError(
            "--subword-pieces and --subword-model compose words for --method word2vec and "
            "glove; fasttext composes them from its own subwords"
        )
    _check_subword_step(ctx, pieces, corpus=corpus, method=method)
    config = BuildConfig(
        corpus=corpus,
        text_column=corpus_column,
        pretrained=pretrained,
        format=vectors_format,
        member=member,
        dim=training["dim"] if pretrained else None,
        workers=training["workers"] if pretrained else None,
        skip_bad_rows=skip_bad_rows,
        cache=cache_dir,
        vocab=vocab,
        data=task_data["data"],
        data_column=data_column,
        vocab_min_count=task_data["vocab_min_count"] or 1,
        vocab_max_size=task_data["vocab_max_size"],
        out=out,
        method=method,
        params=values if corpus is not None else None,
        tokenizer=make_tokenizer(tokenizer, train_on=train_on),
        **pieces,
        init=init,
        init_scale=init_scale,
        seed=seed,
        pad=_special(pad_token),
        unk=_special(unk_token),
        dtype=dtype,
        force=force,
        evaluate=run_eval,
        follow_links=follow_links,
    )
    with engine_session(engine) as spark:
        config = replace(config, spark=spark, spark_shards=engine["spark_shards"])
        result = run_build(build, config, TqdmProgress())
    _print_build(result, as_json)


def _check_subword_step(
    ctx: click.Context, alignment: dict[str, Any], *, corpus: str | None, method: str
) -> None:
    """``subword`` named in --fallbacks (the default chain uses the steps that apply)
    while training on a corpus that gives nothing to compose words from."""
    named = ctx.get_parameter_source("fallbacks") is click.core.ParameterSource.COMMANDLINE
    if not named or "subword" not in alignment["fallbacks"] or corpus is None:
        return
    if method != "fasttext" and alignment["pieces"] is None:
        raise click.UsageError(
            f"the subword fallback composes words from fastText's n-grams or sentencepiece "
            f"pieces, and {method} on a corpus has neither: use --method fasttext, add "
            "--subword-pieces N or --subword-model FILE, or drop subword from --fallbacks"
        )


def _check_sources(
    corpus: str | None, pretrained: str | None, vocab: str | None, data: str | None
) -> None:
    """One source of vectors and one of the vocabulary, else a usage error."""
    if (corpus is None) == (pretrained is None):
        raise click.UsageError("pass exactly one of --corpus (train) and --pretrained (read)")
    if (vocab is None) == (data is None):
        raise click.UsageError("pass exactly one of --vocab (a file) and --data (count it)")


def _print_build(result: Any, as_json: bool) -> None:
    """The build report (or its JSON) on stdout, warnings on stderr."""
    if as_json:
        read_stats = result.manifest["source"].get("read_stats")
        emit(
            {
                "path": str(result.path),
                "reused": result.reused,
                "coverage": result.coverage.to_dict(),
                "read_stats": read_stats,
                "evaluation": result.manifest.get("evaluation"),
                "warnings": result.warnings,
            }
        )
    else:
        for line in build_lines(result.path, result.manifest, result.reused):
            click.echo(shown(line))  # a file name's bytes that are not UTF-8 as \xNN
        for line in eval_manifest_lines(result.manifest.get("evaluation")):
            click.echo(line)
    for line in result.warnings:
        click.echo(shown(f"warning: {line}"), err=True)


@cli.command(cls=SectionedCommand, epilog=EXAMPLES["train"])
@section("Input")
@corpus_option(required=True)
@text_column_option("of a --corpus table (Parquet, Arrow, JSONL, CSV/TSV)")
@follow_links_option
@section("Training")
@training_options(pretrained=False)
@section("Tokenizer")
@tokenizer_options(trains=False)
@section("Output")
@click.option(
    "--out",
    required=True,
    type=OutputFile(),
    help="Vectors file: word2vec text (.txt, .vec) or binary (.bin), optionally .gz, .bz2 "
    "or .xz (other names are refused); with --method fasttext, .bin is fastText's own "
    "model, subwords included.",
)
@click.option("--force", is_flag=True, help="Replace an existing --out file.")
@json_option
@section("Other")
@seed_option("training")
@section("Engine")
@engine_options
@library_errors
def train(
    corpus: str,
    text_column: str | None,
    follow_links: bool,
    training: dict[str, Any],
    tokenizer: dict[str, Any],
    out: str,
    force: bool,
    as_json: bool,
    seed: int,
    engine: dict[str, Any],
) -> None:
    """Train vectors on a corpus and write them as a standalone vectors file.

    --out NAME.txt or .vec (optionally .gz, .bz2, .xz) writes word2vec text; NAME.bin
    writes fastText's own model with --method fasttext (it keeps the subwords
    that compose vectors for unseen words), word2vec binary otherwise. Options
    of another method are refused.
    """
    from aligner.progress import TqdmProgress
    from aligner.train.to_file import train_vectors_file

    ctx = click.get_current_context()
    check_follow_links(follow_links, corpus)
    check_tokenizer_options(ctx, tokenizer)
    method, values = training_values(ctx, training)
    check_engine(engine, method)
    local_only(engine, follow_links=follow_links)
    with engine_session(engine) as spark:
        result = train_vectors_file(
            corpus, out, method, values | {"seed": seed},
            tokenizer=given_tokenizer(tokenizer, "train"), text_column=text_column, force=force,
            progress=TqdmProgress(), follow_links=follow_links, spark=spark,
            spark_shards=engine["spark_shards"],
        )  # fmt: skip
    vectors = result.vectors
    summary = {"path": str(result.path), "method": method, "rows": len(vectors), "dim": vectors.dim}
    summary |= {"format": result.format, "notes": result.notes}
    if as_json:
        emit(summary | {"source": vectors.source})
    else:
        params = vectors.source.get("params", {})
        epochs, tokens = params.get("epochs"), vectors.source.get("corpus", {}).get("tokens")
        trained = (
            f"{method}, {epochs} epochs over {tokens:,} tokens" if epochs and tokens else method
        )
        if method == "fasttext" and params.get("window"):
            trained += f", window {params['window']}"
        click.echo(f"wrote {result.path}: {len(vectors)} x {vectors.dim} ({trained})")
    for note in result.notes:
        click.echo(f"note: {note}", err=True)


@cli.command(cls=SectionedCommand, epilog=EXAMPLES["info"])
@click.argument("artifact", type=click.Path(exists=True, file_okay=False))
@section("Input")
@click.option(
    "--verify/--no-verify", default=True, help="Check the files' sha256 before reporting."
)
@section("Output")
@click.option("--json", "as_json", is_flag=True, help="Print the whole manifest as JSON on stdout.")
@library_errors
def info(artifact: str, verify: bool, as_json: bool) -> None:
    """Report what an artifact holds: vectors, vocabulary, tokenizer, source and
    training parameters, rows by provenance, fill, coverage, evaluation.

    --json prints manifest.json as it is, for scripts.
    """
    from aligner.artifact import open_artifact

    art = open_artifact(artifact, verify=verify)
    if as_json:
        emit(art.manifest)
        return
    for line in manifest_lines(art.manifest, art.path):
        click.echo(line)


cli.add_command(compare)
cli.add_command(download)
cli.add_command(encode)
cli.add_command(eval_command)
cli.add_command(export_command)
cli.add_command(neighbors)
cli.add_command(vocab_command)
