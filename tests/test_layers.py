"""torch layers: the three ways to use pretrained vectors, plus partial freezing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import aligner
from aligner.errors import InputError
from aligner.layers import PartiallyFrozenEmbedding, embedding_from_matrix, param_groups


class Classifier(nn.Module):
    def __init__(self, embedding: nn.Embedding, classes: int = 3) -> None:
        super().__init__()
        self.emb = embedding
        self.rnn = nn.GRU(embedding.embedding_dim, 8, batch_first=True)
        self.out = nn.Linear(8, classes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        _, h = self.rnn(self.emb(ids))
        return self.out(h[-1])


def _train(model: nn.Module, optimizer: torch.optim.Optimizer, rows: int, steps: int = 5) -> None:
    gen = torch.Generator().manual_seed(0)
    for _ in range(steps):
        ids = torch.randint(0, rows, (4, 6), generator=gen)
        labels = torch.randint(0, 3, (4,), generator=gen)
        loss = nn.functional.cross_entropy(model(ids), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def test_trainable_layer_trains_without_touching_file_or_other_layers(built: Path) -> None:
    art = aligner.load(built)
    on_disk = np.load(art.files["vectors"]).copy()
    emb, frozen = art.embedding("trainable"), art.embedding("frozen")
    assert emb.weight.requires_grad and emb.padding_idx == art.vocab.pad_id
    assert torch.equal(emb.weight.detach(), torch.from_numpy(on_disk))
    torch.manual_seed(0)
    model = Classifier(emb)
    _train(model, torch.optim.SGD(model.parameters(), lr=0.5), len(art.vocab))
    assert not torch.equal(emb.weight.detach(), torch.from_numpy(on_disk))
    # copy-on-write: neither the file, the artifact's map, nor another layer changed
    assert np.array_equal(np.load(art.files["vectors"]), on_disk)
    assert np.array_equal(art.vectors, on_disk)
    assert torch.equal(frozen.weight, torch.from_numpy(on_disk))
    assert torch.equal(art.embedding("trainable").weight.detach(), torch.from_numpy(on_disk))
    assert torch.count_nonzero(emb.weight[art.vocab.pad_id]) == 0


def test_frozen_weights_are_bit_identical_after_training(built: Path) -> None:
    art = aligner.load(built)
    emb = art.embedding("frozen")
    before = emb.weight.detach().clone()
    torch.manual_seed(0)
    model = Classifier(emb)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=0.1)
    _train(model, optimizer, len(art.vocab))
    assert not emb.weight.requires_grad
    assert torch.equal(emb.weight, before)


def test_partial_keeps_pretrained_rows_and_trains_filled_ones(built: Path) -> None:
    art = aligner.load(built)
    emb = art.embedding("partial")
    assert isinstance(emb, PartiallyFrozenEmbedding) and isinstance(emb, nn.Embedding)
    before = emb.merged_weight()
    torch.manual_seed(0)
    model = Classifier(emb)
    # weight decay and momentum must not reach the frozen rows either
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1, weight_decay=0.5)
    _train(model, optimizer, len(art.vocab), steps=8)
    after = emb.merged_weight()
    kinds = art.provenance
    pretrained = [i for i, k in enumerate(kinds) if k in ("exact", "lowercase")]
    filled = [i for i, k in enumerate(kinds) if k in ("fill", "special")]
    assert pretrained and filled
    assert torch.equal(after[pretrained], before[pretrained])
    for row in filled:
        assert not torch.equal(after[row], before[row]), f"row {row} ({kinds[row]}) did not train"
    assert torch.count_nonzero(after[art.vocab.pad_id]) == 0


def test_partial_forward_equals_plain_lookup_of_merged_weight() -> None:
    weight = torch.randn(6, 4)
    emb = PartiallyFrozenEmbedding(weight, torch.tensor([0, 1, 0, 1, 1, 0]).bool(), padding_idx=0)
    with torch.no_grad():
        emb.trainable_weight.add_(1.0)
    ids = torch.tensor([[0, 1, 2, 3], [4, 5, 5, 1]])
    assert torch.equal(emb(ids), nn.functional.embedding(ids, emb.merged_weight()))
    assert emb.trainable_weight.shape == (3, 4)  # pad row is never trainable


def test_param_groups_cover_every_parameter_once_with_own_lr(built: Path) -> None:
    emb = aligner.load(built).embedding("trainable")
    model = Classifier(emb)
    model.shared = model.out  # the same module twice must not duplicate parameters
    groups = aligner.param_groups(model, emb, lr=1e-2, embedding_lr=1e-4)
    ids = [id(p) for g in groups for p in g["params"]]
    assert sorted(ids) == sorted({id(p) for p in model.parameters()})
    assert len(ids) == len(set(ids))
    by_name = {g["name"]: g for g in groups}
    assert by_name["embedding"]["lr"] == 1e-4 and by_name["model"]["lr"] == 1e-2
    assert [id(p) for p in by_name["embedding"]["params"]] == [id(emb.weight)]
    optimizer = torch.optim.SGD(groups, lr=1.0)
    assert [g["lr"] for g in optimizer.param_groups] == [1e-2, 1e-4]


def test_slow_embedding_moves_less_than_fast_one(built: Path) -> None:
    art = aligner.load(built)
    moved = {}
    for embedding_lr in (1e-1, 1e-3):
        emb = art.embedding("trainable")
        before = emb.weight.detach().clone()
        torch.manual_seed(0)
        model = Classifier(emb)
        groups = param_groups(model, emb, lr=1e-1, embedding_lr=embedding_lr)
        _train(model, torch.optim.SGD(groups), len(art.vocab))
        moved[embedding_lr] = float((emb.weight.detach() - before).abs().sum())
    assert 0 < moved[1e-3] < moved[1e-1] / 10


def test_param_groups_skip_frozen_embedding(built: Path) -> None:
    emb = aligner.load(built).embedding("frozen")
    model = Classifier(emb)
    groups = param_groups(model, emb, lr=1e-2, embedding_lr=1e-4)
    assert [g["name"] for g in groups] == ["model"]
    assert all(p.requires_grad for p in groups[0]["params"])


def test_modes_and_dtype() -> None:
    matrix = np.ones((3, 2), dtype=np.float32)
    assert embedding_from_matrix(matrix, dtype=torch.float64).weight.dtype == torch.float64
    with pytest.raises(InputError, match="unknown embedding mode"):
        embedding_from_matrix(matrix, mode="slow")
    with pytest.raises(InputError, match="provenance"):
        embedding_from_matrix(matrix, mode="partial")
