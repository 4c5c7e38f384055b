"""``aligner vocab``: build the task vocabulary file from dataset 1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from aligner_cli.common import (
    OutputFile,
    check_follow_links,
    emit,
    follow_links_option,
    json_option,
    library_errors,
    shown,
    text_column_option,
)
from aligner_cli.engine import (
    EnginePath,
    engine_options,
    engine_session,
    local_only,
    no_shards,
)
from aligner_cli.help import SectionedCommand, section
from aligner_cli.tokenizer import given_tokenizer, tokenizer_options

EXAMPLE = (
    "\b\nExample:\n  aligner vocab --data data_samples/train.tsv --text-column 2 "
    "--min-count 2 \\\n      --out build/vocab.tsv"
)


@click.command(cls=SectionedCommand, epilog=EXAMPLE)
@section("Input")
@click.option(
    "--data",
    required=True,
    type=EnginePath(exists=True),
    help="Dataset 1 (the task's data): a file or directory of text (plain, .gz, .bz2, .xz), "
    "Parquet, Arrow, JSONL or CSV/TSV. With --engine spark: files, directories or globs "
    "Spark reads (hdfs://, s3a://; no Arrow, no .xz).",
)
@text_column_option("of --data tables (Parquet, Arrow, JSONL, CSV/TSV)")
@follow_links_option
@section("Tokenizer")
@tokenizer_options(trains=False)
@section("Vocabulary")
@click.option(
    "--min-count",
    type=click.IntRange(min=1),
    default=1,
    help="Drop tokens occurring fewer times.",
)
@click.option(
    "--max-size",
    type=click.IntRange(min=1),
    default=None,
    show_default="no limit",
    help="Keep at most this many most frequent tokens (specials not counted).",
)
@click.option(
    "--pad-token",
    default="<pad>",
    help="Padding token (never an entry); '' for none.",
)
@click.option(
    "--unk-token",
    default="<unk>",
    help="Unknown token (never an entry); '' for none.",
)
@section("Output")
@click.option(
    "--out",
    required=True,
    type=OutputFile(),
    help="Vocabulary file to write (.tsv, .txt or .vocab): 'token<TAB>count' per line, "
    "most frequent first.",
)
@click.option("--force", is_flag=True, help="Replace an existing --out file.")
@json_option
@section("Engine")
@engine_options
@library_errors
def vocab(
    data: str,
    text_column: str | None,
    follow_links: bool,
    tokenizer: dict[str, Any],
    min_count: int,
    max_size: int | None,
    pad_token: str,
    unk_token: str,
    out: str,
    force: bool,
    as_json: bool,
    engine: dict[str, Any],
) -> None:
    """Count the tokens of dataset 1 and write its vocabulary file.

    Tokens are ordered by count, ties by code point (Z before a); the file feeds
    `aligner build --vocab`. Use the same tokenizer options as for encoding.
    """
    from aligner.progress import TqdmProgress
    from aligner.vocab import check_specials
    from aligner.vocab_build import build_vocab_file

    local_only(engine, follow_links=follow_links)
    check_follow_links(follow_links, data)
    check_specials(pad_token or None, unk_token or None)  # before counting, not after

    spec = given_tokenizer(tokenizer, "vocab")
    check_vocab_name(out)
    limits = {"min_count": min_count, "max_size": max_size, "pad": pad_token or None,
              "unk": unk_token or None}  # fmt: skip
    no_shards(engine, "vocab")
    with engine_session(engine) as spark:
        if spark is None:
            report = build_vocab_file(
                data, out, tokenizer=spec, text_column=text_column, **limits, force=force,
                progress=TqdmProgress(), follow_links=follow_links,
            )  # fmt: skip
        else:
            from aligner.engines.spark import build_vocab_file as spark_vocab_file

            report = spark_vocab_file(
                spark, data, out, tokenizer=spec, text_column=text_column, **limits, force=force
            )
    summary = report.to_dict()
    if as_json:
        emit(summary)
        return
    click.echo(_summary_line(summary))


#: suffixes that say a format other than the vocabulary's plain text (tables, archives,
#: arrays, vectors): such an --out is refused, never written as text under that name
OTHER_FORMATS = frozenset(
    (".parquet", ".arrow", ".feather", ".ipc", ".jsonl", ".ndjson", ".json", ".csv", ".gz",
     ".bz2", ".xz", ".zip", ".zst", ".tar", ".tgz", ".7z", ".bin", ".vec", ".npy", ".npz",
     ".pkl", ".pt", ".safetensors", ".model")
)  # fmt: skip


def check_vocab_name(out: str) -> None:
    """Refuse an --out whose name says another format (.parquet, .gz, .json...).

    Raises:
        InputError: the suffix is one of :data:`OTHER_FORMATS`.
    """
    from aligner.errors import InputError

    suffix = Path(out).suffix.lower()
    if suffix in OTHER_FORMATS:
        raise InputError(
            f"cannot write the vocabulary to {shown(out)}: it is plain text ('token<TAB>count' "
            f"lines), not {suffix}; name it NAME.tsv, NAME.txt or NAME.vocab"
        )


def _summary_line(summary: dict[str, Any]) -> str:
    line = (
        f"wrote {shown(summary['path'])}: {summary['types_written']} types "
        f"(of {summary['types_counted']} in {summary['tokens_counted']} tokens); dropped "
        f"{summary['dropped_min_count']} below --min-count, "
        f"{summary['dropped_max_size']} beyond --max-size"
    )
    specials = summary["dropped_specials"]
    return line + (f", and specials {', '.join(specials)}" if specials else "")
