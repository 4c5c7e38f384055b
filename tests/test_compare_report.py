"""The console table, results.json / results.csv / runs.csv / results.png, written atomically."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest

from aligner.compare.config import ClassifierSettings
from aligner.compare.plot import NO_MATPLOTLIB, draw_plot
from aligner.compare.report import check_out, report_lines, write_results
from aligner.compare.results import Comparison, RunResult, Source, summarize
from aligner.errors import InputError

PNG = b"\x89PNG\r\n\x1a\n"


def run(size: int, seed: int, artifact: str, way: str, accuracy: float) -> RunResult:
    return RunResult(
        size,
        seed,
        artifact,
        way,
        trainable=1234,
        epoch=2 + seed,
        epochs_run=5,
        dev_accuracy=0.9,
        test_accuracy=accuracy,
        test_macro_f1=accuracy - 0.1,
        seconds=1.5,
        history=((0.8, 0.5), (0.9, 0.4)),
    )


def comparison(seeds: tuple[int, ...] = (0, 1)) -> Comparison:
    runs = [
        run(size, seed, artifact, way, 0.5 + 0.1 * seed + (way == "init") * 0.3)
        for size in (20, 100)
        for seed in seeds
        for artifact in ("w2v", "glove")
        for way in ("random", "init")
    ]
    source = Source("w2v", Path("emb/w2v"), 50, 8, "whitespace", 40, {"train": 0.01, "test": 0.05})
    return Comparison(
        settings=ClassifierSettings(),
        ways=("random", "init"),
        seeds=seeds,
        labels=("a", "b"),
        splits={"train": 100, "dev": 11, "test": 30, "dev_source": "10% slice"},
        train_sizes=(20, 100),
        sources=(
            source,
            Source("glove", Path("emb/glove"), 50, 8, "regex", 45, {"train": 0.0, "test": 0.02}),
        ),
        runs=tuple(runs),
        summaries=tuple(summarize(runs)),
    )


def test_summaries_average_over_seeds() -> None:
    rows = comparison().summaries
    assert [(r.train_size, r.artifact, r.way) for r in rows[:4]] == [
        (20, "w2v", "random"),
        (20, "w2v", "init"),
        (20, "glove", "random"),
        (20, "glove", "init"),
    ]
    first = rows[0]
    assert (first.runs, first.trainable, first.epoch) == (2, 1234, 2.5)
    assert first.accuracy == pytest.approx(0.55)
    assert first.accuracy_std == pytest.approx(0.0707107, rel=1e-5)  # sample std of 0.5, 0.6
    assert summarize(list(comparison(seeds=(0,)).runs))[0].accuracy_std is None


def test_report_lines_one_table_per_training_size() -> None:
    lines = report_lines(comparison())
    assert lines[0].startswith("dataset 1: 2 labels; train 100 rows, dev 11 (10% slice), test 30")
    assert "artifact w2v: 50 rows x 8 (40 found), whitespace tokenizer" in lines[2]
    assert "training size 20 of 100" in lines and "training size 100 (all)" in lines
    head = lines[lines.index("training size 20 of 100") + 1]
    for column in ("artifact", "way", "trainable", "test accuracy", "macro-F1", "epoch", "time"):
        assert column in head
    row = lines[lines.index("training size 20 of 100") + 3]
    assert row.split()[:3] == ["w2v", "init", "1,234"]
    assert "0.850 ± 0.071" in row and "0.750 ± 0.071" in row and "1.5 s" in row
    single = report_lines(comparison(seeds=(0,)))
    assert any(" 0.800 " in line and "±" not in line for line in single)


def test_results_directory_holds_json_csv_and_png(tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = write_results(comparison(), check_out(out), plot=draw_plot)
    assert result.out == out and result.notes == ()
    assert result.files == ("results.json", "results.csv", "runs.csv", "results.png")
    assert sorted(p.name for p in out.iterdir()) == sorted(result.files)
    assert json.loads((out / "results.json").read_text()) == json.loads(
        json.dumps(result.to_dict())
    )
    rows = list(csv.DictReader((out / "results.csv").read_text().splitlines()))
    assert len(rows) == 8 and rows[1]["way"] == "init"
    assert float(rows[1]["accuracy"]) == pytest.approx(0.85)
    assert len(list(csv.DictReader((out / "runs.csv").read_text().splitlines()))) == 16
    assert (out / "results.png").read_bytes().startswith(PNG)
    assert [p.name for p in tmp_path.iterdir()] == ["results"]  # no temporary left


def test_without_matplotlib_the_rest_is_written_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)  # import fails as if not installed
    result = write_results(comparison(), tmp_path / "out", plot=draw_plot)
    assert result.notes == (NO_MATPLOTLIB,)
    assert "pip install 'aligner[plot]'" in NO_MATPLOTLIB
    assert "results.png" not in result.files
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(result.files)
    assert json.loads((tmp_path / "out" / "results.json").read_text())["notes"] == [NO_MATPLOTLIB]


def test_a_failure_while_writing_leaves_no_directory_and_keeps_the_old_one(tmp_path: Path) -> None:
    def broken(comparison: Comparison, path: Path) -> str | None:
        path.write_bytes(b"half a png")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_results(comparison(), tmp_path / "new", plot=broken)
    assert list(tmp_path.iterdir()) == []
    old = write_results(comparison(), tmp_path / "old", plot=None)
    with pytest.raises(OSError, match="disk full"):
        write_results(comparison(), check_out(tmp_path / "old", force=True), plot=broken)
    assert sorted(p.name for p in (tmp_path / "old").iterdir()) == sorted(old.files)
    assert [p.name for p in tmp_path.iterdir()] == ["old"]


def test_results_another_run_wrote_meanwhile_are_kept_without_force(tmp_path: Path) -> None:
    out = check_out(tmp_path / "results")  # free when this run started ...
    first = write_results(comparison(seeds=(0,)), out, plot=None)  # ... another run wrote it
    before = (out / "results.json").read_bytes()
    with pytest.raises(InputError, match="written by another run while this one trained"):
        write_results(comparison(), out, plot=None)
    assert (out / "results.json").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["results"]  # no temporary left
    replaced = write_results(comparison(), out, plot=None, force=True)
    assert first.seeds == (0,)
    assert json.loads((out / "results.json").read_text())["seeds"] == [0, 1]
    assert replaced.out == out


def test_check_out(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    (tmp_path / "done").mkdir()
    (tmp_path / "done" / "results.json").write_text("{}")
    assert check_out(tmp_path / "new") == tmp_path / "new"
    with pytest.raises(InputError, match="not a directory"):
        check_out(tmp_path / "file", force=True)
    with pytest.raises(InputError, match="already exists; pass --force"):
        check_out(tmp_path / "done")
    assert check_out(tmp_path / "done", force=True) == tmp_path / "done"
    with pytest.raises(InputError, match=r"holds no results\.json; refusing"):
        check_out(tmp_path / "other", force=True)
