"""Outputs of ``train``, ``vocab``, ``encode``: never silently replaced; what the name says.

* Without ``--force``, an output that another run wrote while this one worked
  is kept: this run fails with the one-line "already exists; pass --force"
  error and leaves no temporary file (two real processes race for one name,
  and a writer that appears mid-run is simulated deterministically).
* A name that says a format the command does not write (``t.txt.bz2`` was
  plain text, ``e.csv`` Parquet, ``v.parquet`` text) is written as it says
  (``.bz2``, ``.xz``) or refused before any work, naming the names it writes.
* Options that do not apply are refused: ``--text-column`` with plain text,
  ``--sp-model-type`` without ``--sp-vocab-size``.
"""

from __future__ import annotations

import bz2
import lzma
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from aligner.pretrained.formats import detect_format, read_vectors
from aligner_cli.encode import encode
from aligner_cli.main import cli
from aligner_cli.vocab import vocab

ALIGNER = Path(sys.executable).parent / "aligner"
CORPUS = "we play the guitar\nthe goal of the football game\n" * 30
TRAIN = ["--dim", "4", "--min-count", "1", "--epochs", "1"]
FASTTEXT = [*TRAIN, "--bucket", "1000"]


def invoke(command: Any, *args: Any) -> Result:
    return CliRunner().invoke(command, [str(a) for a in args])


def error_line(result: Result, code: int, *phrases: str) -> str:
    assert result.exit_code == code, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_text(CORPUS, encoding="utf-8")
    return path


def appearing(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, out: Path) -> None:
    """Make ``owner.name`` write ``out`` (as another run would) before it does its work."""
    original: Callable[..., Any] = getattr(owner, name)

    def other_run_first(*args: Any, **kwargs: Any) -> Any:
        out.write_text("the other run's output\n", encoding="utf-8")
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, other_run_first)


# ---------------------------------------------------------------- a writer appears meanwhile


