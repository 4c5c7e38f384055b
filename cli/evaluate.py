"""``aligner eval``: word similarity and analogies of an artifact or a vectors file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from aligner_cli.common import emit, format_option, json_option, library_errors
from aligner_cli.help import SectionedCommand, section

if TYPE_CHECKING:
    from aligner.evaluate import AnalogyResult, Evaluation, SimilarityResult

# the library's names, spelled out so that `aligner --help` imports nothing heavy
SETS = ("wordsim353", "simlex999", "google")
METHODS = ("3cosadd", "3cosmul")

EXAMPLE = (
    "\b\nExample:\n  aligner eval build/demo --set wordsim353 --set google\n"
    "  aligner eval vectors.vec.gz --similarity my_pairs.tsv --json"
)


@click.command("eval", cls=SectionedCommand, epilog=EXAMPLE)
@click.argument("source", type=click.Path(exists=True))
@section("Input")
@format_option("Format of a vectors file.")
@click.option("--member", help="File to read inside a zip archive.")
@click.option(
    "--skip-bad-rows", is_flag=True, help="Skip and count malformed rows of a vectors file."
)
@section("Sets")
@click.option(
    "--set",
    "sets",
    multiple=True,
    type=click.Choice(SETS),
    show_default="all three, unless --similarity or --analogy",
    help="A bundled set (repeatable).",
)
@click.option(
    "--similarity",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Your word-similarity file: 'word1<TAB>word2<TAB>score' lines, '#' comments (repeatable).",
)
@click.option(
    "--analogy",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Your analogy file: 'a b c d' lines in ': section' groups (repeatable).",
)
@section("Scoring")
@click.option(
    "--method",
    "methods",
    multiple=True,
    type=click.Choice(METHODS),
    show_default="both",
    help="Analogy method (repeatable).",
)
@click.option(
    "--restrict-vocab",
    type=click.IntRange(min=1),
    default=300_000,
    help="Search only the first N rows (the most frequent words), as gensim does.",
)
@click.option("--case-sensitive", is_flag=True, help="Compare words as written, not up to case.")
@click.option(
    "--include-filled",
    is_flag=True,
    help="Artifacts: count rows filled at random too, not only rows that found a vector.",
)
@section("Output")
@json_option
@library_errors
def eval_command(
    source: str,
    vectors_format: str | None,
    member: str | None,
    skip_bad_rows: bool,
    sets: tuple[str, ...],
    similarity: tuple[str, ...],
    analogy: tuple[str, ...],
    methods: tuple[str, ...],
    restrict_vocab: int,
    case_sensitive: bool,
    include_filled: bool,
    as_json: bool,
) -> None:
    """Evaluate vectors on word similarity (Spearman's ρ) and analogies (accuracy).

    SOURCE is an artifact directory written by `aligner build`, or a vectors
    file (GloVe, word2vec text or binary, fastText .vec or .bin; plain or
    compressed). Every figure says how many pairs or questions it used: those
    with a word outside the searched rows are skipped and counted. The figures
    equal gensim's evaluate_word_pairs and evaluate_word_analogies.
    """
    from pathlib import Path

    from aligner.evaluate import evaluate
    from aligner.progress import TqdmProgress

    artifact = Path(source).is_dir()
    if artifact and (vectors_format or member or skip_bad_rows):
        raise click.UsageError(
            "--format, --member and --skip-bad-rows apply to vectors files, not to an artifact"
        )
    if include_filled and not artifact:
        raise click.UsageError("--include-filled applies to an artifact directory")
    result = evaluate(
        source,
        sets=sets or None,
        similarity=similarity,
        analogy=analogy,
        methods=methods or METHODS,
        restrict_vocab=restrict_vocab,
        case_insensitive=not case_sensitive,
        include_filled=include_filled,
        format=vectors_format,
        member=member,
        skip_bad_rows=skip_bad_rows,
        progress=TqdmProgress(),
    )
    if as_json:
        emit(result.to_dict())
        return
    for line in evaluation_lines(result):
        click.echo(line)


def _share(part: int, whole: int) -> str:
    if not whole:
        return "0/0"
    percent = 100.0 * part / whole
    return f"{part}/{whole} ({'<0.1' if 0 < percent < 0.05 else f'{percent:.1f}'}%)"


def _figure(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{100.0 * value:.1f}%" if percent else f"{value:.4f}"


def evaluation_lines(result: Evaluation) -> list[str]:
    """The console report: the rows searched, then one table per kind of set."""
    head = f"{result.source} ({result.kind}, dim {result.dim}): searched the first "
    if result.kind == "artifact":
        which = "rows" if result.include_filled else "rows with a found vector"
        head += f"{result.searched} of its {result.rows} {which}"
    else:
        head += f"{result.searched} rows"
    head += f" (--restrict-vocab {result.restrict_vocab})"
    lines = [head + ("" if result.case_insensitive else ", case-sensitive")]
    lines += _read_lines(result.read)
    if result.left_out:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(result.left_out.items()))
        note = "" if result.include_filled else "; --include-filled counts the fill rows"
        lines.append(f"left out rows without a found vector: {kinds}{note}")
    if result.similarity:
        lines += ["", *_similarity_lines(result.similarity)]
    if result.analogy:
        lines += ["", *_analogy_lines(result.analogy)]
    skipped = sum(r.oov for r in result.similarity) + sum(r.oov for r in result.analogy)
    if skipped:
        lines += ["", "out-of-vocabulary pairs and questions are skipped and counted (oov)."]
    return lines


#: read counts of rows that a vectors file holds but the evaluation skipped
SKIPPED_ROWS = (
    ("duplicates", "rows repeating an earlier key (the first counts)"),
    ("bad_rows", "malformed rows"),
    ("nonfinite_rows", "rows holding NaN or infinity"),
)


def _read_lines(read: dict[str, Any] | None) -> list[str]:
    """A line naming the rows of the file that were skipped, if any."""
    skipped = [f"{read[key]} {what}" for key, what in SKIPPED_ROWS if read and read.get(key)]
    return [f"skipped while reading: {', '.join(skipped)}"] if skipped else []


def _similarity_lines(results: list[SimilarityResult]) -> list[str]:
    width = max(10, *(len(r.name) for r in results))
    lines = [f"{'similarity':<{width}}  {'spearman':>8}  {'pearson':>8}  {'pairs used':>18}  oov"]
    for r in results:
        row = f"{r.name:<{width}}  {_figure(r.spearman):>8}  {_figure(r.pearson):>8}  "
        row += f"{_share(r.used, r.pairs):>18}  {r.oov}"
        lines.append(row + (f" ({r.left_out} left out as filled)" if r.left_out else ""))
    return lines


def _analogy_lines(results: list[AnalogyResult]) -> list[str]:
    methods = results[0].methods
    names = [r.name for r in results] + ["  " + s.name for r in results for s in r.sections]
    width = max(10, *(len(name) for name in names))
    head = f"{'analogy':<{width}}" + "".join(f"  {m:>8}" for m in methods)
    lines = [head + f"  {'questions used':>20}  oov"]
    for r in results:
        cells = "".join(f"  {_figure(r.accuracy(m), True):>8}" for m in methods)
        row = f"{r.name:<{width}}{cells}  {_share(r.used, r.questions):>20}  {r.oov}"
        lines.append(row + (f" ({r.left_out} left out as filled)" if r.left_out else ""))
        if len(r.sections) > 1:
            lines += _section_lines(r, methods, width)
    return lines


def _section_lines(result: AnalogyResult, methods: tuple[str, ...], width: int) -> list[str]:
    """One line per section with a usable question; the others are counted."""
    lines = []
    shown = [s for s in result.sections if s.used]
    for s in shown:
        cells = "".join(f"  {_figure(s.accuracy(m), True):>8}" for m in methods)
        lines.append(f"{'  ' + s.name:<{width}}{cells}  {_share(s.used, s.questions):>20}")
    if len(shown) < len(result.sections):
        lines.append(f"  ({len(result.sections) - len(shown)} sections without a usable question)")
    return lines


def manifest_lines(section: dict[str, Any] | None) -> list[str]:
    """A short report of a manifest's ``evaluation`` section (``aligner build --eval``)."""
    if not section:
        return []
    lines = [f"evaluation on the first {section['searched']} rows with a found vector:"]
    for r in section["similarity"]:
        spearman = _figure(r["spearman"])
        lines.append(f"  {r['name']}: spearman {spearman} on {_share(r['used'], r['pairs'])} pairs")
    for r in section["analogy"]:
        accuracy = ", ".join(f"{m} {_figure(a, True)}" for m, a in r["accuracy"].items())
        lines.append(f"  {r['name']}: {accuracy} on {_share(r['used'], r['questions'])} questions")
    return lines
