"""Readers during replacements, and writers of one output at once: always one whole artifact."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import aligner
from aligner.artifact import load_manifest, write_artifact
from aligner.vocab import Vocab

from .test_crash_safety import ALIGNER, leftovers, write_vectors_text

# Replaces the artifact at argv[1] argv[2] times, cycling through three versions that
# differ in every file (rows, vocabulary, provenance, values).
WRITER = """
import sys
import numpy as np
from aligner.artifact import write_artifact
from aligner.vocab import Vocab
out, times, offset = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(times):
    v = (i + offset) % 3
    rows = 3000 + 100 * v
    matrix = np.full((rows, 64), float(v), dtype=np.float32)
    vocab = Vocab([f"v{v}w{j}" for j in range(rows - 2)])
    write_artifact(out, matrix, vocab, [f"kind{v}"] * rows, force=True)
"""


def _version(art: aligner.Artifact) -> int:
    """Which of the writer's versions ``art`` is, checking that all its parts agree."""
    v = int(art.vectors[0, 0])
    rows = 3000 + 100 * v
    assert art.vectors.shape == (rows, 64) and np.all(art.vectors[-1] == v)
    assert art.vocab.tokens[2] == f"v{v}w0" and len(art.vocab) == rows
    assert set(art.provenance) == {f"kind{v}"}
    return v


def _start_writer(out: Path, times: int, offset: int = 0) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(out), str(times), str(offset)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _read_while(out: Path, writers: list[subprocess.Popen[str]]) -> tuple[int, set[int]]:
    loads, seen = 0, set()
    while any(w.poll() is None for w in writers):
        art = aligner.load(out, verify=True)  # any error fails the test
        seen.add(_version(art))
        loads += 1
    return loads, seen


def test_readers_see_the_old_or_the_new_artifact_whole(tmp_path: Path) -> None:
    out = tmp_path / "a"
    write_artifact(out, np.zeros((3000, 64), np.float32), Vocab([f"v0w{j}" for j in range(2998)]),
                   ["kind0"] * 3000)  # fmt: skip
    writer = _start_writer(out, 30)
    loads, seen = _read_while(out, [writer])
    _, err = writer.communicate()
    assert writer.returncode == 0, err
    assert loads >= 5 and len(seen) >= 2, (loads, seen)
    assert leftovers(out) == []


def test_two_writers_of_one_output_take_turns(tmp_path: Path) -> None:
    out = tmp_path / "a"
    writers = [_start_writer(out, 15, offset) for offset in (0, 1)]
    while not (out / "manifest.json").exists() and any(w.poll() is None for w in writers):
        time.sleep(0.01)
    _read_while(out, writers)
    for writer in writers:
        _, err = writer.communicate()
        assert writer.returncode == 0, err
    _version(aligner.load(out, verify=True))
    assert leftovers(out) == []


@pytest.fixture(scope="module")
def small_vectors(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_vectors_text(tmp_path_factory.mktemp("vectors"), rows=6000, dim=64, missing=600)


def _build(vectors: Path, vocab: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    args = [ALIGNER, "build", "--pretrained", vectors, "--vocab", vocab, "--out", out, *extra]
    return subprocess.Popen(
        [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_two_builds_into_one_out_with_force(
    small_vectors: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "emb"
    builds = [_build(*small_vectors, out, "--force", "--seed", str(seed)) for seed in (1, 2)]
    for build in builds:
        _, err = build.communicate(timeout=300)
        assert build.returncode == 0, err
        assert "Traceback" not in err
    art = aligner.load(out, verify=True)
    assert art.vectors.shape == (6602, 64)
    assert leftovers(out) == []


def test_two_builds_into_one_new_out(small_vectors: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "emb"
    builds = [_build(*small_vectors, out, "--seed", str(seed)) for seed in (1, 2)]
    codes = []
    for build in builds:
        _, err = build.communicate(timeout=300)
        codes.append(build.returncode)
        if build.returncode != 0:  # the later one may be told, in one line, what to do
            lines = [line for line in err.splitlines() if line.strip()]
            assert build.returncode == 1 and len(lines) == 1, err
            assert lines[0].startswith("Error: ") and "pass --force" in lines[0]
    assert 0 in codes
    assert aligner.load(out, verify=True).vectors.shape == (6602, 64)
    assert load_manifest(out)["format_version"] == 2
    assert leftovers(out) == []


def test_two_identical_builds_into_one_new_out_both_succeed(
    small_vectors: tuple[Path, Path], tmp_path: Path
) -> None:
    """The build that finds the other's artifact in place (same inputs) reuses it."""
    out = tmp_path / "emb"
    builds = [_build(*small_vectors, out, "--seed", "1") for _ in range(2)]
    for build in builds:
        _, err = build.communicate(timeout=300)
        assert build.returncode == 0, err
        assert "Traceback" not in err
    assert aligner.load(out, verify=True).vectors.shape == (6602, 64)
    assert leftovers(out) == []
