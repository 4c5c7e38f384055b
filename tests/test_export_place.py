"""aligner.export.place: several files appear together or not at all."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from aligner.errors import InputError
from aligner.export import place
from aligner.export.place import atomic_files, recover

NAMES = ["e.kv.vectors.npy", "e.kv"]


def write_pair(tmp: Path, tag: str) -> None:
    for name in NAMES:
        (tmp / name).write_text(f"{tag} {name}")


def listing(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() if p.is_file() else "<dir>" for p in folder.iterdir()}


def test_both_files_appear_and_the_temporary_directory_goes(tmp_path: Path) -> None:
    with atomic_files(tmp_path / "out", NAMES) as tmp:
        assert tmp.parent == tmp_path / "out" and tmp.name.startswith(".e.kv.")
        write_pair(tmp, "new")
    assert listing(tmp_path / "out") == {n: f"new {n}" for n in NAMES}


def test_an_error_while_writing_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), atomic_files(tmp_path / "a" / "b", NAMES) as tmp:
        write_pair(tmp, "new")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []  # the directories made for it are gone too


def test_a_failed_move_of_the_main_file_takes_the_first_back(tmp_path: Path) -> None:
    (tmp_path / "e.kv.vectors.npy").write_text("old npy")
    (tmp_path / "e.kv").mkdir()  # the main file cannot replace a directory
    (tmp_path / "e.kv" / "x").write_text("keep")
    with pytest.raises(OSError), atomic_files(tmp_path, NAMES, replace=True) as tmp:
        write_pair(tmp, "new")
    assert listing(tmp_path) == {"e.kv.vectors.npy": "old npy", "e.kv": "<dir>"}
    assert (tmp_path / "e.kv" / "x").read_text() == "keep"


def test_without_replace_an_existing_main_file_stops_both(tmp_path: Path) -> None:
    (tmp_path / "e.kv").write_text("old kv")
    refused = pytest.raises(InputError, match=r"e\.kv already exists .*pass --force")
    with refused, atomic_files(tmp_path, NAMES) as tmp:
        write_pair(tmp, "new")
    assert listing(tmp_path) == {"e.kv": "old kv"}


def test_replace_swaps_both_files(tmp_path: Path) -> None:
    write_pair(tmp_path, "old")
    with atomic_files(tmp_path, NAMES, replace=True) as tmp:
        write_pair(tmp, "new")
    assert listing(tmp_path) == {n: f"new {n}" for n in NAMES}


def test_a_file_the_writer_did_not_make_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError), atomic_files(tmp_path, NAMES) as tmp:
        (tmp / "e.kv").write_text("only the main file")
    assert list(tmp_path.iterdir()) == []


def test_what_a_killed_writer_left_is_swept(tmp_path: Path) -> None:
    dead = 2**22 + 12345  # above the default pid_max: no such process
    stale = [
        tmp_path / f".e.kv.{dead}.0123abcd.tmp",
        tmp_path / f".e.kv.vectors.npy.{dead}.89abcdef.tmp",
    ]
    stale[0].mkdir()
    stale[1].write_text("old aside")
    with atomic_files(tmp_path, NAMES) as tmp:
        write_pair(tmp, "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(NAMES)


class FailingOs:
    """``os`` for aligner.export.place whose ``step``-th file-system call fails with EIO."""

    STEPS = frozenset({"link", "rename", "replace", "unlink", "open", "write", "fsync"})

    def __init__(self, step: int) -> None:
        self.step, self.count = step, 0

    def __getattr__(self, name: str) -> Any:
        real = getattr(os, name)
        if name not in self.STEPS:
            return real

        def call(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            if self.count == self.step:
                raise OSError(errno.EIO, "Input/output error")
            return real(*args, **kwargs)

        return call


def test_an_error_at_any_step_leaves_one_whole_pair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    step, outcomes = 0, set()
    while True:
        step += 1
        folder = tmp_path / f"s{step}"
        folder.mkdir()
        write_pair(folder, "old")
        failing = FailingOs(step)
        monkeypatch.setattr(place, "os", failing)
        try:
            with atomic_files(folder, NAMES, replace=True) as tmp:
                write_pair(tmp, "new")
        except OSError:
            outcomes.add("failed")
        else:
            outcomes.add("done")  # the error hit the clean-up after the commit, or nothing
            if failing.count < step:
                break
        finally:
            monkeypatch.setattr(place, "os", os)
        recover(folder)  # what a later export does first
        pair = {k: v for k, v in listing(folder).items() if not k.startswith(".")}
        assert pair in ({n: f"old {n}" for n in NAMES}, {n: f"new {n}" for n in NAMES}), step
        leftovers = [n for n in listing(folder) if n.startswith(".")]  # a failed clean-up's:
        assert all(f".{os.getpid()}." in n for n in leftovers)  # swept once this process ends
    assert listing(folder) == {n: f"new {n}" for n in NAMES}
    assert step > 8 and outcomes == {"failed", "done"}


def test_recover_without_a_journal_changes_nothing(tmp_path: Path) -> None:
    write_pair(tmp_path, "old")
    assert recover(tmp_path) == [] and recover(tmp_path / "missing") == []
    assert listing(tmp_path) == {n: f"old {n}" for n in NAMES}
