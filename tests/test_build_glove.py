"""GloVe through build and train: end to end, errors before any work, parameters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import aligner
from aligner.errors import InputError
from aligner.train import GloveTrainingParams, make_params
from aligner_cli.main import cli

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


def test_glove_build_learns_topics(tmp_path: Path) -> None:
    out = tmp_path / "g"
    code, output = run("build", "--corpus", SAMPLES / "corpus.txt", "--method", "glove",
                       "--dim", 24, "--min-count", 2, "--epochs", 25, "--window", 10,
                       "--threads", 1, "--vocab", SAMPLES / "vocab.txt", "--out", out)  # fmt: skip
    assert code == 0, output
    art = aligner.load(out)
    source = art.manifest["source"]
    assert source["method"] == "glove" and source["params"]["window"] == 10
    losses = source["loss_per_epoch"]
    assert len(losses) == 25 and losses[-1] < losses[0]
    scores = dict(art.neighbors("guitar", k=len(art.vocab)))
    assert scores["piano"] > scores["football"] and scores["drums"] > scores["oven"]


def test_cuda_without_gpu_fails_before_counting(tmp_path: Path) -> None:
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    code, output = run("build", "--corpus", SAMPLES / "corpus.txt", "--method", "glove",
                       "--device", "cuda", "--vocab", SAMPLES / "vocab.txt",
                       "--out", tmp_path / "g")  # fmt: skip
    assert code == 1 and "no CUDA GPU" in output and len(output.strip().splitlines()) == 1
    assert not (tmp_path / "g").exists()


def test_too_small_memory_budget_is_an_error(tmp_path: Path) -> None:
    code, output = run("train", "--corpus", SAMPLES / "corpus.txt", "--method", "glove",
                       "--memory-gb", 1e-9, "--out", tmp_path / "v.txt")  # fmt: skip
    assert code == 1 and "--memory-gb must be at least" in output
    assert not (tmp_path / "v.txt").exists()


def test_cli_train_glove_json(tmp_path: Path) -> None:
    code, output = run("train", "--corpus", SAMPLES / "corpus.txt", "--method", "glove",
                       "--dim", 8, "--epochs", 2, "--min-count", 2, "--out", tmp_path / "v.bin",
                       "--json")  # fmt: skip
    assert code == 0, output
    data = json.loads(output)
    assert data["method"] == "glove" and data["dim"] == 8
    assert data["source"]["params"]["window"] == 15  # GloVe's own default


def test_glove_params() -> None:
    # shared fields carry over (an unset word2vec epochs does not); its own (sg) are dropped
    params = make_params("glove", aligner.Word2VecParams(dim=12, window=4), seed=2)
    assert isinstance(params, GloveTrainingParams)
    assert (params.dim, params.window, params.seed, params.epochs) == (12, 4, 2, 25)
    assert make_params("glove", aligner.Word2VecParams(epochs=3)).epochs == 3
    assert make_params("glove", {"dim": 3}).epochs == 25
    with pytest.raises(InputError, match="memory-gb"):
        GloveTrainingParams(memory_gb=0)
