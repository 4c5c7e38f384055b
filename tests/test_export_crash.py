"""gensim's two files under SIGKILL and concurrent writers: always one export's whole pair.

An export to gensim moves two files into place (``e.kv.vectors.npy``, then
``e.kv``). Real processes are killed with SIGKILL before every file-system
step of that move (forked writers whose ``os`` counts the steps, and one real
``aligner export`` process), and two writers replace one pair at once. After
each, ``KeyedVectors.load(path, mmap="r")`` either fails loudly (no ``e.kv``
between a kill and the next run) or loads one export whole; after the next
export into the folder it loads one export whole and no temporary is left.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result

from aligner.artifact import write_artifact
from aligner.export import export, place
from aligner.vocab import Vocab
from aligner_cli.export import export as export_command

#: the file-system calls of aligner.export.place that a writer may be killed before
STEPS = frozenset({"link", "rename", "replace", "unlink", "open", "write", "fsync"})


def make_artifact(path: Path, rows: int, seed: int) -> Path:
    matrix = np.random.default_rng(seed).standard_normal((rows, 6)).astype(np.float32)
    vocab = Vocab([f"w{seed}_{i}" for i in range(rows)], pad=None, unk=None)
    return write_artifact(path, matrix, vocab, ["exact"] * rows)


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Artifact "A" (40 rows) and "B" (25 rows, other keys and values)."""
    root = tmp_path_factory.mktemp("two")
    return {"A": make_artifact(root / "A", 40, 1), "B": make_artifact(root / "B", 25, 2)}


def whole(kv_path: Path, two: dict[str, Path]) -> str | None:
    """Which export ``kv_path`` loads whole ("A" or "B"), or None when e.kv is absent."""
    from gensim.models import KeyedVectors

    from aligner.artifact import open_artifact

    try:
        kv = KeyedVectors.load(str(kv_path), mmap="r")
    except FileNotFoundError as exc:
        assert exc.filename == str(kv_path), exc  # the main file, never a half pair
        return None
    assert len(kv.index_to_key) == kv.vectors.shape[0]
    for name, artifact in two.items():
        art = open_artifact(artifact)
        if kv.index_to_key == art.vocab.tokens:
            assert np.array_equal(np.asarray(kv.vectors), np.asarray(art.vectors))
            return name
    raise AssertionError(f"{kv_path} holds neither export: {kv.index_to_key[:3]}")


