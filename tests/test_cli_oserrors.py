"""What the file system and the machine do to a command, through the CLI.

Disk full, a read-only folder, a parent that is a file, a name too long,
non-UTF-8 bytes in a path, a huge allocation, a NUL in a path; data
directories holding links out of them, broken links and FIFOs. Each is one
line naming the path and the remedy, exit status 1, no traceback, and
nothing half-written left on disk.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

import aligner
from aligner.encode_files import encode_file
from aligner.errors import InputError
from aligner_cli.common import library_errors, os_error_message
from aligner_cli.encode import encode
from aligner_cli.main import cli
from aligner_cli.vocab import vocab

ALIGNER = Path(sys.executable).parent / "aligner"
LONG = "n" * 250  # within NAME_MAX (255), but not with a temporary name beside it
SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"


def invoke(command: click.Command, *args: Any) -> Result:
    return CliRunner().invoke(command, [a if isinstance(a, str) else str(a) for a in args])


def one_line_error(result: Result, *phrases: str) -> str:
    """The single error line of a failed command, holding every phrase."""
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ") and "Traceback" not in result.output
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]


def nothing_left(folder: Path, *allowed: str) -> None:
    assert sorted(p.name for p in folder.iterdir()) == sorted(allowed)


@pytest.fixture
def texts(tmp_path: Path) -> Path:
    data = tmp_path / "data" / "texts.txt"
    data.parent.mkdir()
    data.write_text("The guitar\nfootball goal\n", encoding="utf-8")
    return data


def encode_args(built: Path, data: Path, out: Path | str) -> list[Any]:
    return ["--artifact", built, "--data", data, "--out", out]


# ---------------------------------------------------------------- disk full


def full_disk(*args: Any, **kwargs: Any) -> Any:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_encode_disk_full_names_the_output_not_the_input(
    built: Path, texts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pq.ParquetWriter, "write_batch", full_disk)
    out = tmp_path / "out" / "ids.parquet"
    message = one_line_error(
        invoke(encode, *encode_args(built, texts, out)),
        f"{out}: no space left on the device; free some space",
    )
    assert str(texts) not in message and "corrupt" not in message
    assert not out.parent.exists()  # the folder made for it is gone too


def test_encode_disk_full_while_flushing(
    built: Path, texts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "fsync", full_disk)
    out = tmp_path / "ids.parquet"
    one_line_error(invoke(encode, *encode_args(built, texts, out)), f"{out}: no space left")
    nothing_left(tmp_path, "data")


def test_vocab_disk_full_names_the_output(
    texts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "fsync", full_disk)
    out = tmp_path / "vocab.tsv"
    one_line_error(invoke(vocab, "--data", texts, "--out", out), f"{out}: no space left")
    nothing_left(tmp_path, "data")


def test_an_output_that_is_a_fifo_or_device_is_refused_and_kept(
    built: Path, texts: Path, tmp_path: Path
) -> None:
    """Writing replaces the output by a rename: a device (/dev/full, /dev/null) or a FIFO
    at --out would be replaced, as root too. A FIFO of the test's own stands for them."""
    pipe = tmp_path / "out.fifo"
    os.mkfifo(pipe)
    for result in (
        invoke(encode, *encode_args(built, texts, pipe), "--force"),
        invoke(vocab, "--data", texts, "--out", pipe, "--force"),
    ):
        assert result.exit_code == 2, result.output  # a bad --out value, as a directory is
        assert f"{pipe} is a FIFO (named pipe), not a regular file" in result.output
        assert "Traceback" not in result.output
    with pytest.raises(InputError, match="is not a regular file"):  # the library refuses too
        encode_file(aligner.load(built).encoder(), texts, pipe, force=True)
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    nothing_left(tmp_path, "data", "out.fifo")


