"""Every command through click's CliRunner: help, exit codes, one-line errors, --json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from aligner.artifact import load_manifest
from aligner.export import write_vectors
from aligner.vectors import WordVectors
from aligner_cli.main import cli

COMMANDS = [[], ["build"], ["info"], ["neighbors"], ["vocab"], ["encode"]]


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


def build_args(corpus: Path, vocab: Path, out: Path, *extra: object) -> list[object]:
    return ["build", "--corpus", corpus, "--vocab", vocab, "--out", out,
            "--dim", 8, "--min-count", 2, "--epochs", 2, "--seed", 3, *extra]  # fmt: skip


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("Error:")
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_ends_with_an_example(command: list[str]) -> None:
    code, output = run(*command, "--help")
    assert code == 0
    tail = output.rstrip().splitlines()
    assert tail[-2].strip() == "Example:" or tail[-3].strip() == "Example:"
    assert "aligner " in tail[-1] or "aligner " in tail[-2]


def test_build_prints_coverage_then_info_and_neighbors(
    corpus_file: Path, vocab_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "art"
    code, output = run(*build_args(corpus_file, vocab_file, out))
    assert code == 0, output
    assert f"wrote {out}: 9 x 8 float32" in output
    # 5 of 7 types found ("zorblax", "guitr" absent); by count 74 - 3 - 1 = 70 of 74 tokens
    assert "coverage: 5/7 types (71.4%), 70/74 tokens (94.6%)" in output
    assert "most frequent missing: zorblax (3), guitr (1)" in output

    code, output = run("info", out)
    assert code == 0 and re.search(r"^format: +2 ", output, re.M), output
    assert re.search(r"^  fallbacks: +exact -> lowercase", output, re.M), output
    code, output = run("info", out, "--json")
    assert json.loads(output)["vectors"]["shape"] == [9, 8]

    code, output = run("neighbors", out, "guitar", "-k", 2)
    lines = output.strip().splitlines()
    assert code == 0 and lines[0] == "query: guitar" and len(lines) in (3, 4)  # + legend
    code, output = run("neighbors", out, "guitar", "-k", 2, "--json")
    data = json.loads(output)
    assert set(data) == {"query", "neighbors"}
    assert data["query"]["token"] == "guitar" and data["query"]["random"] is False
    assert set(data["query"]) == {"word", "token", "row", "step", "kind", "random", "twins"}
    assert [set(row) for row in data["neighbors"]] == [{"token", "cosine", "kind", "twins"}] * 2


def test_build_json(corpus_file: Path, vocab_file: Path, tmp_path: Path) -> None:
    code, output = run(*build_args(corpus_file, vocab_file, tmp_path / "art"), "--json")
    assert code == 0
    data = json.loads(output)
    assert data["path"] == str(tmp_path / "art")
    kinds = data["coverage"]["types_by_kind"]
    assert kinds == {"exact": 3, "lowercase": 2, "accents": 0, "digits": 0, "subword": 0, "fill": 2}


def test_options_reach_the_manifest(corpus_file: Path, vocab_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "art"
    extra = ["--cbow", "--window", 3, "--init", "uniform", "--init-scale", 0.5,
             "--no-lowercase-fallback", "--pad-token", "PAD", "--unk-token", ""]  # fmt: skip
    code, output = run(*build_args(corpus_file, vocab_file, out), *extra)
    assert code == 0, output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["source"]["params"]["sg"] is False
    assert manifest["source"]["params"]["window"] == 3
    assert manifest["fill"] == {"method": "uniform", "seed": 3, "scale": 0.5}
    assert manifest["alignment"]["fallbacks"] == ["exact", "accents", "digits", "subword", "fill"]
    assert manifest["vocab"]["pad"] == "PAD" and manifest["vocab"]["unk"] is None
    assert (out / manifest["vocab"]["file"]).read_text().splitlines()[:2] == ["PAD", "The"]


def _no_artifact(parent: Path, out: Path) -> bool:
    return not out.exists() and not [p for p in parent.iterdir() if p.name.startswith(".")]


def test_missing_corpus_is_a_usage_error(vocab_file: Path, tmp_path: Path) -> None:
    code, output = run(*build_args(tmp_path / "nope.txt", vocab_file, tmp_path / "art"))
    assert code == 2 and "nope.txt" in output and "does not exist" in output
    assert _no_artifact(tmp_path, tmp_path / "art")


@pytest.mark.parametrize(
    ("corpus_text", "vocab_text", "expected"),
    [
        ("\n\n", "a\n", ["corpus.txt", "empty"]),
        ("alpha beta\ngamma\n", "a\n", ["no token", "min_count=2", "--min-count"]),
        (None, "", ["vocab.txt", "empty"]),
        (None, "guitar\nfootball\nguitar\n", ["vocab.txt, line 3", "duplicate", "'guitar'"]),
        (None, "guitar\n\nfootball\n", ["vocab.txt, line 2", "blank line"]),
        (None, "guitar\t3\nfootball\tmany\n", ["vocab.txt, line 2", "count"]),
    ],
)
def test_bad_input_one_line_error_nonzero_exit_nothing_written(
    tmp_path: Path,
    corpus_file: Path,
    corpus_text: str | None,
    vocab_text: str,
    expected: list[str],
) -> None:
    corpus = corpus_file
    if corpus_text is not None:
        corpus = tmp_path / "corpus.txt"
        corpus.write_text(corpus_text)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text(vocab_text)
    out = tmp_path / "art"
    code, output = run(*build_args(corpus, vocab, out))
    assert code == 1
    line = one_error_line(output)
    for fragment in expected:
        assert fragment in line
    assert _no_artifact(tmp_path, out)


def test_existing_output_without_force(corpus_file: Path, vocab_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "art"
    assert run(*build_args(corpus_file, vocab_file, out))[0] == 0
    before = (out / "manifest.json").read_bytes()
    code, output = run(*build_args(corpus_file, vocab_file, out, "--seed", 4))
    assert code == 1 and "--force" in one_error_line(output) and str(out) in output
    assert (out / "manifest.json").read_bytes() == before
    code, output = run(*build_args(corpus_file, vocab_file, out, "--force"))
    assert code == 0


def test_init_scale_without_uniform_is_a_usage_error(
    corpus_file: Path, vocab_file: Path, tmp_path: Path
) -> None:
    code, output = run(*build_args(corpus_file, vocab_file, tmp_path / "art", "--init-scale", 1))
    assert code == 2 and "--init-scale" in output
    assert not (tmp_path / "art").exists()


def test_corrupt_artifact_fails_info_and_neighbors(built_copy: Path) -> None:
    vectors = built_copy / load_manifest(built_copy)["vectors"]["file"]
    vectors.write_bytes(vectors.read_bytes()[:-16])
    code, output = run("info", built_copy)
    assert code == 1 and vectors.name in one_error_line(output)
    code, output = run("neighbors", built_copy, "guitar")
    assert code == 1 and "truncated" in one_error_line(output)


def test_neighbors_unknown_word(built: Path) -> None:
    code, output = run("neighbors", built, "qqq")
    assert code == 1 and "'qqq' is not in the vocabulary" in one_error_line(output)


def test_info_on_a_plain_directory(tmp_path: Path) -> None:
    code, output = run("info", tmp_path)
    assert code == 1 and "no manifest.json" in one_error_line(output)


@pytest.fixture
def built_copy(built: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(built, tmp_path / "copy"))


def test_build_and_eval_share_the_format_option(tmp_path: Path) -> None:
    vec = write_vectors(tmp_path / "wiki.vec", WordVectors(["guitar", "piano"], np.eye(2)))
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("guitar\npiano\n")
    out = tmp_path / "art"
    code, output = run("build", "--pretrained", vec, "--format", "fasttext-vec", "--vocab", vocab,
                       "--out", out)  # fmt: skip
    assert code == 0, output
    assert json.loads((out / "manifest.json").read_text())["source"]["format"] == "word2vec"
    for command in ("build", "eval"):
        code, output = run(command, "--help")
        assert "[glove|word2vec|word2vec-binary|fasttext-vec|fasttext-bin]" in output


# aligner info: a report a person reads, and the manifest itself with --json


def _blocks(output: str) -> dict[str, list[str]]:
    """The report's blocks by heading (a line with no ':'), each with its indented lines
    up to the next blank line."""
    blocks: dict[str, list[str]] = {}
    current = ""
    for line in output.splitlines():
        if line and not line.startswith(" ") and ":" not in line:
            current = line
            blocks[current] = []
        elif line.startswith("  ") and current:
            blocks[current].append(line)
        elif not line:
            current = ""
    return blocks


def _value_column(lines: list[str]) -> set[int]:
    return {len(line) - len(line.split(":", 1)[1].lstrip()) for line in lines}


def test_info_is_a_readable_report(built: Path) -> None:
    code, output = run("info", built)
    assert code == 0, output
    manifest = json.loads((built / "manifest.json").read_text())
    report = [line for line in output.splitlines() if not line.startswith("warning:")]
    assert not [line for line in report if set(line) & set("{}'")], output  # no dict reprs
    blocks = _blocks(output)
    assert list(blocks) == [
        "vectors",
        "vocabulary",
        "tokenizer",
        "source",
        "training parameters",
        "rows by provenance",
        "alignment and fill",
    ]
    for lines in blocks.values():  # key: value lines, values in one column per block
        assert len(_value_column(lines)) == 1, lines
    rows, dim = manifest["vectors"]["shape"]
    assert f"  shape:   {rows} x {dim}" in blocks["vectors"]
    assert f"  sha256:  {manifest['vectors']['sha256']}" in blocks["vectors"]
    params = manifest["source"]["params"]
    shown = dict(line.strip().split(":  ", 1) for line in blocks["training parameters"])
    assert {k.replace(" ", "_"): v.strip() for k, v in shown.items()} == {
        key: ("yes" if value is True else "no" if value is False else f"{value:,}"
              if isinstance(value, int) else f"{value:.6g}")
        for key, value in params.items()
    }  # fmt: skip
    kinds = manifest["provenance"]["kinds"]
    assert [line.split() for line in blocks["rows by provenance"]] == [
        [f"{kind}:", str(n)] for kind, n in kinds.items()
    ]
    corpus = manifest["source"]["corpus"]
    assert any(line.startswith("  corpus:") and corpus["path"] in line
               and f"{corpus['tokens']:,} tokens" in line for line in blocks["source"])  # fmt: skip
    assert "coverage: 5/7 types (71.4%), 70/74 tokens (94.6%)" in output


def test_info_json_is_the_whole_manifest(built: Path) -> None:
    code, output = run("info", built, "--json")
    assert code == 0
    assert json.loads(output) == json.loads((built / "manifest.json").read_text())


def test_info_on_pretrained_vectors_names_the_file_and_what_reading_saw(tmp_path: Path) -> None:
    samples = Path(__file__).resolve().parent.parent / "data_samples"
    out = tmp_path / "art"
    code, output = run("build", "--pretrained", samples / "vectors.glove.txt",
                       "--vocab", samples / "vocab.txt", "--out", out)  # fmt: skip
    assert code == 0, output
    code, output = run("info", out)
    blocks = _blocks(output)
    assert "training parameters" not in blocks
    assert re.search(r"^  kind: +pretrained$", output, re.M)
    assert re.search(r"^  format: +glove$", output, re.M)
    assert "  read: 60 rows, kept 58" in blocks["source"]
    assert not [line for line in output.splitlines()
                if not line.startswith("warning:") and set(line) & set("{}'")]  # fmt: skip
