"""The parallel scan of text vectors files gives what one process gives.

Real files, real worker processes (forked, and from a fork server). A low
size threshold and small blocks make small files go through the parallel
path with many block and range boundaries; each read is compared with the
serial read of the same file: keys, bit-identical vectors, every count, and
the message of the first error.
"""

from __future__ import annotations

import gzip
import json
import multiprocessing
import os
import random
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aligner.pretrained.parallel as parallel
import aligner.pretrained.readers as readers
from aligner.align import FALLBACKS
from aligner.errors import InputError, VectorsFormatError
from aligner.pipeline import BuildConfig, build
from aligner.pretrained.formats import ReadResult, read_vectors
from aligner.pretrained.range_scan import RangeScan
from aligner.vocab import Vocab

from .helpers import RecordingProgress

WORKERS = 3


@pytest.fixture(autouse=True)
def _forked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers are forked (and see this test's patches) even if an earlier test left a
    thread behind (tqdm's monitor does)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("workers are forked in these tests")
    monkeypatch.setattr(parallel, "_context", lambda: multiprocessing.get_context("fork"))


@pytest.fixture
def small_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file goes through the parallel path, in blocks of 64 bytes."""
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(readers, "CHUNK", 64)


def _write(path: Path, lines: list[str], *, header: bool = False, end: str = "\n") -> Path:
    if header:
        dim = max(line.count(" ") for line in lines)
        lines = [f"{len(lines)} {dim}", *lines]
    path.write_bytes((end.join(lines) + end).encode("utf-8", "surrogateescape"))
    return path


def _words(n: int) -> list[str]:
    """``n`` words of letters only (no digits: the digits fold would join them)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return [f"w{letters[i // 676]}{letters[i // 26 % 26]}{letters[i % 26]}" for i in range(n)]


W = _words(400)


def _rows(keys: list[str], dim: int = 3, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [" ".join([k, *(f"{rng.uniform(-2, 2):.5g}" for _ in range(dim))]) for k in keys]


def _outcome(path: Path, vocab: Vocab, workers: int, **kwargs: Any) -> ReadResult | str:
    try:
        return read_vectors(path, vocab, workers=workers, **kwargs)
    except VectorsFormatError as exc:
        return f"error: {exc}"


def _same(path: Path, vocab: Vocab, **kwargs: Any) -> ReadResult | str:
    """Read ``path`` in one process and in several; assert the outcomes are equal."""
    one = _outcome(path, vocab, 1, **kwargs)
    several = _outcome(path, vocab, WORKERS, **kwargs)
    if isinstance(one, str) or isinstance(several, str):
        assert several == one
        return one
    assert several.vectors.keys == one.vectors.keys
    assert several.vectors.vectors.tobytes() == one.vectors.vectors.tobytes()
    assert several.stats == one.stats
    assert (several.format, several.dim) == (one.format, one.dim)
    return one


# --- the same rows, counts and errors ------------------------------------------------------

KEYS = ["the", "The", "THE", "café", "Café", "cafe", "CAFE", "1984", "٢٠٢٤", "2001", "##",
        "new york", "New", "abc", "x1", "naïve", "Naive", "e.g.", "-", "ﬁnal", "İ",
        "i"]  # fmt: skip
TOKENS = ["the", "Café", "1984", "new york", "naive", "final", "i", "e.g.", "zzz"]


@st.composite
def _files(draw: st.DrawFn) -> tuple[list[str], list[str], dict[str, Any]]:
    keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=40))
    lines = _rows(keys, seed=draw(st.integers(0, 9)))
    for i in draw(st.lists(st.integers(0, len(lines) - 1), max_size=4)):
        lines[i] = draw(
            st.sampled_from(
                [
                    "",  # a blank line
                    keys[i],  # a token without values
                    f"{keys[i]} 0.5 0.25",  # too few values
                    f"{keys[i]} 0.5 x 1",  # not a number
                    f"{keys[i]} 0.5 inf 1",  # not finite
                    lines[i] + "\r",  # a CRLF line end
                    "caf\udce9 0.5 0.25 1",  # invalid UTF-8
                ]
            )
        )
    options = {
        "fallbacks": draw(st.sampled_from([FALLBACKS, ("exact", "lowercase"), ("exact",)])),
        "skip_bad_rows": draw(st.booleans()),
    }
    return lines, draw(st.lists(st.sampled_from(TOKENS), unique=True, max_size=6)), options


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=_files(), header=st.booleans(), chunk=st.sampled_from([16, 64, 100]))
def test_the_parallel_scan_gives_the_serial_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: Any, header: bool, chunk: int
) -> None:
    lines, tokens, options = case
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(readers, "CHUNK", chunk)
    path = _write(tmp_path / "v.txt", lines, header=header)
    _same(path, Vocab(tokens), format="word2vec" if header else "glove", **options)


