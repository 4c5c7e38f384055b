"""``aligner eval`` through click's CliRunner: help, sources, table, --json, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from aligner.evaluate import BUNDLED, METHODS
from aligner.export import write_vectors
from aligner.pretrained.formats import FORMATS
from aligner.vectors import WordVectors
from aligner_cli import evaluate as eval_module
from aligner_cli.common import VECTORS_FORMATS
from aligner_cli.main import cli

CAPITALS = [("france", "paris"), ("italy", "rome"), ("spain", "madrid"), ("japan", "tokyo")]


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["eval", *[str(a) for a in args]])
    return result.exit_code, result.output


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("Error:")
    return lines[0]


@pytest.fixture
def vectors() -> WordVectors:
    """Capitals one shared axis away from their countries, then words of WordSim353."""
    rng = np.random.default_rng(0)
    dim = len(CAPITALS) + 5
    keys, rows = [], []
    for i, (country, capital) in enumerate(CAPITALS):
        keys += [country, capital]
        rows += [np.eye(dim)[i], np.eye(dim)[i] + np.eye(dim)[len(CAPITALS)]]
    extra = ["tiger", "cat", "Cat", "love", "sex", "money", "cash", "bank", "book", "paper"]
    keys += extra
    rows += list(rng.normal(size=(len(extra), dim)))
    return WordVectors(keys, np.array(rows, dtype=np.float32))


@pytest.fixture
def sets(tmp_path: Path) -> tuple[Path, Path]:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("# mine\nfrance\tparis\t8\nfrance\ttokyo\t2\nitaly\trome\t7\nx\ty\t1\n")
    quads = tmp_path / "capitals.txt"
    quads.write_text(": capitals\n" + "".join(
        f"{a} {b} {c} {d}\n" for a, b in CAPITALS for c, d in CAPITALS if a != c
    ))  # fmt: skip
    return pairs, quads


def test_help_ends_with_an_example() -> None:
    code, output = run("--help")
    assert code == 0
    tail = output.rstrip().splitlines()
    assert "Example:" in [line.strip() for line in tail[-3:]]
    assert tail[-1].strip().startswith("aligner eval ")


def test_choices_are_the_librarys() -> None:
    assert (tuple(BUNDLED), METHODS) == (eval_module.SETS, eval_module.METHODS)
    assert set(FORMATS) <= set(VECTORS_FORMATS)


def test_every_file_format_gives_the_same_json(
    tmp_path: Path, vectors: WordVectors, sets: tuple[Path, Path]
) -> None:
    pairs, quads = sets
    glove = tmp_path / "v.glove.txt"
    glove.write_text("".join(
        k + " " + " ".join(f"{v:.9g}" for v in row) + "\n"
        for k, row in zip(vectors.keys, vectors.vectors.tolist(), strict=True)
    ))  # fmt: skip
    sources = [(glove, "glove"), (write_vectors(tmp_path / "v.bin", vectors), "word2vec-binary")]
    sources += [(write_vectors(tmp_path / n, vectors), "word2vec") for n in ("v.vec", "v.vec.gz")]
    results = []
    for path, kind in sources:
        code, output = run(path, "--similarity", pairs, "--analogy", quads, "--set", "wordsim353",
                           "--json")  # fmt: skip
        assert code == 0, output
        data = json.loads(output)
        assert (data["source"], data["kind"]) == (str(path), kind)
        results.append({k: v for k, v in data.items() if k not in ("source", "kind", "read")})
    assert all(r == results[0] for r in results)
    first: dict[str, Any] = results[0]
    assert [s["name"] for s in first["similarity"]] == ["wordsim353", "pairs.tsv"]
    mine = first["similarity"][1]
    assert (mine["pairs"], mine["used"], mine["oov"]) == (4, 3, 1)
    assert first["analogy"][0]["accuracy"]["3cosadd"] == 1.0
    assert first["analogy"][0]["used"] == first["analogy"][0]["questions"] == 12


def test_fasttext_vec_format_name_and_table(
    tmp_path: Path, vectors: WordVectors, sets: tuple[Path, Path]
) -> None:
    pairs, quads = sets
    path = write_vectors(tmp_path / "wiki.vec", vectors)
    code, output = run(path, "--format", "fasttext-vec", "--similarity", pairs, "--analogy",
                       quads, "--method", "3cosmul", "--restrict-vocab", 6)  # fmt: skip
    assert code == 0, output
    assert f"{path} (word2vec, dim 9): searched the first 6 rows" in output
    assert "pairs.tsv" in output and "2/4 (50.0%)" in output  # tokyo lies past row 6
    assert "3cosmul" in output and "3cosadd" not in output
    assert "6/12 (50.0%)" in output
    assert "skipped and counted (oov)" in output


def test_an_artifact(built: Path) -> None:
    code, output = run(built, "--set", "wordsim353", "--set", "google")
    assert code == 0, output
    assert f"{built} (artifact" in output and "rows with a found vector" in output
    assert "left out rows without a found vector:" in output and "--include-filled" in output
    assert "wordsim353" in output and "google" in output
    code, output = run(built, "--set", "simlex999", "--include-filled", "--json")
    data = json.loads(output)
    assert data["include_filled"] is True and "fill" not in data["left_out"]
    code, output = run(built, "--set", "simlex999", "--json")
    found = json.loads(output)
    assert found["left_out"]["fill"] > 0
    assert data["rows"] == found["rows"] + found["left_out"]["fill"]


def test_bundled_sets_by_default(tmp_path: Path, vectors: WordVectors) -> None:
    path = write_vectors(tmp_path / "v.vec", vectors)
    code, output = run(path, "--json", "--method", "3cosadd")
    assert code == 0, output
    data = json.loads(output)
    assert [s["name"] for s in data["similarity"]] == ["wordsim353", "simlex999"]
    assert [s["name"] for s in data["analogy"]] == ["google"]
    wordsim = data["similarity"][0]
    assert wordsim["used"] + wordsim["oov"] == wordsim["pairs"] and wordsim["used"] > 0


WRONG = [
    ("--similarity", "a\tb\t1\ntiger cat 7\n", "line 2: no tab"),
    ("--similarity", "a\tb\tsimilar\n", "line 1: the score 'similar' is not a number"),
    ("--similarity", "# nothing\n", "no word pairs in the file"),
    ("--similarity", "zeppelin\tairship\t3\n", "none of its 1 pairs has both words"),
    ("--analogy", ": s\nparis france rome\n", "line 2: 3 words, expected 4"),
    ("--analogy", "\n", "no analogy questions in the file"),
    ("--analogy", ": s\nzeppelin a b c\n", "none of its 1 questions has all four words"),
]


@pytest.mark.parametrize(("option", "text", "message"), WRONG)
def test_wrong_files_give_one_line_naming_file_and_line(
    tmp_path: Path, vectors: WordVectors, option: str, text: str, message: str
) -> None:
    source = write_vectors(tmp_path / "v.vec", vectors)
    bad = tmp_path / "bad.txt"
    bad.write_text(text)
    code, output = run(source, option, bad)
    assert code == 1
    line = one_error_line(output)
    assert line.startswith(f"Error: {bad}") and message in line


def test_usage_errors(tmp_path: Path, vectors: WordVectors, built: Path) -> None:
    source = write_vectors(tmp_path / "v.vec", vectors)
    code, output = run(source, "--include-filled")
    assert code == 2 and "--include-filled applies to an artifact" in output
    code, output = run(built, "--format", "glove")
    assert code == 2 and "apply to vectors files" in output
    code, output = run(built, "--skip-bad-rows")
    assert code == 2 and "--skip-bad-rows apply to vectors files" in output
    code, output = run(source, "--restrict-vocab", 0)
    assert code == 2 and "--restrict-vocab" in output
    code, output = run(source, "--set", "men")
    assert code == 2
    code, output = run(tmp_path / "missing.vec")
    assert code == 2 and "does not exist" in output
    broken = tmp_path / "broken.vec"
    broken.write_text("2 3\na 1 2 3\nb 1 x 3\n")
    code, output = run(broken, "--set", "wordsim353")
    assert code == 1 and f"{broken}, line 3" in one_error_line(output)


def test_build_eval_reports_and_stores_the_figures(corpus_file: Path, vocab_file: Path) -> None:
    out = corpus_file.parent / "art"
    args = ["build", "--corpus", corpus_file, "--vocab", vocab_file, "--out", out,
            "--dim", 8, "--min-count", 2, "--epochs", 2, "--eval"]  # fmt: skip
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    assert "evaluation on the first" in result.output
    assert "wordsim353: spearman" in result.output and "google: 3cosadd" in result.output
    code, output = run(out, "--json")
    assert code == 0
    result = CliRunner().invoke(cli, [str(a) for a in [*args, "--json"]])
    stored = json.loads(result.output)["evaluation"]
    assert stored == json.loads(output)


def test_the_bad_row_advice_is_an_option_of_eval(tmp_path: Path, vectors: WordVectors) -> None:
    path = write_vectors(tmp_path / "v.vec", vectors)
    lines = path.read_text().splitlines()
    lines[3:3] = ["broken 1 2", "france " + " ".join(["0.5"] * vectors.dim)]
    path.write_text("\n".join(lines) + "\n")
    code, output = run(path, "--set", "wordsim353")
    assert code == 1 and "pass --skip-bad-rows" in one_error_line(output)
    code, output = run(path, "--set", "wordsim353", "--skip-bad-rows")
    assert code == 0, output
    assert output.splitlines()[1] == (
        "skipped while reading: 1 rows repeating an earlier key (the first counts), "
        "1 malformed rows"
    )
    code, output = run(path, "--set", "wordsim353", "--skip-bad-rows", "--json")
    read = json.loads(output)["read"]
    assert (read["bad_rows"], read["duplicates"], read["rows_kept"]) == (1, 1, len(vectors))
