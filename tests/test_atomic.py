"""Atomic outputs: complete under the final name, or nothing at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aligner.atomic import atomic_file, check_file_output, place_directory, sha256_file
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
