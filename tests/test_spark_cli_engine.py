"""The CLI's engine options (aligner_cli.engine), through CliRunner on a command built like
``aligner vocab``: usage errors, paths Spark reads, one-line errors, nothing half-written."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from aligner.tokenize import TokenizerSpec
from aligner_cli.common import OutputFile, library_errors
from aligner_cli.engine import (
    EngineOutputFile,
    EnginePath,
    engine_options,
    engine_session,
    local_only,
)


@click.command(epilog="\b\nExample:\n  vocab --data d/ --out v.tsv --engine spark")
@click.option("--data", required=True, type=EnginePath(exists=True))
@click.option("--out", required=True, type=OutputFile())
@click.option("--follow-links", is_flag=True)
@engine_options
@library_errors
def vocab(data: str, out: str, follow_links: bool, engine: dict[str, Any]) -> None:
    """Count --data into the vocabulary file --out."""
    from aligner.engines import spark as engines_spark
    from aligner.vocab_build import build_vocab_file

    local_only(engine, follow_links=follow_links)
    with engine_session(engine) as spark:
        if spark is None:
            report = build_vocab_file(data, out, tokenizer=TokenizerSpec())
        else:
            report = engines_spark.build_vocab_file(spark, data, out, tokenizer=TokenizerSpec())
    click.echo(f"wrote {report.types_written} types on {engine['engine']}")


def run(*args: object, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(vocab, [str(a) for a in args], env=env)
    return result.exit_code, result.output


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("Error:")
    return lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--spark-conf", "spark.executor.memory"], "'spark.executor.memory' is not KEY=VALUE"),
        (["--engine", "spark", "--spark-conf", "memory=4g"], "'memory' is not a Spark setting"),
        (["--spark-master", "local[2]"], "--spark-master applies to --engine spark"),
        (["--spark-conf", "spark.a=1"], "--spark-conf applies to --engine spark"),
        (["--engine", "flink"], "'flink' is not one of 'local', 'spark'"),
        (["--engine", "spark", "--follow-links"], "--follow-links applies to --engine local"),
    ],
)
def test_spark_options_without_the_spark_engine_are_usage_errors(
    tmp_path: Path, args: list[str], message: str
) -> None:
    data = tmp_path / "t.txt"
    data.write_text("a b\n", encoding="utf-8")
    code, output = run("--data", data, "--out", tmp_path / "v.tsv", *args)
    assert code == 2
    assert message in output
    assert not (tmp_path / "v.tsv").exists()


def test_the_master_from_the_environment_is_no_error_for_the_local_engine(tmp_path: Path) -> None:
    data = tmp_path / "t.txt"
    data.write_text("a b a\n", encoding="utf-8")
    env = {"ALIGNER_SPARK_MASTER": "spark://nowhere:7077"}
    code, output = run("--data", data, "--out", tmp_path / "v.tsv", env=env)
    assert (code, output.strip()) == (0, "wrote 2 types on local")


def test_help_lists_the_engine_options() -> None:
    code, output = run("--help")
    assert code == 0
    for option in ("--engine [local|spark]", "--spark-master URL", "--spark-conf KEY=VALUE"):
        assert option in output
    assert "ALIGNER_SPARK_MASTER" in output


def test_without_pyspark_the_spark_engine_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)
    data = tmp_path / "t.txt"
    data.write_text("a b\n", encoding="utf-8")
    code, output = run("--data", data, "--out", tmp_path / "v.tsv", "--engine", "spark")
    assert code == 1
    assert "pip install 'aligner[spark]'" in one_error_line(output)
    assert not (tmp_path / "v.tsv").exists()


def test_the_spark_engine_reads_globs_and_writes_the_local_file(spark: Any, tmp_path: Path) -> None:
    (tmp_path / "p1.txt").write_text("b a\n\nA a\n", encoding="utf-8")
    (tmp_path / "p2.txt").write_text("c a b\n", encoding="utf-8")
    code, output = run("--data", tmp_path / "p*.txt", "--out", tmp_path / "v.tsv",
                       "--engine", "spark")  # fmt: skip
    assert (code, output.strip()) == (0, "wrote 4 types on spark"), output
    assert (tmp_path / "v.tsv").read_text(encoding="utf-8") == "a\t3\nb\t2\nA\t1\nc\t1\n"
    assert spark.sparkContext._jsc is not None  # the running session was reused, not stopped


def test_a_path_spark_cannot_read_is_one_line_and_exit_1(spark: Any, tmp_path: Path) -> None:
    code, output = run("--data", tmp_path / "nothing*.txt", "--out", tmp_path / "v.tsv",
                       "--engine", "spark")  # fmt: skip
    assert code == 1
    assert "nothing*.txt: no such file, or no file matches" in one_error_line(output)
    assert list(tmp_path.iterdir()) == []
    code, output = run("--data", tmp_path / "nothing.txt", "--out", tmp_path / "v.tsv")
    assert code == 2 and "does not exist" in output  # the local engine: click checks it


@click.command()
@click.option("--out", required=True, type=EngineOutputFile())
@engine_options
def write(out: str, engine: dict[str, Any]) -> None:
    click.echo(f"{engine['engine']} {out}")


def test_an_output_directory_is_refused_locally_and_passed_on_to_spark(tmp_path: Path) -> None:
    local = CliRunner().invoke(write, ["--out", str(tmp_path)])
    assert local.exit_code == 2 and "is a directory" in local.output
    spark = CliRunner().invoke(write, ["--out", str(tmp_path), "--engine", "spark"])
    assert (spark.exit_code, spark.output.strip()) == (0, f"spark {tmp_path}")
