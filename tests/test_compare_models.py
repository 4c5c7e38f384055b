"""The GRU and CNN classifiers: shapes, padding, seeded construction."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from aligner.compare.config import ClassifierSettings
from aligner.compare.models import CNNClassifier, GRUClassifier, build_model

SMALL = {"hidden": 6, "filters": 3, "dropout": 0.5}


def with_embedding(model: nn.Module, rows: int = 20, dim: int = 5) -> nn.Module:
    model.embedding = nn.Embedding(rows, dim, padding_idx=0)
    return model.eval()


@pytest.mark.parametrize("kind", ["gru", "cnn"])
def test_logits_per_label_and_padding_changes_nothing(kind: str) -> None:
    model = with_embedding(
        build_model(ClassifierSettings(model=kind, **SMALL), dim=5, n_labels=3, seed=0)
    )
    ids = torch.tensor([[4, 7, 9, 0, 0], [3, 0, 0, 0, 0]])
    lengths = torch.tensor([3, 1])
    logits = model(ids, lengths)
    assert logits.shape == (2, 3)
    wider = torch.cat([ids, torch.zeros(2, 6, dtype=torch.long)], dim=1)
    assert torch.allclose(model(wider, lengths), logits, atol=1e-6)
    alone = model(ids[1:, :1], lengths[1:])  # a one-token text, narrower than every CNN filter
    assert torch.allclose(alone, logits[1:], atol=1e-6)


def test_the_models_are_the_documented_ones() -> None:
    gru = build_model(ClassifierSettings(hidden=7), dim=5, n_labels=4, seed=0)
    assert isinstance(gru, GRUClassifier)
    assert (gru.gru.input_size, gru.gru.hidden_size, gru.out.out_features) == (5, 7, 4)
    cnn = build_model(ClassifierSettings(model="cnn"), dim=5, n_labels=4, seed=0)
    assert isinstance(cnn, CNNClassifier)
    assert [c.kernel_size[0] for c in cnn.convs] == [3, 4, 5]
    assert [c.out_channels for c in cnn.convs] == [100, 100, 100]
    assert cnn.dropout.p == 0.5


@pytest.mark.parametrize("kind", ["gru", "cnn"])
def test_one_seed_one_initialisation_and_the_global_rng_is_left_alone(kind: str) -> None:
    settings = ClassifierSettings(model=kind, **SMALL)
    state = torch.random.get_rng_state()
    a = build_model(settings, dim=5, n_labels=3, seed=1).state_dict()
    b = build_model(settings, dim=5, n_labels=3, seed=1).state_dict()
    c = build_model(settings, dim=5, n_labels=3, seed=2).state_dict()
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)
