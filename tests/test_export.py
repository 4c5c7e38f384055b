"""Writing vectors files (aligner train): formats by extension, exact round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from aligner.errors import InputError
from aligner.export import write_vectors
from aligner.pretrained.formats import detect_format, read_vectors
from aligner.vectors import WordVectors
from aligner.vocab import Vocab
from aligner_cli.main import cli

KEYS = ["the", "Guitar", "café", "x"]


def vectors() -> WordVectors:
    rng = np.random.default_rng(0)
    matrix = (rng.standard_normal((5, 4)) * [1, 1e-7, 1e5, 3]).astype(np.float32)
    return WordVectors([*KEYS, "composed"], matrix, n_subword=1)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("v.txt", "word2vec"), ("v.vec", "word2vec"), ("v.bin", "word2vec-binary"),
     ("v.txt.gz", "word2vec"), ("v.bin.gz", "word2vec-binary")],
)  # fmt: skip
def test_round_trip_exact_with_aligner_and_gensim(tmp_path: Path, name: str, fmt: str) -> None:
    from gensim.models import KeyedVectors

    wv = vectors()
    path = write_vectors(tmp_path / name, wv)
    assert detect_format(path) == fmt
    back = read_vectors(path, Vocab(KEYS), lowercase=False)
    assert back.vectors.keys == KEYS  # subword rows are not written
    assert np.array_equal(back.vectors.vectors, wv.vectors[:4])
    kv = KeyedVectors.load_word2vec_format(str(path), binary=fmt.endswith("binary"))
    assert all(np.array_equal(kv[k], wv.vectors[i]) for i, k in enumerate(KEYS))


def test_existing_file_needs_force_and_failures_leave_nothing(tmp_path: Path) -> None:
    path = write_vectors(tmp_path / "v.txt", vectors())
    with pytest.raises(InputError, match="--force"):
        write_vectors(path, vectors())
    bad = WordVectors(["ok", "two words"], np.zeros((2, 2), np.float32))
    with pytest.raises(InputError, match="whitespace"):
        write_vectors(tmp_path / "bad.txt", bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.txt"]


def test_cli_train_writes_vectors_and_refuses_overwrite(tmp_path: Path, corpus_file: Path) -> None:
    out = tmp_path / "w.bin"
    args = ["train", "--corpus", str(corpus_file), "--out", str(out), "--dim", "6",
            "--min-count", "2", "--epochs", "1"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {out}: ")
    assert "x 6 (word2vec, 1 epochs over " in result.output
    assert detect_format(out) == "word2vec-binary"
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 1 and "--force" in again.output
    missing = CliRunner().invoke(cli, ["train", "--corpus", str(tmp_path / "no.txt"), "--out", "x"])
    assert missing.exit_code == 2


def test_cli_train_help_ends_with_example() -> None:
    result = CliRunner().invoke(cli, ["train", "--help"])
    assert result.exit_code == 0 and "Example:" in result.output.splitlines()[-3]
