"""archive: compression by suffix, safe zip member names, decompressed streams on real files."""

from __future__ import annotations

import bz2
import gzip
import lzma
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from aligner.errors import InputError, VectorsFormatError
from aligner.pretrained.archive import (
    check_member_name,
    compression_of,
    inner_name,
    open_stream,
    zip_member,
)
from aligner.pretrained.formats import read_vectors
from aligner.vocab import Vocab

DATA = b"".join(b"w%d 0.5 -0.25 %d.125\n" % (i, i) for i in range(2000))


_PACKERS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "gz": (".gz", gzip.compress),
    "bz2": (".bz2", bz2.compress),
    "xz": (".xz", lzma.compress),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _zip(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return path


def _compressed(tmp_path: Path, kind: str, data: bytes = DATA) -> Path:
    if kind == "plain":
        return _write(tmp_path / "v.txt", data)
    if kind == "zip":
        return _zip(tmp_path / "v.zip", {"v.txt": data})
    suffix, pack = _PACKERS[kind]
    return _write(tmp_path / f"v.txt{suffix}", pack(data))


def _error(call: Callable[..., object], *args: object, **kwargs: object) -> str:
    with pytest.raises(VectorsFormatError) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


def _read_all(path: Path, member: str | None = None) -> bytes:
    with open_stream(path, member=member) as opened:
        return opened.stream.read()


# --- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("glove.txt", None),
        ("vectors.bin", None),
        ("glove.6B.zip", "zip"),
        ("wiki.en.vec.gz", "gzip"),
        ("a.txt.GZ", "gzip"),
        ("a.tar.gz", "gzip"),
        ("a.bz2", "bzip2"),
        ("a.txt.xz", "xz"),
        ("A.ZIP", "zip"),
        ("gz", None),
        ("a.gz.txt", None),
    ],
)
def test_compression_of(name: str, kind: str | None) -> None:
    assert compression_of(name) == kind
    assert compression_of(Path("some/dir") / name) == kind


@pytest.mark.parametrize(
    ("name", "inner"),
    [
        ("a.txt.gz", "a.txt"),
        ("cc.en.300.vec.GZ", "cc.en.300.vec"),
        ("model.bin.bz2", "model.bin"),
        ("v.txt.xz", "v.txt"),
        ("plain.txt", "plain.txt"),
        ("no_suffix", "no_suffix"),
    ],
)
def test_inner_name_strips_the_compression_suffix(name: str, inner: str) -> None:
    assert inner_name(Path("dir") / name) == inner


def test_inner_name_of_a_zip_is_its_member(tmp_path: Path) -> None:
    one = _zip(tmp_path / "one.zip", {"glove.6B.50d.txt": b"a 1\n"})
    assert inner_name(one) == "glove.6B.50d.txt"
    two = _zip(tmp_path / "two.zip", {"x/v.bin": b"", "y.txt": b""})
    assert inner_name(two, "x/v.bin") == "x/v.bin"
    assert "--member" in _error(inner_name, two)


@pytest.mark.parametrize(
    "name",
    [
        "../x",
        "../../etc/passwd",
        "/abs",
        "/abs/file.txt",
        "a/../../b",
        "a/../b",
        "C:/x",
        "c:\\windows\\x",
        "..\\x",
        "\\abs",
        "dir\\..\\..\\x",
        "..",
    ],
)
def test_check_member_name_refuses_names_outside_the_archive(name: str) -> None:
    message = _error(check_member_name, "bundle.zip", name)
    assert "bundle.zip" in message and repr(name) in message
    assert "refusing" in message and "trusted source" in message


@pytest.mark.parametrize(
    "name", ["file.txt", "dir/file.txt", "a/b/c.vec", "./v.txt", "dir..x/v.txt", "v..txt", "a b"]
)
def test_check_member_name_accepts_names_inside_the_archive(name: str) -> None:
    check_member_name("bundle.zip", name)


# --- zip members --------------------------------------------------------------------------------


def test_zip_member_is_the_only_file(tmp_path: Path) -> None:
    path = _zip(tmp_path / "a.zip", {"glove/": b"", "glove/v.txt": DATA})
    assert zip_member(path) == "glove/v.txt"  # the directory entry does not count
    assert zip_member(path, "glove/v.txt") == "glove/v.txt"


