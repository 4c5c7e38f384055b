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


def test_check_file_output_names_a_link_and_replaces_it_only_with_force(tmp_path: Path) -> None:
    link = tmp_path / "v.tsv"
    link.symlink_to("missing.tsv")
    with pytest.raises(InputError) as info:
        check_file_output(link)
    assert str(info.value) == (
        f"output {link} is a symbolic link to missing.tsv, which does not exist; pass --force "
        "to replace the link itself (what it points to is left alone), or choose another --out"
    )
    assert check_file_output(link, force=True) == link
    with atomic_file(link, replace=True) as tmp:
        tmp.write_text("new")
    assert not link.is_symlink() and link.read_text() == "new"
    assert not (tmp_path / "missing.tsv").exists()


def test_a_link_appearing_meanwhile_is_named_as_a_link(tmp_path: Path) -> None:
    out = tmp_path / "v.tsv"
    refused = pytest.raises(InputError, match=r"is a symbolic link to elsewhere, which does not")
    with refused, atomic_file(out, replace=False) as tmp:
        tmp.write_text("new")
        out.symlink_to("elsewhere")
    assert os.readlink(out) == "elsewhere" and sorted(os.listdir(tmp_path)) == ["v.tsv"]


def test_sweep_keeps_what_a_journal_still_needs(tmp_path: Path) -> None:
    import json

    dead = _dead_pid()
    kept = f".e.kv.{dead}.0123abcd.tmp"
    staged = f".e.kv.{dead}.4567abcd.tmp"
    stray = f".v.tsv.{dead}.89abcdef.tmp"
    for name in (kept, stray):
        (tmp_path / name).write_text("old")
    (tmp_path / staged).mkdir()
    record = {"staged": staged, "files": [{"name": "e.kv", "aside": kept, "dev": 1, "ino": 2}]}
    (tmp_path / ".e.kv.journal").write_text(json.dumps(record))
    (tmp_path / ".x.journal").write_text("{not json")  # names nothing
    assert [p.name for p in sweep_temporaries(tmp_path)] == [stray]
    assert sorted(os.listdir(tmp_path)) == sorted([".e.kv.journal", ".x.journal", kept, staged])


@pytest.mark.parametrize(
    ("manifest", "name", "refused"),
    [('{"format_version": 2, "vocab": {"file": "vocab.txt"}}', "manifest.json", "the manifest"),
     ('{"format_version": 2, "vocab": {"file": "vocab.txt"}}', "vocab.txt", "a data file"),
     ('{"format_version": 2}', "vectors.0123456789abcdef.npy", "named like the data files"),
     ("{truncated", "manifest.json", None),  # damaged, and no data file beside it: not known
     ('{"name": "web app"}', "manifest.json", None),
     ('{"format_version": 2}', "notes.txt", None)],
)  # fmt: skip
def test_check_not_artifact_file(
    tmp_path: Path, manifest: str, name: str, refused: str | None
) -> None:
    from aligner.writable import check_not_artifact_file

    (tmp_path / "manifest.json").write_text(manifest)
    if refused is None:
        assert check_not_artifact_file(tmp_path / name) == tmp_path / name
        return
    with pytest.raises(InputError) as info:
        check_not_artifact_file(tmp_path / name)
    assert str(info.value).startswith(f"output {tmp_path / name} is {refused}")
    assert str(info.value).endswith(
        "writing it would break the artifact; choose an --out outside the artifact directory"
    )


def test_a_damaged_manifest_beside_data_files_still_marks_an_artifact(tmp_path: Path) -> None:
    from aligner.writable import check_not_artifact_file

    (tmp_path / "manifest.json").write_text("{truncat")
    (tmp_path / "vectors.0123456789abcdef.npy").write_bytes(b"")
    with pytest.raises(InputError, match="is the manifest of the artifact"):
        check_not_artifact_file(tmp_path / "manifest.json")


def test_shown_escapes_bytes_that_are_not_utf8_and_control_characters() -> None:
    from aligner.writable import shown

    assert shown(os.fsdecode(b"out/caf\xe9\n.vec")) == "out/caf\\xe9\\x0a.vec"
    assert shown(b"x\xff") == "x\\xff" and shown(Path("plain")) == "plain"
    assert shown("a\ud800b") == "a\\ud800b"  # a surrogate that stands for no byte
