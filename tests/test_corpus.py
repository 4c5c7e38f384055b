"""Corpus: streaming plain and gzip files, counters, progress bytes and every read error."""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import pytest

from aligner.corpus import Corpus
from aligner.errors import CorpusError, InputError
from aligner.tokenize import TokenizerSpec

TEXT = "We play guitar\n\n  the   band\tplays  \n\t \nnasa Launches\r\nlast line no newline"
# Non-blank lines, tokenized by hand.
EXPECTED = [["We", "play", "guitar"], ["the", "band", "plays"], ["nasa", "Launches"]]
EXPECTED += [["last", "line", "no", "newline"]]


def _plain(path: Path, text: str = TEXT) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def _gz(path: Path, text: str = TEXT) -> Path:
    path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    return path


def _corpus_error(path: Path) -> str:
    with pytest.raises(CorpusError) as info:
        list(Corpus(path))
    message = str(info.value)
    assert str(path) in message
    return message


def test_plain_and_gzip_read_identically(tmp_path: Path) -> None:
    plain = Corpus(_plain(tmp_path / "c.txt"))
    packed = Corpus(_gz(tmp_path / "c.txt.gz"))
    assert list(plain) == EXPECTED
    assert list(packed) == EXPECTED
    assert (packed.lines_read, packed.tokens_read) == (plain.lines_read, plain.tokens_read)


def test_blank_lines_skipped_and_counted_out(tmp_path: Path) -> None:
    corpus = Corpus(_plain(tmp_path / "c.txt"))
    list(corpus)
    assert corpus.lines_read == 4
    assert corpus.tokens_read == 3 + 3 + 2 + 4


def test_lines_keeps_blank_lines_without_line_ends(tmp_path: Path) -> None:
    corpus = Corpus(_plain(tmp_path / "c.txt", "a b\r\n\nc\n"))
    assert list(corpus.lines()) == ["a b", "", "c"]


def test_reiterable_and_counters_reset_each_pass(tmp_path: Path) -> None:
    corpus = Corpus(_gz(tmp_path / "c.gz"))
    first = list(corpus)
    second = list(corpus)
    assert first == second == EXPECTED
    assert (corpus.lines_read, corpus.tokens_read) == (4, 12)


def test_tokenizer_spec_is_applied(tmp_path: Path) -> None:
    corpus = Corpus(_plain(tmp_path / "c.txt"), tokenizer=TokenizerSpec(lowercase=True))
    tokens = list(corpus)
    assert tokens[0] == ["we", "play", "guitar"]
    assert tokens[2] == ["nasa", "launches"]


@pytest.mark.parametrize("text", [TEXT, TEXT + "\n", "", "\n\n\n", "x" * 20000 + "\ny\n"])
def test_on_bytes_sums_to_the_plain_file_size(tmp_path: Path, text: str) -> None:
    path = _plain(tmp_path / "c.txt", text)
    seen: list[int] = []
    corpus = Corpus(path, on_bytes=seen.append)
    list(corpus)
    assert sum(seen) == path.stat().st_size
    assert all(n > 0 for n in seen)
    seen.clear()
    list(corpus)  # a second pass reports the whole file again
    assert sum(seen) == path.stat().st_size


def test_on_bytes_set_later_through_the_attribute(tmp_path: Path) -> None:
    path = _plain(tmp_path / "c.txt")
    corpus = Corpus(path)
    seen: list[int] = []
    corpus.on_bytes = seen.append
    list(corpus)
    assert sum(seen) == path.stat().st_size


def test_on_bytes_of_gzip_counts_compressed_bytes(tmp_path: Path) -> None:
    lines = "".join(f"line {i} {'w' * (i % 13)}\n" for i in range(4000))
    path = _gz(tmp_path / "c.gz", lines)
    seen: list[int] = []
    list(Corpus(path, on_bytes=seen.append))
    assert sum(seen) <= path.stat().st_size < len(lines)


def test_describe(tmp_path: Path) -> None:
    plain = _plain(tmp_path / "c.txt")
    packed = _gz(tmp_path / "c.txt.gz")
    assert Corpus(plain).describe() == {
        "path": str(plain),
        "bytes": len(TEXT.encode()),
        "compression": None,
    }
    assert Corpus(packed).describe()["compression"] == "gzip"
    assert Corpus(packed).size == packed.stat().st_size


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CorpusError) as info:
        Corpus(tmp_path / "nope.txt")
    assert str(tmp_path / "nope.txt") in str(info.value)
    assert "does not exist" in str(info.value)
    assert isinstance(info.value, InputError)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(CorpusError) as info:
        Corpus(tmp_path)
    message = str(info.value)
    assert (
        str(tmp_path) in message
        and "not a regular file" in message
        and "pass a text file" in message
    )