def test_zip_member_with_several_files_needs_member(tmp_path: Path) -> None:
    members = {f"m{i}.txt": b"" for i in range(12)}
    path = _zip(tmp_path / "many.zip", members)
    message = _error(zip_member, path)
    assert str(path) in message and "12 files" in message and "--member NAME" in message
    assert "m0.txt" in message and "m9.txt" in message and "m11.txt" not in message
    assert zip_member(path, "m11.txt") == "m11.txt"


def test_zip_member_that_is_missing(tmp_path: Path) -> None:
    path = _zip(tmp_path / "a.zip", {"v.txt": b"", "w.txt": b""})
    message = _error(zip_member, path, "glove.txt")
    assert str(path) in message and "'glove.txt'" in message and "v.txt, w.txt" in message


def test_empty_zip_has_no_member(tmp_path: Path) -> None:
    path = _zip(tmp_path / "empty.zip", {})
    for member in (None, "v.txt"):
        message = _error(zip_member, path, member)
        assert "is an empty zip archive (no files at all)" in message and "0 files" not in message


def test_zip_of_only_folders_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "dirs.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("glove/"), b"")
    assert "is an empty zip archive (only folders)" in _error(zip_member, path)


def test_empty_zip_as_vectors_through_the_cli(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from aligner_cli.main import cli

    path = _zip(tmp_path / "empty.zip", {})
    out = tmp_path / "art"
    vocab = Path(__file__).resolve().parent.parent / "data_samples" / "vocab.txt"
    args = ["build", "--pretrained", str(path), "--vocab", str(vocab), "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert "empty.zip is an empty zip archive" in lines[0] and "--member" not in lines[0]
    assert not out.exists()


@pytest.mark.parametrize("evil", ["../evil.txt", "/abs.txt", "a/../../evil.txt"])
def test_zip_with_an_unsafe_member_is_refused_whatever_is_asked(tmp_path: Path, evil: str) -> None:
    path = _zip(tmp_path / "evil.zip", {"good.txt": DATA, evil: b"pwned\n"})
    assert evil in zipfile.ZipFile(path).namelist()  # the name is stored as is
    for member in (None, "good.txt", evil):
        message = _error(zip_member, path, member)
        assert str(path) in message and repr(evil) in message and "refusing" in message
    with pytest.raises(VectorsFormatError, match="refusing"), open_stream(path, member="good.txt"):
        pass
    with pytest.raises(VectorsFormatError, match="refusing"):
        read_vectors(path, Vocab(["w1"]), member="good.txt")
    assert not (tmp_path.parent / "evil.txt").exists()


@pytest.mark.parametrize("data", [b"not a zip at all\n" * 10, b"", b"PK\x03\x04garbage"])
def test_file_named_zip_that_is_not_one(tmp_path: Path, data: bytes) -> None:
    path = _write(tmp_path / "broken.zip", data)
    message = _error(zip_member, path)
    assert str(path) in message and "not a valid zip file" in message and "download" in message
    with pytest.raises(VectorsFormatError, match="not a valid zip"), open_stream(path):
        pass
    with pytest.raises(VectorsFormatError, match="not a valid zip") as info:
        read_vectors(path, Vocab(["w1"]))
    assert str(path) in str(info.value)


def test_truncated_zip_is_a_format_error(tmp_path: Path) -> None:
    whole = _zip(tmp_path / "whole.zip", {"v.txt": DATA}).read_bytes()
    path = _write(tmp_path / "cut.zip", whole[: len(whole) // 2])  # loses the central directory
    with pytest.raises(VectorsFormatError, match="not a valid zip") as info:
        read_vectors(path, Vocab(["w1"]))
    assert str(path) in str(info.value)


def test_zip_with_a_damaged_member_is_a_format_error(tmp_path: Path) -> None:
    path = _zip(tmp_path / "v.zip", {"v.txt": DATA}, zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    start = data.index(b"w100 ")
    data[start : start + 4] = b"w999"  # same length, wrong CRC
    _write(path, bytes(data))
    message = _error(read_vectors, path, Vocab(["w1"]))
    assert str(path) in message


@pytest.mark.parametrize("kind", ["gz", "bz2", "xz"])
def test_truncated_compressed_file_is_a_format_error(tmp_path: Path, kind: str) -> None:
    whole = _compressed(tmp_path, kind).read_bytes()
    path = _write(tmp_path / f"cut.txt.{kind}", whole[: len(whole) // 2])
    message = _error(read_vectors, path, Vocab(["w1"]))
    assert str(path) in message and "download" in message


# --- streams ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["plain", "gz", "bz2", "xz", "zip"])
def test_open_stream_yields_the_decompressed_bytes(tmp_path: Path, kind: str) -> None:
    path = _compressed(tmp_path, kind)
    with open_stream(path) as opened:
        assert opened.size == path.stat().st_size
        assert opened.stream.read(7) == DATA[:7]
        assert opened.stream.read() == DATA[7:]
        assert opened.stream.read(10) == b""
    assert opened.raw.closed


def test_open_stream_reads_the_chosen_zip_member(tmp_path: Path) -> None:
    path = _zip(tmp_path / "b.zip", {"dir/file.txt": b"chosen\n", "other.txt": b"other\n"})
    assert _read_all(path, "dir/file.txt") == b"chosen\n"
    assert _read_all(path, "other.txt") == b"other\n"
    with pytest.raises(VectorsFormatError, match="--member"), open_stream(path):
        pass


@pytest.mark.parametrize("kind", ["plain", "gz", "bz2", "xz"])
def test_member_on_a_file_that_is_not_a_zip(tmp_path: Path, kind: str) -> None:
    path = _compressed(tmp_path, kind)
    with pytest.raises(VectorsFormatError) as info, open_stream(path, member="v.txt"):
        pass
    message = str(info.value)
    assert str(path) in message and "--member" in message and "zip files only" in message
    assert "--member" in _error(read_vectors, path, Vocab(["w1"]), member="v.txt")


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError), open_stream(tmp_path / "nope.txt.gz"):
        pass


def test_position_reaches_the_size_of_a_plain_file(tmp_path: Path) -> None:
    path = _compressed(tmp_path, "plain")
    with open_stream(path) as opened:
        assert opened.position() == 0
        opened.stream.read(100)
        assert opened.position() == 100
        while opened.stream.read(4096):
            assert 0 < opened.position() <= opened.size
        assert opened.position() == opened.size == len(DATA)


@pytest.mark.parametrize("kind", ["gz", "bz2", "xz"])
def test_position_counts_compressed_bytes(tmp_path: Path, kind: str) -> None:
    path = _compressed(tmp_path, kind)
    with open_stream(path) as opened:
        seen = [opened.position()]
        while opened.stream.read(4096):
            seen.append(opened.position())
        seen.append(opened.position())
    assert seen == sorted(seen)  # never goes back
    assert seen[-1] == opened.size == path.stat().st_size < len(DATA)


def test_position_after_the_raw_file_is_closed_is_zero(tmp_path: Path) -> None:
    path = _compressed(tmp_path, "plain")
    with open_stream(path) as opened:
        opened.stream.read()
    assert opened.position() == 0


def test_format_error_is_an_input_error() -> None:
    with pytest.raises(InputError):
        check_member_name("a.zip", "../x")


def test_file_named_gz_that_is_not_gzip(tmp_path: Path) -> None:
    path = _write(tmp_path / "v.txt.gz", DATA)
    message = _error(read_vectors, path, Vocab(["w1"]))
    assert str(path) in message


@pytest.mark.parametrize("kind", ["gz", "bz2", "xz", "zip"])
def test_looks_compressed_knows_each_kind_by_its_first_bytes(tmp_path: Path, kind: str) -> None:
    from aligner.pretrained.archive import looks_compressed

    name = {"gz": "gzip", "bz2": "bzip2", "xz": "xz", "zip": "zip"}[kind]
    head = _compressed(tmp_path, kind).read_bytes()[:16]
    assert looks_compressed(head, name)
    others = {"gzip", "bzip2", "xz", "zip"} - {name}
    assert not any(looks_compressed(head, other) for other in others)
    assert not looks_compressed(DATA[:16], name) and not looks_compressed(b"", name)
