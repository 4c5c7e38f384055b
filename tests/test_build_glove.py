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
    # a mapping gives GloVe's own defaults to what it leaves out (window 15, epochs 25)
    params = make_params("glove", {"dim": 12, "epochs": None}, seed=2)
    assert isinstance(params, GloveTrainingParams)
    assert (params.dim, params.window, params.seed, params.epochs) == (12, 15, 2, 25)
    # word2vec's parameters would train GloVe with word2vec's window 5: refused
    with pytest.raises(InputError, match="Word2VecParams do not belong to method 'glove'"):
        make_params("glove", aligner.Word2VecParams(dim=12))
    with pytest.raises(InputError, match="glove has no parameter sg"):
        make_params("glove", {"sg": False})
    with pytest.raises(InputError, match="memory-gb"):
        GloveTrainingParams(memory_gb=0)