def test_first_rows_win_across_ranges_and_counts_add_up(tmp_path: Path, small_ranges: None) -> None:
    # the same keys in every range: only the first of each (or of each fold) is kept
    keys = ["the", "The", "Café", "cafe", "1984", "2001", "new york", "zz"] * 30
    path = _write(tmp_path / "v.txt", _rows(keys, seed=1))
    result = _same(path, Vocab(["the", "café", "1999", "new york"]))
    assert isinstance(result, ReadResult)
    assert result.vectors.keys == ["the", "The", "Café", "1984", "new york"]
    assert result.stats.rows_read == 240 and result.stats.duplicates == 145


LONG = " 1" * 40_000  # longer than 3 values may be (3 x 48 bytes + 64 KiB for the token)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (f"{W[150]} 0.5 0.25", "line 151: expected 3 values after the token, found 2"),
        (W[150], "line 151: a token without values"),
        (f"{W[150]} 0.5 nan? 1", "line 151: a value is not a number"),
        (W[150] + LONG, "line 151: longer than"),  # a row the vocabulary wants
        ("zz" + LONG, "line 151: longer than"),  # a row nobody wants: caught across blocks
    ],
)
def test_errors_name_the_same_line(
    tmp_path: Path, small_ranges: None, bad: str, message: str
) -> None:
    lines = _rows(W[:200])
    lines[150] = bad
    path = _write(tmp_path / "v.txt", lines)
    error = _same(path, Vocab([W[3], W[150], W[199]]))
    assert isinstance(error, str) and message in error and str(path) in error


@pytest.mark.parametrize(
    ("batch", "named"), [(1 << 22, "line 121: a token"), (1, "line 11: a value")]
)
def test_of_several_faults_the_one_one_process_meets_first_is_named(
    tmp_path: Path, small_ranges: None, monkeypatch: pytest.MonkeyPatch, batch: int, named: str
) -> None:
    # values are parsed in batches: an unparsable one is met when its batch is collected,
    # which with large batches comes after the scan has met a malformed line further on
    monkeypatch.setattr(readers, "BATCH", batch)
    lines = _rows(W[:200])
    lines[10], lines[120] = f"{W[10]} 1 x 2", W[120]
    error = _same(_write(tmp_path / "v.txt", lines), Vocab([*W[10:20], W[150]]))
    assert isinstance(error, str) and named in error


def test_rows_one_process_passes_over_are_not_examined(tmp_path: Path, small_ranges: None) -> None:
    # once "Café" is kept, "CAFÉ" folds to nothing still wanted: one process does not split
    # it, so its missing values are no error (a worker cannot know; the replay does)
    lines = [*_rows(["Café", *W[:150]]), "CAFÉ 0.5 0.25", "CAFÉ 1 2 3 4 5", *_rows(W[150:300])]
    result = _same(_write(tmp_path / "v.txt", lines), Vocab(["café", W[299]]))
    assert isinstance(result, ReadResult) and result.vectors.keys == ["Café", W[299]]
    assert result.stats.spaced_tokens == 0 and result.stats.bad_rows == 0


