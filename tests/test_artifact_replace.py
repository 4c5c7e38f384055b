"""Replacing an artifact, reading old ones, and manifests that point where they must not."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import aligner
from aligner.artifact import check_output, load_manifest, write_artifact
from aligner.errors import ArtifactExistsError
from aligner.vocab import Vocab
from aligner_cli.main import cli


def _write(out: Path, seed: int, rows: int = 6, **kwargs: object) -> np.ndarray:
    matrix = np.random.default_rng(seed).normal(size=(rows, 4)).astype(np.float32)
    vocab = Vocab([f"w{i}" for i in range(rows - 2)])
    write_artifact(out, matrix, vocab, ["pad", "special"] + ["exact"] * (rows - 2), **kwargs)  # type: ignore[arg-type]
    return matrix


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_v1(out: Path, matrix: np.ndarray, words: list[str]) -> None:
    """An artifact as aligner wrote it before format 2 (fixed file names)."""
    out.mkdir()
    np.save(out / "vectors.npy", matrix, allow_pickle=False)
    tokens = ["<pad>", "<unk>", *words]
    kinds = ["pad", "special"] + ["exact"] * len(words)
    vocab, provenance = ("".join(f"{t}\n" for t in lines).encode() for lines in (tokens, kinds))
    (out / "vocab.txt").write_bytes(vocab)
    (out / "provenance.txt").write_bytes(provenance)
    manifest = {
        "format_version": 1,
        "aligner_version": "0.1.0",
        "created": "2025-01-01T00:00:00+00:00",
        "vectors": {
            "file": "vectors.npy",
            "shape": list(matrix.shape),
            "dtype": "<f4",
            "order": "C",
            "sha256": _sha((out / "vectors.npy").read_bytes()),
        },
        "vocab": {
            "file": "vocab.txt",
            "size": len(tokens),
            "sha256": _sha(vocab),
            "pad": "<pad>",
            "unk": "<unk>",
            "pad_id": 0,
            "unk_id": 1,
        },
        "provenance": {"file": "provenance.txt", "sha256": _sha(provenance), "kinds": {}},
        "tokenizer": {"kind": "whitespace", "lowercase": False},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))


def _edit_manifest(out: Path, edit: Callable[[dict], None]) -> None:
    manifest = json.loads((out / "manifest.json").read_text())
    edit(manifest)
    (out / "manifest.json").write_text(json.dumps(manifest))


def _info(out: Path) -> tuple[int, str]:
    with deadline(10):
        result = CliRunner().invoke(cli, ["info", str(out)])
    return result.exit_code, result.output


def _one_error(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), output
    return lines[0]


class Hung(Exception):
    pass


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Turn a hang (a FIFO opened for reading blocks) into an error instead of a stuck test."""

    def expire(signum: int, frame: object) -> None:
        raise Hung(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# -- an open artifact keeps reading what it verified ---------------------------------------


def test_open_artifact_keeps_its_rows_after_the_directory_is_rebuilt(tmp_path: Path) -> None:
    out = tmp_path / "a"
    old = _write(out, seed=1)
    art = aligner.load(out)
    new = _write(out, seed=2, force=True)
    assert not art.files["vectors"].exists()  # the rebuild removed the old vectors file
    layer = art.embedding("frozen")
    assert np.array_equal(layer.weight.detach().numpy(), old)
    assert np.array_equal(art.vectors, old) and np.array_equal(art["w0"], old[2])
    assert np.array_equal(aligner.load(out).embedding().weight.detach().numpy(), new)


def test_layers_share_nothing_and_never_write_the_file(tmp_path: Path) -> None:
    out = tmp_path / "a"
    matrix = _write(out, seed=1)
    art = aligner.load(out)
    first, second = art.embedding(), art.embedding()
    with np.testing.assert_raises(AssertionError):
        first.weight.data += 1.0
        np.testing.assert_array_equal(first.weight.detach().numpy(), second.weight.detach().numpy())
    assert np.array_equal(second.weight.detach().numpy(), matrix)
    assert np.array_equal(np.load(art.files["vectors"]), matrix)
    assert aligner.load(out).files == art.files  # verified: the file is unchanged


# -- format 1 artifacts ------------------------------------------------------------------


def test_version_1_artifact_opens_and_is_replaced_cleanly(tmp_path: Path) -> None:
    out = tmp_path / "a"
    matrix = np.arange(16, dtype=np.float32).reshape(4, 4)
    _write_v1(out, matrix, ["guitar", "piano"])
    art = aligner.load(out)
    assert art.vocab["piano"] == 3 and np.array_equal(art.vectors, matrix)
    assert art.files["vectors"] == out / "vectors.npy"
    _write(out, seed=3, force=True)
    names = sorted(p.name for p in out.iterdir())
    assert "vectors.npy" not in names and "vocab.txt" not in names
    assert names == sorted(["manifest.json", *(p.name for p in aligner.load(out).files.values())])


def test_foreign_files_in_an_artifact_directory_are_kept(tmp_path: Path) -> None:
    out = tmp_path / "a"
    _write(out, seed=1)
    (out / "NOTES.md").write_text("mine")
    _write(out, seed=2, force=True)
    assert (out / "NOTES.md").read_text() == "mine"


# -- hostile manifests, through `aligner info` ----------------------------------------------


def _set(section: str, key: str, value: object) -> Callable[[dict], None]:
    def edit(manifest: dict) -> None:
        manifest.setdefault(section, {})[key] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_set("vocab", "file", "/dev/zero"), "vocab.file is '/dev/zero', not the name of a file"),
        (_set("tokenizer", "model_file", "/dev/zero"), "tokenizer.model_file is '/dev/zero'"),
        (_set("provenance", "file", "../outside.txt"), "provenance.file is '../outside.txt'"),
        (_set("vectors", "file", "/etc/passwd"), "vectors.file is '/etc/passwd'"),
        (_set("vectors", "file", ".."), "vectors.file is '..'"),
        (_set("vectors", "file", 5), "vectors.file is 5"),
        (_set("vectors", "shape", "big"), "vectors.shape is 'big'"),
        (_set("vectors", "dtype", "object"), "dtype 'object' is not supported"),
        (_set("vectors", "bytes", 10), "the manifest says 10"),
        (_set("vocab", "bytes", -1), "bytes is -1, not a byte count"),
        (_set("vocab", "pad", 7), "vocab.pad and vocab.unk must be tokens"),
        (lambda m: m.pop("vocab"), "lacks the 'vocab' section"),
        (lambda m: m.update(tokenizer=[1]), "tokenizer is not a JSON object"),
    ],
)
def test_hostile_manifest_is_a_one_line_error(
    tmp_path: Path, edit: Callable[[dict], None], expected: str
) -> None:
    out = tmp_path / "a"
    (tmp_path / "outside.txt").write_text("pad\nspecial\nexact\nexact\nexact\nexact\n")
    _write(out, seed=1)
    _edit_manifest(out, edit)
    code, output = _info(out)
    line = _one_error(output)
    assert code == 1 and expected in line and str(out) in line, line
    assert "rebuild" in line or "upgrade" in line


