"""The two classifiers a comparison trains, and their seeded construction.

Both read token ids and true lengths and return one logit per label. The
embedding layer is attached after the rest is built (:func:`build_model`),
so that for one seed every way starts from the same non-embedding weights.

- :class:`GRUClassifier` (the seed document's RNN): embedding → one GRU layer
  → dropout → linear, on the GRU state at each text's last token.
- :class:`CNNClassifier` (Kim 2014, "Convolutional Neural Networks for
  Sentence Classification"): embedding → one convolution per filter width
  (3, 4, 5 tokens; 100 maps each) → ReLU → max over the text's positions →
  dropout 0.5 → linear.

Example:
    >>> settings = ClassifierSettings(model="cnn")
    >>> model = build_model(settings, dim=50, n_labels=4, seed=0)  # doctest: +SKIP
    >>> model.embedding = nn.Embedding(100, 50, padding_idx=0)  # doctest: +SKIP
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from aligner.compare.config import ClassifierSettings, derived_seed

__all__ = ["CNNClassifier", "GRUClassifier", "build_model"]


class GRUClassifier(nn.Module):
    """Embedding → GRU → dropout → linear, from the state at each text's last token.

    Args:
        dim: embedding dimension.
        n_labels: number of labels.
        hidden: GRU state size.
        dropout: dropout on the last state.
    """

    def __init__(self, dim: int, n_labels: int, *, hidden: int, dropout: float) -> None:
        super().__init__()
        self.embedding: nn.Module = nn.Identity()
        self.gru = nn.GRU(dim, hidden, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, n_labels)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        # Positions after a text's end never reach its last state: the GRU runs forwards.
        states, _ = self.gru(self.embedding(ids))
        last = states[torch.arange(ids.shape[0]), lengths - 1]
        return self.out(self.dropout(last))


class CNNClassifier(nn.Module):
    """Kim (2014): convolutions of several widths, max over time, dropout, linear.

    Positions past a text's end are left out of the max; a text shorter than
    the widest filter is padded to its width.

    Args:
        dim: embedding dimension.
        n_labels: number of labels.
        filters: feature maps per width.
        widths: filter widths in tokens.
        dropout: dropout on the pooled features.
    """

    def __init__(
        self, dim: int, n_labels: int, *, filters: int, widths: tuple[int, ...], dropout: float
    ) -> None:
        super().__init__()
        self.embedding: nn.Module = nn.Identity()
        self.widths = widths
        self.convs = nn.ModuleList(nn.Conv1d(dim, filters, width) for width in widths)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(filters * len(widths), n_labels)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = self.embedding(ids).transpose(1, 2)  # (batch, dim, time)
        if x.shape[2] < max(self.widths):
            x = F.pad(x, (0, max(self.widths) - x.shape[2]))
        pooled = []
        for width, conv in zip(self.widths, self.convs, strict=True):
            maps = F.relu(conv(x))  # (batch, filters, time - width + 1), all >= 0
            valid = (lengths - width + 1).clamp(min=1)
            beyond = torch.arange(maps.shape[2], device=maps.device)[None, :] >= valid[:, None]
            pooled.append(maps.masked_fill(beyond[:, None, :], 0.0).amax(dim=2))
        return self.out(self.dropout(torch.cat(pooled, dim=1)))


def build_model(settings: ClassifierSettings, *, dim: int, n_labels: int, seed: int) -> nn.Module:
    """The classifier of ``settings.model`` without its embedding, initialised from ``seed``.

    The global torch random state is left as it was.

    Example:
        >>> a = build_model(ClassifierSettings(), dim=8, n_labels=2, seed=3)  # doctest: +SKIP
        >>> b = build_model(ClassifierSettings(), dim=8, n_labels=2, seed=3)  # doctest: +SKIP
        >>> torch.equal(a.out.weight, b.out.weight)  # doctest: +SKIP
        True
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derived_seed(seed, 1))
        if settings.model == "gru":
            return GRUClassifier(dim, n_labels, hidden=settings.hidden, dropout=settings.dropout)
        return CNNClassifier(
            dim,
            n_labels,
            filters=settings.filters,
            widths=settings.widths,
            dropout=settings.dropout,
        )