# ---------------------------------------------------------------- where the output goes


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="no sysfs")
@pytest.mark.parametrize("command", ["encode", "vocab"])
def test_output_in_a_folder_nothing_can_be_created_in(
    built: Path, texts: Path, command: str
) -> None:
    """sysfs refuses new files even to root (a chmod-made read-only folder does not)."""
    out = Path("/sys/kernel/aligner-test.out")
    if command == "encode":
        result = invoke(encode, *encode_args(built, texts, out))
    else:
        result = invoke(vocab, "--data", texts, "--out", out)
    one_line_error(result, str(out), "permission denied")
    assert not out.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_output_in_a_read_only_folder(built: Path, texts: Path, tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o555)
    try:
        out = folder / "ids.parquet"
        one_line_error(invoke(encode, *encode_args(built, texts, out)), str(out))
        one_line_error(invoke(vocab, "--data", texts, "--out", out), str(out))
        nothing_left(folder)
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize("depth", ["x.out", "a/b/x.out"])
def test_output_parent_is_a_file(built: Path, texts: Path, depth: str) -> None:
    out = texts / depth
    expected = f"{texts} is a file, not a directory"
    one_line_error(invoke(encode, *encode_args(built, texts, out)), expected)
    one_line_error(invoke(vocab, "--data", texts, "--out", out), expected, str(out))
    assert texts.read_text(encoding="utf-8").startswith("The guitar")


def test_output_name_too_long(built: Path, texts: Path, tmp_path: Path) -> None:
    out = tmp_path / f"{LONG}.out"
    one_line_error(
        invoke(encode, *encode_args(built, texts, tmp_path / f"{LONG[:246]}.parquet")),
        "the name is too long; choose a shorter",
    )
    one_line_error(invoke(vocab, "--data", texts, "--out", out), "the name is too long")
    nothing_left(tmp_path, "data")