def test_manifest_that_is_not_an_object_or_not_regular(tmp_path: Path) -> None:
    out = tmp_path / "a"
    _write(out, seed=1)
    (out / "manifest.json").write_text("[]")
    assert "is not a JSON object" in _one_error(_info(out)[1])
    (out / "manifest.json").unlink()
    os.mkfifo(out / "manifest.json")  # must not hang waiting for a writer
    code, output = _info(out)
    assert code == 1 and "manifest.json (manifest.json) is not a regular file" in _one_error(output)


@pytest.mark.parametrize("version", [1, 2])
def test_a_data_file_that_is_a_fifo_or_a_link_out_is_refused(tmp_path: Path, version: int) -> None:
    out = tmp_path / "a"
    if version == 1:
        _write_v1(out, np.zeros((3, 2), np.float32), ["guitar"])
    else:
        _write(out, seed=1)
    art = aligner.load(out)
    vocab, model = art.files["vocab"], out / "tokenizer.model"
    secret = tmp_path / "secret.txt"
    secret.write_bytes(vocab.read_bytes())  # even the right bytes are not read through a link
    vocab.unlink()
    vocab.symlink_to(secret)
    code, output = _info(out)
    assert code == 1 and f"{vocab} (vocab.file) is a symbolic link" in _one_error(output)
    vocab.unlink()
    os.mkfifo(vocab)
    code, output = _info(out)
    assert code == 1 and f"{vocab} (vocab.file) is not a regular file" in _one_error(output)
    vocab.unlink()
    secret.rename(vocab)
    os.mkfifo(model)
    _edit_manifest(out, _set("tokenizer", "model_file", "tokenizer.model"))
    code, output = _info(out)
    assert code == 1 and "(tokenizer.model_file) is not a regular file" in _one_error(output)


