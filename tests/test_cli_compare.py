"""``aligner compare`` through CliRunner: the table, the files, and every bad input."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from aligner.compare import DEFAULT_WAYS, MODELS, WAYS
from aligner_cli import compare as cli_compare
from aligner_cli.common import shown
from aligner_cli.main import cli

from .compare_helpers import task_files
from .helpers import write_labelled

SMALL = ["--epochs", 2, "--patience", 1, "--batch-size", 16, "--max-length", 12]


def run(*args: Any) -> Result:
    return CliRunner().invoke(cli, ["compare", *(str(a) for a in args)])


def args(artifact: Path, train: Path, test: Path, out: Path, *extra: Any) -> list[Any]:
    return [
        "--artifact",
        artifact,
        "--train",
        train,
        "--test",
        test,
        "--text-column",
        2,
        "--label-column",
        1,
        "--out",
        out,
        *SMALL,
        *([] if "cnn" in extra else ["--hidden", 8]),  # the GRU's; cnn has none
        *extra,
    ]


def one_error_line(result: Result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1, result.output
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def test_help_ends_with_an_example() -> None:
    result = run("--help")
    assert result.exit_code == 0
    tail = result.output.rstrip().splitlines()
    assert tail[-4].strip() == "Example:"
    assert tail[-3].strip().startswith("aligner compare --artifact")


def test_the_cli_names_the_librarys_ways_and_models() -> None:
    assert cli_compare.WAYS == WAYS and cli_compare.MODELS == MODELS
    assert ",".join(DEFAULT_WAYS) == cli_compare.DEFAULT_WAYS


def test_prints_the_table_and_writes_the_results(compare_artifact: Path, tmp_path: Path) -> None:
    train, test = task_files(tmp_path)
    out = tmp_path / "results"
    result = run(*args(compare_artifact, train, test, out, "--seeds", 2, "--train-sizes", "20,all"))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("dataset 1: 2 labels; train 72 rows, dev 8")
    assert "training size 20 of 72" in lines and "training size 72 (all)" in lines
    assert sum(line.split()[:2] == ["artifact", "way"] for line in lines) == 2  # two tables
    table = lines[lines.index("training size 72 (all)") + 2 :][:5]
    assert [line.split()[1] for line in table] == list(DEFAULT_WAYS)
    assert all("±" in line for line in table)
    assert f"wrote {out}/: results.json, results.csv, runs.csv, results.png" in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "results.csv",
        "results.json",
        "results.png",
        "runs.csv",
    ]
    assert "\r" not in result.output  # no progress bar outside a terminal


def test_json_and_options_reach_the_library(compare_artifact: Path, tmp_path: Path) -> None:
    train, test = task_files(tmp_path)
    dev = write_labelled(tmp_path / "dev.tsv", 10, seed=3)
    out = tmp_path / "results"
    extra = [
        "--dev",
        dev,
        "--ways",
        "frozen,slow",
        "--model",
        "cnn",
        "--seeds",
        1,
        "--seed",
        7,
        "--embedding-lr",
        0.01,
        "--no-plot",
        "--json",
    ]
    result = run(*args(compare_artifact, train, test, out, *extra))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ways"] == ["frozen", "slow"] and data["seeds"] == [7]
    assert data["settings"]["model"] == "cnn" and data["settings"]["slow_lr"] == 0.01
    assert data["splits"]["dev"] == 10 and data["splits"]["dev_source"] == str(dev)
    assert data["files"] == ["results.json", "results.csv", "runs.csv"]
    assert json.loads((out / "results.json").read_text())["runs"] == data["runs"]


def broken_tokenizer(artifact: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "broken"
    shutil.copytree(artifact, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["tokenizer"]["kind"] = "bogus"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("one label", ["train.tsv", "the label 'music'", "at least two labels", "--label-column"]),
        ("unseen test label", ["test.tsv, line 3", "label 'cooking'", "never occurs", "train.tsv"]),
        ("empty test", ["test.tsv holds no rows"]),
        ("text is numbers", ["train.tsv", "column '1' holds only numbers", "--text-column"]),
        ("text is not text", ["train.parquet", "column 'n' is int64, not text", "--text-column"]),
        ("tokenizer", ["broken", "unknown tokenizer kind 'bogus'"]),
    ],
)
def test_bad_input_one_line_nonzero_exit_no_results(
    compare_artifact: Path, tmp_path: Path, case: str, expected: list[str]
) -> None:
    train, test = task_files(tmp_path)
    artifact, columns = compare_artifact, ("2", "1")
    if case == "one label":
        write_labelled(train, 40, labels=("music",))
    elif case == "unseen test label":
        write_labelled(test, 6, labels=("music", "sports", "cooking"))
    elif case == "empty test":
        test.write_text("")
    elif case == "text is numbers":
        train.write_text("".join(f"{i}\ta b\n" for i in range(20)))
        columns = ("1", "2")
    elif case == "text is not text":
        train = tmp_path / "train.parquet"
        pq.write_table(pa.table({"n": [1, 2], "label": ["a", "b"]}), train)
        columns = ("n", "label")
    else:
        artifact = broken_tokenizer(compare_artifact, tmp_path)
    out = tmp_path / "results"
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run(
        "--artifact",
        artifact,
        "--train",
        train,
        "--test",
        test,
        "--text-column",
        columns[0],
        "--label-column",
        columns[1],
        "--out",
        out,
        *SMALL,
    )
    line = one_error_line(result)
    for fragment in expected:
        assert fragment in line
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temporary left either


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--ways", "random,warm"], "'warm' is not a way"),
        (["--train-sizes", "500,lots"], "'lots' is not a training size"),
        (["--embedding-lr", 0.1, "--slow-factor", 0.5], "--embedding-lr or --slow-factor"),
        (["--dev-fraction", 0.1, "--dev", "DEV"], "--dev-fraction applies only without --dev"),
        (["--model", "lstm"], "'lstm' is not one of 'gru', 'cnn'"),
        (["--ways", "unfreeze", "--unfreeze-after", 2], "never trains its embedding"),
        (["--train-sizes", "5000"], "training size 5000 is outside"),
    ],
)
def test_bad_options(
    compare_artifact: Path, tmp_path: Path, extra: list[Any], expected: str
) -> None:
    train, test = task_files(tmp_path)
    extra = [train if e == "DEV" else e for e in extra]
    result = run(*args(compare_artifact, train, test, tmp_path / "results", *extra))
    assert result.exit_code in (1, 2)
    assert expected in result.output
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--model", "cnn", "--hidden", 64], "--hidden is the GRU's state size"),
        (["--ways", "random,init", "--unfreeze-after", 3],
         "--unfreeze-after applies to the unfreeze way, which --ways leaves out"),
        (["--ways", "init,frozen", "--embedding-lr", 0.01],
         "--embedding-lr applies to the slow way"),
        (["--slow-factor", 0.5, "--ways", "partial"], "--slow-factor applies to the slow way"),
    ],
)  # fmt: skip
def test_options_the_model_or_ways_never_use_are_refused(
    compare_artifact: Path, tmp_path: Path, extra: list[Any], expected: str
) -> None:
    train, test = task_files(tmp_path)
    out = tmp_path / "results"
    result = CliRunner().invoke(cli, ["compare", *(str(a) for a in [
        "--artifact", compare_artifact, "--train", train, "--test", test, "--text-column", 2,
        "--label-column", 1, "--out", out, *extra])])  # fmt: skip
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[-1].startswith("Error: ") and expected in lines[-1]
    assert len(lines) == 3 and lines[0].startswith("Usage:")  # click's usage hint, one error line
    assert not out.exists()


def _non_utf8(folder: Path, name: bytes) -> Path:
    return Path(os.fsdecode(os.fsencode(folder) + b"/" + name))


@pytest.mark.parametrize("layout", ["tsv", "parquet", "arrow"])
def test_files_whose_names_are_not_utf8_are_read(
    compare_artifact: Path, tmp_path: Path, layout: str
) -> None:
    import pyarrow.feather as feather

    train, test = task_files(tmp_path)
    renamed = []
    for path in (train, test):
        target = _non_utf8(tmp_path, path.stem.encode() + b"-\xff." + layout.encode())
        if layout == "tsv":
            path.rename(target)
        else:  # the same rows as a table with a header: columns "label" and "text"
            rows = [line.split("\t", 1) for line in path.read_text().splitlines()]
            table = pa.table({"label": [r[0] for r in rows], "text": [r[1] for r in rows]})
            plain = tmp_path / f"plain.{layout}"
            (pq.write_table if layout == "parquet" else feather.write_feather)(table, str(plain))
            plain.rename(target)
        renamed.append(target)
    out = tmp_path / "results"
    given = args(compare_artifact, *renamed, out, "--ways", "random", "--seeds", 1)
    if layout != "tsv":
        given[given.index("--text-column") + 1] = "text"
        given[given.index("--label-column") + 1] = "label"
    result = run(*given)
    assert result.exit_code == 0, result.output
    # the dev slice is described by the train file's name, its bytes escaped
    saved = json.loads((out / "results.json").read_text(encoding="utf-8"))
    described = saved["splits"]["dev_source"]
    assert os.fsencode(described.split(" of ")[1].split(" (")[0]) == os.fsencode(renamed[0])
    assert shown(renamed[0]) in result.output  # printed with the bytes as \xNN