@pytest.mark.parametrize("name", ["c.txt", "c.txt.gz"])
def test_invalid_utf8_names_the_line(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    data = b"ok line\n\nstill ok\nbad \xff byte\nnever read\n"
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    corpus = Corpus(path)
    seen: list[list[str]] = []
    with pytest.raises(CorpusError) as info:
        for tokens in corpus:
            seen.append(tokens)
    message = str(info.value)
    assert str(path) in message and "line 4:" in message and "re-encode" in message
    assert seen == [["ok", "line"], ["still", "ok"]]


def test_truncated_gzip(tmp_path: Path) -> None:
    text = "".join(f"sentence number {i} here\n" for i in range(2000))
    full = gzip.compress(text.encode(), mtime=0)
    path = tmp_path / "c.gz"
    path.write_bytes(full[: len(full) // 2])
    message = _corpus_error(path)
    assert "truncated" in message and "after line" in message


def test_truncated_gzip_trailer(tmp_path: Path) -> None:
    full = gzip.compress(b"a b c\n", mtime=0)
    path = tmp_path / "c.gz"
    path.write_bytes(full[:-4])  # the size field of the trailer is cut off
    assert "truncated" in _corpus_error(path)


def test_plain_text_named_gz(tmp_path: Path) -> None:
    message = _corpus_error(_plain(tmp_path / "c.gz", "not compressed\n"))
    assert "not gzip" in message


def test_corrupt_gzip_body(tmp_path: Path) -> None:
    text = "".join(f"line {i} {'w' * (i % 7)}\n" for i in range(3000))
    data = bytearray(gzip.compress(text.encode(), mtime=0))
    for i in range(100, 140):
        data[i] ^= 0xFF
    path = tmp_path / "c.gz"
    path.write_bytes(bytes(data))
    assert "gzip" in _corpus_error(path)


# ---------------------------------------------------------------- links and special files


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("we play\n", encoding="utf-8")
    (folder / "sub" / "b.txt").write_text("the guitar\n", encoding="utf-8")
    return folder


def words(folder: Path, **options: Any) -> list[str]:
    return sorted(t for line in Corpus(folder, **options) for t in line)


def test_links_inside_the_directory_are_followed(data_dir: Path) -> None:
    (data_dir / "again.txt").symlink_to("sub/b.txt")
    (data_dir / "more").symlink_to(data_dir / "sub")
    # sub/ is read once (through the link "more", which sorts first), again.txt once more
    assert words(data_dir) == sorted(["we", "play"] + ["the", "guitar"] * 2)


def test_a_link_out_of_the_directory_is_refused(data_dir: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0\n", encoding="utf-8")
    (data_dir / "sub" / "passwd.txt").symlink_to(secret)
    with pytest.raises(CorpusError) as info:
        Corpus(data_dir)
    message = str(info.value)
    assert f"{data_dir}/sub/passwd.txt is a symbolic link to {secret}" in message
    assert "--follow-links (follow_links=True)" in message and "\n" not in message
    assert "root:x:0:0" in words(data_dir, follow_links=True)


def test_a_linked_directory_out_of_the_directory_is_refused(data_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "c.txt").write_text("drums\n", encoding="utf-8")
    (data_dir / "other").symlink_to(outside)
    with pytest.raises(CorpusError, match=r"other is a symbolic link to .*elsewhere, outside"):
        Corpus(data_dir)
    assert "drums" in words(data_dir, follow_links=True)


def test_a_broken_link_is_refused(data_dir: Path) -> None:
    (data_dir / "gone.txt").symlink_to("missing.txt")
    with pytest.raises(CorpusError, match=r"gone.txt is a broken symbolic link \(to missing.txt\)"):
        Corpus(data_dir)


def test_a_device_reached_through_a_followed_link_is_refused(data_dir: Path) -> None:
    (data_dir / "null.txt").symlink_to("/dev/null")
    with pytest.raises(CorpusError, match="outside the data directory"):
        Corpus(data_dir)
    with pytest.raises(CorpusError, match=r"null\.txt is a character device, not a regular file"):
        Corpus(data_dir, follow_links=True)


def test_a_fifo_in_a_directory_or_given_is_refused(data_dir: Path) -> None:
    os.mkfifo(data_dir / "pipe.txt")
    with pytest.raises(CorpusError, match=r"pipe.txt is a FIFO \(named pipe\), not a regular"):
        Corpus(data_dir)
    with pytest.raises(CorpusError, match=r"is a FIFO .*save the data to a file"):
        Corpus(data_dir / "pipe.txt")
    with pytest.raises(CorpusError, match="is a character device, not a regular file"):
        Corpus("/dev/zero")
