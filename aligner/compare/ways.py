"""The embedding set-up of each way, and the optimizer that goes with it.

===========  ===============================================================
way          embedding layer and optimizer
===========  ===============================================================
random       the artifact's vocabulary, random vectors (normal, with the
             spread of the artifact's found vectors), trained at ``lr``
init         the artifact's vectors as initial values, trained at ``lr``
frozen       the artifact's vectors, never changed; not in the optimizer
slow         the artifact's vectors, trained at ``slow_lr`` (``--embedding-lr``,
             or ``lr × slow_factor``), the rest at ``lr``
partial      rows with a found vector fixed, filled rows (and ``<unk>``)
             trained at ``lr``
unfreeze     frozen for the first ``unfreeze_after`` epochs, then trained at ``lr``
===========  ===============================================================

Every optimizer is Adam. The random vectors come from their own seeded
generator, so they never shift the initialisation of the rest of the model.

Example:
    >>> emb = make_embedding("frozen", art, seed=0)  # doctest: +SKIP
    >>> model.embedding = emb  # doctest: +SKIP
    >>> optimizer = make_optimizer("frozen", model, ClassifierSettings())  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from aligner.align import PRETRAINED_KINDS
from aligner.compare.config import ClassifierSettings, derived_seed
from aligner.layers import param_groups

if TYPE_CHECKING:
    from aligner.artifact import Artifact

__all__ = ["make_embedding", "make_optimizer", "random_scale", "set_trainable", "unfreeze_epoch"]


def random_scale(art: Artifact) -> float:
    """The standard deviation of the artifact's found vectors (all rows if none is found).

    The ``random`` way draws its vectors with this spread, so it differs from
    the pretrained ways in what the vectors say, not in their size.
    """
    found = np.array([kind in PRETRAINED_KINDS for kind in art.provenance])
    rows = art.vectors[found] if found.any() else art.vectors
    scale = float(np.asarray(rows, dtype=np.float64).std())
    return scale if scale > 0 else 1.0


def _random_embedding(art: Artifact, seed: int) -> nn.Embedding:
    generator = torch.Generator().manual_seed(derived_seed(seed, 2))
    weight = torch.randn(len(art.vocab), art.dim, generator=generator) * random_scale(art)
    pad = art.vocab.pad_id
    if pad is not None:
        weight[pad] = 0.0
    return nn.Embedding.from_pretrained(weight, freeze=False, padding_idx=pad)


def make_embedding(way: str, art: Artifact, *, seed: int) -> nn.Embedding:
    """The embedding layer of ``way`` over the artifact's vocabulary (see the module table).

    Every call returns a new layer; none shares memory with another or with
    the artifact file.
    """
    if way == "random":
        return _random_embedding(art, seed)
    mode = {"init": "trainable", "slow": "trainable", "unfreeze": "trainable"}.get(way, way)
    embedding = art.embedding(mode)
    if way == "unfreeze":
        set_trainable(embedding, False)
    return embedding


def set_trainable(embedding: nn.Module, trainable: bool) -> None:
    """Freeze or unfreeze every parameter of ``embedding``."""
    for parameter in embedding.parameters():
        parameter.requires_grad_(trainable)


def make_optimizer(
    way: str, model: nn.Module, settings: ClassifierSettings
) -> torch.optim.Optimizer:
    """Adam over what ``way`` trains; ``model.embedding`` is the embedding layer.

    Adam runs fused (one kernel for all its arithmetic): with a trainable
    300-dimensional embedding of 10,000 rows, its step takes 2 ms on one
    CPU core instead of 14.

    ``unfreeze`` registers the frozen embedding too: Adam skips it while it
    has no gradient, and trains it from the epoch it is unfrozen.
    """
    embedding = model.get_submodule("embedding")
    if way == "slow":
        groups = param_groups(model, embedding, lr=settings.lr, embedding_lr=settings.slow_lr)
        return torch.optim.Adam(groups, fused=True)
    if way == "unfreeze":
        return torch.optim.Adam(model.parameters(), lr=settings.lr, fused=True)
    trainable = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.Adam(trainable, lr=settings.lr, fused=True)


def unfreeze_epoch(way: str, settings: ClassifierSettings) -> int:
    """The number of epochs ``way`` keeps its embedding frozen before training it (0: none)."""
    return settings.unfreeze_after if way == "unfreeze" else 0
