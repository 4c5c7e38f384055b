"""``aligner neighbors``: the nearest rows of a word, as a user reads them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from aligner_cli.common import emit, json_option, library_errors
from aligner_cli.help import SectionedCommand, section

if TYPE_CHECKING:
    from aligner.evaluate import Neighbors

EXAMPLE = "\b\nExample:\n  aligner neighbors build/demo guitar -k 5"
RANDOM_MARK = "*"
LEGEND = (
    f"{RANDOM_MARK} filled at random at build time: its rank means nothing (--found-only hides it)"
)


def query_line(result: Neighbors) -> str:
    """``query: Guitar -> guitar (lowercase; also: GUITAR)``, and a warning for a random row."""
    match = result.query
    if match is None:
        return "query: a vector"
    notes = [] if match.step == "exact" else [match.step]
    notes += [f"also: {', '.join(result.twins)}"] if result.twins else []
    text = match.query if match.step == "exact" else f"{match.query} -> {match.token}"
    line = f"query: {text}" + (f" ({'; '.join(notes)})" if notes else "")
    if match.random:
        line += (
            f"\nwarning: {match.token!r} was filled at random at build time (kind {match.kind}):"
            " its neighbours mean nothing"
        )
    return line


def result_lines(result: Neighbors) -> list[str]:
    """The query line, one line per neighbour (``*`` marks random rows), a legend."""
    lines = [query_line(result)]
    if not result:
        left_out = " or filled at random" if result.found_only else ""
        return [*lines, f"no neighbours: every other row is special, all zero{left_out}"]
    width = max(len(n.label) for n in result)
    for n in result:
        mark = RANDOM_MARK if n.random else " "
        lines.append(f"{mark} {n.label:<{width}}  {n.cosine:.4f}")
    if any(n.random for n in result):
        lines.append(LEGEND)
    return lines


@click.command(cls=SectionedCommand, epilog=EXAMPLE)
@click.argument("artifact", type=click.Path(exists=True, file_okay=False))
@click.argument("word")
@section("Search")
@click.option(
    "-k",
    "k",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="How many neighbours (twins count once).",
)
@click.option(
    "--found-only",
    is_flag=True,
    help="Leave out rows filled at random (kind fill); by default they are marked with *.",
)
@click.option(
    "--fold-twins/--no-fold-twins",
    default=True,
    show_default=True,
    help="Show rows of one vector and one folded key once: 'guitar (also: Guitar)'.",
)
@section("Output")
@json_option
@library_errors
def neighbors(
    artifact: str, word: str, k: int, found_only: bool, fold_twins: bool, as_json: bool
) -> None:
    """Print the nearest neighbours of WORD by cosine similarity.

    WORD not in the vocabulary is looked up through the artifact's fallback
    chain (lowercase, accents, digits) and the row that answered is named.
    The query's own twins are never listed. --json prints {"query": {word,
    token, row, step, kind, random, twins}, "neighbors": [{token, cosine,
    kind, twins}, ...]}.
    """
    from aligner.artifact import open_artifact

    art = open_artifact(artifact, verify=False)
    result = art.most_similar(word, k=k, found_only=found_only, fold_twins=fold_twins)
    if as_json:
        emit(result.to_dict())
        return
    for line in result_lines(result):
        click.echo(line)
