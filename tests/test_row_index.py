"""Reads through the row index give what the full pass gives; the index is only a cache.

The first read of a file whose digest is known records its lines in
``<cache>/rows/``; later reads use the record. Every read here is compared
with a read that does not know the digest (the full pass): the same keys,
bit-identical vectors, the same counts and the same first error.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aligner.pretrained.indexed_read as indexed_read
import aligner.pretrained.parallel as parallel
import aligner.pretrained.readers as readers
from aligner.align import FALLBACKS
from aligner.errors import InputError, VectorsFormatError
from aligner.pipeline import BuildConfig, build
from aligner.pretrained.formats import ReadResult, read_vectors
from aligner.pretrained.row_index import index_file, load_index
from aligner.vocab import Vocab

KEYS = ["the", "The", "THE", "café", "Café", "CAFE", "1984", "2001", "٢٠٢٤", "x1", "X1",
        "new", "New", "abc", "naïve", "Naive", "e.g.", "-", "ﬁnal", "İ", "i", "a" * 300,
        "zz", "Zz9", "#1"]  # fmt: skip
TOKENS = ["the", "Café", "1999", "new york", "naive", "final", "i", "e.g.", "zz", "x7", "a" * 300]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read(path: Path, vocab: Vocab, cache: Path | None, **options: Any) -> ReadResult | str:
    extra = {} if cache is None else {"digest": _digest(path), "cache": cache}
    try:
        return read_vectors(path, vocab, **extra, **options)
    except VectorsFormatError as exc:
        return f"error: {exc}"


def _same(one: ReadResult | str, other: ReadResult | str) -> None:
    if isinstance(one, str) or isinstance(other, str):
        assert other == one
        return
    assert other.vectors.keys == one.vectors.keys
    assert other.vectors.vectors.tobytes() == one.vectors.vectors.tobytes()
    assert other.stats == one.stats
    assert (other.format, other.dim) == (one.format, one.dim)


def _row(key: str, rng: random.Random, dim: int = 3) -> str:
    return " ".join([key, *(f"{rng.uniform(-2, 2):.5g}" for _ in range(dim))])


@st.composite
def _files(draw: st.DrawFn) -> tuple[list[str], list[str], dict[str, Any]]:
    rng = random.Random(draw(st.integers(0, 99)))
    keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=40))
    lines = [_row(k, rng) for k in keys]
    for i in draw(st.lists(st.integers(0, len(lines) - 1), max_size=3)):
        lines[i] = draw(
            st.sampled_from(
                [
                    "",  # a blank line
                    "\t",  # whitespace, no space
                    keys[i],  # a token without values
                    " " + _row(keys[i], rng),  # a leading space: no token
                    f"{keys[i]} 0.5 0.25",  # too few values
                    f"{keys[i]} 0.5 0.25 1 2",  # too many: a token holding a space
                    f"{keys[i]} 0.5  1",  # two spaces: an empty value
                    f"{keys[i]} 0.5\t1 2",  # a tab
                    f"{keys[i]} 0.5 x 1",  # not a number
                    f"{keys[i]} 0.5 nan 1",  # not finite
                    f"{keys[i]} 1e50 1 2",  # beyond float32
                    "new york " + _row("x", rng).split(" ", 1)[1],  # a token holding a space
                    _row(keys[i], rng) + "\r",  # a CRLF line end
                    _row(keys[i], rng) + " ",  # a trailing space
                    "caf\udce9 0.5 0.25 1",  # invalid UTF-8
                ]
            )
        )
    options = {
        "fallbacks": draw(st.sampled_from([FALLBACKS, ("exact", "lowercase"), ("exact",)])),
        "skip_bad_rows": draw(st.booleans()),
    }
    return lines, draw(st.lists(st.sampled_from(TOKENS), unique=True, max_size=7)), options


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    case=_files(),
    chunk=st.sampled_from([16, 64, 1 << 22]),
    header=st.booleans(),
    bom=st.booleans(),
    last_newline=st.booleans(),
)
def test_a_read_through_the_index_is_the_full_pass(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    case: Any,
    chunk: int,
    header: bool,
    bom: bool,
    last_newline: bool,
) -> None:
    lines, tokens, options = case
    monkeypatch.setattr(readers, "CHUNK", chunk)
    folder = tmp_path_factory.mktemp("case")
    path, cache = folder / "v.txt", folder / "cache"
    if header:
        lines = [f"{len(lines)} 3", *lines]
    text = "\n".join(lines) + ("\n" if last_newline else "")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8", "surrogateescape"))
    fmt = "word2vec" if header else "glove"
    # recorded by a pass that skips bad rows (one that stops at an error records nothing)
    recording = _read(path, Vocab(["zz"]), cache, format=fmt, skip_bad_rows=True)
    if not isinstance(recording, str) and last_newline:
        assert index_file(cache, _digest(path)).exists()
    for vocab in (Vocab(tokens), Vocab(["The", "1999", "caf\udce9"])):
        full = _read(path, vocab, None, format=fmt, **options)
        _same(full, _read(path, vocab, cache, format=fmt, **options))


def _big(tmp_path: Path, n: int = 3000, dim: int = 5) -> tuple[Path, list[str]]:
    rng = np.random.default_rng(1)
    keys = [f"w{i}" for i in range(n)]
    rows = (f"{k} " + " ".join(f"{x:.6g}" for x in rng.normal(size=dim)) for k in keys)
    path = tmp_path / "v.txt"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path, keys


def _forbid_scans(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_scan(*args: Any) -> None:
        raise AssertionError("the file was scanned")

    monkeypatch.setattr(readers.TextReader, "scan_stream", no_scan)


def test_the_second_read_does_not_scan_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, keys = _big(tmp_path)
    vocab, cache = Vocab([*keys[::7], "W14", "absent"]), tmp_path / "cache"
    full = _read(path, vocab, None)
    first = _read(path, Vocab(["w1"]), cache, fallbacks=("exact",))  # another vocabulary
    assert isinstance(first, ReadResult) and first.vectors.keys == ["w1"]
    index = load_index(cache, _digest(path), path.stat().st_size)
    assert index is not None and len(index.lengths) == 3000 and index.longest() < 80

    _forbid_scans(monkeypatch)
    monkeypatch.setattr(indexed_read, "BATCH", 256)  # many batches, several threads
    second = _read(path, vocab, cache)
    _same(full, second)
    assert isinstance(second, ReadResult) and set(keys[::7]) <= set(second.vectors.keys)


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(p.read_bytes()[:100]),  # truncated
        lambda p: p.write_bytes(b"not an npz"),
        lambda p: p.write_bytes(p.read_bytes().replace(b"lengths", b"lengthz")),
    ],
)
def test_a_damaged_index_is_ignored_and_written_anew(tmp_path: Path, damage: Any) -> None:
    path, keys = _big(tmp_path, 200)
    vocab, cache = Vocab(keys[::3]), tmp_path / "cache"
    full = _read(path, vocab, None)
    _read(path, vocab, cache)
    record = index_file(cache, _digest(path))
    damage(record)
    assert load_index(cache, _digest(path), path.stat().st_size) is None
    _same(full, _read(path, vocab, cache))
    assert load_index(cache, _digest(path), path.stat().st_size) is not None


def test_an_index_of_other_content_is_not_used(tmp_path: Path) -> None:
    path, keys = _big(tmp_path, 200)
    cache = tmp_path / "cache"
    _read(path, Vocab(keys), cache)
    old = index_file(cache, _digest(path))
    # the same name for the record of a file of other content: the sizes disagree
    other, _ = _big(tmp_path / "o" if (tmp_path / "o").mkdir() is None else tmp_path, 150)
    target = index_file(cache, _digest(other))
    target.write_bytes(old.read_bytes())
    assert load_index(cache, _digest(other), other.stat().st_size) is None
    _same(_read(other, Vocab(keys), None), _read(other, Vocab(keys), cache))


def test_a_cache_that_cannot_be_written_leaves_reads_as_they_are(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        cache = tmp_path / "file-not-folder"
        cache.write_text("x")  # even root cannot make a folder under a file
    else:
        cache = tmp_path / "ro"
        cache.mkdir(mode=0o500)
    path, keys = _big(tmp_path, 300)
    vocab = Vocab(keys[::2])
    _same(_read(path, vocab, None), _read(path, vocab, cache))
    _same(_read(path, vocab, None), _read(path, vocab, cache))


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("w150 0.5 0.25", "line 151: expected 5 values after the token, found 2"),
        ("w150 0.5 x 1 2 3", "line 151: a value is not a number"),
        ("w150", "line 151: a token without values"),
    ],
)
def test_errors_through_the_index_name_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: str, message: str
) -> None:
    path, keys = _big(tmp_path, 300)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[150] = bad
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cache = tmp_path / "cache"
    assert isinstance(_read(path, Vocab(keys), cache, skip_bad_rows=True), ReadResult)
    full = _read(path, Vocab(keys[140:160]), None)
    _forbid_scans(monkeypatch)
    error = _read(path, Vocab(keys[140:160]), cache)
    assert isinstance(error, str) and message in error and str(path) in error
    assert error == full
    skipped = _read(path, Vocab(keys[140:160]), cache, skip_bad_rows=True)
    assert isinstance(skipped, ReadResult) and skipped.stats.bad_rows == 1


def test_builds_through_the_index_write_identical_artifacts(tmp_path: Path) -> None:
    path, keys = _big(tmp_path, 2000, dim=4)
    vocab_file = tmp_path / "vocab.txt"
    vocab_file.write_text("\n".join(["W3", *keys[::5], "nowhere"]) + "\n", encoding="utf-8")
    outs = []
    for i, cache in enumerate([tmp_path / "c1", tmp_path / "c1", tmp_path / "c2"]):
        out = tmp_path / f"out{i}"
        build(BuildConfig(pretrained=path, vocab=vocab_file, out=out, cache=cache, workers=1))
        outs.append(out)
    assert index_file(tmp_path / "c1", _digest(path)).exists()
    for pattern in ("vectors.*.npy", "vocab.*.txt", "provenance.*.txt"):
        files = [sorted(out.glob(pattern)) for out in outs]
        assert all(len(found) == 1 for found in files)
        assert len({found[0].read_bytes() for found in files}) == 1


def test_workers_record_the_same_index_as_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("workers are forked here")
    monkeypatch.setattr(parallel, "_context", lambda: multiprocessing.get_context("fork"))
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(readers, "CHUNK", 512)
    path, keys = _big(tmp_path, 1500)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\nlast 1 2 3 4 5")  # a blank line, and no line end at the end
    vocab, size = Vocab(keys[::4]), path.stat().st_size
    serial, several = tmp_path / "serial", tmp_path / "several"
    one = _read(path, vocab, serial, workers=1)
    _same(one, _read(path, vocab, several, workers=3))
    a, b = (load_index(cache, _digest(path), size) for cache in (serial, several))
    assert a is not None and b is not None and len(a.lengths) == 1502
    for name in ("lengths", "spaces", "keys", "raw_hash", "lower_hash", "flags"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert (a.first_offset, a.first_line) == (b.first_offset, b.first_line)
    _same(one, _read(path, vocab, several, workers=3))  # now through the index


def test_a_digit_only_in_a_last_token_byte_before_a_blank_line_is_seen(tmp_path: Path) -> None:
    # the token flags of a block once missed the last byte of the token before empty tokens
    path, cache = tmp_path / "v.txt", tmp_path / "cache"
    path.write_bytes(b"the 0.1 0.2\nabc1 0.5 0.25\n\n")
    vocab = Vocab(["the", "abc7"])  # abc1 is found through the digits fold
    full = _read(path, vocab, None)
    assert isinstance(full, ReadResult) and full.vectors.keys == ["the", "abc1"]
    _same(full, _read(path, vocab, cache))
    _same(full, _read(path, vocab, cache))  # through the index


def test_a_digest_that_is_not_a_sha256_is_refused(tmp_path: Path) -> None:
    path, keys = _big(tmp_path, 20)
    with pytest.raises(InputError, match="digest must be a sha256"):
        read_vectors(path, Vocab(keys), digest="../../outside", cache=tmp_path / "cache")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.txt"]


def test_a_whitespace_tail_still_lets_the_index_be_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, keys = _big(tmp_path, 100)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("  \t ")  # no line end: not a row
    cache, vocab = tmp_path / "cache", Vocab(keys[::3])
    full = _read(path, vocab, None)
    _same(full, _read(path, vocab, cache))
    index = load_index(cache, _digest(path), path.stat().st_size)
    assert index is not None and index.tail == 4
    _forbid_scans(monkeypatch)
    _same(full, _read(path, vocab, cache))


def test_no_index_is_kept_that_no_read_would_use(tmp_path: Path) -> None:
    path, keys = _big(tmp_path, 100)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("unwanted" + " 1" * 60_000 + "\n")  # longer than 5 values may be
    cache = tmp_path / "cache"
    _same(_read(path, Vocab(keys), None), _read(path, Vocab(keys), cache))
    assert not index_file(cache, _digest(path)).exists()


def test_a_file_that_is_not_the_indexed_one_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a digest trusted without hashing (a registry's) while the file changed at the same size
    path, keys = _big(tmp_path, 300)
    digest, cache, vocab = _digest(path), tmp_path / "cache", Vocab(keys[::2])
    read_vectors(path, vocab, digest=digest, cache=cache)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("w1 ", "x1 ").replace("w22 ", "w2 2"), encoding="utf-8")
    assert path.stat().st_size == len(text)
    full = _read(path, vocab, None)
    for _ in range(2):  # the second read uses the index the first wrote again
        _same(full, read_vectors(path, vocab, digest=digest, cache=cache))
    index = load_index(cache, digest, path.stat().st_size)
    assert index is not None and bytes(index.keys).startswith(b"w0x1w2")


@pytest.mark.parametrize(("failure", "raised"), [(OSError(28, "No space"), False),
                                                 (MemoryError(), False),
                                                 (KeyboardInterrupt(), True)])  # fmt: skip
def test_an_index_write_that_fails_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException, raised: bool
) -> None:
    import aligner.pretrained.row_index as row_index

    def savez(fh: Any, **arrays: Any) -> None:
        fh.write(b"half")
        raise failure

    monkeypatch.setattr(row_index.np, "savez", savez)
    path, keys = _big(tmp_path, 50)
    cache = tmp_path / "cache"
    if raised:
        with pytest.raises(type(failure)):
            _read(path, Vocab(keys), cache)
    else:
        _same(_read(path, Vocab(keys), None), _read(path, Vocab(keys), cache))
    assert list((cache / "rows").iterdir()) == []


def test_a_read_sent_back_after_its_index_went_reads_the_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, keys = _big(tmp_path, 300)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[200] = "w200 0.5 x 1 2 3"  # not a number: found while parsing, once the index went
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cache = tmp_path / "cache"
    _read(path, Vocab(keys), cache, skip_bad_rows=True)  # records it
    monkeypatch.setattr(indexed_read, "load_index", lambda *a: None)  # deleted meanwhile
    for skip in (False, True):
        full = _read(path, Vocab(keys[::2]), None, skip_bad_rows=skip)
        _same(full, _read(path, Vocab(keys[::2]), cache, skip_bad_rows=skip))
