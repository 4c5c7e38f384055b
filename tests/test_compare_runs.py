"""One training run: batches, early stopping on dev, scores."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import aligner
from aligner.compare import runs
from aligner.compare.models import build_model
from aligner.compare.ways import make_embedding, make_optimizer

from .compare_helpers import TINY, make_task, tensors


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 30), min_size=1, max_size=300),
    batch=st.integers(1, 20),
    seed=st.integers(0, 5),
)
def test_an_epochs_batches_cover_every_row_once(lengths: list[int], batch: int, seed: int) -> None:
    order = np.array(lengths)
    batches = runs.epoch_batches(order, batch, seed=seed, epoch=1)
    assert sorted(np.concatenate(batches).tolist()) == list(range(len(lengths)))
    assert all(1 <= b.size <= batch for b in batches)
    again = runs.epoch_batches(order, batch, seed=seed, epoch=1)
    assert all(np.array_equal(a, b) for a, b in zip(batches, again, strict=True))


def test_batches_change_with_the_epoch_and_group_similar_lengths() -> None:
    order = np.random.default_rng(0).integers(1, 40, size=2000)
    first = runs.epoch_batches(order, 16, seed=0, epoch=1)
    second = runs.epoch_batches(order, 16, seed=0, epoch=2)
    assert [b.tolist() for b in first] != [b.tolist() for b in second]
    spread = np.mean([np.ptp(order[b]) for b in first])
    assert spread < 3  # sorted by length within each pool: little padding


@settings(max_examples=100, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=60))
def test_macro_f1_is_the_mean_of_per_label_f1(pairs: list[tuple[int, int]]) -> None:
    truth, guess = (np.array(x) for x in zip(*pairs, strict=True))
    scores = []
    for label in sorted(set(truth.tolist()) | set(guess.tolist())):
        hit = np.sum((guess == label) & (truth == label))
        precision = hit / max(np.sum(guess == label), 1)
        recall = hit / max(np.sum(truth == label), 1)
        scores.append(0.0 if hit == 0 else 2 * precision * recall / (precision + recall))
    assert runs.macro_f1(truth, guess) == pytest.approx(np.mean(scores))


@pytest.fixture(scope="module")
def data(
    compare_artifact: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, runs.Tensors]:
    return tensors(aligner.load(compare_artifact), make_task(tmp_path_factory.mktemp("runs")))


def test_early_stopping_keeps_the_best_dev_epoch(compare_artifact: Path, data: dict) -> None:
    art = aligner.load(compare_artifact)
    model = build_model(TINY, dim=art.dim, n_labels=2, seed=0)
    model.embedding = make_embedding("init", art, seed=0)
    snapshots: list[dict[str, torch.Tensor]] = []
    scored: list[str] = []
    evaluate = runs.evaluate

    def spy(model: torch.nn.Module, split: runs.Tensors) -> runs.Scores:
        scored.append(split.name)
        return evaluate(model, split)

    def keep(epoch: int, score: runs.Scores) -> None:
        snapshots.append({k: v.clone() for k, v in model.state_dict().items()})

    settings = replace(TINY, epochs=8, patience=2, lr=0.05)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runs, "evaluate", spy)
        fit = runs.train(
            model,
            make_optimizer("init", model, settings),
            data["train"],
            data["dev"],
            settings,
            seed=0,
            on_epoch=keep,
        )
    assert scored == ["dev"] * len(fit.history)  # training never looks at the test set
    best = max(range(len(fit.history)), key=lambda i: (fit.history[i][0], -fit.history[i][1], -i))
    assert fit.best_epoch == best + 1
    assert len(fit.history) <= min(settings.epochs, fit.best_epoch + settings.patience)
    state = model.state_dict()
    assert all(torch.equal(state[k], snapshots[best][k]) for k in state)
    assert runs.evaluate(model, data["dev"]).accuracy == fit.history[best][0]


def test_evaluate_scores_every_row_in_its_place(compare_artifact: Path, data: dict) -> None:
    art = aligner.load(compare_artifact)
    model = build_model(TINY, dim=art.dim, n_labels=2, seed=0)
    model.embedding = make_embedding("frozen", art, seed=0)
    model.eval()
    test = data["test"]
    logits = torch.cat(
        [
            model(test.ids[i : i + 1, : int(n)], test.lengths[i : i + 1])
            for i, n in enumerate(test.lengths)
        ]
    )
    predicted = logits.argmax(dim=1).numpy()
    truth = test.labels.numpy()
    scores = runs.evaluate(model, test)
    assert scores.accuracy == pytest.approx(float((predicted == truth).mean()))
    assert scores.macro_f1 == pytest.approx(runs.macro_f1(truth, predicted))
    assert not model.training  # evaluate leaves the mode as it found it