class CountingOs:
    """``os`` for aligner.export.place: ``hook(n)`` runs before its n-th file-system step."""

    def __init__(self, hook: Callable[[int], None]) -> None:
        self.hook, self.count = hook, 0

    def __getattr__(self, name: str) -> Any:
        real = getattr(os, name)
        if name not in STEPS:
            return real

        def step(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            self.hook(self.count)
            return real(*args, **kwargs)

        return step


def in_child(hook: Callable[[int], None], artifact: Path, out: Path, force: bool) -> int:
    """Fork a process that exports with ``hook`` on place's steps; return its pid."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            place.os = CountingOs(hook)  # type: ignore[assignment]
            export(artifact, out, force=force, verify=False)
            code = 0
        finally:
            os._exit(code)
    return pid


def killed_at(step: int, artifact: Path, out: Path, *, force: bool) -> bool:
    """Export in a child killed with SIGKILL before place's ``step``-th step; was it killed?"""

    def kill(n: int) -> None:
        if n == step:
            os.kill(os.getpid(), signal.SIGKILL)

    _, status = os.waitpid(in_child(kill, artifact, out, force), 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.WEXITSTATUS(status) == 0, status
    return False


def run(*args: object) -> Result:
    return CliRunner().invoke(export_command, [str(a) for a in args])


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


PAIR = ["e.kv", "e.kv.vectors.npy"]


def test_killed_at_every_step_of_a_replacement(two: dict[str, Path], tmp_path: Path) -> None:
    seen: set[str | None] = set()
    step = 0
    while True:
        step += 1
        folder = tmp_path / f"k{step}"
        export(two["A"], folder / "e.kv")
        if not killed_at(step, two["B"], folder / "e.kv", force=True):
            break
        seen.add(whole(folder / "e.kv", two))  # A, B, or no e.kv: never a mixed pair
        # the next run, even one refused for want of --force, puts the pair back first
        rerun = run(two["B"], "--out", folder / "e.kv")
        assert rerun.exit_code == 1 and "e.kv already exists; pass --force" in rerun.output
        assert whole(folder / "e.kv", two) in ("A", "B")
        assert names(folder) == PAIR, step  # no journal, no file kept aside, no temporary
    assert whole(folder / "e.kv", two) == "B" and names(folder) == PAIR
    assert step > 8 and seen == {"A", "B", None}, (step, seen)


def test_killed_at_every_step_of_a_first_write(two: dict[str, Path], tmp_path: Path) -> None:
    step = 0
    while True:
        step += 1
        folder = tmp_path / f"k{step}"
        folder.mkdir()
        if not killed_at(step, two["B"], folder / "e.kv", force=False):
            break
        state = whole(folder / "e.kv", two)
        assert state in (None, "B")
        rerun = run(two["A"], "--out", folder / "other.safetensors")  # another name, same folder
        assert rerun.exit_code == 0, rerun.output
        after = whole(folder / "e.kv", two)  # completed when killed after its last move
        assert after == state
        expected = ["other.safetensors"] + (PAIR if after else [])
        assert names(folder) == sorted(expected), step  # and no half pair, no temporary
    assert whole(folder / "e.kv", two) == "B" and step > 6


def test_two_writers_replacing_one_pair_at_once(two: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "e.kv"
    export(two["A"], out)
    for _ in range(3):
        go_read, go_write = os.pipe()

        def slow(n: int, start: float, pause: float, go: int = go_read) -> None:
            if n == 1:
                os.read(go, 1)  # both writers reach their moves together,
                time.sleep(start)  # B's slow moves span A's quick ones
            time.sleep(pause)

        pids = [
            in_child(lambda n, s=start, p=pause: slow(n, s, p), two[name], out, True)
            for name, start, pause in (("A", 0.07, 0.005), ("B", 0.0, 0.03))
        ]
        os.write(go_write, b"xx")
        codes = [os.waitpid(pid, 0)[1] for pid in pids]
        os.close(go_read)
        os.close(go_write)
        assert codes == [0, 0]
        assert whole(out, two) in ("A", "B")
        assert names(tmp_path) == PAIR


RUNNER = textwrap.dedent(
    """
    import os, signal, sys
    from aligner.export import place
    from aligner_cli.main import cli

    class Os:
        replaces = 0
        def __getattr__(self, name):
            real = getattr(os, name)
            if name != "replace":
                return real
            def replace(*args):
                Os.replaces += 1
                if Os.replaces == int(sys.argv[1]):
                    os.kill(os.getpid(), signal.SIGKILL)
                return real(*args)
            return replace

    place.os = Os()
    cli(sys.argv[2:])
    """
)


def test_a_real_aligner_process_killed_between_the_two_files(
    two: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "e.kv"
    export(two["A"], out)
    # replace 1 puts the journal in place, 2 the new matrix; killed before 3 (the new e.kv)
    args = [sys.executable, "-c", RUNNER, "3", "export", two["B"], "--out", out, "--force"]
    done = subprocess.run([str(a) for a in args], capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert whole(out, two) is None  # the old e.kv is gone: a reader fails, never mismatches
    assert ".e.kv.journal" in names(tmp_path)
    aligner = Path(sys.executable).parent / "aligner"
    rerun = subprocess.run(
        [str(aligner), "export", str(two["B"]), "--out", str(out)], capture_output=True, text=True
    )
    assert rerun.returncode == 1
    assert rerun.stderr == f"Error: output file {out} already exists; pass --force to replace it\n"
    assert whole(out, two) == "A" and names(tmp_path) == PAIR


def test_a_damaged_journal_is_one_line_and_nothing_is_touched(
    two: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "e.kv"
    export(two["A"], out)
    journal = tmp_path / ".e.kv.journal"
    journal.write_text(json.dumps({"staged": ".x.1.00000000.tmp", "files": [{"name": "../x"}]}))
    result = run(two["B"], "--out", out, "--force")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output.strip() == (
        f"Error: {journal}: an export's journal that aligner cannot read (damaged or edited); "
        f"remove it, then export {out} again with --force"
    )
    assert whole(out, two) == "A" and names(tmp_path) == [".e.kv.journal", *PAIR]
    journal.unlink()
    assert run(two["B"], "--out", out, "--force").exit_code == 0
    assert whole(out, two) == "B" and names(tmp_path) == PAIR
