"""``aligner.compare()``: does a classifier on dataset 1 gain from vectors learned on dataset 0?

It trains the same classifier several ways that differ only in the embedding
set-up (random, init, frozen, slow, partial, unfreeze; see
:mod:`aligner.compare.ways`), over several seeds, artifacts and training-set
sizes, and scores each on the test set once, at the end. Every input is read
and checked before the first run, so bad input fails fast and writes nothing.
torch is imported only when the runs start.

Example:
    >>> result = aligner.compare(["build/demo"], "data_samples/train.tsv",  # doctest: +SKIP
    ...     "data_samples/test.tsv", text_column="2", label_column="1", out="build/compare")
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from aligner.align import PRETRAINED_KINDS
from aligner.artifact import Artifact, open_artifact
from aligner.compare.config import DEFAULT_WAYS, ClassifierSettings, Plan, check_ways
from aligner.compare.data import Encoded, TaskData, encode_split, resolve_sizes, split_task
from aligner.compare.read import read_labelled
from aligner.compare.report import check_out, write_results
from aligner.compare.results import Comparison, RunResult, Source, summarize
from aligner.errors import InputError
from aligner.progress import SILENT, Progress

__all__ = ["compare"]

PathLike = str | os.PathLike[str]


def _names(paths: Sequence[Path]) -> list[str]:
    """Table names: each directory's name, or the path as given where names repeat."""
    names = [path.name or str(path) for path in paths]
    names = [n if names.count(n) == 1 else str(p) for n, p in zip(names, paths, strict=True)]
    for name in names:
        if names.count(name) > 1:
            raise InputError(f"artifact {name} is given twice; give each artifact once")
    return names


def _open(artifacts: PathLike | Sequence[PathLike]) -> list[tuple[str, Artifact]]:
    if isinstance(artifacts, str | os.PathLike):
        artifacts = [artifacts]
    if not artifacts:
        raise InputError("give at least one artifact to compare (--artifact DIR)")
    paths = [Path(a) for a in artifacts]
    opened = [open_artifact(path) for path in paths]
    return list(zip(_names(paths), opened, strict=True))


def _read(
    train: PathLike, test: PathLike, dev: PathLike | None, columns: dict[str, str], seed: int,
    dev_fraction: float,
) -> TaskData:  # fmt: skip
    if not 0 < dev_fraction < 1:
        raise InputError(f"dev_fraction must be between 0 and 1, not {dev_fraction!r}")
    train_rows = read_labelled(train, **columns)
    test_rows = read_labelled(test, **columns)
    dev_rows = None if dev is None else read_labelled(dev, **columns)
    return split_task(train_rows, test_rows, dev_rows, dev_fraction=dev_fraction, seed=seed)


def _encode(
    sources: list[tuple[str, Artifact]], task: TaskData, max_length: int
) -> tuple[dict[str, dict[str, Encoded]], list[Source]]:
    encoded: dict[str, dict[str, Encoded]] = {}
    described = []
    for name, art in sources:
        splits = (task.train, task.dev, task.test)
        encoded[name] = {s.name: encode_split(art, s, max_length=max_length) for s in splits}
        unknown = {k: e.unknown / max(e.tokens, 1) for k, e in encoded[name].items()}
        found = sum(kind in PRETRAINED_KINDS for kind in art.provenance)
        described.append(
            Source(name, art.path, len(art.vocab), art.dim, art.tokenizer.kind, found, unknown)
        )
    return encoded, described


