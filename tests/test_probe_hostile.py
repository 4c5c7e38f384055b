"""Hostile inputs found by the issue-11 probe: each is refused (or warned about) in one line.

Every case runs the CLI in process and checks the exit status, the one-line
message (no traceback, no foreign ``RuntimeWarning``) and what is on disk.
"""

from __future__ import annotations

import gzip
import json
import shutil
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

import aligner
import aligner.corpus_tables
from aligner.errors import ArtifactCorruptError
from aligner_cli.main import cli


def run(*args: object) -> tuple[int, str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = CliRunner().invoke(cli, [str(a) for a in args])
    assert not caught, [str(w.message) for w in caught]
    assert "Traceback" not in result.output and "RuntimeWarning" not in result.output
    return result.exit_code, result.output


def refused(tmp_path: Path, *args: object) -> str:
    """A command that must fail on its input: exit 1, one line, nothing new on disk."""
    before = sorted(p.name for p in tmp_path.rglob("*"))
    code, output = run(*args)
    lines = [line for line in output.splitlines() if line.strip()]
    assert code == 1, output
    assert len(lines) == 1 and lines[0].startswith("Error: "), output
    assert sorted(p.name for p in tmp_path.rglob("*")) == before, "output left behind"
    return lines[0]


@pytest.fixture
def vocab(tmp_path: Path) -> Path:
    path = tmp_path / "vocab.txt"
    path.write_text("guitar\npiano\n", encoding="utf-8")
    return path


def build(tmp_path: Path, vocab: Path, vectors: Path, *extra: object) -> tuple[int, str]:
    return run(
        "build", "--pretrained", vectors, "--vocab", vocab, "--out", tmp_path / "out", *extra
    )


def test_all_zero_vectors_are_refused(tmp_path: Path, vocab: Path) -> None:
    vectors = tmp_path / "zero.txt"
    vectors.write_text("guitar 0 0 0\npiano 0.0 -0 0\ndrums 0 0 0\n", encoding="utf-8")
    line = refused(
        tmp_path, "build", "--pretrained", vectors, "--vocab", vocab, "--out", tmp_path / "out"
    )
    assert "zero.txt" in line and "all zeros" in line and "no information" in line


def test_all_zero_vectors_refused_without_vocabulary(tmp_path: Path) -> None:
    vectors = tmp_path / "zero.vec"
    vectors.write_text("2 3\nguitar 0 0 0\npiano 0 0 0\n", encoding="utf-8")
    with pytest.raises(aligner.errors.VectorsFormatError, match="all zeros"):
        aligner.read_vectors(vectors)


def test_truncated_word2vec_header_warns(tmp_path: Path, vocab: Path) -> None:
    vectors = tmp_path / "cut.vec"
    vectors.write_text("600 3\nguitar 1 0 0\npiano 0 1 0\n", encoding="utf-8")
    code, output = build(tmp_path, vocab, vectors)
    assert code == 0, output
    warned = [line for line in output.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1, output
    assert "cut.vec" in warned[0] and "600" in warned[0] and "only 2" in warned[0]
    assert "truncated" in warned[0]
    assert (tmp_path / "out" / "manifest.json").is_file()


def test_truncated_header_warning_in_json(tmp_path: Path, vocab: Path) -> None:
    vectors = tmp_path / "cut.vec"
    vectors.write_text("600 3\nguitar 1 0 0\npiano 0 1 0\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["build", "--pretrained", str(vectors), "--vocab", str(vocab), "--out",
              str(tmp_path / "out"), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert any("truncated" in w for w in report["warnings"])


def test_repeated_word2vec_header_warns(tmp_path: Path, vocab: Path) -> None:
    vectors = tmp_path / "twice.vec"
    vectors.write_text("2 3\n2 3\nguitar 1 0 0\npiano 0 1 0\n", encoding="utf-8")
    code, output = build(tmp_path, vocab, vectors)
    assert code == 0, output
    assert "warning: " in output and "header line repeated" in output


def test_matching_header_does_not_warn(tmp_path: Path, vocab: Path) -> None:
    vectors = tmp_path / "ok.vec"
    vectors.write_text("2 3\nguitar 1 0 0\npiano 0 1 0\n", encoding="utf-8")
    code, output = build(tmp_path, vocab, vectors)
    assert code == 0 and "warning" not in output, output


@pytest.mark.parametrize("bad", ["1e39", "-1e39", "nan"])
def test_overflowing_value_counts_as_non_finite(tmp_path: Path, vocab: Path, bad: str) -> None:
    vectors = tmp_path / "big.txt"
    # a malformed row forces the row-by-row parse, where numpy used to warn
    vectors.write_text(f"guitar {bad} 0 0\npiano 1 0 2\ndrums x 1 1\n", encoding="utf-8")
    code, output = build(tmp_path, vocab, vectors, "--skip-bad-rows")
    assert code == 0, output
    assert "1 rows with NaN/Inf" in output


def test_overflowing_value_fast_path(tmp_path: Path, vocab: Path) -> None:
    vectors = tmp_path / "big.txt"
    vectors.write_text("guitar 1e39 0 0\npiano 1 0 2\n", encoding="utf-8")
    code, output = build(tmp_path, vocab, vectors)
    assert code == 0 and "1 rows with NaN/Inf" in output, output


def test_float16_overflow_is_one_line(tmp_path: Path, vocab: Path) -> None:
    vectors = tmp_path / "big.txt"
    vectors.write_text("guitar 1e6 0 0\npiano 1 0 2\n", encoding="utf-8")
    line = refused(
        tmp_path, "build", "--pretrained", vectors, "--vocab", vocab, "--out",
        tmp_path / "out", "--dtype", "float16",
    )  # fmt: skip
    assert "float16 range" in line


@pytest.fixture
def artifact(tmp_path: Path, vocab: Path) -> Path:
    vectors = tmp_path / "v.txt"
    vectors.write_text("guitar 1 0 0\npiano 0 1 0\n", encoding="utf-8")
    out = tmp_path / "art"
    code, output = run("build", "--pretrained", vectors, "--vocab", vocab, "--out", out)
    assert code == 0, output
    return out


def _edit(artifact: Path, change: dict[str, object]) -> None:
    path = artifact / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for key, value in change.items():
        section, _, sub = key.partition(".")
        if sub:
            manifest[section][sub] = value
        else:
            manifest[section] = value
    path.write_text(json.dumps(manifest), encoding="utf-8")


DEEP = '{"a":' * 100_000 + "1" + "}" * 100_000


@pytest.mark.parametrize("command", ["info", "neighbors", "eval"])
def test_deeply_nested_manifest(tmp_path: Path, artifact: Path, command: str) -> None:
    (artifact / "manifest.json").write_text(DEEP, encoding="utf-8")
    args: list[object] = [command, artifact]
    if command == "neighbors":
        args.append("guitar")
    line = refused(tmp_path, *args)
    assert "manifest.json" in line and "nested too deeply" in line


def test_deeply_nested_manifest_load(artifact: Path) -> None:
    (artifact / "manifest.json").write_text(DEEP, encoding="utf-8")
    with pytest.raises(ArtifactCorruptError, match="nested too deeply"):
        aligner.load(artifact)


def test_deeply_nested_jsonl_line(tmp_path: Path, vocab: Path) -> None:
    data = tmp_path / "data.jsonl"
    deep = '{"t":' * 5000 + '"x"' + "}" * 5000
    data.write_text('{"t": "guitar piano"}\n' + deep + "\n", encoding="utf-8")
    line = refused(
        tmp_path, "build", "--corpus", data, "--text-column", "t", "--vocab", vocab,
        "--out", tmp_path / "out",
    )  # fmt: skip
    assert "data.jsonl, line 2" in line and "nested too deeply" in line


@pytest.mark.parametrize("section", ["coverage", "source", "alignment", "build"])
def test_info_on_malformed_section(tmp_path: Path, artifact: Path, section: str) -> None:
    _edit(artifact, {section: "junk"})
    code, output = run("info", artifact)
    assert code == 0, output
    assert f"{section}: malformed in the manifest" in output


def test_info_on_malformed_read_stats(artifact: Path) -> None:
    _edit(artifact, {"source.read_stats": {"rows_read": 1}})
    code, output = run("info", artifact)
    assert code == 0 and "source: malformed in the manifest" in output, output


@pytest.mark.parametrize("name", ["vec\ntors.npy", "vec\x1b[31mtors.npy", "vec\rtors.npy"])
def test_file_name_with_control_characters(tmp_path: Path, artifact: Path, name: str) -> None:
    _edit(artifact, {"vectors.file": name})
    line = refused(tmp_path, "info", artifact)
    assert "vectors.file" in line and repr(name) in line


def test_artifact_directory_name_with_newline(tmp_path: Path, artifact: Path) -> None:
    odd = tmp_path / "a\nb"
    shutil.copytree(artifact, odd)
    (odd / "manifest.json").write_text("{", encoding="utf-8")
    line = refused(tmp_path, "info", odd)
    assert "a\\nb" in line


def test_csv_header_bomb_is_bounded(
    tmp_path: Path, vocab: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aligner.corpus_tables, "MAX_HEADER", 1 << 12)
    data = tmp_path / "bomb.csv.gz"
    data.write_bytes(gzip.compress(b"a" * (1 << 16)))
    for column in ("1", "text"):
        line = refused(
            tmp_path, "build", "--corpus", data, "--text-column", column, "--vocab", vocab,
            "--out", tmp_path / "out",
        )  # fmt: skip
        assert "bomb.csv.gz, line 1: longer than 4096 bytes without a line break" in line


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_a_csv_row_longer_than_a_block_fails_and_the_process_exits(
    tmp_path: Path, suffix: str
) -> None:
    """pyarrow's read-ahead thread must not outlive the error: the process used to hang or
    abort at exit after printing the right message (a real process, bounded by a timeout)."""
    import subprocess
    import sys

    data = b"text\nhello world\n" + b"a" * (16 << 20) + b"\nbye\n"
    corpus = tmp_path / f"x{suffix}"
    corpus.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("hello\nworld\n", encoding="utf-8")
    aligner_cli = Path(sys.executable).parent / "aligner"
    args = ["build", "--corpus", corpus, "--text-column", "text", "--vocab", vocab,
            "--out", tmp_path / "out", "--dim", 4, "--epochs", 1, "--min-count", 1]  # fmt: skip
    done = subprocess.run(
        [str(aligner_cli), *map(str, args)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{corpus}, after row 1: cannot read it as CSV" in lines[0]
    assert not (tmp_path / "out").exists()
