"""aligner.compare() end to end: determinism, fairness, the test set last, sizes, artifacts."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import aligner
from aligner.compare import WAYS, compare, runs
from aligner.errors import InputError

from .compare_helpers import TINY, task_files

TWO = replace(TINY, epochs=2)


def numbers(result: aligner.Comparison) -> dict[str, Any]:
    """Everything but wall times."""
    data = result.to_dict()
    for row in data["runs"] + data["summaries"]:
        row.pop("seconds")
    return data


def test_a_comparison_runs_every_way_seed_and_size(compare_artifact: Path, tmp_path: Path) -> None:
    train, test = task_files(tmp_path)
    result = aligner.compare(
        compare_artifact,
        train,
        test,
        text_column="2",
        label_column="1",
        ways=WAYS,
        seeds=2,
        seed=5,
        train_sizes=[20, "all"],
        settings=TWO,
    )
    assert result.seeds == (5, 6) and result.train_sizes == (20, 72)
    source = f"10% stratified slice of {train} (seed 5)"
    assert result.splits == {"train": 72, "dev": 8, "test": 30, "dev_source": source}
    assert len(result.runs) == 2 * 2 * len(WAYS)
    assert [(s.train_size, s.way) for s in result.summaries] == [
        (size, way) for size in (20, 72) for way in WAYS
    ]
    assert {r.train_size for r in result.runs} == {20, 72}
    assert all(1 <= r.epoch <= r.epochs_run <= 2 for r in result.runs)
    assert all(0 <= r.test_accuracy <= 1 and 0 <= r.test_macro_f1 <= 1 for r in result.runs)
    trainable = {s.way: s.trainable for s in result.summaries}
    assert trainable["frozen"] < trainable["partial"] < trainable["init"] == trainable["random"]
    assert trainable["slow"] == trainable["unfreeze"] == trainable["init"]
    assert result.out is None and result.files == ()


def test_the_same_call_twice_gives_the_same_numbers(compare_artifact: Path, tmp_path: Path) -> None:
    train, test = task_files(tmp_path)
    args = (compare_artifact, train, test)
    options: dict[str, Any] = {"text_column": "2", "label_column": "1", "seeds": 2, "settings": TWO}
    first = compare(*args, **options)
    assert numbers(compare(*args, **options)) == numbers(first)
    cnn = replace(TWO, model="cnn")
    assert numbers(compare(*args, **options | {"settings": cnn})) == numbers(
        compare(*args, **options | {"settings": cnn})
    )
    assert numbers(compare(*args, **options | {"seed": 1})) != numbers(first)


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every call of runs.train: the model's initial weights, its batches, its training rows;
    and every split evaluate scored, in order."""
    calls: list[dict[str, Any]] = []
    train, batches, evaluate = runs.train, runs.epoch_batches, runs.evaluate

    def spy_train(
        model: torch.nn.Module, optimizer: Any, data: runs.Tensors, *a: Any, **k: Any
    ) -> runs.Fit:
        state = {n: v.clone() for n, v in model.state_dict().items()}
        calls.append({"state": state, "batches": [], "rows": data.ids.clone(), "scored": []})
        return train(model, optimizer, data, *a, **k)

    def spy_batches(*a: Any, **k: Any) -> list[np.ndarray]:
        out = batches(*a, **k)
        calls[-1]["batches"].append([b.tolist() for b in out])
        return out

    def spy_evaluate(model: torch.nn.Module, data: runs.Tensors) -> runs.Scores:
        calls[-1]["scored"].append(data.name)
        return evaluate(model, data)

    monkeypatch.setattr(runs, "train", spy_train)
    monkeypatch.setattr(runs, "epoch_batches", spy_batches)
    monkeypatch.setattr(runs, "evaluate", spy_evaluate)
    return calls