def compare(
    artifacts: PathLike | Sequence[PathLike],
    train: PathLike,
    test: PathLike,
    *,
    text_column: str,
    label_column: str,
    dev: PathLike | None = None,
    ways: Sequence[str] = DEFAULT_WAYS,
    seeds: int = 3,
    seed: int = 0,
    train_sizes: Sequence[int | str] = ("all",),
    dev_fraction: float = 0.1,
    settings: ClassifierSettings | None = None,
    out: PathLike | None = None,
    force: bool = False,
    plot: bool = True,
    threads: int | None = 1,
    progress: Progress = SILENT,
) -> Comparison:
    """Train one classifier several ways on dataset 1 and compare their test scores.

    Args:
        artifacts: one or more artifact directories; each is compared with its
            own tokenizer and vocabulary (``random`` uses that vocabulary too).
        train: the training file (CSV/TSV with or without header, JSONL,
            Parquet, Arrow).
        test: the test file, same columns; scored only after training.
        text_column: the text column (a name, or a number from 1 for a
            CSV/TSV file without a header line).
        label_column: the label column, named the same way.
        dev: a dev file; without one, a stratified ``dev_fraction`` slice of
            ``train`` (seeded by ``seed``) is the dev set.
        ways: embedding set-ups, in table order (see :data:`WAYS`).
        seeds: number of seeds: ``seed``, ``seed + 1``, ...
        seed: the first seed; it also draws the dev slice.
        train_sizes: training rows per table: numbers and ``"all"`` (a
            stratified sample of the training rows, drawn per seed).
        dev_fraction: the dev slice's share of ``train``.
        settings: model and training settings (:class:`ClassifierSettings` defaults).
        out: a results directory to write (JSON, CSV, PNG), or ``None``.
        force: replace an existing results directory at ``out``.
        plot: draw ``results.png`` (needs matplotlib; without it, a note).
        threads: torch CPU threads while training (restored afterwards);
            ``None`` leaves torch's setting. The models are small: one thread
            is fastest, and many threads are slow when other work shares the
            cores.
        progress: progress reporting (runs, epochs); silent by default.

    Returns:
        A :class:`Comparison` with every run and one summary per table row.

    Raises:
        InputError: bad options, an empty split, one label, a test or dev
            label the training file lacks, an existing ``out``.
        CorpusError: a data file cannot be read, lacks a column, or its text
            column is not text.
        ArtifactError: an artifact cannot be opened (its tokenizer included).

    Example:
        >>> result = aligner.compare("build/demo", "train.tsv", "test.tsv",  # doctest: +SKIP
        ...     text_column="2", label_column="1", ways=["random", "frozen"], seeds=2)
        >>> [(s.way, round(s.accuracy, 3)) for s in result.summaries]  # doctest: +SKIP
        [('random', 0.41), ('frozen', 0.98)]
    """
    settings = settings or ClassifierSettings()
    ways = check_ways(list(ways), settings)
    for name, value in (("seeds", seeds), ("threads", 1 if threads is None else threads)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{name} must be a positive integer, not {value!r}")
    out_path = None if out is None else check_out(out, force=force)
    sources = _open(artifacts)
    columns = {"text_column": str(text_column), "label_column": str(label_column)}
    task = _read(train, test, dev, columns, seed, dev_fraction)
    sizes = resolve_sizes(list(train_sizes), len(task.train), len(task.labels))
    encoded, described = _encode(sources, task, settings.max_length)
    from aligner.compare.execute import run_all

    plan = Plan(ways, tuple(range(seed, seed + seeds)), tuple(sizes), settings)
    runs = run_all(task, sources, encoded, plan, progress, threads=threads)
    comparison = _result(task, plan, described, runs)
    if out_path is None:
        return comparison
    from aligner.compare.plot import draw_plot

    return write_results(comparison, out_path, plot=draw_plot if plot else None, force=force)


def _result(task: TaskData, plan: Plan, sources: list[Source], runs: list[RunResult]) -> Comparison:
    splits = {
        "train": len(task.train),
        "dev": len(task.dev),
        "test": len(task.test),
        "dev_source": task.dev.source,
    }
    return Comparison(
        settings=plan.settings,
        ways=plan.ways,
        seeds=plan.seeds,
        labels=task.labels,
        splits=splits,
        train_sizes=plan.sizes,
        sources=tuple(sources),
        runs=tuple(runs),
        summaries=tuple(summarize(runs)),
    )
