"""Line-by-line readers keep memory bounded, and pyarrow never reads a Python stream.

A small compressed file holding one huge line without a line break is one line
of error naming the file and the line, through the CLI; a CSV row longer than
pyarrow's block in an ``.xz`` file fails and the process exits (a real process).
"""

from __future__ import annotations

import gzip
import lzma
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from aligner import vocab as vocab_module
from aligner.compare import read as compare_read
from aligner.evaluate import sets
from aligner_cli.main import cli

from .helpers import write_labelled

ALIGNER = Path(sys.executable).parent / "aligner"
HUGE_ROW = b"text\nhello world\n" + b"a" * (16 << 20) + b"\nbye\n"


def invoke(*args: Any) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def one_error_line(result: Result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1, result.output
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def compare_args(artifact: Path, train: Path, test: Path, out: Path) -> list[Any]:
    return ["compare", "--artifact", artifact, "--train", train, "--test", test,
            "--text-column", "text", "--label-column", "label", "--out", out,
            "--epochs", 1, "--hidden", 8]  # fmt: skip


def test_compare_jsonl_line_without_a_break_is_one_line_naming_it(
    tmp_path: Path, compare_artifact: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compare_read, "MAX_LINE", 1024)
    train = tmp_path / "train.jsonl.gz"
    train.write_bytes(gzip.compress(b'{"text": "a b", "label": "x"}\n' + b"x" * 5000))
    test = write_labelled(tmp_path / "test.tsv", 20, seed=1)
    out = tmp_path / "out"
    line = one_error_line(invoke(*compare_args(compare_artifact, train, test, out)))
    assert f"{train}, line 2: longer than 1024 bytes without a line break" in line
    assert not out.exists()


def test_compare_jsonl_truncated_gzip_is_one_line(tmp_path: Path, compare_artifact: Path) -> None:
    train = tmp_path / "train.jsonl.gz"
    train.write_bytes(gzip.compress(b'{"text": "a b", "label": "x"}\n' * 200)[:-30])
    test = write_labelled(tmp_path / "test.tsv", 20, seed=1)
    out = tmp_path / "out"
    line = one_error_line(invoke(*compare_args(compare_artifact, train, test, out)))
    assert f"{train}, after line" in line and "truncated, corrupt or not gzip" in line
    assert not out.exists()


def run_process(args: list[Any]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ALIGNER), *map(str, args)], capture_output=True, text=True, timeout=60
    )


def test_build_xz_csv_row_longer_than_a_block_fails_and_the_process_exits(
    tmp_path: Path,
) -> None:
    corpus = tmp_path / "x.csv.xz"
    corpus.write_bytes(lzma.compress(HUGE_ROW))
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("hello\nworld\n", encoding="utf-8")
    out = tmp_path / "out"
    done = run_process(["build", "--corpus", corpus, "--text-column", "text", "--vocab", vocab,
                        "--out", out, "--dim", 4, "--epochs", 1, "--min-count", 1])  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{corpus}, after row 1: cannot read it as CSV" in lines[0]
    assert not out.exists()


@pytest.mark.parametrize("suffix", [".csv", ".csv.xz"])
def test_compare_csv_row_longer_than_a_block_fails_and_the_process_exits(
    tmp_path: Path, compare_artifact: Path, suffix: str
) -> None:
    data = b"text,label\nhello world,x\n" + b"a" * (16 << 20) + b",y\nbye,z\n"
    train = tmp_path / f"train{suffix}"
    train.write_bytes(lzma.compress(data) if suffix.endswith(".xz") else data)
    test = write_labelled(tmp_path / "test.tsv", 20, seed=1)
    out = tmp_path / "out"
    done = run_process(compare_args(compare_artifact, train, test, out))
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{train}: cannot read it as CSV" in lines[0], lines
    assert not out.exists()


def test_build_corrupt_xz_csv_is_one_line(tmp_path: Path, vocab_file: Path) -> None:
    corpus = tmp_path / "x.csv.xz"
    data = b"text\n" + b"hello world\n" * 200_000  # past the header probe
    corpus.write_bytes(lzma.compress(data)[:-40])
    out = tmp_path / "out"
    result = invoke("build", "--corpus", corpus, "--text-column", "text", "--vocab", vocab_file,
                    "--out", out, "--dim", 4, "--epochs", 1)  # fmt: skip
    line = one_error_line(result)
    assert f"{corpus}, while decompressing: cannot decompress" in line and "not xz" in line
    assert not out.exists()


def test_build_vocab_line_without_a_break_is_one_line_naming_it(
    tmp_path: Path, corpus_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vocab_module, "MAX_LINE_BYTES", 1024)
    vocab = tmp_path / "vocab.txt"
    vocab.write_bytes(b"guitar\npiano\n" + b"z" * 5000)
    out = tmp_path / "out"
    result = invoke("build", "--corpus", corpus_file, "--vocab", vocab, "--out", out,
                    "--dim", 4, "--epochs", 1)  # fmt: skip
    line = one_error_line(result)
    assert f"{vocab}, line 3: longer than 1024 bytes without a line break" in line
    assert "too long for a token" in line
    assert not out.exists()


@pytest.mark.parametrize(("option", "head"), [("--similarity", b"a\tb\t1\n"), ("--analogy", b"")])
def test_eval_set_line_without_a_break_is_one_line_naming_it(
    tmp_path: Path, built: Path, monkeypatch: pytest.MonkeyPatch, option: str, head: bytes
) -> None:
    monkeypatch.setattr(sets, "MAX_LINE", 1024)
    bad = tmp_path / "set.txt"
    bad.write_bytes(head + b"w" * 5000)
    line = one_error_line(invoke("eval", built, option, bad))
    number = 2 if head else 1
    assert f"{bad}, line {number}: longer than 1024 bytes without a line break" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set.txt"]
