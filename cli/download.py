"""``aligner download``: fetch pretrained vectors into the cache, or list the known sets."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import click

from aligner_cli.common import emit, json_option, library_errors
from aligner_cli.help import SectionedCommand, section

if TYPE_CHECKING:
    from aligner.pretrained.registry import Entry

EXAMPLE = (
    "\b\nExample:\n  aligner download gensim-data:glove-wiki-gigaword-100 --cache-dir /data/cache\n"
    "  aligner download hf://facebook/fasttext-fr-vectors@main/model.bin"
)

_COLUMNS = ("name", "format", "dim", "vocab", "size", "verified", "licence")
_NOTES = (
    "verified: what is checked when it is downloaded (besides: not a web page, the "
    "compression its name says); none = the publisher gives neither a size nor a checksum",
    "also: cc.<lang>.300 (text) and cc.<lang>.300.bin (with subwords): fastText Common "
    "Crawl vectors for 157 languages, e.g. cc.fr.300 (verified: none)",
    "also: hf://[datasets/]OWNER/REPO[@REVISION]/PATH: a file on the Hugging Face Hub "
    "(verified: the LFS sha256 + size it reports, or the git blob id + size of a small file)",
)


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
            e.format or "detected",
            "-" if e.dim is None else str(e.dim),
            "-" if e.vocab_size is None else f"{e.vocab_size:,}",
            _human(e.size),
            e.verified,
            e.licence or "-",
        )
        for e in entries
    ]


def _table(entries: list[Entry]) -> list[str]:
    rows = [_COLUMNS, *_rows(entries)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    return [line.rstrip() for line in lines] + ["", *_NOTES]


def _known() -> list[Entry]:
    from aligner.pretrained import gensim_data, registry

    return [*registry.entries(), *gensim_data.entries()]


def _record(entry: Entry) -> dict[str, Any]:
    return asdict(entry) | {"verified": entry.verified}


@click.command(cls=SectionedCommand, epilog=EXAMPLE)
@click.argument("name", required=False, metavar="SOURCE")
@section("Input")
@click.option("--list", "list_", is_flag=True, help="List the known pretrained vectors.")
@section("Output")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    default=None,
    show_default="$ALIGNER_CACHE, else the user cache directory",
    help="Cache folder.",
)
@json_option
@library_errors
def download(name: str | None, list_: bool, cache_dir: str | None, as_json: bool) -> None:
    """Download pretrained vectors into the cache and print the file's path.

    SOURCE is a registry name or gensim-data:NAME (see --list), an
    hf://[datasets/]OWNER/REPO[@REVISION]/PATH file on the Hugging Face Hub, or
    an http(s) URL. The file is checked against what its publisher states (the
    --list column "verified": size, md5 + size for gensim-data, the LFS sha256
    or git blob id + size for the Hub, nothing for a plain URL), and against the
    record made when it was downloaded every time it is used; a web page is
    refused. An interrupted download resumes when the command is run again.
    Archives are kept as they are. Another aligner process fetching the same
    file is waited for.

    HF_ENDPOINT (default https://huggingface.co) and HF_TOKEN (sent to it as a
    bearer token, for private or gated repositories) apply to hf:// sources;
    ALIGNER_GENSIM_DATA_URL replaces the address of the gensim-data releases.
    A user:password@ in a URL, HF_ENDPOINT or ALIGNER_GENSIM_DATA_URL is sent
    to that host as HTTP basic authentication and never shown. Redirects are
    followed to http(s) addresses only.

    A download stops when under 1024 bytes arrive in 60 s, or when it passes a
    deadline (none by default); set ALIGNER_DOWNLOAD_LOW_SPEED_BYTES,
    ALIGNER_DOWNLOAD_LOW_SPEED_TIME and ALIGNER_DOWNLOAD_DEADLINE (seconds) to
    change them, and ALIGNER_LOCK_TIMEOUT (seconds, default 10800) to change
    how long another process fetching the same file is waited for.
    """
    if list_ == (name is not None):
        raise click.UsageError("give either SOURCE or --list")
    if list_:
        if as_json:
            emit([_record(entry) for entry in _known()])
        else:
            for line in _table(_known()):
                click.echo(line)
        return
    _download(str(name), cache_dir, as_json)


def _download(name: str, cache_dir: str | None, as_json: bool) -> None:
    from aligner.pretrained.download import fetch, file_sha256
    from aligner.progress import TqdmProgress

    path, entry = fetch(name, cache=cache_dir, progress=TqdmProgress())
    if as_json:
        found = {
            "name": name,
            "path": str(path),
            "bytes": path.stat().st_size,
            "sha256": file_sha256(path),
        }
        if entry is not None:
            found |= {"url": entry.url, "verified": entry.verified}
            found |= {"revision": entry.revision} if entry.revision is not None else {}
        emit(found)
    else:
        click.echo(str(path))
