"""build from pretrained vectors, reuse of identical builds, float16 storage."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import aligner
from aligner.errors import ArtifactExistsError
from aligner_cli.main import cli

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
GLOVE = SAMPLES / "vectors.glove.txt"


def glove_rows() -> dict[str, np.ndarray]:
    rows = {}
    for line in GLOVE.read_text(encoding="utf-8").splitlines():
        token, *values = line.split(" ")
        rows[token] = np.array(values, dtype=np.float32)
    return rows


def config(out: Path, **overrides: object) -> aligner.BuildConfig:
    fields: dict[str, object] = {"pretrained": GLOVE, "vocab": SAMPLES / "vocab.txt", "out": out}
    return aligner.BuildConfig(**(fields | overrides))  # type: ignore[arg-type]


def test_pretrained_glove_rows_copied_exactly(tmp_path: Path) -> None:
    result = aligner.build(config(tmp_path / "a"))
    art = aligner.load(result.path)
    rows = glove_rows()
    assert art.dim == 10 and not result.reused
    exact = [i for i, kind in enumerate(art.provenance) if kind == "exact"]
    lower = [i for i, kind in enumerate(art.provenance) if kind == "lowercase"]
    assert exact and lower
    for i in exact:
        assert np.array_equal(art.vectors[i], rows[art.vocab.tokens[i]])
    for i in lower:
        assert np.array_equal(art.vectors[i], rows[art.vocab.tokens[i].lower()])
    found = {t for t in art.vocab.tokens if t in rows or t.lower() in rows}
    assert result.coverage.found_types == len(found)
    stats = art.manifest["source"]["read_stats"]
    assert stats["rows_read"] == len(rows) and stats["rows_kept"] <= len(rows)
    assert art.manifest["source"]["format"] == "glove"


def test_identical_build_is_reused_and_any_change_rebuilds(tmp_path: Path) -> None:
    out = tmp_path / "a"
    first = aligner.build(config(out))
    stamp = (out / "vectors.npy").stat().st_mtime_ns
    again = aligner.build(config(out))
    assert again.reused and again.manifest["build"] == first.manifest["build"]
    assert (out / "vectors.npy").stat().st_mtime_ns == stamp
    assert again.coverage == first.coverage
    with pytest.raises(ArtifactExistsError, match="--force"):
        aligner.build(config(out, seed=5))
    rebuilt = aligner.build(config(out, seed=5, force=True))
    assert not rebuilt.reused and rebuilt.manifest["build"] != first.manifest["build"]
    # the vocabulary's content is part of the key, not only its path
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("guitar\nfootball\n")
    aligner.build(config(tmp_path / "b", vocab=vocab))
    vocab.write_text("guitar\nmovie\n")
    assert not aligner.build(config(tmp_path / "b", vocab=vocab, force=True)).reused


def test_corrupted_artifact_is_rebuilt_not_reused(tmp_path: Path) -> None:
    out = tmp_path / "a"
    aligner.build(config(out))
    vectors = out / "vectors.npy"
    vectors.write_bytes(vectors.read_bytes()[:-4])
    assert not aligner.build(config(out, force=True)).reused
    assert aligner.load(out).vectors.shape[1] == 10


def test_float16_storage_loads_as_float32_layers(tmp_path: Path) -> None:
    full = aligner.load(aligner.build(config(tmp_path / "f32")).path)
    half = aligner.load(aligner.build(config(tmp_path / "f16", dtype="float16")).path)
    assert half.manifest["vectors"]["dtype"] == "<f2" and half.vectors.dtype == np.float16
    size = half.vectors.size * 2
    assert (tmp_path / "f16" / "vectors.npy").stat().st_size - size < 256
    np.testing.assert_allclose(half.vectors, full.vectors, rtol=1e-3, atol=1e-3)
    for mode in ("trainable", "frozen", "partial"):
        emb = half.embedding(mode)
        assert emb.weight.dtype == torch.float32
    ids = torch.tensor([[half.vocab["guitar"]]])
    assert half.embedding("frozen")(ids).dtype == torch.float32
    assert half.neighbors("guitar", k=3)[0][0] != "guitar"


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


def test_cli_pretrained_build_then_reuse(tmp_path: Path) -> None:
    out = tmp_path / "a"
    args = ["build", "--pretrained", GLOVE, "--vocab", SAMPLES / "vocab.txt", "--out", out]
    code, output = run(*args)
    assert code == 0, output
    assert output.startswith(f"wrote {out}: 412 x 10 float32")
    assert "read: 60 rows, kept" in output
    code, output = run(*args)
    assert code == 0 and output.startswith(f"reused {out}: 412 x 10 float32 (same inputs")
    code, output = run(*args, "--json")
    assert json.loads(output)["reused"] is True


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--corpus", SAMPLES / "corpus.txt"], "exactly one of --corpus"),
        (["--format", "glove"], "exactly one of --corpus"),
    ],
)
def test_cli_source_usage_errors(tmp_path: Path, extra: list[object], fragment: str) -> None:
    both = ["--pretrained", GLOVE] if extra[0] == "--corpus" else []
    code, output = run("build", *both, *extra, "--vocab", SAMPLES / "vocab.txt", "--out", tmp_path)
    assert code == 2 and fragment in output


def test_cli_format_with_corpus_is_a_usage_error(tmp_path: Path) -> None:
    code, output = run(
        "build", "--corpus", SAMPLES / "corpus.txt", "--format", "glove",
        "--vocab", SAMPLES / "vocab.txt", "--out", tmp_path / "x",
    )  # fmt: skip
    assert code == 2 and "apply to --pretrained" in output


def test_cli_bad_row_names_line_and_skip_bad_rows_counts(tmp_path: Path) -> None:
    lines = GLOVE.read_text().splitlines()
    lines[3] = " ".join(lines[3].split(" ")[:-2])  # two values short
    bad = tmp_path / "bad.txt"
    bad.write_text("\n".join(lines) + "\n")
    token = lines[3].split(" ")[0]
    vocab = tmp_path / "vocab.txt"
    vocab.write_text(f"{token}\nguitar\n")
    args = ["build", "--pretrained", bad, "--vocab", vocab, "--out", tmp_path / "a"]
    code, output = run(*args)
    assert code == 1 and f"{bad}, line 4" in output and "--skip-bad-rows" in output
    assert len(output.strip().splitlines()) == 1 and not (tmp_path / "a").exists()
    code, output = run(*args, "--skip-bad-rows")
    assert code == 0 and "1 malformed rows (skipped)" in output


def test_cli_dim_mismatch_and_unknown_name(tmp_path: Path) -> None:
    vocab = SAMPLES / "vocab.txt"
    code, output = run("build", "--pretrained", GLOVE, "--dim", 300, "--vocab", vocab,
                       "--out", tmp_path / "a")  # fmt: skip
    assert code == 1 and "line 1" in output and "--dim" in output
    code, output = run("build", "--pretrained", "glove.6B.51d", "--vocab", vocab,
                       "--out", tmp_path / "b")  # fmt: skip
    assert code == 1 and "glove.6B.50d" in output
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
