"""Dataset 1 for a comparison: labels, the stratified dev slice, training sizes, encoding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aligner
from aligner.compare.data import (
    encode_split,
    resolve_sizes,
    split_task,
    stratified_sample,
    stratified_slice,
)
from aligner.compare.read import Labelled, read_labelled
from aligner.errors import InputError

from .helpers import write_labelled

label_arrays = st.lists(st.integers(0, 4), min_size=1, max_size=120).map(
    lambda xs: np.unique(xs, return_inverse=True)[1].astype(np.int64)
)


def labelled(path: str, labels: list[str], texts: list[str] | None = None) -> Labelled:
    texts = texts or [f"text {i}" for i in range(len(labels))]
    return Labelled(Path(path), texts, labels, "tsv", False, "2", "1")


@settings(max_examples=80, deadline=None)
@given(labels=label_arrays, fraction=st.floats(0.05, 0.6), seed=st.integers(0, 3))
def test_dev_slice_is_stratified_and_keeps_a_row_of_every_label(
    labels: np.ndarray, fraction: float, seed: int
) -> None:
    dev = stratified_slice(labels, fraction, seed=seed)
    assert np.array_equal(dev, np.unique(dev))  # sorted, no repeats
    counts = np.bincount(labels)
    taken = np.bincount(labels[dev], minlength=counts.size)
    assert (taken <= counts - 1).all()  # every label keeps a training row
    assert dev.size == min(round(fraction * labels.size), int((counts - 1).sum()))
    share = counts * fraction
    if (share + 1 <= counts - 1).all():  # no label is short of rows: proportions within 1
        assert (np.abs(taken - share) < 1).all()
    assert np.array_equal(dev, stratified_slice(labels, fraction, seed=seed))


@settings(max_examples=80, deadline=None)
@given(labels=label_arrays, seed=st.integers(0, 3), data=st.data())
def test_training_sample_has_the_size_and_every_label(
    labels: np.ndarray, seed: int, data: st.DataObject
) -> None:
    n_labels = int(labels.max()) + 1
    size = data.draw(st.integers(n_labels, labels.size))
    rows = stratified_sample(labels, size, seed=seed)
    assert rows.size == size == np.unique(rows).size
    assert set(labels[rows].tolist()) == set(range(n_labels))
    counts = np.bincount(labels)
    taken = np.bincount(labels[rows], minlength=n_labels)
    assert (np.abs(taken - counts * size / labels.size) <= 1 + 1e-9).all() or n_labels > size / 2


def test_split_task_without_dev_file_slices_train(tmp_path: Path) -> None:
    train = read_labelled(
        write_labelled(tmp_path / "train.tsv", 100), text_column="2", label_column="1"
    )
    test = read_labelled(
        write_labelled(tmp_path / "test.tsv", 10, seed=1), text_column="2", label_column="1"
    )
    task = split_task(train, test, None, dev_fraction=0.2, seed=5)
    assert task.labels == ("music", "sports")
    assert (len(task.train), len(task.dev), len(task.test)) == (80, 20, 10)
    assert np.bincount(task.dev.labels).tolist() == [10, 10]
    assert sorted(task.train.texts + task.dev.texts) == sorted(train.texts)
    assert "20% stratified slice" in task.dev.source
    again = split_task(train, test, None, dev_fraction=0.2, seed=5)
    assert again.dev.texts == task.dev.texts
    other = split_task(train, test, None, dev_fraction=0.2, seed=6)
    assert other.dev.texts != task.dev.texts


def test_split_task_with_dev_file_uses_all_of_train() -> None:
    train = labelled("train.tsv", ["a", "b", "a"])
    dev = labelled("dev.tsv", ["b"])
    task = split_task(train, labelled("test.tsv", ["a"]), dev, dev_fraction=0.1, seed=0)
    assert (len(task.train), len(task.dev), task.dev.source) == (3, 1, "dev.tsv")


@pytest.mark.parametrize(
    ("train", "test", "expected"),
    [
        (["a", "a", "a"], ["a"], ["train.tsv", "every one of its 3 rows", "'a'", "--label-column"]),
        ([], ["a"], ["train.tsv holds no rows"]),
        (["a", "b"] * 5, [], ["test.tsv holds no rows", "test set"]),
        (["a", "b"] * 5, ["a", "c"], ["test.tsv, line 2", "label 'c'", "train.tsv", "drop"]),
        (["a", "b"], ["a"], ["train.tsv", "2 rows leave no 10% dev slice", "--dev"]),
        (
            [f"w{i}" for i in range(30)] + ["a"] * 10,
            ["a"],
            ["train.tsv: column '1' holds 31 different labels in 40 rows", "--text-column"],
        ),
    ],
)
def test_bad_splits(train: list[str], test: list[str], expected: list[str]) -> None:
    with pytest.raises(InputError) as info:
        split_task(
            labelled("train.tsv", train), labelled("test.tsv", test), None, dev_fraction=0.1, seed=0
        )
    for fragment in expected:
        assert fragment in str(info.value)


def test_unseen_dev_label_names_the_dev_file() -> None:
    with pytest.raises(InputError, match=r"dev.tsv, line 1: label 'z'"):
        split_task(
            labelled("train.tsv", ["a", "b"]),
            labelled("test.tsv", ["a"]),
            labelled("dev.tsv", ["z"]),
            dev_fraction=0.1,
            seed=0,
        )


def test_resolve_sizes() -> None:
    assert resolve_sizes([500, 1000, "all"], 4906, 6) == [500, 1000, 4906]
    with pytest.raises(InputError, match=r"training size 5000 is outside .* 4,906 training rows"):
        resolve_sizes([5000], 4906, 6)
    with pytest.raises(InputError, match="outside 1 row per label"):
        resolve_sizes([3], 4906, 6)
    with pytest.raises(InputError, match="given twice"):
        resolve_sizes([4906, "all"], 4906, 6)


def test_encode_split_pads_with_the_pad_row_and_counts_unknown(compare_artifact: Path) -> None:
    art = aligner.load(compare_artifact)
    texts = ["we play guitar", "", "nevermet guitar guitar guitar", "goal"]
    task = split_task(
        labelled("tr", ["a", "b"] * 5),
        labelled("te", ["a"] * 4, texts),
        None,
        dev_fraction=0.2,
        seed=0,
    )
    encoded = encode_split(art, task.test, max_length=3)
    expected = [ids[:3] for ids in art.encode(texts)]
    assert encoded.lengths.tolist() == [3, 1, 3, 1]  # an empty text is one pad
    for row, ids in enumerate(expected):
        assert encoded.ids[row, : len(ids)].tolist() == ids
        assert (encoded.ids[row, len(ids) :] == art.vocab.pad_id).all()
    assert (encoded.tokens, encoded.unknown) == (7, 1)
