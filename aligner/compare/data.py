"""Dataset 1 for a comparison: label ids, the dev slice, training-set sizes, token ids.

The label set comes from the training file alone. Without a dev file, a
seeded, stratified slice of the training file is the dev set (every label
keeps at least one training row). A training size below "all" is a seeded,
stratified sample of the training rows, drawn anew for every seed. Nothing
here imports torch.

Example:
    >>> labels = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    >>> dev = stratified_slice(labels, 0.2, seed=0)
    >>> sorted(labels[dev].tolist())
    [0, 1]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from aligner.errors import InputError

MANY_LABELS = 20  # more labels than this, in over half the rows: the column is text

if TYPE_CHECKING:
    from aligner.artifact import Artifact
    from aligner.compare.read import Labelled

__all__ = [
    "Encoded",
    "Split",
    "TaskData",
    "encode_split",
    "label_names",
    "resolve_sizes",
    "split_task",
    "stratified_sample",
    "stratified_slice",
]


@dataclass(frozen=True)
class Split:
    """One split of dataset 1: texts and label ids.

    Attributes:
        name: ``"train"``, ``"dev"`` or ``"test"``.
        texts: the texts.
        labels: ``int64`` label ids (positions in :attr:`TaskData.labels`).
        source: where it came from (a path, or a description of the slice).
    """

    name: str
    texts: list[str]
    labels: np.ndarray
    source: str

    def __len__(self) -> int:
        return len(self.texts)


@dataclass(frozen=True)
class TaskData:
    """The three splits and the label names (id order: sorted names)."""

    labels: tuple[str, ...]
    train: Split
    dev: Split
    test: Split


def label_names(train: Labelled) -> tuple[str, ...]:
    """The labels of the training file, sorted.

    Raises:
        InputError: the file has no rows, a single label, or labels that look
            like text (more than 20, and more than half the rows).
    """
    if not len(train):
        raise InputError(f"{train.path} holds no rows; a training file needs labelled rows")
    names = tuple(sorted(set(train.labels)))
    column = f"column {train.label_column!r}"
    if len(names) < 2:
        raise InputError(
            f"{train.path}: every one of its {len(train)} rows has the label {names[0]!r} in "
            f"{column}; a classifier needs at least two labels: check --label-column"
        )
    if len(names) > max(MANY_LABELS, len(train) / 2):
        raise InputError(
            f"{train.path}: {column} holds {len(names):,} different labels in {len(train):,} "
            "rows, which looks like text, not labels: check --label-column and --text-column"
        )
    return names


def _ids(split: Labelled, names: tuple[str, ...], what: str, train: Labelled) -> np.ndarray:
    if not len(split):
        raise InputError(f"{split.path} holds no rows; the {what} set needs labelled rows")
    index = {name: i for i, name in enumerate(names)}
    for row, label in enumerate(split.labels):
        if label not in index:
            raise InputError(
                f"{split.path}, {split.where(row)}: label {label!r} (column "
                f"{split.label_column!r}) never occurs in the training file {train.path}; "
                "drop such rows, or add examples of it to the training file"
            )
    return np.array([index[label] for label in split.labels], dtype=np.int64)


def _allot(counts: np.ndarray, total: int, cap: np.ndarray) -> np.ndarray:
    """Split ``total`` over classes in proportion to ``counts`` (largest remainder),
    at most ``cap`` per class."""
    if counts.sum() == 0 or total <= 0:
        return np.zeros_like(counts)
    share = counts * total / counts.sum()
    take = np.minimum(np.floor(share).astype(np.int64), cap)
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    while take.sum() < total and (take < cap).any():
        for c in order:
            if take.sum() < total and take[c] < cap[c]:
                take[c] += 1
    return take


def _pick(labels: np.ndarray, take: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``take[c]`` random rows of each class ``c``, as sorted indices."""
    picked = [rng.permutation(np.flatnonzero(labels == c))[: take[c]] for c in range(take.size)]
    return np.sort(np.concatenate(picked)).astype(np.int64)


def stratified_slice(labels: np.ndarray, fraction: float, *, seed: int) -> np.ndarray:
    """The rows of a dev slice: ``fraction`` of the rows, every label in proportion.

    Every label keeps at least one row out of the slice.

    Returns:
        Sorted row indices (possibly empty for tiny inputs).

    Example:
        >>> stratified_slice(np.array([0, 0, 1, 1, 1, 1]), 0.5, seed=1).size
        3
    """
    counts = np.bincount(labels)
    total = round(fraction * labels.size)
    take = _allot(counts, total, np.maximum(counts - 1, 0))
    return _pick(labels, take, np.random.default_rng([seed, 1]))