@pytest.mark.parametrize("version", [1, 2])
def test_files_are_read_only_up_to_a_cap(tmp_path: Path, version: int) -> None:
    out = tmp_path / "a"
    if version == 1:
        _write_v1(out, np.zeros((3, 2), np.float32), ["guitar"])
    else:
        _write(out, seed=1)
    with (out / "tokenizer.model").open("wb") as fh:
        fh.truncate(3 << 30)  # sparse: 3 GiB that take no disk
    _edit_manifest(out, _set("tokenizer", "model_file", "tokenizer.model"))
    if version == 2:  # a manifest that records the huge size does not make it readable
        _edit_manifest(out, _set("tokenizer", "model_bytes", 3 << 30))
    code, output = _info(out)
    line = _one_error(output)
    assert code == 1 and "(tokenizer.model_file) is 3221225472 bytes, more than" in line


def test_missing_data_file_is_reported_at_once(tmp_path: Path) -> None:
    out = tmp_path / "a"
    _write(out, seed=1)
    path = aligner.load(out).files["provenance"]
    path.unlink()
    code, output = _info(out)
    assert code == 1 and f"{path} (provenance.file) is missing; rebuild" in _one_error(output)


# -- disk errors while writing ---------------------------------------------------------------


def test_a_write_the_disk_refuses_is_one_line_and_keeps_the_old_artifact(tmp_path: Path) -> None:
    out = tmp_path / "a"
    _write(out, seed=1)
    before = load_manifest(out)
    script = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (200, resource.RLIM_INFINITY))\n"
        "import numpy as np\n"
        "from aligner.artifact import write_artifact\n"
        "from aligner.errors import AlignerError\n"
        "from aligner.vocab import Vocab\n"
        "try:\n"
        "    write_artifact(sys.argv[1], np.ones((12, 8), np.float32), Vocab(list('abcdefghij')),"
        " ['exact'] * 12, force=True)\n"
        "except AlignerError as exc:\n"
        "    sys.exit(str(exc))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(out)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"cannot write artifact {out}: File too large ("), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert load_manifest(out) == before and aligner.load(out).vectors.shape == (6, 4)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["manifest.json", *(p.name for p in aligner.load(out).files.values())]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]


# -- what killed writers leave ---------------------------------------------------------------


def _dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return int(child.stdout)


def test_the_next_run_removes_what_killed_writers_left(tmp_path: Path) -> None:
    out = tmp_path / "a"
    _write(out, seed=1)
    kept = sorted(p.name for p in out.iterdir())
    dead, alive = _dead_pid(), os.getppid()
    (out / f".vectors.{dead}.0123abcd.tmp").write_bytes(b"\0" * 4096)
    (out / f".manifest.json.{dead}.0123abcd.tmp").write_text("{")
    (out / "vectors.0123456789abcdef.npy").write_bytes(b"moved in, manifest never swapped")
    (out / f".vocab.{alive}.0123abcd.tmp").write_text("a live writer's")
    staging = tmp_path / f".a.{dead}.0123abcd.tmp"
    staging.mkdir()
    (staging / "vectors.npy").write_bytes(b"\0" * 4096)
    (tmp_path / "b").mkdir()  # another output's files are not this one's business
    (tmp_path / f".b.{dead}.0123abcd.tmp").write_text("b's")
    with pytest.raises(ArtifactExistsError):
        check_output(out)  # checking is enough to tidy
    assert sorted(p.name for p in out.iterdir()) == sorted([*kept, f".vocab.{alive}.0123abcd.tmp"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".b.{dead}.0123abcd.tmp", "a", "b"]
    aligner.load(out)


def test_an_opened_artifact_pickles_with_its_vectors(tmp_path: Path) -> None:
    matrix = _write(tmp_path / "a", seed=1)
    art = pickle.loads(pickle.dumps(aligner.load(tmp_path / "a")))
    assert np.array_equal(art.vectors, matrix)
    assert np.array_equal(art.embedding().weight.detach().numpy(), matrix)
