"""Atomic outputs: complete under the final name, or nothing at all; no stale leftovers."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from aligner.atomic import (
    TEMP_NAME,
    atomic_file,
    check_file_output,
    lock_directory,
    place_directory,
    sha256_file,
    sweep_temporaries,
    temp_directory,
    temp_path,
)
from aligner.errors import InputError


def test_file_appears_complete_with_usual_permissions(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "v.tsv"
    with atomic_file(out) as tmp:
        assert tmp.parent == out.parent and tmp.name.startswith(".v.tsv.")
        tmp.write_text("a\t1\n", encoding="utf-8")
        assert not out.exists()
    assert out.read_text(encoding="utf-8") == "a\t1\n"
    mask = os.umask(0o022)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask
    assert [p.name for p in out.parent.iterdir()] == ["v.tsv"]


def test_error_removes_the_temporary_and_keeps_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "v.tsv"
    out.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_file(out) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("interrupted")
    assert out.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["v.tsv"]


def test_check_file_output(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        check_file_output(tmp_path)
    (tmp_path / "x").write_text("x")
    with pytest.raises(InputError, match="pass --force"):
        check_file_output(tmp_path / "x")
    assert check_file_output(tmp_path / "x", force=True) == tmp_path / "x"


def test_place_directory_replaces_an_old_one(tmp_path: Path) -> None:
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "f").write_text("new")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "g").write_text("old")
    place_directory(tmp_path / "new", tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["f"]


def test_sha256_file(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert sha256_file(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_error_removes_the_directories_made_for_the_output(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "v.tsv"
    with pytest.raises(RuntimeError), atomic_file(out) as tmp:
        assert tmp.parent.is_dir()
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def _dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return int(child.stdout)


def test_temporary_names_carry_the_pid(tmp_path: Path) -> None:
    name = temp_path(tmp_path / "v.tsv").name
    assert name.startswith(f".v.tsv.{os.getpid()}.") and name.endswith(".tmp")
    assert TEMP_NAME.match(name)["name"] == "v.tsv"  # type: ignore[index]


def test_sweep_removes_only_temporaries_of_dead_writers(tmp_path: Path) -> None:
    dead = _dead_pid()
    (tmp_path / f".v.tsv.{dead}.0123abcd.tmp").write_text("half")
    (tmp_path / f".out.{dead}.0123abcd.tmp").mkdir()
    (tmp_path / f".out.{dead}.0123abcd.tmp" / "vectors.npy").write_text("x")
    (tmp_path / f".v.tsv.{os.getpid()}.0123abcd.tmp").write_text("mine, alive")
    (tmp_path / f".v.tsv.{os.getppid()}.0123abcd.tmp").write_text("alive")
    (tmp_path / ".v.tsv.abcdefgh.tmp").write_text("no pid: not ours to judge")
    (tmp_path / "v.tsv").write_text("done")
    removed = sweep_temporaries(tmp_path, "v.tsv")
    assert [p.name for p in removed] == [f".v.tsv.{dead}.0123abcd.tmp"]
    sweep_temporaries(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f".v.tsv.{os.getpid()}.0123abcd.tmp", f".v.tsv.{os.getppid()}.0123abcd.tmp",
         ".v.tsv.abcdefgh.tmp", "v.tsv"]
    )  # fmt: skip


def test_atomic_file_sweeps_what_a_killed_writer_left(tmp_path: Path) -> None:
    out = tmp_path / "v.tsv"
    stale = tmp_path / f".v.tsv.{_dead_pid()}.0123abcd.tmp"
    stale.write_bytes(b"x" * 1000)
    with atomic_file(out) as tmp:
        tmp.write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.tsv"]


def test_lock_directory_excludes_and_follows_a_replaced_directory(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    with lock_directory(folder) as held:
        assert held is not None
        with lock_directory(folder, wait=False) as other:
            assert other is None  # another descriptor: excluded, even in one process
    with lock_directory(folder, wait=False) as free:
        assert free is not None
    assert list(folder.iterdir()) == []  # no lock file left behind
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError), lock_directory(tmp_path / "file"):
        pass
    # a waiter whose directory is replaced meanwhile ends up holding the new one
    got: list[int] = []

    def wait_for_lock() -> None:
        with lock_directory(folder) as fd:
            assert fd is not None
            got.append(os.fstat(fd).st_ino)

    with lock_directory(folder):
        waiter = threading.Thread(target=wait_for_lock)
        waiter.start()
        time.sleep(0.05)
        folder.rename(tmp_path / "old")
        folder.mkdir()
    waiter.join(10)
    assert got == [folder.stat().st_ino]


def test_place_directory_sets_the_old_one_aside_under_a_temporary_name(tmp_path: Path) -> None:
    tmp = temp_directory(tmp_path / "out")
    assert TEMP_NAME.match(tmp.name) and tmp.stat().st_mode & 0o777 == 0o777 & ~_umask()
    (tmp / "f").write_text("new")
    place_directory(tmp, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_without_replace_a_file_that_appeared_meanwhile_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "v.tsv"
    with (
        pytest.raises(InputError, match=r"already exists .*; pass --force"),
        atomic_file(out, replace=False) as second,
    ):
        second.write_text("second\n")
        with atomic_file(out, replace=False) as first:
            first.write_text("first\n")
    assert out.read_text() == "first\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.tsv"]


def test_with_replace_the_last_writer_wins(tmp_path: Path) -> None:
    out = tmp_path / "v.tsv"
    with atomic_file(out) as second:
        second.write_text("second\n")
        with atomic_file(out) as first:
            first.write_text("first\n")
    assert out.read_text() == "second\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.tsv"]


def test_without_hard_links_a_checked_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(src: object, dst: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    out = tmp_path / "v.tsv"
    with atomic_file(out, replace=False) as tmp:
        tmp.write_text("new\n")
    assert out.read_text() == "new\n"
    with pytest.raises(InputError, match="already exists"), atomic_file(out, replace=False) as tmp:
        tmp.write_text("newer\n")
    assert out.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.tsv"]
