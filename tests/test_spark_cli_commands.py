"""The commands with ``--engine spark``: the same files as the local engine writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from click.testing import CliRunner

from aligner_cli.main import cli

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"


def run(*args: Any) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def test_vocab_on_spark_writes_the_local_file(spark: Any, tmp_path: Path) -> None:
    common = ["vocab", "--data", SAMPLES / "train.tsv", "--text-column", 2, "--lowercase"]
    run(*common, "--out", tmp_path / "local.tsv")
    run(*common, "--engine", "spark", "--out", tmp_path / "spark.tsv")
    assert (tmp_path / "spark.tsv").read_bytes() == (tmp_path / "local.tsv").read_bytes()


def test_glove_counted_on_spark_trains_the_same_vectors(spark: Any, tmp_path: Path) -> None:
    common = ["train", "--corpus", SAMPLES / "corpus.txt", "--method", "glove", "--dim", 8,
              "--epochs", 2, "--min-count", 2, "--seed", 3]  # fmt: skip
    run(*common, "--out", tmp_path / "local.txt")
    said = run(*common, "--engine", "spark", "--out", tmp_path / "spark.txt")
    assert said.startswith(f"wrote {tmp_path / 'spark.txt'}: ")
    assert (tmp_path / "spark.txt").read_bytes() == (tmp_path / "local.txt").read_bytes()


def test_encode_on_spark_gives_the_local_ids(spark: Any, tmp_path: Path) -> None:
    art = tmp_path / "art"
    run("build", "--pretrained", SAMPLES / "vectors.glove.txt", "--vocab", SAMPLES / "vocab.txt",
        "--out", art)  # fmt: skip
    common = ["encode", "--artifact", art, "--data", SAMPLES / "train.tsv", "--text-column", 2,
              "--max-length", 16, "--pad"]  # fmt: skip
    run(*common, "--out", tmp_path / "local.parquet")
    run(*common, "--engine", "spark", "--out", tmp_path / "spark")
    local, remote = pq.read_table(tmp_path / "local.parquet"), pq.read_table(tmp_path / "spark")
    for column in ("input_ids", "attention_mask", "length"):
        assert remote.column(column).to_pylist() == local.column(column).to_pylist()


def test_the_shards_stay_in_the_directory_given(spark: Any, tmp_path: Path) -> None:
    shards = tmp_path / "shards"
    run("train", "--corpus", SAMPLES / "corpus.txt", "--method", "glove", "--dim", 8, "--epochs", 1,
        "--min-count", 2, "--engine", "spark", "--spark-shards", shards,
        "--out", tmp_path / "v.txt")  # fmt: skip
    parts = sorted(shards.glob("part-*.parquet"))
    assert parts and pq.read_table(parts[0]).column_names == ["row", "col", "value"]


def test_spark_shards_where_nothing_is_counted_is_a_usage_error(tmp_path: Path) -> None:
    for args in (
        ["vocab", "--data", SAMPLES / "train.tsv", "--text-column", 2, "--engine", "spark"],
        ["train", "--corpus", SAMPLES / "corpus.txt", "--method", "glove"],  # local engine
    ):
        result = CliRunner().invoke(
            cli,
            [str(a) for a in (*args, "--spark-shards", tmp_path / "s", "--out", tmp_path / "o")],
        )
        assert result.exit_code == 2 and "--spark-shards" in result.output, result.output
        assert not (tmp_path / "o").exists() and not (tmp_path / "s").exists()
