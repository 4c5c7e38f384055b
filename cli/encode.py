"""``aligner encode``: a data file's text column → a Parquet file of token ids."""

from __future__ import annotations

from typing import Any

import click

from aligner_cli.common import (
    emit,
    json_option,
    library_errors,
    shown,
    text_column_option,
)
from aligner_cli.engine import (
    EngineOutputFile,
    EnginePath,
    engine_options,
    engine_session,
    local_only,
    no_shards,
)
from aligner_cli.help import SectionedCommand, section

EXAMPLE = (
    "\b\nExample:\n  aligner encode --artifact build/demo --data data_samples/train.tsv "
    "\\\n      --text-column 2 --label-column 1 --out build/train.ids.parquet "
    "--max-length 32 --pad"
)
#: label names shown in the text report; the rest are in the file's metadata
SHOWN_LABELS = 10


def _name(name: str) -> str:
    """A label name for the one-line report: as it is, or quoted with escapes (a tab, a
    line break, a control character, spaces around it, a comma or an equals sign)."""
    plain = name.isprintable() and name == name.strip() and not set(name) & {",", "="}
    return name if name and plain else repr(name)


def _labels_line(result: Any) -> str:
    """The labels part of the report: what the label column held, and its names' ids."""
    if result.label_type is None:
        return ""
    if result.label_names is None:
        kind = "class ids" if result.label_type == "integer" else "numbers (regression)"
        return f"; labels: {kind}, kept as they are"
    names = result.label_names
    pairs = ", ".join(f"{i}={_name(name)}" for i, name in enumerate(names[:SHOWN_LABELS]))
    more = (
        f", ... ({len(names)} in all, in the file's metadata)" if len(names) > SHOWN_LABELS else ""
    )
    return f"; labels: {pairs}{more}"


@click.command(cls=SectionedCommand, epilog=EXAMPLE)
@section("Input")
@click.option(
    "--artifact",
    required=True,
    type=click.Path(exists=True, file_okay=False),
    help="Artifact directory (aligner build --out): its vocabulary and tokenizer.",
)
@click.option(
    "--data",
    required=True,
    type=EnginePath(exists=True, dir_okay=False),
    help="Parquet, Arrow, JSONL or CSV/TSV file (JSONL, CSV, TSV and text may be .gz/.bz2/.xz), "
    "or plain text: one text per line. With --engine spark: files, directories or globs "
    "Spark reads (hdfs://, s3a://; Parquet, JSONL, CSV/TSV, text; .gz/.bz2).",
)
@text_column_option("of --data (required for tabular data, refused for plain text)")
@click.option(
    "--label-column",
    metavar="COL",
    help="Label column of --data, named the same way (a file without a header line has its "
    "columns written as 1, 2, ...), written as labels: text labels as ids (their names, "
    "sorted, in the file's metadata 'aligner.labels'), integer and float labels as they are. "
    "A CSV/TSV column is integers when every cell is one (0, -3, +1; not 007), else decimal "
    "numbers when every cell is one (0.5, 1e3), else text.",
)
@click.option(
    "--label-names",
    type=click.Path(exists=True, dir_okay=False),
    help="Number text labels with these names instead: the Parquet file of an earlier run "
    "(e.g. the training split's, so that every split shares ids) or a text file, one name "
    "per line (line 1: id 0).",
)
@section("Encoding")
@click.option(
    "--max-length",
    type=click.IntRange(min=1),
    default=None,
    help="Keep at most the first N ids of each text.",
)
@click.option(
    "--pad",
    is_flag=True,
    help="Pad every row to --max-length with the pad row, and write attention_mask "
    "(1 for a token, 0 for padding).",
)
@click.option(
    "--unknown",
    type=click.Choice(["unk", "skip", "error"]),
    default="unk",
    show_default=True,
    help="What a token missing from the vocabulary becomes: the unk row (the artifact needs "
    "an unk token), nothing (skip), or an error naming its row.",
)
@click.option(
    "--keep-columns/--ids-only",
    default=True,
    show_default=True,
    help="Copy the input's columns into the output, or write only the encoded columns.",
)
@section("Output")
@click.option(
    "--out",
    required=True,
    type=EngineOutputFile(),
    help="Parquet file to write (NAME.parquet): the columns of --data plus input_ids "
    "(list<int32>), attention_mask (with --pad), length, and labels (with --label-column). "
    "With --engine spark: a directory of Parquet parts, rows in the input's order.",
)
@click.option("--force", is_flag=True, help="Replace an existing --out file.")
@json_option
@section("Engine")
@engine_options
@library_errors
def encode(
    artifact: str,
    data: str,
    text_column: str | None,
    label_column: str | None,
    label_names: str | None,
    out: str,
    max_length: int | None,
    pad: bool,
    unknown: str,
    keep_columns: bool,
    force: bool,
    as_json: bool,
    engine: dict[str, Any],
) -> None:
    """Encode the texts of a data file into token ids with an artifact's tokenizer.

    Each row of --data becomes one row of --out, null where the text is null;
    tokens missing from the vocabulary become the unk row (see --unknown). The columns carry
    the Hugging Face names, so that datasets and a DataLoader read them as they
    are. The output is written to a temporary file and moved into place: a
    failure leaves none, and without --force a file that another run wrote
    meanwhile is kept.
    """
    from aligner.artifact import open_artifact
    from aligner.encode_files import encode_file
    from aligner.errors import InputError

    if pad and max_length is None:
        raise click.UsageError("--pad needs --max-length")
    if label_names is not None and label_column is None:
        raise click.UsageError("--label-names needs --label-column")
    local_only(engine, label_column=label_column)
    no_shards(engine, "encode")
    with engine_session(engine) as spark:
        if spark is not None:
            _encode_on_spark(spark, artifact, data, out, text_column, max_length, pad, unknown,
                             keep_columns, force, as_json)  # fmt: skip
            return
    art = open_artifact(artifact, verify=False)
    if pad and art.vocab.pad_id is None:
        raise InputError(
            f"--pad: the artifact {shown(artifact)} has no pad token to pad with; drop --pad, "
            "or rebuild the artifact with a pad token (aligner build --pad-token '<pad>')"
        )
    encoder = art.encoder(max_length=max_length, pad=pad, unknown=unknown)
    result = encode_file(
        encoder,
        data,
        out,
        text_column=text_column,
        label_column=label_column,
        label_names=label_names,
        keep_columns=keep_columns,
        force=force,
    )
    if as_json:
        emit(result.to_dict() | {"seconds": round(result.seconds, 3)})
        return
    click.echo(
        f"wrote {shown(result.path)}: {result.rows:,} rows, {result.tokens:,} tokens "
        f"({result.unknown:,} unknown) in {result.seconds:.2f} s{_labels_line(result)}"
    )


def _encode_on_spark(spark: Any, artifact: str, data: str, out: str, *args: Any) -> None:
    from aligner.engines.spark import encode_files

    text_column, max_length, pad, unknown, keep_columns, force, as_json = args
    done = encode_files(
        spark, data, artifact, out, text_column=text_column, max_length=max_length, pad=pad,
        unknown=unknown, keep_columns=keep_columns, force=force,
    )  # fmt: skip
    if as_json:
        emit(done.to_dict() | {"seconds": round(done.seconds, 3)})
        return
    click.echo(
        f"wrote {shown(done.path)}: {done.rows:,} rows from {done.files:,} files, "
        f"{done.tokens:,} tokens ({done.unknown:,} unknown) in {done.seconds:.2f} s"
    )
