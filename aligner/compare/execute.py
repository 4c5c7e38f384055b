"""Run every (training size, seed, artifact, way) of a comparison: the torch side.

For one seed every way (and every artifact) trains on the same training
rows, in the same batches, from the same non-embedding weights; only the
embedding set-up differs. Each run's test score is taken once, after
training, with the weights of the epoch the dev set chose.

Example:
    >>> plan = Plan(("random", "init"), (0, 1), (360,), ClassifierSettings())
    >>> runs = run_all(task, sources, encoded, plan, SILENT)  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from aligner.compare import runs
from aligner.compare.config import ClassifierSettings, Plan
from aligner.compare.data import Encoded, TaskData, stratified_sample
from aligner.compare.models import build_model
from aligner.compare.results import RunResult
from aligner.compare.ways import make_embedding, make_optimizer, unfreeze_epoch
from aligner.progress import Progress, ProgressBar

if TYPE_CHECKING:
    from aligner.artifact import Artifact

__all__ = ["Run", "run_all", "run_one", "to_tensors", "torch_threads", "word_counts"]


def word_counts(texts: Sequence[str], max_length: int) -> np.ndarray:
    """Whitespace word counts, capped: the batching order, the same for every artifact."""
    return np.minimum([len(text.split()) for text in texts], max_length).astype(np.int64)


def to_tensors(name: str, enc: Encoded, order: np.ndarray, rows: np.ndarray | None) -> runs.Tensors:
    """An encoded split (or some of its ``rows``) as tensors, ``order`` deciding the batches."""
    pick = slice(None) if rows is None else rows
    return runs.Tensors(
        name,
        torch.from_numpy(np.ascontiguousarray(enc.ids[pick])),
        torch.from_numpy(np.ascontiguousarray(enc.lengths[pick])),
        torch.from_numpy(np.ascontiguousarray(enc.labels[pick])),
        np.ascontiguousarray(order[pick]),
    )


def _trainable(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@dataclass(frozen=True)
class Run:
    """Which run: the way, the seed, the artifact's name, the number of labels."""

    way: str
    seed: int
    artifact: str
    n_labels: int


def run_one(
    run: Run,
    art: Artifact,
    data: dict[str, runs.Tensors],
    settings: ClassifierSettings,
    *,
    bar: ProgressBar,
) -> RunResult:
    """Train one way on one artifact with one seed; score the test set at the end."""
    start = time.perf_counter()
    way, seed, size = run.way, run.seed, len(data["train"].labels)
    model = build_model(settings, dim=art.dim, n_labels=run.n_labels, seed=seed)
    model.embedding = make_embedding(way, art, seed=seed)
    optimizer = make_optimizer(way, model, settings)

    def report(epoch: int, score: runs.Scores) -> None:
        bar.status(
            f"{run.artifact} {way} seed {seed}, {size:,} rows: epoch {epoch}/{settings.epochs}, "
            f"dev {score.accuracy:.3f}"
        )

    fit = runs.train(
        model, optimizer, data["train"], data["dev"], settings,
        seed=seed, frozen_epochs=unfreeze_epoch(way, settings), on_epoch=report,
    )  # fmt: skip
    test = runs.evaluate(model, data["test"])
    return RunResult(
        train_size=size,
        seed=seed,
        artifact=run.artifact,
        way=way,
        trainable=_trainable(model),
        epoch=fit.best_epoch,
        epochs_run=len(fit.history),
        dev_accuracy=fit.history[fit.best_epoch - 1][0],
        test_accuracy=test.accuracy,
        test_macro_f1=test.macro_f1,
        seconds=time.perf_counter() - start,
        history=tuple(fit.history),
    )


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` torch CPU threads (``None``: as they are), then restore."""
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run_all(
    task: TaskData,
    sources: Sequence[tuple[str, Artifact]],
    encoded: dict[str, dict[str, Encoded]],
    plan: Plan,
    progress: Progress,
    *,
    threads: int | None = 1,
) -> list[RunResult]:
    """Every run of the plan, in table order: size, then seed, artifact, way.

    Args:
        task: the splits (their texts give the batching order).
        sources: (name, artifact) of each artifact.
        encoded: per artifact name, the encoded ``train``, ``dev``, ``test``.
        plan: ways, seeds, sizes, settings.
        progress: gets one bar over all runs, its status the epoch and dev score.
        threads: torch CPU threads while training (see :func:`torch_threads`).
    """
    cap = plan.settings.max_length
    orders = {s.name: word_counts(s.texts, cap) for s in (task.train, task.dev, task.test)}
    results: list[RunResult] = []
    total = len(plan.sizes) * len(plan.seeds) * len(sources) * len(plan.ways)
    with torch_threads(threads), progress.bar("compare", total=total, unit="run") as bar:
        for size, seed in itertools.product(plan.sizes, plan.seeds):
            rows = None
            if size < len(task.train):
                rows = stratified_sample(task.train.labels, size, seed=seed)
            for name, art in sources:
                data = {
                    split: to_tensors(split, enc, orders[split], rows if split == "train" else None)
                    for split, enc in encoded[name].items()
                }
                for way in plan.ways:
                    run = Run(way, seed, name, len(task.labels))
                    results.append(run_one(run, art, data, plan.settings, bar=bar))
                    bar.update()
    return results
