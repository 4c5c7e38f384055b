"""What a comparison trains: the ways, the models and their settings.

The defaults suit small text classification on CPU and are documented in
:class:`ClassifierSettings`. Nothing here imports torch.

Example:
    >>> ClassifierSettings(model="cnn", epochs=10).lr
    0.001
    >>> ClassifierSettings(lr=1e-3, slow_factor=0.1).slow_lr
    0.0001
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from aligner.errors import InputError

__all__ = [
    "DEFAULT_WAYS",
    "MODELS",
    "WAYS",
    "ClassifierSettings",
    "Plan",
    "check_ways",
    "derived_seed",
]

#: every way of setting up the embedding, baseline first
WAYS = ("random", "init", "frozen", "slow", "partial", "unfreeze")
#: the ways run when none are named: the baseline and the seed document's four
DEFAULT_WAYS = ("random", "init", "frozen", "slow", "partial")
MODELS = ("gru", "cnn")


@dataclass(frozen=True)
class ClassifierSettings:
    """Model and training settings shared by every run of a comparison.

    Attributes:
        model: ``"gru"`` (embedding → GRU → linear on the last state, the
            seed document's RNN) or ``"cnn"`` (Kim 2014: filters of widths
            3, 4, 5 with 100 maps each, max-over-time pooling, dropout).
        epochs: most epochs per run; the run keeps the epoch with the best
            dev accuracy (lower dev loss breaks ties).
        patience: stop after this many epochs without a better dev score.
        batch_size: examples per training step.
        lr: Adam learning rate of every parameter (the embedding's too,
            except for ``slow``).
        embedding_lr: the ``slow`` way's embedding learning rate; default
            ``lr * slow_factor``.
        slow_factor: ``slow``'s embedding learning rate as a share of ``lr``.
        unfreeze_after: the ``unfreeze`` way keeps the embedding frozen for
            this many epochs, then trains it; early stopping waits for it.
        hidden: GRU state size.
        filters: CNN feature maps per filter width.
        widths: CNN filter widths (tokens).
        dropout: dropout on the sentence vector before the output layer.
        max_length: texts are cut to their first ``max_length`` tokens.

    Raises:
        InputError: a value out of its range.
    """

    model: str = "gru"
    epochs: int = 20
    patience: int = 3
    batch_size: int = 64
    lr: float = 1e-3
    embedding_lr: float | None = None
    slow_factor: float = 0.1
    unfreeze_after: int = 2
    hidden: int = 128
    filters: int = 100
    widths: tuple[int, ...] = (3, 4, 5)
    dropout: float = 0.5
    max_length: int = 100

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise InputError(f"unknown model {self.model!r}; choose one of: {', '.join(MODELS)}")
        for name in ("epochs", "patience", "batch_size", "hidden", "filters", "max_length"):
            _positive_int(name, getattr(self, name))
        for name in ("lr", "slow_factor"):
            _positive_float(name, getattr(self, name))
        if self.embedding_lr is not None:
            _positive_float("embedding_lr", self.embedding_lr)
        if not self.widths:
            raise InputError("widths must name at least one CNN filter width")
        for width in self.widths:
            _positive_int("widths", width)
        if isinstance(self.unfreeze_after, bool) or not isinstance(self.unfreeze_after, int):
            raise InputError(f"unfreeze_after must be an integer, not {self.unfreeze_after!r}")
        if self.unfreeze_after < 0:
            raise InputError(f"unfreeze_after must be 0 or more, not {self.unfreeze_after}")
        if not 0 <= self.dropout < 1:
            raise InputError(f"dropout must be in [0, 1), not {self.dropout!r}")

    @property
    def slow_lr(self) -> float:
        """The ``slow`` way's embedding learning rate."""
        return self.embedding_lr if self.embedding_lr is not None else self.lr * self.slow_factor

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, ``slow_lr`` included."""
        return asdict(self) | {"widths": list(self.widths), "slow_lr": self.slow_lr}


@dataclass(frozen=True)
class Plan:
    """What a comparison runs: ways, seeds and training sizes (in rows), with settings."""

    ways: tuple[str, ...]
    seeds: tuple[int, ...]
    sizes: tuple[int, ...]
    settings: ClassifierSettings


def _positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{name} must be a positive integer, not {value!r}")


def _positive_float(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{name} must be a positive number, not {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{name} must be a positive number, not {value!r}")


def check_ways(
    ways: tuple[str, ...] | list[str], settings: ClassifierSettings | None = None
) -> tuple[str, ...]:
    """The ways to run, checked: known, at least one, none twice, and with ``settings``
    the ``unfreeze`` way has an epoch left to train its embedding.

    Raises:
        InputError: an unknown or repeated way, or none; ``unfreeze`` with
            ``unfreeze_after`` not below ``epochs``.

    Example:
        >>> check_ways(["random", "frozen"])
        ('random', 'frozen')
    """
    ways = tuple(ways)
    if not ways:
        raise InputError(f"name at least one way; choose from: {', '.join(WAYS)}")
    for way in ways:
        if way not in WAYS:
            raise InputError(f"unknown way {way!r}; choose from: {', '.join(WAYS)}")
    repeated = sorted({w for w in ways if ways.count(w) > 1})
    if repeated:
        raise InputError(f"way {repeated[0]!r} is named twice; name each way once")
    if "unfreeze" in ways and settings is not None and settings.unfreeze_after >= settings.epochs:
        raise InputError(
            f"the unfreeze way stays frozen for {settings.unfreeze_after} epochs of "
            f"{settings.epochs}, so it never trains its embedding; lower --unfreeze-after "
            "or raise --epochs"
        )
    return ways


def derived_seed(*parts: int) -> int:
    """A 63-bit seed made from integers (a run's seed, a purpose, an epoch, ...).

    Example:
        >>> derived_seed(0, 1) == derived_seed(0, 1) != derived_seed(0, 2)
        True
    """
    state = np.random.SeedSequence(list(parts)).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))