def test_encode_into_an_artifact_is_refused(
    built: Path, texts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    artifact = tmp_path / "artifact"
    shutil.copytree(built, artifact)
    before = sorted(p.name for p in artifact.iterdir())
    for out in (artifact / "ids.parquet", artifact / "sub" / "ids.parquet"):
        one_line_error(
            invoke(encode, *encode_args(artifact, texts, out)),
            f"lies inside the artifact {artifact}",
            "write it outside the artifact directory",
        )
    monkeypatch.chdir(artifact)  # --out given from inside the artifact
    one_line_error(
        invoke(encode, *encode_args(artifact, texts, "ids.parquet")), "inside the artifact"
    )
    assert invoke(encode, *encode_args(artifact, texts, ".")).exit_code == 2  # a directory
    assert sorted(p.name for p in artifact.iterdir()) == before


# ---------------------------------------------------------------- non-UTF-8 bytes in paths


def test_non_utf8_paths_are_read_and_written(built: Path, tmp_path: Path) -> None:
    data = Path(os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9.parquet"))
    pq.write_table(pa.table({"text": ["The guitar", None]}), str(tmp_path / "plain.parquet"))
    (tmp_path / "plain.parquet").rename(data)
    out = Path(os.fsdecode(os.fsencode(tmp_path) + b"/ids-\xff.parquet"))
    result = invoke(encode, *encode_args(built, data, out), "--text-column", "text")
    assert result.exit_code == 0, result.output
    with out.open("rb") as fh:
        assert pq.read_table(fh)["length"].to_pylist() == [2, None]
    assert "ids-\\xff.parquet: 2 rows" in result.output  # shown, not raw bytes
    counted = Path(os.fsdecode(os.fsencode(tmp_path) + b"/vocab-\xff.tsv"))
    result = invoke(vocab, "--data", data, "--text-column", "text", "--out", counted, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["path"] == str(counted)  # the same bytes, escaped
    assert "guitar\t1" in counted.read_text(encoding="utf-8")


def test_a_build_from_a_corpus_whose_name_is_not_utf8(tmp_path: Path) -> None:
    corpus = Path(os.fsdecode(os.fsencode(tmp_path) + b"/corpus-\xff.parquet"))
    texts = ["we play the guitar", "the football goal", "we play football"] * 20
    pq.write_table(pa.table({"text": texts}), str(tmp_path / "plain.parquet"))
    (tmp_path / "plain.parquet").rename(corpus)
    out = tmp_path / "art"
    args = ["build", "--corpus", corpus, "--text-column", "text", "--vocab", SAMPLES / "vocab.txt",
            "--out", out, "--dim", 8, "--epochs", 1, "--min-count", 1]  # fmt: skip
    result = invoke(cli, *args)
    assert result.exit_code == 0, result.output
    assert "corpus-\\xff.parquet" in result.output  # shown escaped, not as raw bytes
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert os.fsencode(manifest["source"]["corpus"]["path"]) == os.fsencode(corpus)
    art = aligner.load(out)
    assert art.provenance[art.vocab.tokens.index("guitar")] == "exact"  # trained from the corpus
    again = invoke(cli, *args)  # the same inputs: reused, the name read back from the manifest
    assert again.exit_code == 0 and "reused" in again.output, again.output


def test_a_message_naming_a_non_utf8_path_is_one_printable_line(tmp_path: Path) -> None:
    name = os.fsencode(tmp_path) + b"/d\xff"
    os.mkdir(name)
    os.symlink("/etc/hostname", name + b"/link.txt")
    done = subprocess.run(
        [ALIGNER, "vocab", "--data", name, "--out", tmp_path / "v.tsv"],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 1
    lines = done.stderr.decode("utf-8").splitlines()  # strict: valid UTF-8
    assert len(lines) == 1 and "link.txt is a symbolic link to" in lines[0], lines
    assert "Traceback" not in lines[0]
    assert not (tmp_path / "v.tsv").exists()


# ---------------------------------------------------------------- memory and other errors


@pytest.mark.parametrize("command", ["train", "build"])
def test_a_huge_dimension_is_a_memory_error_in_one_line(tmp_path: Path, command: str) -> None:
    """10**14 dimensions: petabytes, beyond any address space, so it fails on every machine."""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("we play the guitar\nthe goal\n" * 20, encoding="utf-8")
    vocab_file = tmp_path / "vocab.txt"
    vocab_file.write_text("guitar\t3\ngoal\t2\n", encoding="utf-8")
    out = tmp_path / ("out.txt" if command == "train" else "out")
    args = [command, "--corpus", corpus, "--out", out, "--dim", 10**14, "--min-count", 1]
    if command == "build":
        args += ["--vocab", vocab_file]
    one_line_error(invoke(cli, *args), "not enough memory", "Unable to allocate", "--dim")
    nothing_left(tmp_path, "corpus.txt", "vocab.txt")


@click.command()
@click.argument("what")
@library_errors
def failing(what: str) -> None:
    """A command that meets one error of the system."""
    if what == "memory":
        np.empty(2**45)  # 256 TiB: more than any address space offers
    elif what == "nul":
        open("name\x00.txt")  # noqa: SIM115 - raises before opening
    elif what == "pipe":
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")
    elif what == "other":
        raise ValueError("a bug, not the user's")


@pytest.mark.parametrize(
    ("what", "phrase"),
    [
        ("memory", "not enough memory (Unable to allocate 256. TiB"),
        ("nul", "holds a NUL character"),
        ("pipe", "closed early (broken pipe)"),
    ],
)
def test_system_errors_become_one_line(what: str, phrase: str) -> None:
    one_line_error(invoke(failing, what), phrase)


def test_other_value_errors_stay_tracebacks() -> None:
    result = invoke(failing, "other")
    assert isinstance(result.exception, ValueError)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (errno.ENOSPC, "x/out.tsv: no space left on the device; free some space"),
        (errno.EROFS, "x/out.tsv: the file system is read-only; choose a path on a writable disk"),
        (errno.EACCES, "x/out.tsv: permission denied; check the permissions"),
        (errno.ENAMETOOLONG, "x/out.tsv: the name is too long; choose a shorter name"),
        (errno.EIO, "x/out.tsv: input/output error; check the disk"),
        (errno.ENOLINK, "x/out.tsv: Link has been severed; check the path and the disk"),
    ],
)
def test_os_error_messages_name_the_path_and_the_remedy(code: int, expected: str) -> None:
    error = OSError(code, os.strerror(code), "x/out.tsv")
    assert os_error_message(error).startswith(expected)


def test_os_error_messages_name_the_output_not_its_temporary() -> None:
    error = OSError(errno.ENOSPC, "No space left on device", "x/.out.tsv.123.0badcafe.tmp")
    assert os_error_message(error).startswith("x/out.tsv: no space left")
    bare = OSError(errno.ENOSPC, "No space left on device")
    assert os_error_message(bare, "x/out.tsv").startswith("x/out.tsv: no space left")
    assert os_error_message(bare).startswith("a file or device: no space left")
    shown = os_error_message(OSError(errno.EACCES, "denied", os.fsdecode(b"caf\xe9")))
    assert shown.startswith("caf\\xe9: permission denied")


# ---------------------------------------------------------------- data directories


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("we play\n", encoding="utf-8")
    (folder / "sub" / "b.txt").write_text("the guitar\n", encoding="utf-8")
    return folder


def test_vocab_refuses_a_link_out_of_the_data_directory(data_dir: Path, tmp_path: Path) -> None:
    (data_dir / "passwd.txt").symlink_to("/etc/passwd")
    out = tmp_path / "vocab.tsv"
    one_line_error(
        invoke(vocab, "--data", data_dir, "--out", out),
        f"{data_dir}/passwd.txt is a symbolic link to /etc/passwd",
        "--follow-links",
    )
    assert not out.exists()


def test_follow_links_reads_a_link_out_of_the_directory(data_dir: Path, tmp_path: Path) -> None:
    """Without --follow-links every command that reads a directory refuses the link; with it,
    the linked file's words are read (vocab, build --data, train --corpus)."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "more.txt").write_text("zanzibar quokka\n" * 20, encoding="utf-8")
    (data_dir / "more.txt").symlink_to(outside / "more.txt")
    vocab_out, art, vectors = tmp_path / "vocab.tsv", tmp_path / "art", tmp_path / "v.txt"
    commands = {
        "vocab": ["vocab", "--data", data_dir, "--out", vocab_out],
        "build": ["build", "--pretrained", SAMPLES / "vectors.glove.txt", "--data", data_dir,
                  "--out", art],
        "train": ["train", "--corpus", data_dir, "--dim", 8, "--min-count", 1, "--epochs", 1,
                  "--out", vectors],
    }  # fmt: skip
    for name, args in commands.items():
        one_line_error(invoke(cli, *args), "is a symbolic link to", "--follow-links")
        assert not any(p.exists() for p in (vocab_out, art, vectors)), name
    for name, args in commands.items():
        result = invoke(cli, *args, "--follow-links")
        assert result.exit_code == 0, (name, result.output)
    assert "quokka" in vocab_out.read_text(encoding="utf-8")
    assert "quokka" in aligner.load(art).vocab
    assert "quokka" in vectors.read_text(encoding="utf-8")


def test_follow_links_without_a_directory_is_refused(texts: Path, tmp_path: Path) -> None:
    out = tmp_path / "v.txt"
    for args in (
        ["vocab", "--data", texts, "--out", tmp_path / "vocab.tsv"],
        ["train", "--corpus", texts, "--dim", 8, "--min-count", 1, "--epochs", 1, "--out", out],
    ):
        result = invoke(cli, *args, "--follow-links")
        assert result.exit_code == 2, result.output
        assert "--follow-links applies to a data directory" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["data"]  # nothing written


def run_aligner(*args: Any) -> subprocess.CompletedProcess[str]:
    """A real process, so that a regression that blocks on a FIFO fails by timeout."""
    return subprocess.run(
        [str(ALIGNER), *map(str, args)], capture_output=True, text=True, timeout=120
    )


def test_fifos_never_block_a_command(built: Path, data_dir: Path, tmp_path: Path) -> None:
    pipe = data_dir / "pipe.txt"
    os.mkfifo(pipe)
    out = tmp_path / "out.tsv"
    for args, phrase in (
        (["vocab", "--data", data_dir, "--out", out], f"{pipe} is a FIFO (named pipe)"),
        (["vocab", "--data", pipe, "--out", out], f"{pipe} is a FIFO (named pipe)"),
        (["encode", *encode_args(built, pipe, out)], f"{pipe} is a FIFO (named pipe)"),
    ):
        done = run_aligner(*args)
        assert done.returncode == 1, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and phrase in lines[0], done.stderr
    assert not out.exists()


def test_a_line_without_a_break_is_bounded(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small compressed file without line breaks must not fill the memory."""
    import gzip

    from aligner import corpus_io

    monkeypatch.setattr(corpus_io, "MAX_LINE", 1024)
    fine = tmp_path / "fine.txt.gz"
    fine.write_bytes(gzip.compress(b"a " * 511 + b"b\n" + b"guitar\n"))  # 1024 bytes + a line
    assert invoke(vocab, "--data", fine, "--out", tmp_path / "ok.tsv").exit_code == 0
    out = tmp_path / "out.tsv"
    for name, line in (
        ("bomb.txt.gz", b"a" * 5000),
        ("bomb.jsonl.gz", b'{"text": "' + b"a" * 5000),
    ):
        data = tmp_path / name
        data.write_bytes(gzip.compress(line))
        column = ["--text-column", "text"] if "jsonl" in name else []
        expected = f"{data}, line 1: longer than 1024 bytes without a line break"
        one_line_error(invoke(vocab, "--data", data, *column, "--out", out), expected)
        ids = tmp_path / "out.parquet"
        one_line_error(invoke(encode, *encode_args(built, data, ids), *column), expected)
    assert not out.exists()
