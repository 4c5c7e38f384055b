"""``aligner export``: an artifact as word2vec, GloVe, gensim, safetensors or tokenizer.json."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from aligner.export.formats import FORMATS
from aligner_cli.common import OutputFile, emit, json_option, library_errors, shown
from aligner_cli.help import SectionedCommand, section

if TYPE_CHECKING:
    from aligner.export import ExportResult

EXAMPLE = (
    "\b\nExample:\n  aligner export build/demo --out build/demo.kv\n"
    "  aligner export build/demo --to glove --out build/demo-glove.txt.gz"
)


def summary(result: ExportResult) -> str:
    """One line: what was written, how much, and what was left out.

    Example:
        ``wrote e.kv + e.kv.vectors.npy: 5 rows x 12 (gensim, float32); 4 rows without a
        found vector left out (pad, unknown, filled at random: --include-filled keeps them)``
    """
    names = " + ".join(shown(f) for f in reversed(result.files))
    if result.dim is None:
        line = f"wrote {names}: {result.rows} tokens ({result.format})"
    else:
        line = f"wrote {names}: {result.rows} rows x {result.dim} ({result.format}, {result.dtype})"
    if result.left_out:
        line += (
            f"; {result.left_out} rows without a found vector left out "
            "(pad, unknown, filled at random: --include-filled keeps them)"
        )
    return line


@click.command("export", cls=SectionedCommand, epilog=EXAMPLE)
@click.argument("artifact", type=click.Path(exists=True, file_okay=False))
@section("Input")
@click.option(
    "--verify/--no-verify",
    default=True,
    help="Check the artifact's vectors against their sha256 first.",
)
@section("Output")
@click.option(
    "--to",
    "to",
    type=click.Choice(FORMATS),
    show_default="the one the suffix of --out names",
    help="Output format. The suffix of --out names it: .vec word2vec, .bin word2vec-binary, "
    ".kv gensim, .safetensors, .json tokenizer.json; .txt needs --to word2vec or glove.",
)
@click.option(
    "--out",
    required=True,
    type=OutputFile(),
    help="File to write. word2vec: NAME.txt or .vec; word2vec-binary: NAME.bin; glove: "
    "NAME.txt (these three optionally + .gz, .bz2 or .xz); gensim: NAME.kv (and "
    "NAME.kv.vectors.npy beside it); safetensors: NAME.safetensors; tokenizer.json: NAME.json.",
)
@click.option(
    "--include-filled/--found-only",
    default=None,
    show_default="found only for word2vec, glove and gensim",
    help="Also export the rows without a trained or pretrained vector (pad, unknown, filled "
    "at random). safetensors and tokenizer.json keep every row under its id.",
)
@click.option("--force", is_flag=True, help="Replace existing output files.")
@json_option
@library_errors
def export(
    artifact: str,
    to: str | None,
    out: str,
    include_filled: bool | None,
    force: bool,
    verify: bool,
    as_json: bool,
) -> None:
    """Write an artifact in the format of another library.

    word2vec (text with an 'N D' header), word2vec-binary and glove (text
    without a header) tables of word and vector; gensim KeyedVectors
    (KeyedVectors.load(PATH, mmap="r")); safetensors (tensor "weight", with
    the vocabulary, row provenance and tokenizer in its metadata); a Hugging
    Face tokenizer.json (WordLevel) that encodes text to the artifact's ids.
    Nothing is half-written: a failure leaves no file. Warnings (what a
    tokenizer.json cannot reproduce) go to stderr.
    """
    from aligner.errors import InputError
    from aligner.export import check_export
    from aligner.export import export as run_export
    from aligner.progress import TqdmProgress

    try:
        check_export(out, to=to, include_filled=include_filled)
    except InputError as exc:
        raise click.UsageError(str(exc)) from None
    result = run_export(
        artifact, out, to=to, include_filled=include_filled, force=force, verify=verify,
        progress=TqdmProgress(),
    )  # fmt: skip
    if as_json:
        emit(result.to_dict())
    else:
        click.echo(summary(result))
    for line in result.warnings:
        click.echo(f"warning: {line}", err=True)
