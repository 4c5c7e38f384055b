"""``aligner vocab`` through CliRunner: the bundled sample, --json, options, one-line errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from aligner.vocab import read_vocab
from aligner_cli.vocab import vocab

TRAIN = Path(__file__).resolve().parents[1] / "data_samples" / "train.tsv"


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(vocab, [str(a) for a in args])
    return result.exit_code, result.output


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("Error:")
    return lines[0]


def test_help_ends_with_an_example() -> None:
    code, output = run("--help")
    assert code == 0
    tail = output.rstrip().splitlines()
    assert tail[-3].strip() == "Example:"
    assert (
        tail[-2].strip().startswith("aligner vocab --data data_samples/train.tsv --text-column 2")
    )
    assert tail[-1].strip() == "--out build/vocab.tsv"


def test_bundled_headerless_tsv(tmp_path: Path) -> None:
    out = tmp_path / "v.tsv"
    code, output = run("--data", TRAIN, "--text-column", 2, "--out", out)
    assert code == 0, output
    assert output == (
        f"wrote {out}: 270 types (of 270 in 2776 tokens); "
        "dropped 0 below --min-count, 0 beyond --max-size\n"
    )
    vocab = read_vocab(out)
    assert len(vocab) == 272 and vocab.tokens[2] == "the"
    assert sum(vocab.counts or []) == 2776
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.tsv"]


def test_json_with_limits_and_lowercase(tmp_path: Path) -> None:
    out = tmp_path / "v.tsv"
    args = ["--data", TRAIN, "--text-column", 2, "--out", out, "--json"]
    code, output = run(*args, "--min-count", 3, "--max-size", 50, "--lowercase")
    assert code == 0, output
    summary = json.loads(output)
    assert summary["path"] == str(out) and summary["types_written"] == 50
    assert summary["tokens_counted"] == 2776 and summary["dropped_specials"] == []
    assert summary["types_counted"] < 270  # lowercasing merged "The" and "the"
    assert summary["dropped_max_size"] > 0 and summary["dropped_min_count"] > 0
    counted = summary["types_written"] + summary["dropped_max_size"] + summary["dropped_min_count"]
    assert counted == summary["types_counted"]
    assert all(token == token.lower() for token in read_vocab(out).tokens)


def test_specials_options(tmp_path: Path) -> None:
    data = tmp_path / "t.txt"
    data.write_text("<pad> a a [PAD]\n", encoding="utf-8")
    code, output = run("--data", data, "--out", tmp_path / "v.tsv")
    assert code == 0 and output.rstrip().endswith("and specials <pad>")
    assert (tmp_path / "v.tsv").read_text() == "a\t2\n[PAD]\t1\n"
    code, output = run("--data", data, "--out", tmp_path / "w.tsv", "--pad-token", "[PAD]")
    assert code == 0 and (tmp_path / "w.tsv").read_text() == "a\t2\n<pad>\t1\n"
    code, output = run("--data", data, "--out", tmp_path / "x.tsv", "--pad-token", "")
    assert code == 0 and (tmp_path / "x.tsv").read_text() == "a\t2\n<pad>\t1\n[PAD]\t1\n"


def _parquet(tmp_path: Path) -> Path:
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"id": [1, 2], "text": ["a b", None]}), path)
    return path


def _text(tmp_path: Path, content: str = "a b\n") -> Path:
    path = tmp_path / "d.txt"
    path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("make", "extra", "needles"),
    [
        (lambda d: TRAIN, ["--text-column", "text"], ["no column 'text'", "a column number"]),
        (lambda d: TRAIN, ["--text-column", "5"], ["line 1: 2 columns", "from 1 to 2"]),
        (lambda d: TRAIN, [], ["a TSV file needs --text-column"]),
        (_parquet, ["--text-column", "id"], ["d.parquet", "'id' is int64, not text"]),
        (lambda d: _text(d, "\n \n"), [], ["d.txt holds no tokens", "check --text-column"]),
        (_text, ["--min-count", "2"], ["d.txt: no token occurs 2 times", "lower --min-count"]),
        (_text, ["--pad-token", "X", "--unk-token", "X"], ["must differ"]),
    ],
)
def test_bad_input_one_line_error_nothing_written(
    tmp_path: Path, make: Callable[[Path], Path], extra: list[str], needles: list[str]
) -> None:
    data = make(tmp_path)
    out = tmp_path / "out" / "v.tsv"
    code, output = run("--data", data, "--out", out, *extra)
    assert code == 1
    message = one_error_line(output)
    assert all(needle in message for needle in needles), message
    assert not (tmp_path / "out").exists()


def test_existing_output_needs_force(tmp_path: Path) -> None:
    data, out = _text(tmp_path), tmp_path / "v.tsv"
    out.write_text("old\n", encoding="utf-8")
    code, output = run("--data", data, "--out", out)
    assert code == 1 and "already exists; pass --force" in one_error_line(output)
    assert out.read_text() == "old\n"
    code, output = run("--data", data, "--out", out, "--force")
    assert code == 0 and out.read_text() == "a\t1\nb\t1\n"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--min-count", "0"], "--min-count"),
        (["--max-size", "0"], "--max-size"),
        (["--min-count", "x"], "not a valid integer"),
    ],
)
def test_option_types_are_usage_errors(tmp_path: Path, args: list[str], needle: str) -> None:
    code, output = run("--data", _text(tmp_path), "--out", tmp_path / "v.tsv", *args)
    assert code == 2 and needle in output
    assert not (tmp_path / "v.tsv").exists()


def test_missing_data_is_a_usage_error(tmp_path: Path) -> None:
    code, output = run("--data", tmp_path / "nope.txt", "--out", tmp_path / "v.tsv")
    assert code == 2 and "does not exist" in output