@pytest.mark.parametrize("shift", range(0, 65536, 8192))
def test_a_long_line_is_caught_where_one_process_catches_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shift: int
) -> None:
    # a row nobody wants, longer than the dimension allows (65,680 bytes here) but shorter
    # than that plus a block: one process refuses it only when a block ends far enough in
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(readers, "CHUNK", 1 << 16)
    rows = _rows(W[:400])
    lines = [*rows[:200], "pad" + " 1" * (1 + shift // 2), *rows[:300], "zz" + " 1" * 35_000]
    path = _write(tmp_path / "v.txt", [*lines, *rows[300:]])
    outcome = _same(path, Vocab([W[1], W[399]]))
    assert isinstance(outcome, ReadResult) or "longer than 65680 bytes" in outcome


def test_skipped_rows_are_counted_once(tmp_path: Path, small_ranges: None) -> None:
    lines = _rows(W[:300])
    for i, values in ((40, ""), (120, " 1 2"), (250, " 1 x 2"), (290, " 1 inf 2")):
        lines[i] = W[i] + values
    vocab = Vocab([W[1], W[120], W[250], W[290], W[299]])
    result = _same(_write(tmp_path / "v.txt", lines), vocab, skip_bad_rows=True)
    assert isinstance(result, ReadResult)
    assert result.stats.bad_rows == 3 and result.stats.nonfinite_rows == 1
    assert result.vectors.keys == [W[1], W[299]]


def test_a_word2vec_file_with_bom_and_crlf(tmp_path: Path, small_ranges: None) -> None:
    path = _write(tmp_path / "v.vec", _rows(W[:100]), header=True, end="\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = _same(path, Vocab([W[0], W[50], W[99]]))
    assert isinstance(result, ReadResult) and result.stats.bom and result.stats.crlf
    assert result.stats.header_rows == 100 and not result.stats.header_mismatch


def test_a_last_line_without_a_line_end(tmp_path: Path, small_ranges: None) -> None:
    path = _write(tmp_path / "v.txt", _rows(W[:60]))
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    result = _same(path, Vocab([W[59]]))
    assert isinstance(result, ReadResult) and result.vectors.keys == [W[59]]


# --- when the workers run, and what they send back ----------------------------------------


class _Started(Exception):
    pass


def _refuse_to_start(*args: object) -> None:
    raise _Started


def test_compressed_and_small_files_are_read_in_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "Scan", _refuse_to_start)
    plain = _write(tmp_path / "v.txt", _rows(W[:50]))
    packed = tmp_path / "v.txt.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    vocab = Vocab([W[7]])
    assert read_vectors(plain, vocab, workers=4).vectors.keys == [W[7]]  # below the threshold
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    assert read_vectors(packed, vocab, workers=4).vectors.keys == [W[7]]  # compressed
    assert read_vectors(plain, None, workers=4, limit=3).vectors.keys == W[:3]  # no vocabulary
    with pytest.raises(_Started):
        read_vectors(plain, vocab, workers=4)


def test_workers_below_one_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "v.txt", _rows(["a", "b"]))
    with pytest.raises(InputError, match="workers must be at least 1, got 0"):
        read_vectors(path, Vocab(["a"]), workers=0)


def _die(self: object) -> None:
    os._exit(3)


def test_a_worker_that_dies_is_an_error_that_says_what_to_do(
    tmp_path: Path, small_ranges: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RangeScan, "run", _die)
    path = _write(tmp_path / "v.txt", _rows(W[:100]))
    with pytest.raises(InputError, match=r"exit status 3.*pass --workers 1"):
        read_vectors(path, Vocab([W[1]]), workers=2)


def _fail(self: object) -> None:
    raise PermissionError(13, "Permission denied", "v.txt")


def test_an_error_in_a_worker_reaches_the_caller(
    tmp_path: Path, small_ranges: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RangeScan, "run", _fail)
    path = _write(tmp_path / "v.txt", _rows(W[:100]))
    with pytest.raises(PermissionError, match="Permission denied"):
        read_vectors(path, Vocab([W[1]]), workers=2)


def test_progress_counts_every_byte_once(tmp_path: Path, small_ranges: None) -> None:
    path = _write(tmp_path / "v.vec", _rows(W[:300]), header=True)
    progress = RecordingProgress()
    read_vectors(path, Vocab([W[1]]), workers=WORKERS, progress=progress)
    [(_, total, _, bar)] = progress.bars
    assert total == path.stat().st_size == sum(bar.updates)
    assert all(n >= 0 for n in bar.updates)


def test_workers_are_forked_only_when_no_other_thread_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.undo()  # the real choice
    halt = threading.Event()
    other = threading.Thread(target=halt.wait)
    kinds = [parallel._context()]
    other.start()
    try:
        kinds.append(parallel._context())  # a script with a thread: read in one process
        monkeypatch.delattr(sys.modules["__main__"], "__file__", raising=False)
        kinds.append(parallel._context())  # a notebook: its main module has no file
    finally:
        halt.set()
        other.join()
    methods = [None if kind is None else kind.get_start_method() for kind in kinds]
    assert methods[1] is None and methods[2] == "forkserver"
    assert methods[0] == ("fork" if threading.active_count() == 1 else None)


def test_workers_from_a_fork_server_give_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork server on this platform")
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "_context", lambda: multiprocessing.get_context("forkserver"))
    path = _write(tmp_path / "v.txt", _rows(["Café", "cafe", "the", "The"] * 20))
    result = _same(path, Vocab(["café", "THE"]))
    assert isinstance(result, ReadResult) and result.vectors.keys == ["Café", "the"]