def test_ways_of_one_seed_share_initial_weights_batches_and_rows(
    compare_artifact: Path, tmp_path: Path, recorded: list[dict[str, Any]]
) -> None:
    train, test = task_files(tmp_path)
    result = compare(
        compare_artifact,
        train,
        test,
        text_column="2",
        label_column="1",
        ways=WAYS,
        seeds=2,
        train_sizes=[30],
        settings=TWO,
    )
    assert len(recorded) == len(result.runs) == 2 * len(WAYS)
    for seed in range(2):
        calls = recorded[seed * len(WAYS) : (seed + 1) * len(WAYS)]
        first = calls[0]
        rest = [k for k in first["state"] if not k.startswith("embedding.")]
        for call in calls[1:]:
            assert all(torch.equal(call["state"][k], first["state"][k]) for k in rest)
            n = min(len(call["batches"]), len(first["batches"]))  # early stopping may differ
            assert call["batches"][:n] == first["batches"][:n]
            assert torch.equal(call["rows"], first["rows"])
    assert recorded[0]["batches"][0] != recorded[len(WAYS)]["batches"][0]  # seeds differ
    assert not torch.equal(recorded[0]["rows"], recorded[len(WAYS)]["rows"])  # 30 rows per seed


def test_the_test_set_is_scored_once_after_training(
    compare_artifact: Path, tmp_path: Path, recorded: list[dict[str, Any]]
) -> None:
    train, test = task_files(tmp_path)
    result = compare(
        compare_artifact,
        train,
        test,
        text_column="2",
        label_column="1",
        ways=["random", "frozen"],
        seeds=1,
        settings=replace(TINY, epochs=4),
    )
    for call, run in zip(recorded, result.runs, strict=True):
        assert call["scored"] == ["dev"] * run.epochs_run + ["test"]
        accuracy = [h[0] for h in run.history]
        assert run.dev_accuracy == max(accuracy) == accuracy[run.epoch - 1]


def test_several_artifacts_side_by_side(compare_artifact: Path, tmp_path: Path) -> None:
    twin = tmp_path / "other" / compare_artifact.name
    shutil.copytree(compare_artifact, twin)
    train, test = task_files(tmp_path)
    result = compare(
        [compare_artifact, twin],
        train,
        test,
        text_column="2",
        label_column="1",
        ways=["random", "init"],
        seeds=1,
        settings=TWO,
    )
    names = [s.name for s in result.sources]
    assert names == [str(compare_artifact), str(twin)]  # same directory name: full paths
    assert [(s.artifact, s.way) for s in result.summaries] == [
        (names[0], "random"),
        (names[0], "init"),
        (names[1], "random"),
        (names[1], "init"),
    ]
    by_artifact = [[s.accuracy for s in result.summaries if s.artifact == n] for n in names]
    assert by_artifact[0] == by_artifact[1]  # the same vectors give the same numbers
    with pytest.raises(InputError, match="given twice"):
        compare([twin, twin], train, test, text_column="2", label_column="1", settings=TWO)


def test_existing_out_fails_before_any_training(
    compare_artifact: Path, tmp_path: Path, recorded: list[dict[str, Any]]
) -> None:
    train, test = task_files(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "results.json").write_text("{}")
    with pytest.raises(InputError, match="already exists"):
        compare(
            compare_artifact,
            train,
            test,
            text_column="2",
            label_column="1",
            out=tmp_path / "out",
            settings=TWO,
        )
    assert recorded == []
    result = compare(
        compare_artifact,
        train,
        test,
        text_column="2",
        label_column="1",
        ways=["frozen"],
        seeds=1,
        out=tmp_path / "out",
        force=True,
        settings=TWO,
        plot=False,
    )
    assert result.files == ("results.json", "results.csv", "runs.csv")


def test_threads_are_restored(compare_artifact: Path, tmp_path: Path) -> None:
    train, test = task_files(tmp_path)
    before = torch.get_num_threads()
    compare(
        compare_artifact,
        train,
        test,
        text_column="2",
        label_column="1",
        ways=["frozen"],
        seeds=1,
        settings=TWO,
        threads=1,
    )
    assert torch.get_num_threads() == before
