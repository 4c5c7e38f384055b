"""``aligner download``: fetch pretrained vectors into the cache, or list the known sets."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from aligner_cli.common import emit, json_option, library_errors

if TYPE_CHECKING:
    from aligner.pretrained.registry import Entry

EXAMPLE = "\b\nExample:\n  aligner download glove.6B.100d --cache-dir /data/aligner-cache"

_COLUMNS = ("name", "format", "dim", "vocab", "size", "licence")


def _human(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.2f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def _rows(entries: list[Entry]) -> list[tuple[str, ...]]:
    return [
        (
            e.name,
            e.format,
            str(e.dim),
            "-" if e.vocab_size is None else f"{e.vocab_size:,}",
            _human(e.size),
            e.licence or "-",
        )
        for e in entries
    ]


def _table(entries: list[Entry]) -> list[str]:
    rows = [_COLUMNS, *_rows(entries)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.append(
        "also: cc.<lang>.300 (text) and cc.<lang>.300.bin (with subwords): fastText Common "
        "Crawl vectors for 157 languages, e.g. cc.fr.300"
    )
    return [line.rstrip() for line in lines]


@click.command(epilog=EXAMPLE)
@click.argument("name", required=False)
@click.option("--list", "list_", is_flag=True, help="List the known pretrained vectors.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Cache folder (default: $ALIGNER_CACHE, else the user cache dir).",
)
@json_option
@library_errors
def download(name: str | None, list_: bool, cache_dir: str | None, as_json: bool) -> None:
    """Download pretrained vectors into the cache and print the file's path.

    NAME is a registry name (see --list) or an http(s) URL. The file is checked
    against its published size and checksum where known, and against the record
    made when it was downloaded every time it is used; a web page is refused. An
    interrupted download resumes when the command is run again. Archives are
    kept as they are. Another aligner process fetching the same file is waited for.

    A download stops when under 1024 bytes arrive in 60 s, or when it passes a
    deadline (none by default); set ALIGNER_DOWNLOAD_LOW_SPEED_BYTES,
    ALIGNER_DOWNLOAD_LOW_SPEED_TIME and ALIGNER_DOWNLOAD_DEADLINE (seconds) to
    change them.
    """
    from aligner.pretrained import registry

    if list_ == (name is not None):
        raise click.UsageError("give either NAME or --list")
    if list_:
        entries = registry.entries()
        if as_json:
            emit([asdict(entry) for entry in entries])
        else:
            for line in _table(entries):
                click.echo(line)
        return
    _download(str(name), cache_dir, as_json)


def _download(name: str, cache_dir: str | None, as_json: bool) -> None:
    from aligner.pretrained.download import fetch, file_sha256
    from aligner.progress import TqdmProgress

    path, _entry = fetch(name, cache=cache_dir, progress=TqdmProgress())
    if as_json:
        emit(
            {
                "name": name,
                "path": str(path),
                "bytes": path.stat().st_size,
                "sha256": file_sha256(path),
            }
        )
    else:
        click.echo(str(path))