def test_encode_keeps_an_output_written_meanwhile(
    built: Path, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aligner.encode_files as encode_files

    out = tmp_path / "ids.parquet"
    appearing(monkeypatch, encode_files, "_write", out)
    result = invoke(encode, "--artifact", built, "--data", corpus, "--out", out)
    error_line(result, 1, f"output file {out} already exists", "pass --force to replace it")
    assert out.read_text(encoding="utf-8") == "the other run's output\n"
    assert listing(tmp_path) == ["corpus.txt", "ids.parquet"]


def test_encode_with_force_replaces_an_output_written_meanwhile(
    built: Path, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aligner.encode_files as encode_files

    out = tmp_path / "ids.parquet"
    appearing(monkeypatch, encode_files, "_write", out)
    result = invoke(encode, "--artifact", built, "--data", corpus, "--out", out, "--force")
    assert result.exit_code == 0, result.output
    assert pq.read_table(out).num_rows == 60
    assert listing(tmp_path) == ["corpus.txt", "ids.parquet"]


@pytest.mark.parametrize("name", ["v.txt", "v.bin.gz"])
def test_train_keeps_an_output_written_meanwhile(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    import aligner.train.to_file as to_file

    out = tmp_path / name
    appearing(monkeypatch, to_file, "train", out)
    result = invoke(cli, "train", "--corpus", corpus, "--out", out, *TRAIN)
    error_line(result, 1, f"output file {out} already exists", "pass --force")
    assert out.read_text(encoding="utf-8") == "the other run's output\n"
    assert listing(tmp_path) == ["corpus.txt", name]


def test_train_fasttext_bin_keeps_an_output_written_meanwhile(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aligner.train.to_file as to_file

    out = tmp_path / "ft.bin"
    appearing(monkeypatch, to_file, "table_vectors", out)
    args = ["train", "--corpus", corpus, "--out", out, "--method", "fasttext", *FASTTEXT]
    error_line(invoke(cli, *args), 1, f"output file {out} already exists")
    assert out.read_text(encoding="utf-8") == "the other run's output\n"
    assert listing(tmp_path) == ["corpus.txt", "ft.bin"]


def test_vocab_keeps_an_output_written_meanwhile(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aligner.vocab_build as vocab_build

    out = tmp_path / "v.tsv"
    appearing(monkeypatch, vocab_build, "atomic_file", out)  # after its check_file_output
    result = invoke(vocab, "--data", corpus, "--out", out)
    error_line(result, 1, f"output file {out} already exists", "pass --force")
    assert out.read_text(encoding="utf-8") == "the other run's output\n"
    assert listing(tmp_path) == ["corpus.txt", "v.tsv"]


def race(*commands: list[Any]) -> list[subprocess.CompletedProcess[str]]:
    """Run the commands as real processes, started together."""
    barrier = threading.Barrier(len(commands))
    done: list[Any] = [None] * len(commands)

    def one(i: int) -> None:
        barrier.wait()
        done[i] = subprocess.run(
            [str(ALIGNER), *map(str, commands[i])], capture_output=True, text=True, timeout=120
        )

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(commands))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done


def test_two_encode_processes_racing_for_one_output(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "same.parquet"
    data = []
    for i, text in enumerate(["we play the guitar", "the goal"]):
        data.append(tmp_path / f"d{i}.txt")
        data[-1].write_text(f"{text}\n" * 20_000, encoding="utf-8")
    runs = race(*[["encode", "--artifact", built, "--data", d, "--out", out] for d in data])
    codes = sorted(run.returncode for run in runs)
    assert codes == [0, 1], [run.stderr for run in runs]
    winner = next(i for i, run in enumerate(runs) if run.returncode == 0)
    loser = runs[1 - winner].stderr.strip().splitlines()
    assert len(loser) == 1 and f"output file {out} already exists" in loser[0], loser
    assert pq.read_table(out)["text"][0].as_py() == data[winner].read_text().split("\n")[0]
    assert listing(tmp_path) == ["d0.txt", "d1.txt", "same.parquet"]


# ---------------------------------------------------------------- names that say a format


@pytest.mark.parametrize(
    ("name", "opener", "fmt"),
    [
        ("t.txt.bz2", bz2.open, "word2vec"),
        ("t.vec.xz", lzma.open, "word2vec"),
        ("t.bin.bz2", bz2.open, "word2vec-binary"),
        ("t.bin.xz", lzma.open, "word2vec-binary"),
    ],
)
def test_train_compresses_as_the_name_says(
    corpus: Path, tmp_path: Path, name: str, opener: Callable[..., Any], fmt: str
) -> None:
    out = tmp_path / name
    result = invoke(cli, "train", "--corpus", corpus, "--out", out, *TRAIN)
    assert result.exit_code == 0, result.output
    with opener(out, "rb") as fh:
        assert fh.readline().split()[1:] == [b"4"]
    assert detect_format(out) == fmt
    assert "guitar" in read_vectors(out).vectors.keys


def test_train_fasttext_bin_compressed_as_the_name_says(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "ft.bin.xz"
    args = ["train", "--corpus", corpus, "--out", out, "--method", "fasttext", *FASTTEXT]
    assert invoke(cli, *args).exit_code == 0
    assert detect_format(out) == "fasttext-bin"
    assert "guitar" in read_vectors(out).vectors.keys


@pytest.mark.parametrize("name", ["t.npy", "t.parquet", "t", "t.gz", "t.json.xz", "t.txt.zip"])
def test_train_refuses_a_name_of_another_format_before_training(
    corpus: Path, tmp_path: Path, name: str
) -> None:
    out = tmp_path / name
    result = invoke(cli, "train", "--corpus", corpus, "--out", out, *TRAIN)
    error_line(
        result, 1, f"cannot write vectors to {out}", "NAME.txt, NAME.vec or NAME.bin", ".bz2"
    )
    assert listing(tmp_path) == ["corpus.txt"]


@pytest.mark.parametrize("name", ["v.parquet", "v.tsv.gz", "v.JSON", "v.npy", "v.csv", "v.xz"])
def test_vocab_refuses_a_name_of_another_format(corpus: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    result = invoke(vocab, "--data", corpus, "--out", out)
    error_line(result, 1, f"cannot write the vocabulary to {out}", "NAME.tsv, NAME.txt")
    assert f"not {out.suffix.lower()};" in result.output
    assert listing(tmp_path) == ["corpus.txt"]


@pytest.mark.parametrize("name", ["v.txt", "v.vocab", "vocab", "v.out"])
def test_vocab_writes_plain_text_names(corpus: Path, tmp_path: Path, name: str) -> None:
    result = invoke(vocab, "--data", corpus, "--out", tmp_path / name)
    assert result.exit_code == 0, result.output
    assert (tmp_path / name).read_text(encoding="utf-8").startswith("the\t")


# ---------------------------------------------------------------- options that do not apply


@pytest.mark.parametrize(
    "args",
    [
        ["--sp-model-type", "bpe"],
        ["--sp-model-type", "unigram", "--tokenizer", "regex"],
    ],
)
def test_vocab_refuses_sp_model_type_without_training(
    corpus: Path, tmp_path: Path, args: list[str]
) -> None:
    out = tmp_path / "v.tsv"
    result = invoke(vocab, "--data", corpus, "--out", out, *args)
    assert result.exit_code == 2, result.output
    assert "--sp-model-type applies when training one with --sp-vocab-size" in result.output
    assert "Traceback" not in result.output
    assert listing(tmp_path) == ["corpus.txt"]


def test_train_still_refuses_sp_model_type_without_training(corpus: Path, tmp_path: Path) -> None:
    result = invoke(cli, "train", "--corpus", corpus, "--out", tmp_path / "t.txt",
                    "--sp-model-type", "bpe", *TRAIN)  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "--sp-model-type applies when training one with --sp-vocab-size" in result.output
    assert listing(tmp_path) == ["corpus.txt"]


# ---------------------------------------------------------------- an artifact's own files


def artifact_copy(built: Path, tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A copy of the session artifact, and its files' bytes."""
    import shutil

    art = tmp_path / "art"
    shutil.copytree(built, art)
    return art, {p.name: p.read_bytes() for p in art.iterdir()}


def own_file(art: Path, which: str) -> Path:
    """``manifest``, the vocabulary file the manifest names, or an unused data-file name."""
    if which == "manifest":
        return art / "manifest.json"
    if which == "named":
        return next(art.glob("vocab.*.txt"))
    return art / "vocab.0123456789abcdef.txt"


COMMANDS: dict[str, Callable[[Path, Path, Path, Path], list[Any]]] = {
    "export": lambda built, art, corpus, out: ["export", built, "--to", "glove", "--out", out],
    "vocab": lambda built, art, corpus, out: ["vocab", "--data", corpus, "--out", out],
    "train": lambda built, art, corpus, out: ["train", "--corpus", corpus, "--out", out, *TRAIN],
    "encode": lambda built, art, corpus, out: [
        "encode", "--artifact", built, "--data", corpus, "--out", out],
}  # fmt: skip


@pytest.mark.parametrize("which", ["manifest", "named", "reserved"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_command_writes_over_an_artifacts_own_files(
    built: Path, corpus: Path, tmp_path: Path, command: str, which: str
) -> None:
    from aligner.artifact import open_artifact

    art, before = artifact_copy(built, tmp_path)
    out = own_file(art, which)
    if command == "export" and which == "manifest":
        args = ["export", built, "--out", out]  # .json: a tokenizer.json
    else:
        args = COMMANDS[command](built, art, corpus, out)
    line = error_line(invoke(cli, *args, "--force"), 1, str(out))
    if command == "encode":  # encode refuses anything inside an artifact (or not .parquet)
        assert "inside the artifact" in line or "parquet" in line, line
    elif command in ("train", "vocab") and which == "manifest":
        assert "not .json" in line or "no format aligner writes" in line, line  # the name
    else:
        assert f"of the artifact {art}" in line, line
        assert "writing it would break the artifact; choose an --out outside the" in line
    assert {p.name: p.read_bytes() for p in art.iterdir()} == before
    open_artifact(art, verify=True)


def test_compare_does_not_replace_an_artifact_or_its_files(built: Path, tmp_path: Path) -> None:
    art, before = artifact_copy(built, tmp_path)
    data = tmp_path / "d.tsv"
    data.write_text("a\twe play the guitar\nb\tthe goal\n" * 10, encoding="utf-8")
    base = ["compare", "--artifact", art, "--train", data, "--test", data]
    base += ["--text-column", "2", "--label-column", "1", "--force"]
    error_line(invoke(cli, *base, "--out", art), 1, "is not empty and holds no results.json")
    error_line(invoke(cli, *base, "--out", art / "manifest.json"), 1, "is not a directory")
    assert {p.name: p.read_bytes() for p in art.iterdir()} == before


def test_an_artifact_reached_through_a_link_is_recognised(built: Path, tmp_path: Path) -> None:
    art, before = artifact_copy(built, tmp_path)
    (tmp_path / "link").symlink_to(art, target_is_directory=True)
    out = tmp_path / "link" / "manifest.json"
    error_line(invoke(cli, "export", built, "--out", out, "--force"), 1, f"artifact {art}")
    assert {p.name: p.read_bytes() for p in art.iterdir()} == before


def test_another_programs_manifest_json_is_not_an_artifact(built: Path, tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"name": "a web app"}', encoding="utf-8")
    out = tmp_path / "manifest.json"
    result = invoke(cli, "export", built, "--out", out, "--force")
    assert result.exit_code == 0, result.output
    assert '"model"' in out.read_text(encoding="utf-8")  # a tokenizer.json now
