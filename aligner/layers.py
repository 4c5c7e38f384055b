"""torch at the edge: embedding layers and optimizer parameter groups.

Three ways a classifier uses pretrained vectors, plus one:

- ``trainable``: the vectors are the initial values, trained like any weight;
- ``frozen``: the weights never change (``requires_grad=False``), so the
  optimizer leaves them out;
- slow learning: trainable, but with its own, smaller learning rate, through
  :func:`param_groups`;
- ``partial``: rows that found a pretrained vector stay fixed, rows that were
  filled at random (and ``<unk>``) are trained.

Example:
    >>> emb = aligner.load("build/demo").embedding("partial")  # doctest: +SKIP
    >>> groups = param_groups(model, emb, lr=1e-3, embedding_lr=1e-4)  # doctest: +SKIP
    >>> optimizer = torch.optim.Adam(groups)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from aligner.align import PRETRAINED_KINDS
from aligner.errors import InputError

__all__ = ["MODES", "PartiallyFrozenEmbedding", "embedding_from_matrix", "param_groups"]

MODES = ("trainable", "frozen", "partial")


class PartiallyFrozenEmbedding(nn.Embedding):
    """An embedding whose selected rows train while the others never change.

    ``weight`` holds every row and is frozen (``requires_grad=False``); the
    trainable rows live in their own parameter, ``trainable_weight``, so no
    optimizer setting (weight decay, momentum) can touch the frozen rows.
    :meth:`merged_weight` returns the full current matrix.

    Args:
        weight: ``(num_embeddings, dim)`` initial values.
        trainable: boolean mask of the rows to train.
        padding_idx: the padding row (output zero, never trained).
    """

    def __init__(
        self, weight: torch.Tensor, trainable: torch.Tensor, padding_idx: int | None = None
    ) -> None:
        rows, dim = weight.shape
        super().__init__(rows, dim, padding_idx=padding_idx, _weight=weight, _freeze=True)
        trainable = trainable.clone().bool()
        if padding_idx is not None:
            trainable[padding_idx] = False
        index = trainable.nonzero().squeeze(1)
        self.trainable_weight = nn.Parameter(weight.detach()[index].clone())
        slot = torch.full((rows,), -1, dtype=torch.long, device=weight.device)
        slot[index] = torch.arange(len(index), device=weight.device)
        self.register_buffer("slot", slot)
        self.slot: torch.Tensor

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        base = F.embedding(input, self.weight, self.padding_idx)
        slot = self.slot[input]
        trained = F.embedding(slot.clamp(min=0), self.trainable_weight)
        return torch.where((slot >= 0).unsqueeze(-1), trained, base)

    def merged_weight(self) -> torch.Tensor:
        """The full matrix with the trained rows' current values (a copy)."""
        merged = self.weight.detach().clone()
        index = (self.slot >= 0).nonzero().squeeze(1)
        merged[index] = self.trainable_weight.detach()
        return merged

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, trainable_rows={self.trainable_weight.shape[0]}"


def embedding_from_matrix(
    matrix: np.ndarray,
    *,
    mode: str = "trainable",
    padding_idx: int | None = None,
    provenance: Sequence[str] | None = None,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
) -> nn.Embedding:
    """Build a ``torch.nn.Embedding`` from a numpy matrix.

    On CPU with float32 the layer shares memory with ``matrix`` (a
    copy-on-write memory map stays copy-on-write: training never writes the
    file).

    Args:
        matrix: ``(rows, dim)`` float matrix.
        mode: ``"trainable"``, ``"frozen"`` or ``"partial"``.
        padding_idx: row that stays zero and gets no gradient.
        provenance: per-row match kinds, required for ``"partial"``.
        dtype: weight dtype (float32 by default).
        device: target device.

    Raises:
        InputError: unknown mode, or ``"partial"`` without provenance.
    """
    if mode not in MODES:
        raise InputError(f"unknown embedding mode {mode!r}; choose one of: {', '.join(MODES)}")
    weight = torch.from_numpy(matrix).to(dtype=dtype or torch.float32, device=device)
    if mode == "partial":
        if provenance is None or len(provenance) != weight.shape[0]:
            raise InputError("mode 'partial' needs the provenance of every row")
        mask = torch.tensor([kind not in PRETRAINED_KINDS for kind in provenance])
        return PartiallyFrozenEmbedding(weight, mask.to(weight.device), padding_idx)
    return nn.Embedding.from_pretrained(weight, freeze=mode == "frozen", padding_idx=padding_idx)


def param_groups(
    model: nn.Module, embedding: nn.Module, *, lr: float, embedding_lr: float
) -> list[dict[str, Any]]:
    """Optimizer parameter groups giving the embedding its own learning rate.

    Every trainable parameter of ``model`` (and of ``embedding``, whether or
    not it is inside ``model``) appears exactly once; frozen parameters
    (``requires_grad=False``) are left out.

    Args:
        model: the whole network.
        embedding: the embedding layer (usually a submodule of ``model``).
        lr: learning rate of every other parameter.
        embedding_lr: learning rate of the embedding's parameters.

    Returns:
        ``[{"params": [...], "lr": lr}, {"params": [...], "lr": embedding_lr}]``,
        leaving out an empty group.

    Example:
        >>> groups = param_groups(model, model.emb, lr=0.1, embedding_lr=0.01)  # doctest: +SKIP
        >>> opt = torch.optim.SGD(groups)  # doctest: +SKIP
    """
    emb_params = [p for p in embedding.parameters() if p.requires_grad]
    emb_ids = {id(p) for p in emb_params}
    seen: set[int] = set()
    rest: list[nn.Parameter] = []
    for p in model.parameters():
        if p.requires_grad and id(p) not in emb_ids and id(p) not in seen:
            seen.add(id(p))
            rest.append(p)
    groups = [
        {"params": rest, "lr": lr, "name": "model"},
        {"params": emb_params, "lr": embedding_lr, "name": "embedding"},
    ]
    return [g for g in groups if g["params"]]
