"""Builders shared by the compare tests: tiny settings, splits as tensors."""

from __future__ import annotations

from pathlib import Path

from aligner.artifact import Artifact
from aligner.compare.config import ClassifierSettings
from aligner.compare.data import TaskData, encode_split, split_task
from aligner.compare.execute import to_tensors, word_counts
from aligner.compare.read import read_labelled
from aligner.compare.runs import Tensors

from .helpers import write_labelled

#: small enough that a run takes a few milliseconds
TINY = ClassifierSettings(
    epochs=3, patience=1, hidden=8, filters=4, batch_size=16, max_length=12, unfreeze_after=1
)


def task_files(folder: Path, train: int = 80, test: int = 30) -> tuple[Path, Path]:
    """A training and a test file of two topics (``label<TAB>text``, no header)."""
    return (
        write_labelled(folder / "train.tsv", train, seed=1),
        write_labelled(folder / "test.tsv", test, seed=2),
    )


def make_task(folder: Path, train: int = 80, test: int = 30) -> TaskData:
    """The splits of :func:`task_files`, dev a 20 % slice of train."""
    train_path, test_path = task_files(folder, train, test)
    columns = {"text_column": "2", "label_column": "1"}
    return split_task(
        read_labelled(train_path, **columns),
        read_labelled(test_path, **columns),
        None,
        dev_fraction=0.2,
        seed=0,
    )


def tensors(art: Artifact, task: TaskData) -> dict[str, Tensors]:
    """Every split of ``task`` encoded with ``art``."""
    return {
        split.name: to_tensors(
            split.name,
            encode_split(art, split, max_length=TINY.max_length),
            word_counts(split.texts, TINY.max_length),
            None,
        )
        for split in (task.train, task.dev, task.test)
    }
