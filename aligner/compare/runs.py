"""One training run: mini-batches, early stopping on the dev set, scores.

Batches depend only on the run's seed, the epoch and the texts' word counts:
each epoch the training rows are shuffled, cut into pools of 50 batches,
sorted by length inside each pool (little padding, so a GRU step is cheap on
CPU), cut into batches, and the batches shuffled. Every way of one seed
therefore sees the same batches in the same order, and so does every
artifact. Dropout masks are drawn from a generator seeded per epoch.

After every epoch the model is scored on the dev set; the run keeps the
weights of the epoch with the highest dev accuracy (the lower dev loss breaks
a tie, then the earlier epoch) and stops after ``patience`` epochs without a
better one. The test set is scored once, by the caller, with those weights.

Example:
    >>> settings = ClassifierSettings()
    >>> fit = train(model, optimizer, train_data, dev_data, settings, seed=0)  # doctest: +SKIP
    >>> fit.best_epoch, fit.history[fit.best_epoch - 1]  # doctest: +SKIP
    (4, (0.91, 0.27))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from aligner.compare.config import ClassifierSettings, derived_seed
from aligner.compare.ways import set_trainable

__all__ = [
    "Fit",
    "Scores",
    "Tensors",
    "epoch_batches",
    "evaluate",
    "macro_f1",
    "train",
]

POOL = 50  # batches per length-sorted pool
EVAL_BATCH = 256


@dataclass(frozen=True)
class Tensors:
    """One split as tensors.

    Attributes:
        name: ``"train"``, ``"dev"`` or ``"test"``.
        ids: ``(rows, width)`` int64 token ids, padded.
        lengths: ``(rows,)`` int64 true lengths (at least 1).
        labels: ``(rows,)`` int64 label ids.
        order: ``(rows,)`` lengths that decide the batches (word counts, the
            same for every artifact).
    """

    name: str
    ids: torch.Tensor
    lengths: torch.Tensor
    labels: torch.Tensor
    order: np.ndarray

    def batch(self, rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(ids cut to the batch's longest text, lengths, labels) of some rows."""
        index = torch.from_numpy(rows)
        lengths = self.lengths[index]
        return self.ids[index, : int(lengths.max())], lengths, self.labels[index]


@dataclass(frozen=True)
class Scores:
    """A model's scores on one split."""

    accuracy: float
    loss: float
    macro_f1: float


@dataclass
class Fit:
    """What :func:`train` did.

    Attributes:
        history: ``(dev accuracy, dev loss)`` after each epoch.
        best_epoch: the epoch (from 1) whose weights the model holds now.
    """

    history: list[tuple[float, float]] = field(default_factory=list)
    best_epoch: int = 0


def epoch_batches(order: np.ndarray, batch_size: int, *, seed: int, epoch: int) -> list[np.ndarray]:
    """The row indices of every batch of one epoch (see the module docstring).

    Example:
        >>> batches = epoch_batches(np.array([3, 1, 2]), 2, seed=0, epoch=1)
        >>> sorted(len(b) for b in batches)
        [1, 2]
    """
    rng = np.random.default_rng([seed, 3, epoch])
    shuffled = rng.permutation(order.size)
    batches: list[np.ndarray] = []
    pool = batch_size * POOL
    for start in range(0, order.size, pool):
        chunk = shuffled[start : start + pool]
        chunk = chunk[np.argsort(order[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, chunk.size, batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def macro_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    """The mean F1 over the labels that occur in ``truth`` or ``predicted``.

    Example:
        >>> macro_f1(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]))
        0.7333333333333334
    """
    scores = []
    for label in np.union1d(truth, predicted):
        tp = int(((predicted == label) & (truth == label)).sum())
        fp = int(((predicted == label) & (truth != label)).sum())
        fn = int(((predicted != label) & (truth == label)).sum())
        scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))


def evaluate(model: nn.Module, data: Tensors) -> Scores:
    """Accuracy, mean cross-entropy and macro-F1 of ``model`` on ``data``, in eval mode
    (no dropout); the model's mode is restored afterwards."""
    was_training = model.training
    model.eval()
    predicted = torch.empty_like(data.labels)
    loss = 0.0
    rows = np.argsort(data.order, kind="stable")
    with torch.no_grad():
        for start in range(0, rows.size, EVAL_BATCH):
            part = rows[start : start + EVAL_BATCH]
            ids, lengths, labels = data.batch(part)
            logits = model(ids, lengths)
            loss += float(F.cross_entropy(logits, labels, reduction="sum"))
            predicted[torch.from_numpy(part)] = logits.argmax(dim=1)
    model.train(was_training)
    truth, guess = data.labels.numpy(), predicted.numpy()
    accuracy = float((truth == guess).mean())
    return Scores(accuracy, loss / len(truth), macro_f1(truth, guess))


def _epoch(
    model: nn.Module, optimizer: torch.optim.Optimizer, data: Tensors, batches: list[np.ndarray]
) -> None:
    model.train()
    for rows in batches:
        ids, lengths, labels = data.batch(rows)
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(ids, lengths), labels).backward()
        optimizer.step()


def _better(score: Scores, best: Scores | None) -> bool:
    if best is None or score.accuracy != best.accuracy:
        return best is None or score.accuracy > best.accuracy
    return score.loss < best.loss


def train(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: Tensors,
    dev: Tensors,
    settings: ClassifierSettings,
    *,
    seed: int,
    frozen_epochs: int = 0,
    on_epoch: Callable[[int, Scores], None] | None = None,
) -> Fit:
    """Train with early stopping on ``dev``; leave the best epoch's weights in ``model``.

    Args:
        model: the classifier, its embedding attached as ``model.embedding``.
        optimizer: its optimizer.
        data: the training rows.
        dev: the dev rows, scored after every epoch.
        settings: epochs, patience, batch size.
        seed: the run's seed (batches and dropout).
        frozen_epochs: keep the embedding frozen for this many epochs, then
            train it (the ``unfreeze`` way); stopping waits ``patience``
            epochs after that.
        on_epoch: called with (epoch, dev scores) after every epoch.

    Returns:
        A :class:`Fit`: the dev history and the epoch kept.
    """
    fit, best, state = Fit(), None, None
    with torch.random.fork_rng(devices=[]):
        for epoch in range(1, settings.epochs + 1):
            if frozen_epochs and epoch == frozen_epochs + 1:
                set_trainable(model.get_submodule("embedding"), True)
            torch.manual_seed(derived_seed(seed, 4, epoch))
            batches = epoch_batches(data.order, settings.batch_size, seed=seed, epoch=epoch)
            _epoch(model, optimizer, data, batches)
            score = evaluate(model, dev)
            fit.history.append((score.accuracy, score.loss))
            if on_epoch is not None:
                on_epoch(epoch, score)
            if _better(score, best):
                best, fit.best_epoch = score, epoch
                state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            waited = epoch - fit.best_epoch
            if waited >= settings.patience and epoch >= frozen_epochs + settings.patience:
                break
    assert state is not None  # at least one epoch ran
    model.load_state_dict(state)
    return fit
