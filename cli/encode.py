"""``aligner encode``: a data file's text column → a Parquet file of token ids."""

from __future__ import annotations

import click

from aligner_cli.common import OutputFile, emit, json_option, library_errors, shown

EXAMPLE = (
    "\b\nExample:\n  aligner encode --artifact build/demo --data data_samples/train.tsv "
    "\\\n      --text-column 2 --out build/train.ids.parquet --max-length 32 --pad"
)


@click.command(epilog=EXAMPLE)
@click.option(
    "--artifact",
    required=True,
    type=click.Path(exists=True, file_okay=False),
    help="Artifact directory (aligner build --out): its vocabulary and tokenizer.",
)
@click.option(
    "--data",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Parquet, Arrow, JSONL or CSV/TSV file (JSONL, CSV, TSV and text may be .gz/.bz2/.xz), "
    "or plain text: one text per line.",
)
@click.option(
    "--text-column",
    help="Column holding the text (required for tabular data, refused for plain text; a "
    "number picks a CSV/TSV column of a file without a header line).",
)
@click.option(
    "--out",
    required=True,
    type=OutputFile(),
    help="Parquet file to write (NAME.parquet): the columns of --data plus ids (list<int32>) "
    "and length.",
)
@click.option(
    "--max-length",
    type=click.IntRange(min=1),
    default=None,
    help="Keep at most the first N ids of each text.",
)
@click.option("--pad", is_flag=True, help="Pad every row to --max-length with the pad row.")
@click.option(
    "--keep-columns/--ids-only",
    default=True,
    show_default=True,
    help="Copy the input's columns into the output, or write only ids and length.",
)
@click.option("--force", is_flag=True, help="Replace an existing --out file.")
@json_option
@library_errors
def encode(
    artifact: str,
    data: str,
    text_column: str | None,
    out: str,
    max_length: int | None,
    pad: bool,
    keep_columns: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Encode the texts of a data file into token ids with an artifact's tokenizer.

    Each row of --data becomes one row of --out, null where the text is null;
    tokens missing from the vocabulary become the unk row. The output is
    written to a temporary file and moved into place: a failure leaves none,
    and without --force a file that another run wrote meanwhile is kept.
    """
    from aligner.artifact import open_artifact
    from aligner.encode_files import encode_file

    if pad and max_length is None:
        raise click.UsageError("--pad needs --max-length")
    encoder = open_artifact(artifact, verify=False).encoder(max_length=max_length, pad=pad)
    result = encode_file(
        encoder, data, out, text_column=text_column, keep_columns=keep_columns, force=force
    )
    if as_json:
        emit(result.to_dict() | {"seconds": round(result.seconds, 3)})
        return
    click.echo(
        f"wrote {shown(result.path)}: {result.rows:,} rows, {result.tokens:,} tokens "
        f"({result.unknown:,} unknown) in {result.seconds:.2f} s"
    )
