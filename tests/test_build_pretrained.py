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


def _vectors_file(artifact: Path) -> Path:
    """The artifact's vectors file, as its manifest names it."""
    manifest = json.loads((artifact / "manifest.json").read_text(encoding="utf-8"))
    return artifact / manifest["vectors"]["file"]


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
    stamp = _vectors_file(out).stat().st_mtime_ns
    again = aligner.build(config(out))
    assert again.reused and again.manifest["build"] == first.manifest["build"]
    assert _vectors_file(out).stat().st_mtime_ns == stamp
    assert again.coverage == first.coverage
    with pytest.raises(ArtifactExistsError, match=r"option --seed 0 → 5; pass --force"):
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
    vectors = _vectors_file(out)
    vectors.write_bytes(vectors.read_bytes()[:-4])
    assert not aligner.build(config(out, force=True)).reused
    assert aligner.load(out).vectors.shape[1] == 10


def test_float16_storage_loads_as_float32_layers(tmp_path: Path) -> None:
    full = aligner.load(aligner.build(config(tmp_path / "f32")).path)
    half = aligner.load(aligner.build(config(tmp_path / "f16", dtype="float16")).path)
    assert half.manifest["vectors"]["dtype"] == "<f2" and half.vectors.dtype == np.float16
    size = half.vectors.size * 2
    assert _vectors_file(tmp_path / "f16").stat().st_size - size < 256
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
    result = CliRunner().invoke(cli, [str(a) for a in [*args, "--json"]])
    data = json.loads(result.stdout)  # stderr holds the warning: 58 vectors for 412 words
    assert data["reused"] is True and data["warnings"][0].startswith("low coverage")


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


# --- compressed fastText models: decompressed into the cache, bounded, checked on use ----------


def fasttext_model(path: Path, *, bucket: int = 20_000) -> Path:
    """A small fastText model in Facebook's .bin format (subwords included)."""
    import random

    from gensim.models import FastText
    from gensim.models.fasttext import save_facebook_model

    words = ["the", "guitar", "piano", "music", "song", "band", "play", "drum", "movie", "film"]
    rng = random.Random(5)
    sentences = [[rng.choice(words) for _ in range(6)] for _ in range(300)]
    model = FastText(
        vector_size=8, min_count=1, bucket=bucket, min_n=3, max_n=4, epochs=1, seed=1, workers=1
    )
    model.build_vocab(sentences)
    model.train(sentences, total_examples=len(sentences), epochs=1)
    save_facebook_model(model, str(path))
    return path


@pytest.fixture(scope="module")
def ft_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fasttext_model(tmp_path_factory.mktemp("ft") / "model.bin")


def _gzip_to(path: Path, data: bytes) -> Path:
    import gzip

    path.write_bytes(gzip.compress(data, 1))
    return path


def _extracted(cache: Path) -> list[str]:
    """Files under <cache>/extracted, but the entries' lock files."""
    found = (cache / "extracted").rglob("*")
    return sorted(p.name for p in found if p.is_file() and not p.name.endswith(".lock"))


def _ft_build(model: Path, out: Path, cache: Path, *extra: object) -> tuple[int, str]:
    args = ["build", "--pretrained", model, "--vocab", SAMPLES / "vocab.txt", "--out", out]
    result = CliRunner().invoke(
        cli, [str(a) for a in (*args, *extra)], env={"ALIGNER_CACHE": str(cache)}
    )
    return result.exit_code, result.output


def test_compressed_fasttext_model_builds_like_the_plain_one(
    tmp_path: Path, ft_model: Path
) -> None:
    cache = tmp_path / "cache"
    packed = _gzip_to(tmp_path / "model.bin.gz", ft_model.read_bytes())
    assert _ft_build(ft_model, tmp_path / "plain", cache)[0] == 0
    code, output = _ft_build(packed, tmp_path / "packed", cache)
    assert code == 0, output
    plain = np.asarray(aligner.load(tmp_path / "plain").vectors)
    assert np.array_equal(aligner.load(tmp_path / "packed").vectors, plain)
    assert _extracted(cache) == ["model.bin", "model.bin.sha256"]


@pytest.mark.parametrize("container", ["gz", "zip"])
def test_model_that_decompresses_past_its_header_is_stopped(
    tmp_path: Path, ft_model: Path, container: str
) -> None:
    import zipfile

    bloated = ft_model.read_bytes() + bytes(40 << 20)  # 40 MiB of zeros after a 0.6 MB model
    if container == "gz":
        packed = _gzip_to(tmp_path / "model.bin.gz", bloated)
    else:
        packed = tmp_path / "model.zip"
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("model.bin", bloated)
    assert packed.stat().st_size < 1 << 20
    cache = tmp_path / "cache"
    code, output = _ft_build(packed, tmp_path / "art", cache)
    lines = output.strip().splitlines()
    assert code == 1 and len(lines) == 1 and "Traceback" not in output
    assert str(packed) in lines[0] and "decompresses to more than" in lines[0]
    assert _extracted(cache) == [] and not (tmp_path / "art").exists()
    assert not [p for p in cache.rglob("*") if p.name.endswith((".tmp", ".part"))]


def test_model_whose_header_claims_more_than_the_disk_holds(tmp_path: Path) -> None:
    import struct

    from aligner.pretrained.fasttext_bin import HEADER, MAGIC

    header = HEADER.pack(MAGIC, 12, 100_000, 5, 1, 1, 5, 1, 1, 1, 2**31 - 1, 3, 6, 100, 1e-4)
    packed = _gzip_to(tmp_path / "huge.bin.gz", header + struct.pack("<3i2q", 0, 0, 0, 0, -1))
    code, output = _ft_build(packed, tmp_path / "art", tmp_path / "cache")
    lines = output.strip().splitlines()
    assert code == 1 and len(lines) == 1 and "header allows up to" in lines[0]
    assert _extracted(tmp_path / "cache") == []


def test_model_with_an_endless_word_is_a_format_error(tmp_path: Path, ft_model: Path) -> None:
    data = ft_model.read_bytes()
    start = 4 * 14 + 8 + 12 + 16  # the header, then the first word of the dictionary
    packed = _gzip_to(tmp_path / "w.bin.gz", data[:start] + b"a" * (200 << 10))
    code, output = _ft_build(packed, tmp_path / "art", tmp_path / "cache")
    assert code == 1 and "longer than 65536 bytes" in output and len(output.splitlines()) == 1


def test_corrupted_decompressed_model_is_caught_and_decompressed_again(
    tmp_path: Path, ft_model: Path
) -> None:
    import os

    cache = tmp_path / "cache"
    packed = _gzip_to(tmp_path / "model.bin.gz", ft_model.read_bytes())
    assert _ft_build(packed, tmp_path / "a", cache)[0] == 0
    [extracted] = (cache / "extracted").rglob("model.bin")
    data = bytearray(extracted.read_bytes())
    data[-100:] = bytes(100)  # rows of the matrix: wrong vectors, right size
    stat = extracted.stat()
    extracted.write_bytes(bytes(data))
    os.utime(extracted, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    code, output = _ft_build(packed, tmp_path / "b", cache)
    assert code == 0, output
    assert extracted.read_bytes() == ft_model.read_bytes()
    first = np.asarray(aligner.load(tmp_path / "a").vectors)
    assert np.array_equal(aligner.load(tmp_path / "b").vectors, first)
