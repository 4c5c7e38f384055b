"""What a comparison returns: one result per run, one summary per table row.

Nothing here imports torch. Every class has ``to_dict()`` for JSON.

Example:
    >>> comparison = aligner.compare(["build/demo"], "train.tsv", "test.tsv",  # doctest: +SKIP
    ...                              text_column="2", label_column="1")
    >>> best = max(comparison.summaries, key=lambda s: s.accuracy)  # doctest: +SKIP
    >>> best.way, best.accuracy, best.accuracy_std  # doctest: +SKIP
    ('partial', 0.987, 0.004)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aligner.compare.config import ClassifierSettings

__all__ = ["Comparison", "RunResult", "Source", "Summary", "summarize"]


@dataclass(frozen=True)
class Source:
    """One artifact compared.

    Attributes:
        name: its name in tables (the directory's name, made unique).
        path: the artifact directory.
        rows: vocabulary rows.
        dim: vector dimension.
        tokenizer: its tokenizer kind.
        found: rows holding a vector found in the source (not filled at random).
        unknown: share of the training and test tokens that are ``<unk>``.
    """

    name: str
    path: Path
    rows: int
    dim: int
    tokenizer: str
    found: int
    unknown: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self) | {"path": str(self.path)}


@dataclass(frozen=True)
class RunResult:
    """One run: one training size, seed, artifact and way.

    Attributes:
        train_size: training rows used.
        seed: the run's seed.
        artifact: the artifact's name.
        way: the embedding set-up.
        trainable: trainable parameters at the end of training.
        epoch: the epoch kept (best dev score), from 1.
        epochs_run: epochs trained before stopping.
        dev_accuracy: dev accuracy at ``epoch``.
        test_accuracy: test accuracy of the kept weights.
        test_macro_f1: test macro-F1 of the kept weights.
        seconds: wall time of the run.
        history: ``(dev accuracy, dev loss)`` after every epoch.
    """

    train_size: int
    seed: int
    artifact: str
    way: str
    trainable: int
    epoch: int
    epochs_run: int
    dev_accuracy: float
    test_accuracy: float
    test_macro_f1: float
    seconds: float
    history: tuple[tuple[float, float], ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self) | {"history": [list(h) for h in self.history]}


@dataclass(frozen=True)
class Summary:
    """One table row: the runs of one training size, artifact and way over the seeds.

    Attributes:
        train_size: training rows used.
        artifact: the artifact's name.
        way: the embedding set-up.
        runs: number of seeds.
        trainable: trainable parameters (the same for every seed).
        accuracy: mean test accuracy; ``accuracy_std`` its sample standard
            deviation over seeds (``None`` for one seed).
        macro_f1: mean test macro-F1; ``macro_f1_std`` likewise.
        epoch: mean epoch kept.
        seconds: mean wall time of a run.
    """

    train_size: int
    artifact: str
    way: str
    runs: int
    trainable: int
    accuracy: float
    accuracy_std: float | None
    macro_f1: float
    macro_f1_std: float | None
    epoch: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def _std(values: list[float]) -> float | None:
    return float(np.std(values, ddof=1)) if len(values) > 1 else None


def summarize(runs: list[RunResult]) -> list[Summary]:
    """One :class:`Summary` per (training size, artifact, way), in the order of ``runs``.

    Example:
        >>> [s.way for s in summarize(comparison.runs)]  # doctest: +SKIP
        ['random', 'init', 'frozen']
    """
    groups: dict[tuple[int, str, str], list[RunResult]] = {}
    for run in runs:
        groups.setdefault((run.train_size, run.artifact, run.way), []).append(run)
    summaries = []
    for (size, artifact, way), group in groups.items():
        accuracy = [r.test_accuracy for r in group]
        f1 = [r.test_macro_f1 for r in group]
        summaries.append(
            Summary(
                train_size=size,
                artifact=artifact,
                way=way,
                runs=len(group),
                trainable=max(r.trainable for r in group),
                accuracy=float(np.mean(accuracy)),
                accuracy_std=_std(accuracy),
                macro_f1=float(np.mean(f1)),
                macro_f1_std=_std(f1),
                epoch=float(np.mean([r.epoch for r in group])),
                seconds=float(np.mean([r.seconds for r in group])),
            )
        )
    return summaries


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`aligner.compare`.

    Attributes:
        settings: model and training settings.
        ways: the ways run, in table order.
        seeds: the seeds run.
        labels: the label names (id order).
        splits: rows per split: ``train`` (all training rows after the dev
            slice), ``dev``, ``test``; and ``dev_source``.
        train_sizes: the training sizes run.
        sources: the artifacts compared.
        runs: every run.
        summaries: one per table row.
        out: the results directory written, or ``None``.
        files: the files written in it.
        notes: things worth telling (e.g. how to get the plot).
    """

    settings: ClassifierSettings
    ways: tuple[str, ...]
    seeds: tuple[int, ...]
    labels: tuple[str, ...]
    splits: dict[str, Any]
    train_sizes: tuple[int, ...]
    sources: tuple[Source, ...]
    runs: tuple[RunResult, ...]
    summaries: tuple[Summary, ...]
    out: Path | None = None
    files: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of everything (``results.json`` holds it)."""
        return {
            "settings": self.settings.to_dict(),
            "ways": list(self.ways),
            "seeds": list(self.seeds),
            "labels": list(self.labels),
            "splits": dict(self.splits),
            "train_sizes": list(self.train_sizes),
            "sources": [s.to_dict() for s in self.sources],
            "summaries": [s.to_dict() for s in self.summaries],
            "runs": [r.to_dict() for r in self.runs],
            "out": None if self.out is None else str(self.out),
            "files": list(self.files),
            "notes": list(self.notes),
        }