def test_cuts_fall_after_line_ends_or_give_up_on_huge_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "v.txt", _rows(W[:100]))
    data, size = path.read_bytes(), path.stat().st_size
    cuts = parallel.cut_points(path, 0, size, 4)
    assert cuts is not None and cuts[0] == 0 and cuts[-1] == size and len(cuts) == 5
    assert all(data[cut - 1 : cut] == b"\n" for cut in cuts[1:-1])
    many = parallel.cut_points(path, 0, size, 1000)  # more workers than lines: one per line
    assert many is not None and many == sorted(set(many)) and len(many) == 101
    monkeypatch.setattr(parallel, "CUT_REACH", 8)
    huge = _write(tmp_path / "h.txt", ["a " + "1 " * 40 + "1"] * 3)
    assert parallel.cut_points(huge, 0, huge.stat().st_size, 2) is None


# --- the build: the artifact does not depend on the number of workers --------------------


def _artifact(out: Path) -> tuple[list[str], dict[str, Any]]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest.pop("created")
    return sorted(os.listdir(out)), manifest


def test_builds_with_one_and_several_workers_write_identical_artifacts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(readers, "CHUNK", 256)
    path = _write(tmp_path / "v.txt", _rows([*W, "The", "Café", "1984"], dim=8, seed=3))
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(["the", "café", "2001", W[5], W[399], "nope"]) + "\n")
    one = build(BuildConfig(pretrained=path, vocab=vocab, out=tmp_path / "one", workers=1))
    several = build(BuildConfig(pretrained=path, vocab=vocab, out=tmp_path / "two", workers=3))
    assert _artifact(one.path) == _artifact(several.path)  # file names are content digests
    assert np.load(one.path / _artifact(one.path)[1]["vectors"]["file"]).shape == (8, 8)
    again = build(BuildConfig(pretrained=path, vocab=vocab, out=tmp_path / "one", workers=3))
    assert again.reused  # the number of workers is not an input of the build
