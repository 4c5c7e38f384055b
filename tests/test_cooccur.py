"""count_vocab and count_cooccurrences: hand-checked counts, spill-and-merge, errors."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from aligner.corpus import Corpus
from aligner.errors import CorpusError, InputError, TrainingError
from aligner.train.cooccur import (
    Cooccurrences,
    GloveVocab,
    _Plan,
    count_cooccurrences,
    count_vocab,
)
from aligner.train.cooccur_merge import SPILL_PREFIX, _Spills, sweep_stale_spills

HAND = [["a", "b", "c"], ["b", "a"]]
TINY_GB = 0.0011  # just above the least budget for window 5; see test_memory_budget_too_small


class Recorder:
    """A Progress that keeps every status and the sum of updates."""

    def __init__(self) -> None:
        self.statuses: list[str] = []
        self.updates = 0

    @contextmanager
    def bar(self, description: str, *, total: int | None = None, unit: str = "it") -> Iterator:
        recorder = self

        class _Bar:
            def update(self, n: int = 1) -> None:
                recorder.updates += n

            def status(self, text: str) -> None:
                recorder.statuses.append(text)

        yield _Bar()


def as_dict(cooc: Cooccurrences, vocab: GloveVocab) -> dict[tuple[str, str], float]:
    return {
        (vocab.words[r], vocab.words[c]): float(v)
        for r, c, v in zip(cooc.rows, cooc.cols, cooc.values, strict=True)
    }


def naive(
    corpus: list[list[str]], vocab: GloveVocab, window: int, symmetric: bool, weighting: bool
) -> dict[tuple[str, str], float]:
    """The definition, word by word."""
    counts: dict[tuple[str, str], float] = {}
    known = set(vocab.words)
    for line in corpus:
        kept = [w for w in line if w in known]
        for i in range(len(kept)):
            for j in range(max(0, i - window), i):
                weight = 1 / (i - j) if weighting else 1.0
                pairs = [(kept[i], kept[j])] + ([(kept[j], kept[i])] if symmetric else [])
                for pair in pairs:
                    counts[pair] = counts.get(pair, 0.0) + weight
    return counts


def padded(vocab: GloveVocab, pad: int = 1000) -> GloveVocab:
    """The same words behind `pad` unused ones: their ids are large, so no pair of
    them is frequent enough for the dense table and all go through sorted runs."""
    words = [f"<pad{i}>" for i in range(pad)] + vocab.words
    return GloveVocab(words, np.concatenate([np.full(pad, 10**6), vocab.counts]))


def random_corpus(lines: int, words: int = 800, seed: int = 0) -> list[list[str]]:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(words)]
    weights = [1 / (rank + 1) ** 0.7 for rank in range(words)]
    corpus = [rng.choices(vocab, weights, k=rng.randint(1, 25)) for _ in range(lines)]
    corpus.append(rng.choices(vocab, weights, k=3000))  # longer than a tiny budget's batch
    return corpus


def assert_same(got: Cooccurrences, want: Cooccurrences) -> None:
    assert np.array_equal(got.rows, want.rows)
    assert np.array_equal(got.cols, want.cols)
    assert np.array_equal(got.values, want.values)  # sums are exact, whatever the order


# Vocabulary


def test_vocab_counts_ordered_by_count_then_word() -> None:
    vocab = count_vocab([["b", "a", "c", "b"], ["a", "d"]], min_count=1)
    assert vocab.words == ["a", "b", "c", "d"]
    assert vocab.counts.tolist() == [2, 2, 1, 1]
    assert vocab.counts.dtype == np.int64
    assert vocab.index() == {"a": 0, "b": 1, "c": 2, "d": 3}


def test_vocab_min_count_and_max_vocab() -> None:
    corpus = [["x", "y", "x", "z"], ["y", "x", "w", "w"]]  # x3 y2 w2 z1
    assert count_vocab(corpus, min_count=2).words == ["x", "w", "y"]
    assert count_vocab(corpus, min_count=1, max_vocab=2).words == ["x", "w"]
    assert count_vocab(corpus, min_count=3, max_vocab=2).words == ["x"]


def test_vocab_min_count_too_high_is_a_training_error() -> None:
    with pytest.raises(TrainingError, match=r"min_count=9 .*'x' x3.*lower --min-count"):
        count_vocab([["x", "y", "x", "x"]], min_count=9)


@pytest.mark.parametrize("corpus", [[], [[], []]])
def test_vocab_of_empty_corpus_is_a_corpus_error(corpus: list[list[str]]) -> None:
    with pytest.raises(CorpusError, match="empty"):
        count_vocab(corpus)


def test_vocab_bad_options() -> None:
    with pytest.raises(InputError, match="at least 1"):
        count_vocab(HAND, min_count=0)
    with pytest.raises(InputError, match="at least 1"):
        count_vocab(HAND, max_vocab=0)


# Co-occurrences by hand: vocabulary a=0, b=1, c=2 ("a b c" then "b a", window 2)


@pytest.fixture(params=["dense", "sparse"])
def hand(request: pytest.FixtureRequest) -> tuple[GloveVocab, float]:
    """The vocabulary and a memory budget: all pairs in the dense table, or none."""
    vocab = count_vocab(HAND, min_count=1)
    assert vocab.words == ["a", "b", "c"]
    return (vocab, 1.0) if request.param == "dense" else (padded(vocab), TINY_GB)


def test_symmetric_weighted_counts_by_hand(hand: tuple[GloveVocab, float]) -> None:
    # line 1: (b,a) at 1, (c,b) at 1, (c,a) at 2; line 2: (a,b) at 1; plus transposes
    want = {
        ("a", "b"): 2.0,
        ("b", "a"): 2.0,
        ("b", "c"): 1.0,
        ("c", "b"): 1.0,
        ("a", "c"): 0.5,
        ("c", "a"): 0.5,
    }
    vocab, memory_gb = hand
    cooc = count_cooccurrences(HAND, vocab, window=2, memory_gb=memory_gb)
    assert as_dict(cooc, vocab) == want
    assert cooc.rows.dtype == cooc.cols.dtype == np.int32
    assert cooc.values.dtype == np.float32
    assert len(cooc) == 6 and cooc.vocab_size == len(vocab)
    keys = cooc.rows.astype(np.int64) * cooc.vocab_size + cooc.cols
    assert np.all(np.diff(keys) > 0)  # sorted by (row, col), unique


def test_asymmetric_counts_are_left_context(hand: tuple[GloveVocab, float]) -> None:
    # row: the later word; col: a word before it (the reference's -symmetric 0 transposes)
    want = {("b", "a"): 1.0, ("c", "b"): 1.0, ("c", "a"): 0.5, ("a", "b"): 1.0}
    vocab, memory_gb = hand
    cooc = count_cooccurrences(HAND, vocab, window=2, symmetric=False, memory_gb=memory_gb)
    assert as_dict(cooc, vocab) == want


def test_counts_without_distance_weighting(hand: tuple[GloveVocab, float]) -> None:
    want = {
        ("a", "b"): 2.0,
        ("b", "a"): 2.0,
        ("b", "c"): 1.0,
        ("c", "b"): 1.0,
        ("a", "c"): 1.0,
        ("c", "a"): 1.0,
    }
    vocab, memory_gb = hand
    cooc = count_cooccurrences(HAND, vocab, window=2, distance_weighting=False, memory_gb=memory_gb)
    assert as_dict(cooc, vocab) == want


def test_window_is_the_largest_distance() -> None:
    vocab = count_vocab(HAND, min_count=1)
    cooc = count_cooccurrences(HAND, vocab, window=1)
    assert ("a", "c") not in as_dict(cooc, vocab)


def test_repeated_word_counts_in_both_orders() -> None:
    vocab = GloveVocab(["a"], np.array([2]))
    assert as_dict(count_cooccurrences([["a", "a"]], vocab, window=1), vocab) == {("a", "a"): 2.0}
    asym = count_cooccurrences([["a", "a"]], vocab, window=1, symmetric=False)
    assert as_dict(asym, vocab) == {("a", "a"): 1.0}


def test_out_of_vocabulary_words_are_dropped_before_windowing() -> None:
    vocab = GloveVocab(["a", "b"], np.array([1, 1]))
    # "a" and "b" are 3 apart in the text, adjacent once "x" is dropped
    cooc = count_cooccurrences([["a", "x", "x", "b"]], vocab, window=1)
    assert as_dict(cooc, vocab) == {("a", "b"): 1.0, ("b", "a"): 1.0}


def test_no_pairs_across_lines() -> None:
    vocab = GloveVocab(["a", "b", "c"], np.array([1, 1, 1]))
    cooc = count_cooccurrences([["a", "b"], ["c"], [], ["x", "a"]], vocab, window=5)
    assert as_dict(cooc, vocab) == {("a", "b"): 1.0, ("b", "a"): 1.0}
    assert len(count_cooccurrences([["a"], ["b"], ["c"]], vocab, window=5)) == 0


@settings(max_examples=40, deadline=None)
@given(
    corpus=st.lists(st.lists(st.sampled_from("abcdefgxy"), max_size=12), min_size=1, max_size=8),
    window=st.integers(1, 6),
    symmetric=st.booleans(),
    weighting=st.booleans(),
    sparse=st.booleans(),
)
def test_counts_follow_the_definition(
    corpus: list[list[str]], window: int, symmetric: bool, weighting: bool, sparse: bool
) -> None:
    vocab = GloveVocab(list("abcdefg"), np.ones(7, dtype=np.int64))  # x, y out of vocabulary
    vocab = padded(vocab) if sparse else vocab
    assume(any(corpus))  # a corpus without tokens is an error
    cooc = count_cooccurrences(
        corpus,
        vocab,
        window=window,
        symmetric=symmetric,
        distance_weighting=weighting,
        memory_gb=0.002 if sparse else 1.0,  # 0.002: pairs of padded ids are never dense
    )
    got = as_dict(cooc, vocab)
    want = naive(corpus, vocab, window, symmetric, weighting)
    assert got.keys() == want.keys()
    assert all(got[pair] == pytest.approx(want[pair], rel=1e-6) for pair in want)


def test_ids_beyond_16_bits() -> None:
    words = [f"w{i}" for i in range(70_000)]
    rng = random.Random(3)
    corpus = [rng.choices(words[65_000:], k=rng.randint(1, 9)) for _ in range(200)]
    vocab = GloveVocab(words, np.ones(len(words), dtype=np.int64))
    cooc = count_cooccurrences(corpus, vocab, window=3)
    got, want = as_dict(cooc, vocab), naive(corpus, vocab, 3, True, True)
    assert got.keys() == want.keys()
    assert all(got[pair] == pytest.approx(want[pair], rel=1e-6) for pair in want)


# Spill and merge


@pytest.mark.parametrize(("window", "memory_gb"), [(5, TINY_GB), (20, 0.0034)])
def test_spilled_counts_equal_in_memory_counts(
    tmp_path: Path, window: int, memory_gb: float
) -> None:
    corpus = random_corpus(4000)
    vocab = padded(count_vocab(corpus, min_count=2))
    recorder = Recorder()
    spilled = count_cooccurrences(
        corpus, vocab, window=window, memory_gb=memory_gb, tmp_dir=tmp_path, progress=recorder
    )
    in_memory = count_cooccurrences(corpus, vocab, window=window, progress=(quiet := Recorder()))
    assert_same(spilled, in_memory)
    parts = [int(s.split()[1]) for s in recorder.statuses if s.startswith("spilled")]
    assert len(parts) >= 5 and not any(s.startswith("spilled") for s in quiet.statuses)
    if window == 5:  # more runs than one merge reads at once: they are merged in groups first
        assert max(parts) + 2 > _Plan.for_budget(memory_gb, window).max_fan_in
    assert recorder.updates == int(vocab.counts[1000:].sum())  # a bar in vocabulary tokens
    assert list(tmp_path.iterdir()) == []


def test_spill_files_removed_after_an_error(tmp_path: Path) -> None:
    corpus = random_corpus(2000)
    vocab = padded(count_vocab(corpus, min_count=2))
    recorder = Recorder()

    def failing() -> Iterator[list[str]]:
        yield from corpus
        raise OSError("disk read failed")

    with pytest.raises(OSError, match="disk read failed"):
        count_cooccurrences(
            failing(), vocab, window=5, memory_gb=TINY_GB, tmp_dir=tmp_path, progress=recorder
        )
    assert any(s.startswith("spilled") for s in recorder.statuses)
    assert list(tmp_path.iterdir()) == []


# A real corpus file and errors


def test_corpus_file(tmp_path: Path) -> None:
    path = tmp_path / "corpus.txt"
    path.write_text("a b c\n\nb a\n", encoding="utf-8")
    corpus = Corpus(path)
    vocab = count_vocab(corpus, min_count=1)
    assert as_dict(count_cooccurrences(corpus, vocab, window=2), vocab)[("c", "a")] == 0.5


def test_empty_corpus_file_is_a_corpus_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"empty\.txt is empty"):
        count_vocab(Corpus(path))
    with pytest.raises(CorpusError, match=r"empty\.txt is empty"):
        count_cooccurrences(Corpus(path), GloveVocab(["a"], np.array([1])))


def test_memory_budget_too_small() -> None:
    vocab = count_vocab(HAND, min_count=1)
    with pytest.raises(InputError, match=r"--memory-gb must be at least 0\.0011 with window 5"):
        count_cooccurrences(HAND, vocab, window=5, memory_gb=0.0005)
    with pytest.raises(InputError, match="positive"):
        count_cooccurrences(HAND, vocab, memory_gb=0)


def test_bad_options(tmp_path: Path) -> None:
    vocab = count_vocab(HAND, min_count=1)
    with pytest.raises(InputError, match="window must be at least 1"):
        count_cooccurrences(HAND, vocab, window=0)
    with pytest.raises(InputError, match="vocabulary is empty"):
        count_cooccurrences(HAND, GloveVocab([], np.array([], dtype=np.int64)))
    with pytest.raises(InputError, match="--tmp-dir"):
        count_cooccurrences(HAND, vocab, tmp_dir=tmp_path / "missing")


# Spill directories: named with the process id, swept when their process is gone


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def test_spill_directory_names_the_process(tmp_path: Path) -> None:
    with _Spills(tmp_path, np.dtype(np.float64)) as spills:
        assert spills.path.parent == tmp_path
        assert spills.path.name.startswith(f"{SPILL_PREFIX}{os.getpid()}-")
    assert list(tmp_path.iterdir()) == []


def test_spills_of_dead_processes_are_swept_by_the_next_run(tmp_path: Path) -> None:
    stale = tmp_path / f"{SPILL_PREFIX}{_dead_pid()}-abc123"
    stale.mkdir()
    (stale / "run-00000.keys").write_bytes(b"\0" * 64)
    live = tmp_path / f"{SPILL_PREFIX}{os.getpid()}-running"
    live.mkdir()
    untouched = [live, tmp_path / f"{SPILL_PREFIX}oldstyle_x", tmp_path / "other"]
    for path in untouched[1:]:
        path.mkdir()
    not_a_dir = tmp_path / f"{SPILL_PREFIX}{_dead_pid()}-file"
    not_a_dir.write_text("left alone")
    count_cooccurrences(HAND, count_vocab(HAND, min_count=1), window=2, tmp_dir=tmp_path)
    assert not stale.exists()
    assert sorted(tmp_path.iterdir()) == sorted([*untouched, not_a_dir])


KILLED = """
import sys, time
import numpy as np
from aligner.train.cooccur_merge import _Spills
spills = _Spills(sys.argv[1], np.dtype(np.float64))
spills.write([(np.arange(4, dtype=np.int64), np.ones(4))])
print(spills.path, flush=True)
time.sleep(60)
"""


def test_spills_left_by_a_killed_run_are_swept(tmp_path: Path) -> None:
    with subprocess.Popen([sys.executable, "-c", KILLED, str(tmp_path)],
                          stdout=subprocess.PIPE, text=True) as proc:  # fmt: skip
        assert proc.stdout is not None
        left = Path(proc.stdout.readline().strip())
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert left.is_dir() and left.name.startswith(f"{SPILL_PREFIX}{proc.pid}-")
    assert sweep_stale_spills(tmp_path) == [left]
    assert list(tmp_path.iterdir()) == []


def test_cli_glove_build_sweeps_stale_spills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from aligner_cli.main import cli

    spill_root = tmp_path / "tmp"
    spill_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spill_root))
    monkeypatch.setenv("ALIGNER_CACHE", str(tmp_path / "cache"))
    stale = spill_root / f"{SPILL_PREFIX}{_dead_pid()}-zz"
    stale.mkdir()
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(" ".join(line) for line in random_corpus(300)) + "\n")
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("w1\nw2\nw3\n")
    out = tmp_path / "art"
    args = ["build", "--corpus", corpus, "--vocab", vocab, "--out", out, "--method", "glove",
            "--dim", 4, "--epochs", 1, "--min-count", 1, "--device", "cpu",
            "--threads", 1]  # fmt: skip
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    assert list(spill_root.iterdir()) == []  # the stale one swept, this run's own removed
    assert (out / "manifest.json").is_file()
