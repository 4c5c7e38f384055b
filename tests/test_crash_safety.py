"""Killing a writer at any point leaves one loadable artifact, and the next run tidies up.

Real processes and real signals: ``aligner build --force`` killed (SIGKILL) while it
reads, while it writes a data file, once the new files are in place and once the
manifest is swapped; SIGTERM and SIGHUP unwinding like Ctrl-C.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import aligner
from aligner.artifact import load_manifest, sweep_output
from aligner.atomic import TEMP_NAME

ALIGNER = Path(sys.executable).parent / "aligner"


def write_vectors_text(folder: Path, *, rows: int, dim: int, missing: int) -> tuple[Path, Path]:
    """A word2vec text file of ``rows`` words and a vocabulary of them plus ``missing``
    words it lacks (filled at random: their rows depend on ``--seed``)."""
    rng = np.random.default_rng(0)
    table = [f"{v / 100:.2f}" for v in range(-99, 100)]
    vectors, vocab = folder / "vectors.txt", folder / "vocab.txt"
    with vectors.open("w", encoding="utf-8") as fh:
        fh.write(f"{rows} {dim}\n")
        for i, row in enumerate(rng.integers(0, len(table), size=(rows, dim)).tolist()):
            fh.write(f"w{i} " + " ".join([table[j] for j in row]) + "\n")
    words = [f"w{i}" for i in range(rows)] + [f"x{i}" for i in range(missing)]
    vocab.write_text("\n".join(words) + "\n", encoding="utf-8")
    return vectors, vocab


def leftovers(out: Path) -> list[str]:
    """What is at or beside ``out`` besides its manifest and the files it names."""
    named = {"manifest.json", *(p.name for p in aligner.load(out, verify=False).files.values())}
    inside = [name for name in os.listdir(out) if name not in named]
    beside = [name for name in os.listdir(out.parent) if name.startswith(f".{out.name}.")]
    return sorted(inside + beside)


def _build_args(vectors: Path, vocab: Path, out: Path, seed: int) -> list[str]:
    return [str(a) for a in (ALIGNER, "build", "--pretrained", vectors, "--vocab", vocab,
                             "--out", out, "--force", "--seed", seed)]  # fmt: skip


def _run_and_signal(
    args: list[str], when: Callable[[int], bool], sig: int, timeout: float = 120
) -> tuple[int, str]:
    """Run ``args``; send ``sig`` as soon as ``when(pid)`` holds; the exit status and stderr."""
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    end = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < end:
        if when(proc.pid):
            proc.send_signal(sig)
            break
        time.sleep(0.0005)
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


def _writing(out: Path) -> Callable[[int], bool]:
    """True once process ``pid`` has a temporary data file in ``out``."""
    return lambda pid: any(
        (m := TEMP_NAME.match(name)) and int(m["pid"]) == pid for name in os.listdir(out)
    )


@pytest.fixture(scope="module")
def old_artifact(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Vectors (12,000 x 256: a build takes about a second), and an artifact built with seed 1."""
    root = tmp_path_factory.mktemp("crash")
    vectors, vocab = write_vectors_text(root, rows=12_000, dim=256, missing=1_200)
    old = root / "old"
    done = subprocess.run(_build_args(vectors, vocab, old, 1), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return vectors, vocab, old


def _whole(out: Path) -> bytes:
    """The manifest of ``out``, after checking that the artifact loads and verifies."""
    art = aligner.load(out, verify=True)
    assert art.vectors.shape == (13_202, 256) and len(art.provenance) == 13_202
    return (out / "manifest.json").read_bytes()


def test_sigkill_at_any_point_of_a_build_leaves_a_loadable_artifact(
    old_artifact: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    vectors, vocab, old = old_artifact
    out = tmp_path / "emb"
    shutil.copytree(old, out)
    before = _whole(out)

    def after(seconds: float) -> Callable[[int], bool]:
        start = time.monotonic()
        return lambda pid: time.monotonic() - start > seconds

    def new_files_in_place() -> Callable[[int], bool]:
        names = set(os.listdir(out))
        return lambda pid: any(n not in names and not TEMP_NAME.match(n) for n in os.listdir(out))

    def manifest_swapped() -> Callable[[int], bool]:
        inode = (out / "manifest.json").stat().st_ino
        return lambda pid: (out / "manifest.json").stat().st_ino != inode

    points: list[tuple[str, Callable[[], Callable[[int], bool]]]] = [
        ("while reading", lambda: after(0.3)),
        ("while writing a data file", lambda: _writing(out)),
        ("with new files in place", new_files_in_place),
        ("after the manifest swap", manifest_swapped),
    ]
    for seed, (point, when) in enumerate(points, start=2):
        code, err = _run_and_signal(_build_args(vectors, vocab, out, seed), when(), signal.SIGKILL)
        manifest = _whole(out)  # the old artifact, or the new one, whole
        if point == "while writing a data file":
            assert code == -signal.SIGKILL, err
            assert manifest == before
    code, err = _run_and_signal(_build_args(vectors, vocab, out, 99), lambda pid: False, 0)
    assert code == 0, err
    _whole(out)
    assert leftovers(out) == []  # the next run removed what the killed ones left


def test_sigterm_removes_the_temporaries_at_once(
    old_artifact: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    vectors, vocab, old = old_artifact
    out = tmp_path / "emb"
    shutil.copytree(old, out)
    before = _whole(out)
    code, err = _run_and_signal(_build_args(vectors, vocab, out, 5), _writing(out), signal.SIGTERM)
    assert code == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
    assert _whole(out) == before
    assert leftovers(out) == []


# Installs the CLI's handlers, then writes artifacts until a signal comes.
SIGNALLED_WRITER = """
import sys
import numpy as np
from aligner.artifact import write_artifact
from aligner.vocab import Vocab
from aligner_cli.signals import install_signal_handlers
install_signal_handlers()
out = sys.argv[1]
for i in range(10**6):
    rows = 200_000
    write_artifact(out, np.full((rows, 32), float(i), np.float32),
                   Vocab([f"w{j}" for j in range(rows - 2)]), ["exact"] * rows, force=True)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_termination_signals_unwind_like_ctrl_c(tmp_path: Path, sig: int) -> None:
    out = tmp_path / "emb"
    args = [sys.executable, "-c", SIGNALLED_WRITER, str(out)]
    ready = lambda pid: (out / "manifest.json").exists() and _writing(out)(pid)  # noqa: E731
    code, err = _run_and_signal(args, ready, sig)
    assert code == 128 + sig, err
    assert err == ""  # no traceback
    aligner.load(out, verify=True)
    assert leftovers(out) == []


# Replaces the artifact at argv[1] with small versions until killed; says when it began.
LOOPING_WRITER = """
import sys
import numpy as np
from aligner.artifact import write_artifact
from aligner.vocab import Vocab
out = sys.argv[1]
for i in range(10**6):
    v = i % 3
    rows = 20_000 + 1000 * v
    write_artifact(out, np.full((rows, 32), float(v), np.float32),
                   Vocab([f"v{v}w{j}" for j in range(rows - 2)]), [f"k{v}"] * rows, force=True)
    if i == 0:
        print("ready", flush=True)
"""


def test_sigkill_of_a_replacing_writer_at_many_moments(tmp_path: Path) -> None:
    out = tmp_path / "emb"
    for delay in (0.0, 0.013, 0.029, 0.047, 0.071, 0.11, 0.17):
        with subprocess.Popen(
            [sys.executable, "-c", LOOPING_WRITER, str(out)], stdout=subprocess.PIPE, text=True
        ) as proc:
            assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
            time.sleep(delay)
            proc.kill()
        art = aligner.load(out, verify=True)
        v = int(art.vectors[0, 0])
        assert len(art.vocab) == 20_000 + 1000 * v and art.vocab.tokens[2] == f"v{v}w0"
        assert set(art.provenance) == {f"k{v}"} and np.all(art.vectors[-1] == v)
    sweep_output(out)  # what the next run does first
    assert leftovers(out) == []
    assert load_manifest(out)["format_version"] == 2
