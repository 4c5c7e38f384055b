"""The embedding set-up of each way: what trains, what never changes, at which rate."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

import aligner
from aligner.align import PRETRAINED_KINDS
from aligner.compare import runs
from aligner.compare.config import WAYS
from aligner.compare.models import build_model
from aligner.compare.ways import make_embedding, make_optimizer, random_scale, unfreeze_epoch
from aligner.layers import PartiallyFrozenEmbedding

from .compare_helpers import TINY, make_task, tensors


def setup(
    art: aligner.Artifact, way: str, seed: int = 0
) -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    model = build_model(TINY, dim=art.dim, n_labels=2, seed=seed)
    model.embedding = make_embedding(way, art, seed=seed)
    return model, make_optimizer(way, model, TINY)


@pytest.fixture(scope="module")
def data(
    compare_artifact: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, runs.Tensors]:
    return tensors(aligner.load(compare_artifact), make_task(tmp_path_factory.mktemp("ways")))


def fit(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    data: dict[str, runs.Tensors],
    way: str = "init",
) -> runs.Fit:
    settings = replace(TINY, patience=3)
    return runs.train(
        model,
        optimizer,
        data["train"],
        data["dev"],
        settings,
        seed=0,
        frozen_epochs=unfreeze_epoch(way, settings),
    )


def test_random_way_uses_the_vocabulary_with_the_vectors_spread(compare_artifact: Path) -> None:
    art = aligner.load(compare_artifact)
    layer = make_embedding("random", art, seed=3)
    weight = layer.weight.detach()
    assert weight.shape == (len(art.vocab), art.dim)
    assert layer.weight.requires_grad
    assert torch.count_nonzero(weight[art.vocab.pad_id]) == 0
    rows = weight[torch.arange(len(art.vocab)) != art.vocab.pad_id]
    assert float(rows.std()) == pytest.approx(random_scale(art), rel=0.2)
    assert torch.equal(weight, make_embedding("random", art, seed=3).weight.detach())
    assert not torch.equal(weight, make_embedding("random", art, seed=4).weight.detach())
    assert not np.allclose(weight.numpy(), np.asarray(art.vectors))


def test_frozen_never_changes_and_is_not_optimized(compare_artifact: Path, data: dict) -> None:
    art = aligner.load(compare_artifact)
    model, optimizer = setup(art, "frozen")
    weight = model.embedding.weight
    in_optimizer = {id(p) for group in optimizer.param_groups for p in group["params"]}
    assert id(weight) not in in_optimizer
    fit(model, optimizer, data)
    assert np.array_equal(weight.detach().numpy(), np.asarray(art.vectors))
    assert not torch.equal(model.out.weight, setup(art, "frozen")[0].out.weight)  # the rest trained


def test_partial_changes_only_the_filled_rows(compare_artifact: Path, data: dict) -> None:
    art = aligner.load(compare_artifact)
    model, optimizer = setup(art, "partial")
    assert isinstance(model.embedding, PartiallyFrozenEmbedding)
    fit(model, optimizer, data)
    changed = (model.embedding.merged_weight().numpy() != np.asarray(art.vectors)).any(axis=1)
    filled = np.array([kind not in PRETRAINED_KINDS for kind in art.provenance])
    assert changed.any()
    assert not changed[~filled].any()  # found rows (and pad) never move


def test_init_trains_every_row_it_sees(compare_artifact: Path, data: dict) -> None:
    art = aligner.load(compare_artifact)
    model, optimizer = setup(art, "init")
    fit(model, optimizer, data)
    changed = (model.embedding.weight.detach().numpy() != np.asarray(art.vectors)).any(axis=1)
    assert changed.sum() > len(art.vocab) // 2
    assert not changed[art.vocab.pad_id]
    assert np.array_equal(aligner.load(compare_artifact).vectors, art.vectors)  # file untouched


def test_slow_gives_the_embedding_its_own_learning_rate(compare_artifact: Path) -> None:
    art = aligner.load(compare_artifact)
    model, optimizer = setup(art, "slow")
    groups = {g["name"]: g for g in optimizer.param_groups}
    assert groups["model"]["lr"] == TINY.lr
    assert groups["embedding"]["lr"] == pytest.approx(TINY.lr * 0.1)
    assert groups["embedding"]["params"] == [model.embedding.weight]
    faster = replace(TINY, embedding_lr=0.05)
    assert make_optimizer("slow", model, faster).param_groups[1]["lr"] == 0.05


def test_unfreeze_keeps_the_embedding_frozen_for_the_first_epochs(
    compare_artifact: Path, data: dict
) -> None:
    art = aligner.load(compare_artifact)
    model, optimizer = setup(art, "unfreeze")
    weights: list[np.ndarray] = []
    settings = replace(TINY, epochs=3, patience=3, unfreeze_after=2)
    runs.train(
        model,
        optimizer,
        data["train"],
        data["dev"],
        settings,
        seed=0,
        frozen_epochs=unfreeze_epoch("unfreeze", settings),
        on_epoch=lambda e, s: weights.append(model.embedding.weight.detach().numpy().copy()),
    )
    assert np.array_equal(weights[0], np.asarray(art.vectors))
    assert np.array_equal(weights[1], np.asarray(art.vectors))
    assert not np.array_equal(weights[2], np.asarray(art.vectors))
    assert model.embedding.weight.requires_grad


@pytest.mark.parametrize("way", WAYS)
def test_every_way_starts_from_the_same_non_embedding_weights(
    compare_artifact: Path, way: str
) -> None:
    art = aligner.load(compare_artifact)
    reference = setup(art, "random")[0].state_dict()
    state = setup(art, way)[0].state_dict()
    rest = [k for k in reference if not k.startswith("embedding.")]
    assert rest and all(torch.equal(state[k], reference[k]) for k in rest)
