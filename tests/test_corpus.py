"""Corpus: streaming plain and gzip files, counters, progress bytes and every read error."""

from __future__ import annotations

import gzip
from pathlib import Path

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
