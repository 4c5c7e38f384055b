"""build and train refuse what does not apply, and check --out before any work.

Every case goes through the CLI: exit status 2 (usage) or 1 (input), one line
naming the option (or path) and the remedy, and nothing written.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from aligner_cli.main import cli

from .helpers import write_corpus

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
GLOVE = SAMPLES / "vectors.glove.txt"


@pytest.fixture(autouse=True)
def _cache(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("ALIGNER_CACHE", str(tmp_path_factory.mktemp("cache")))


def _run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


def _one_line(output: str) -> str:
    """The one error line; a usage error has only click's usage hint before it."""
    lines = [line for line in output.splitlines() if line.strip()]
    hint = lines[:-1]
    assert not hint or (len(hint) == 2 and hint[0].startswith("Usage:")), output
    assert lines[-1].startswith("Error: "), output
    return lines[-1]


def _inputs(tmp_path: Path) -> tuple[Path, Path]:
    corpus = write_corpus(tmp_path / "corpus.txt", lines=200)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("guitar\nfootball\n", encoding="utf-8")
    return corpus, vocab


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--method", "glove", "--cbow"], "--cbow applies to --method word2vec and fasttext"),
        (["--method", "glove", "--sg"], "--sg applies to --method word2vec and fasttext"),
        (["--method", "glove", "--min-n", 2], "--min-n applies to --method fasttext, not glove"),
        (["--method", "glove", "--workers", 2], "--workers applies to --method word2vec and"),
        (["--device", "cuda"], "--device applies to --method glove, not word2vec"),
        (["--method", "fasttext", "--x-max", 5], "--x-max applies to --method glove, not fasttext"),
        (["--max-n", 4], "--max-n applies to --method fasttext, not word2vec"),
        (["--bucket", 100], "--bucket applies to --method fasttext, not word2vec"),
        (["--memory-gb", 1], "--memory-gb applies to --method glove, not word2vec"),
        (["--sp-model-type", "bpe"], "--sp-model-type applies when training one with"),
        (["--method", "fasttext", "--subword-pieces", 50], "fasttext composes them from its own"),
    ],
)  # fmt: skip
def test_build_refuses_options_of_another_method(
    tmp_path: Path, options: list[object], message: str
) -> None:
    corpus, vocab = _inputs(tmp_path)
    out = tmp_path / "art"
    code, output = _run("build", "--corpus", corpus, "--vocab", vocab, "--out", out, *options)
    assert code == 2, output
    assert message in _one_line(output)
    assert not out.exists()


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--epochs", 3], "--epochs applies"),
        (["--method", "glove"], "--method applies"),
        (["--window", 2, "--cbow"], "--window, --cbow apply"),
        (["--min-count", 5], "--min-count applies"),  # given, even at its default value
        (["--device", "cpu"], "--device applies"),
    ],
)
def test_build_refuses_training_options_with_pretrained(
    tmp_path: Path, options: list[object], named: str
) -> None:
    out = tmp_path / "art"
    code, output = _run("build", "--pretrained", GLOVE, "--vocab", SAMPLES / "vocab.txt",
                        "--out", out, *options)  # fmt: skip
    assert code == 2, output
    line = _one_line(output)
    assert named in line and "training on --corpus" in line and "--dim checks their size" in line
    assert not out.exists()


def test_defaults_and_dim_with_pretrained_are_fine(tmp_path: Path) -> None:
    out = tmp_path / "art"
    code, output = _run("build", "--pretrained", GLOVE, "--vocab", SAMPLES / "vocab.txt",
                        "--out", out, "--dim", 10, "--seed", 4)  # fmt: skip
    assert code == 0, output
    assert (out / "manifest.json").is_file()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--method", "glove", "--negative", 3], "--negative applies to --method word2vec and"),
        (["--method", "word2vec", "--alpha", 0.5], "--alpha applies to --method glove, not"),
        (["--method", "fasttext", "--threads", 2], "--threads applies to --method glove"),
        (["--sp-model-type", "bpe"], "--sp-model-type applies"),
    ],
)  # fmt: skip
def test_train_refuses_options_of_another_method(
    tmp_path: Path, options: list[object], message: str
) -> None:
    corpus, _ = _inputs(tmp_path)
    out = tmp_path / "vectors.txt"
    code, output = _run("train", "--corpus", corpus, "--out", out, *options)
    assert code == 2, output
    assert message in _one_line(output)
    assert not out.exists()


def _unwritable(tmp_path: Path) -> Path:
    """A directory nothing can be created in (root ignores modes: /sys refuses even root)."""
    if os.geteuid() == 0:
        return Path("/sys")
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


def test_build_into_a_read_only_place_fails_before_any_work(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")  # training on it would fail: the output is checked first
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("guitar\n")
    folder = _unwritable(tmp_path)
    out = folder / "aligner-test-never" / "art"
    started = time.monotonic()
    code, output = _run("build", "--corpus", empty, "--vocab", vocab, "--out", out)
    assert code == 1, output
    line = _one_line(output)
    assert line.startswith(f"Error: cannot write --out {out}: nothing can be created in {folder}")
    assert "choose another --out" in line
    assert time.monotonic() - started < 5
    assert not out.parent.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_build_under_a_file_fails_at_once(tmp_path: Path) -> None:
    corpus, vocab = _inputs(tmp_path)
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder\n")
    out = blocker / "deeper" / "art"
    code, output = _run("build", "--corpus", corpus, "--vocab", vocab, "--out", out)
    assert code == 1, output
    assert _one_line(output) == (
        f"Error: cannot write --out {out}: {blocker} is a file, not a directory; "
        "choose another --out"
    )
    assert blocker.read_text() == "a file, not a folder\n"


def test_train_into_a_read_only_place_fails_before_training(tmp_path: Path) -> None:
    corpus, _ = _inputs(tmp_path)
    folder = _unwritable(tmp_path)
    out = folder / "vectors.txt"
    code, output = _run("train", "--corpus", corpus, "--out", out, "--min-count", 1)
    assert code == 1, output
    assert _one_line(output).startswith(f"Error: cannot write --out {out}: nothing can be created")
    assert not out.exists()


def test_reuse_needs_no_write_permission(tmp_path: Path) -> None:
    # an identical artifact is reused even where nothing could be written
    corpus, vocab = _inputs(tmp_path)
    out = tmp_path / "art"
    args = ["build", "--corpus", corpus, "--vocab", vocab, "--out", out, "--dim", 4,
            "--min-count", 1, "--epochs", 1]  # fmt: skip
    assert _run(*args)[0] == 0
    if os.geteuid() == 0:
        pytest.skip("root writes everywhere; the read-only case is covered above")
    out.chmod(0o555)
    tmp_path.chmod(0o555)
    try:
        code, output = _run(*args)
    finally:
        tmp_path.chmod(0o755)
        out.chmod(0o755)
    assert code == 0 and output.startswith(f"reused {out}")
