"""Nearest neighbours by cosine similarity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import aligner
from aligner.artifact import write_artifact
from aligner.errors import InputError
from aligner.vocab import Vocab


def test_neighbors_by_cosine_skip_specials_self_and_zero_rows(tmp_path: Path) -> None:
    vocab = Vocab(["a", "b", "c", "z"])
    matrix = np.array(
        [[0, 0], [1, 0], [1, 0], [0.9, 0.1], [-1, 0], [0, 0]], dtype=np.float32
    )  # rows: <pad> <unk> a b c z
    write_artifact(
        tmp_path / "n", matrix, vocab, ["pad", "special", "exact", "exact", "exact", "fill"]
    )
    art = aligner.load(tmp_path / "n")
    result = art.neighbors("a", k=10)
    assert [t for t, _ in result] == ["b", "c"]
    assert result[0][1] == pytest.approx(0.9 / np.hypot(0.9, 0.1), rel=1e-6)
    assert result[1][1] == pytest.approx(-1.0)
    assert art.neighbors("a", k=1) == result[:1]


def test_neighbors_errors(built: Path) -> None:
    art = aligner.load(built)
    with pytest.raises(InputError, match="not in the vocabulary"):
        art.neighbors("absent-word")
    with pytest.raises(InputError, match="at least 1"):
        art.neighbors("guitar", k=0)