def stratified_sample(labels: np.ndarray, size: int, *, seed: int) -> np.ndarray:
    """``size`` rows with every label in proportion, at least one of each present label.

    Returns:
        Sorted row indices.

    Example:
        >>> stratified_sample(np.array([0, 0, 0, 1, 1, 1]), 2, seed=0).size
        2
    """
    counts = np.bincount(labels)
    share = counts * size / max(labels.size, 1)
    take = _allot(counts, size, counts)
    for label in np.flatnonzero((counts > 0) & (take == 0)):
        # a label the proportional share left out takes a row from the label most over its share
        excess = np.where(take > 1, take - share, -np.inf)
        donor = int(np.argmax(excess))
        take[donor] -= 1
        take[label] += 1
    return _pick(labels, take, np.random.default_rng([seed, 2]))


def resolve_sizes(requested: Sequence[int | str], available: int, n_labels: int) -> list[int]:
    """Training-set sizes as numbers of rows ("all" = ``available``), in the order given.

    Raises:
        InputError: a size larger than the training rows, smaller than the
            number of labels, or given twice.

    Example:
        >>> resolve_sizes([500, "all"], 4906, 6)
        [500, 4906]
    """
    sizes: list[int] = []
    for size in requested:
        n = available if size == "all" else size
        if not isinstance(n, int) or isinstance(n, bool):
            raise InputError(f"a training size is a number of rows or 'all', not {size!r}")
        if not n_labels <= n <= available:
            raise InputError(
                f"training size {size} is outside 1 row per label ({n_labels}) to the "
                f"{available:,} training rows (after the dev slice); pass sizes in that range "
                "or 'all'"
            )
        if n in sizes:
            raise InputError(f"training size {size} is given twice ('all' is {available:,})")
        sizes.append(n)
    return sizes


def split_task(
    train: Labelled,
    test: Labelled,
    dev: Labelled | None,
    *,
    dev_fraction: float,
    seed: int,
) -> TaskData:
    """Label ids for every split, and the dev slice of the training file when no dev file.

    Raises:
        InputError: an empty split, one label, a dev or test label the
            training file lacks, or a training file too small for a dev slice.
    """
    names = label_names(train)
    train_ids = _ids(train, names, "training", train)
    test_split = Split("test", test.texts, _ids(test, names, "test", train), str(test.path))
    if dev is not None:
        dev_split = Split("dev", dev.texts, _ids(dev, names, "dev", train), str(dev.path))
        train_split = Split("train", train.texts, train_ids, str(train.path))
        return TaskData(names, train_split, dev_split, test_split)
    rows = stratified_slice(train_ids, dev_fraction, seed=seed)
    if rows.size == 0:
        raise InputError(
            f"{train.path}: {len(train)} rows leave no {dev_fraction:.0%} dev slice; pass "
            "--dev FILE or a larger --dev-fraction"
        )
    keep = np.setdiff1d(np.arange(len(train)), rows)
    source = f"{dev_fraction:.0%} stratified slice of {train.path} (seed {seed})"
    return TaskData(
        names,
        Split("train", [train.texts[i] for i in keep], train_ids[keep], str(train.path)),
        Split("dev", [train.texts[i] for i in rows], train_ids[rows], source),
        test_split,
    )


@dataclass(frozen=True)
class Encoded:
    """Token ids of one split under one artifact: padded ``(rows, width)`` and lengths.

    Attributes:
        ids: ``int64``, padded with the pad row to the longest row.
        lengths: ``int64`` true lengths (at least 1: an empty text is one pad).
        labels: ``int64`` label ids.
        tokens: ids before padding, in all.
        unknown: ids that are the unk row.
    """

    ids: np.ndarray
    lengths: np.ndarray
    labels: np.ndarray
    tokens: int
    unknown: int


def encode_split(art: Artifact, split: Split, *, max_length: int) -> Encoded:
    """Encode a split with the artifact's tokenizer, cut to ``max_length`` tokens.

    Raises:
        InputError: the artifact has no pad token.
    """
    vocab = art.vocab
    if vocab.pad_id is None:
        raise InputError(
            f"artifact {art.path} has no pad token, which batches of texts need; "
            "rebuild it with --pad-token"
        )
    unknown = "unk" if vocab.unk_id is not None else "skip"
    rows = art.encoder(max_length=max_length, unknown=unknown).rows(split.texts)
    lengths = rows.lengths()
    matrix = np.full((len(split), max(int(lengths.max(initial=0)), 1)), vocab.pad_id, np.int64)
    starts = np.repeat(rows.offsets[:-1], lengths)
    positions = np.arange(rows.ids.size) - starts
    matrix[np.repeat(np.arange(len(split)), lengths), positions] = rows.ids
    n_unknown = 0 if vocab.unk_id is None else int((rows.ids == vocab.unk_id).sum())
    return Encoded(matrix, np.maximum(lengths, 1), split.labels, int(rows.ids.size), n_unknown)
