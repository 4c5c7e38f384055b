"""Count words and word co-occurrences for GloVe, in bounded memory.

Two passes over the dataset-0 corpus, like the GloVe reference tools
``vocab_count`` and ``cooccur``:

1. :func:`count_vocab` keeps the tokens seen at least ``min_count`` times (at
   most ``max_vocab`` of them), most frequent first.
2. :func:`count_cooccurrences` adds, within each line, ``1/d`` for every pair
   of vocabulary words ``d = 1..window`` tokens apart. Words outside the
   vocabulary are dropped *before* windowing, as the reference does.

Counting is vectorized: the ids of many lines form one batch, and each
distance ``d`` turns the whole batch into pairs at once. Frequent pairs (the
product of the two frequency ranks below a bound, as in the reference) are
added into a dense table; the others become sorted, summed runs of ``int64``
keys. Runs beyond the memory budget are spilled to a temporary directory and
merged a chunk at a time, so memory stays bounded whatever the corpus size.

Weights ``1/d`` are summed exactly, as integer multiples of ``1/lcm(1..window)``
(window up to 18; float64 beyond), so the result does not depend on the memory
budget, the batch size or the order of spills.

Example:
    >>> corpus = [["a", "b", "c"], ["b", "a"]]
    >>> vocab = count_vocab(corpus, min_count=1)
    >>> cooc = count_cooccurrences(corpus, vocab, window=2)
    >>> vocab.words, cooc.values.tolist()
    (['a', 'b', 'c'], [2.0, 0.5, 2.0, 1.0, 0.5, 1.0])
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from aligner.errors import CorpusError, InputError, TrainingError
from aligner.progress import SILENT, Progress
from aligner.train.cooccur_merge import (
    Cooccurrences,
    Run,
    _concat,
    _Matrix,
    _merge,
    _run_starts,
    _Spills,
    _sum_runs,
    _sum_sorted,
)

__all__ = [
    "Cooccurrences",
    "GloveVocab",
    "count_cooccurrences",
    "count_vocab",
    "distance_weights",
]

GIB = 1 << 30
MIN_BATCH_TOKENS = 1024  # the smallest batch; sets the smallest memory budget
MIN_MERGE_CHUNK = 1024  # entries read from each run per merge round, at least
PAIR_BYTES = 40  # batch memory per (token, distance): key, sort, run starts, sums
TOKEN_BYTES = 64  # batch memory per token: ids, positions, per-distance temporaries
ENTRY_BYTES = 64  # a (key, value) entry while runs are summed: inputs, order, outputs
EXACT_SCALE_LIMIT = 1 << 24  # lcm(1..window) up to this: exact integer sums


@dataclass
class GloveVocab:
    """The words GloVe trains, most frequent first (ties by word), with their counts."""

    words: list[str]
    counts: np.ndarray

    def __post_init__(self) -> None:
        self.counts = np.asarray(self.counts, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.words)

    def index(self) -> dict[str, int]:
        """Map each word to its id (its rank)."""
        return {word: i for i, word in enumerate(self.words)}


def count_vocab(
    corpus: Iterable[list[str]],
    *,
    min_count: int = 5,
    max_vocab: int | None = None,
    progress: Progress = SILENT,
) -> GloveVocab:
    """Count tokens and keep the frequent ones.

    Args:
        corpus: token lists, one per line; iterated once.
        min_count: keep tokens seen at least this often.
        max_vocab: keep at most this many tokens (the most frequent).
        progress: receives a bar in lines.

    Returns:
        GloveVocab, most frequent first, ties in word order.

    Raises:
        InputError: ``min_count`` or ``max_vocab`` is below 1.
        CorpusError: the corpus has no tokens.
        TrainingError: no token is seen ``min_count`` times.

    Example:
        >>> count_vocab([["b", "a", "b"]], min_count=1).words
        ['b', 'a']
    """
    if min_count < 1 or (max_vocab is not None and max_vocab < 1):
        raise InputError(
            f"min_count and max_vocab must be at least 1, got {min_count}, {max_vocab}"
        )
    counter: Counter[str] = Counter()
    with progress.bar("counting words", unit="line") as bar:
        lines = 0
        for lines, tokens in enumerate(corpus, start=1):
            counter.update(tokens)
            if lines % 8192 == 0:
                bar.update(8192)
        bar.update(lines % 8192)
    if not counter:
        raise CorpusError(f"{_name(corpus)} is empty: it has no tokens; pass a text file with text")
    ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    kept = [item for item in ranked[:max_vocab] if item[1] >= min_count]
    if not kept:
        top = ", ".join(f"{w!r} x{c}" for w, c in ranked[:3])
        raise TrainingError(
            f"no token of {_name(corpus)} occurs at least min_count={min_count} times "
            f"(most frequent: {top}); lower --min-count or use a larger corpus"
        )
    return GloveVocab([w for w, _ in kept], np.array([c for _, c in kept], dtype=np.int64))


def count_cooccurrences(
    corpus: Iterable[list[str]],
    vocab: GloveVocab,
    *,
    window: int = 15,
    symmetric: bool = True,
    distance_weighting: bool = True,
    memory_gb: float = 1.0,
    tmp_dir: str | os.PathLike[str] | None = None,
    progress: Progress = SILENT,
) -> Cooccurrences:
    """Count weighted co-occurrences of vocabulary words within each line.

    For each token ``i`` of a line (out-of-vocabulary words removed) and each
    ``j`` with ``1 <= i - j <= window``, ``X[w_i, w_j]`` gets ``1/(i-j)``
    (``1`` without distance weighting), and ``X[w_j, w_i]`` too if symmetric.
    So without symmetry a row's counts are of its words' left context (the
    reference ``cooccur -symmetric 0`` writes the transpose).

    Args:
        corpus: token lists, one per line; iterated once.
        vocab: the words to count, from :func:`count_vocab`.
        window: largest distance between the two words of a pair.
        symmetric: count left and right context (else left only).
        distance_weighting: weight a pair by ``1/distance`` (else 1).
        memory_gb: memory budget of the counting, in GiB; counts beyond it are
            spilled to disk. The result (12 bytes per pair) comes on top.
        tmp_dir: where spilled runs go (a fresh directory inside it, removed
            at the end); default the system temporary directory.
        progress: receives a bar in vocabulary tokens, with the spills.

    Returns:
        Cooccurrences: int32 rows and cols sorted by (row, col), float32 values.

    Raises:
        InputError: ``window`` below 1, an empty vocabulary, ``memory_gb``
            too small for one batch, or ``tmp_dir`` unusable.
        CorpusError: the corpus has no tokens.
        TrainingError: spilling to disk failed (e.g. the disk is full).
    """
    if window < 1:
        raise InputError(f"window must be at least 1, got {window}")
    if len(vocab) == 0:
        raise InputError("the vocabulary is empty; build it with count_vocab")
    plan = _Plan.for_budget(memory_gb, window)
    counter = _PairCounter(len(vocab), window, symmetric, distance_weighting, plan)
    matrix = _Matrix(len(vocab), counter.scale, symmetric)
    total = int(vocab.counts.sum())
    with (
        _Spills(tmp_dir, counter.weights.dtype) as spills,
        progress.bar("co-occurrences", total=total, unit="tok") as bar,
    ):
        batches = _Batches(corpus, vocab.index(), plan.batch_tokens, window)
        for ids, pos, first in batches:
            counter.add(ids, pos, first)
            bar.update(len(ids) - first)
            if counter.pending_entries() > plan.pending_entries and counter.compact() > (
                plan.pending_entries // 2
            ):
                spills.write([counter.pop_pending()])
                bar.status(f"spilled {spills.written} parts")
        if batches.tokens == 0:
            raise CorpusError(f"{_name(corpus)} is empty: it has no tokens; pass a text file")
        bar.status(f"merging {spills.written} parts" if spills.written else "merging")
        for run in _merge(spills.final_runs(counter.final_runs(), plan), plan.merge_entries):
            matrix.add(run)
    return matrix.assemble()


def _name(corpus: object) -> str:
    path = getattr(corpus, "path", None)
    return f"corpus {path}" if path is not None else "the corpus"


@dataclass(frozen=True)
class _Plan:
    """How a memory budget is shared: a quarter each for the batch and the
    dense table, half for the summed runs (and, at the end, for merging them)."""

    batch_tokens: int
    dense_cells: int
    pending_entries: int
    merge_entries: int

    @classmethod
    def for_budget(cls, memory_gb: float, window: int) -> _Plan:
        if not 0 < memory_gb < math.inf:
            raise InputError(f"--memory-gb must be a positive number, got {memory_gb}")
        quarter = int(memory_gb * GIB) // 4
        plan = cls(
            batch_tokens=quarter // (window * PAIR_BYTES + TOKEN_BYTES),
            dense_cells=quarter // 8,
            pending_entries=2 * quarter // ENTRY_BYTES,
            merge_entries=2 * quarter // ENTRY_BYTES,
        )
        if plan.batch_tokens < MIN_BATCH_TOKENS or plan.max_fan_in < 2:
            least = max(
                4 * MIN_BATCH_TOKENS * (window * PAIR_BYTES + TOKEN_BYTES),
                2 * 2 * MIN_MERGE_CHUNK * ENTRY_BYTES,
            )
            raise InputError(
                f"--memory-gb must be at least {math.ceil(least / GIB * 1e4) / 1e4:g} "
                f"with window {window} (one batch of {MIN_BATCH_TOKENS} tokens), "
                f"got {memory_gb:g}; raise --memory-gb"
            )
        return plan

    @property
    def max_fan_in(self) -> int:
        """The most runs merged at once (each read MIN_MERGE_CHUNK entries at a time)."""
        return self.merge_entries // MIN_MERGE_CHUNK


class _Batches:
    """Ids of many lines at a time: (ids, position in line, index of first new token).

    A batch holds at most ``batch_tokens`` corpus tokens; a longer line is cut,
    and the next batch starts with the last ``window`` ids of its line as
    context only, so that no pair is lost at a cut.
    """

    def __init__(
        self, corpus: Iterable[list[str]], index: dict[str, int], batch_tokens: int, window: int
    ) -> None:
        self.corpus, self.index = corpus, index
        self.batch_tokens, self.window = batch_tokens, window
        self.tokens = 0

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
        lookup = _Lookup(self.index).__getitem__
        limit = self.batch_tokens
        flat: list[int] = []
        lengths: list[int] = []
        tail = np.empty(0, dtype=np.int32)
        for tokens in self.corpus:
            if len(flat) + len(tokens) <= limit:  # the usual case: the line fits
                flat.extend(map(lookup, tokens))
                lengths.append(len(tokens))
                continue
            for start in range(0, len(tokens), limit):  # else cut it into pieces
                piece = tokens[start : start + limit]
                if len(flat) + len(piece) > limit:
                    ids, pos, next_tail = self._arrays(flat, lengths, tail)
                    yield ids, pos, len(tail)
                    tail = next_tail if start > 0 else tail[:0]
                    flat, lengths = [], []
                flat.extend(map(lookup, piece))
                if start > 0 and lengths:
                    lengths[-1] += len(piece)
                else:
                    lengths.append(len(piece))
        if flat:
            ids, pos, _ = self._arrays(flat, lengths, tail)
            yield ids, pos, len(tail)

    def _arrays(
        self, flat: list[int], lengths: list[int], tail: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ids without out-of-vocabulary words, their positions, the last line's tail."""
        self.tokens += len(flat)
        raw = np.array(flat, dtype=np.int32)
        line = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)
        keep = raw >= 0
        ids = np.concatenate([tail, raw[keep]])
        line = np.concatenate([np.zeros(len(tail), dtype=np.int32), line[keep]])
        index = np.arange(len(ids), dtype=np.int32)
        starts = np.ones(len(ids), dtype=bool)
        np.not_equal(line[1:], line[:-1], out=starts[1:])
        line_start = np.maximum.accumulate(np.where(starts, index, 0))
        pos = index - line_start
        if len(ids) and line[-1] == len(lengths) - 1:
            next_tail = ids[max(int(line_start[-1]), len(ids) - self.window) :]
        else:
            next_tail = ids[:0]
        return ids, pos, next_tail


class _Lookup(dict[str, int]):
    """Word ids; -1 for a word outside the vocabulary."""

    def __missing__(self, key: str) -> int:
        return -1


def distance_weights(window: int, weighting: bool) -> tuple[np.ndarray, float]:
    """Increment per distance (index d), and the scale that turns sums into counts."""
    if not weighting:
        return np.ones(window + 1, dtype=np.int64), 1.0
    scale = math.lcm(*range(1, window + 1))
    d = np.arange(window + 1)
    d[0] = 1
    if scale <= EXACT_SCALE_LIMIT:
        return scale // d, float(scale)
    return 1.0 / d, 1.0


class _DenseTable:
    """Sums of frequent pairs: cells (r, c) with (r+1)(c+1) <= P, rows laid end to end.

    Symmetric counts keep only c >= r (the pair's smaller id first).
    """

    def __init__(self, size: int, cells: int, symmetric: bool, dtype: np.dtype[Any]) -> None:
        self.size = size
        self.col_start = np.arange(size) if symmetric else np.zeros(size, dtype=np.int64)
        lo, hi = 0, size * size
        while lo < hi:  # the largest product bound P whose table fits in `cells`
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if self._lengths(mid).sum() <= cells else (lo, mid - 1)
        lengths = self._lengths(lo)
        self.row_start = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        self.base = self.row_start - self.col_start
        self.row_end = np.where(lengths > 0, self.col_start + lengths, 0).astype(np.int32)
        self.table = np.zeros(int(lengths.sum()), dtype=dtype)

    def _lengths(self, product: int) -> np.ndarray:
        ends = np.minimum(self.size, product // np.arange(1, self.size + 1))
        return np.maximum(ends - self.col_start, 0)

    def add(self, rows: np.ndarray, cols: np.ndarray, weight: Any) -> np.ndarray:
        """Add the pairs that have a cell; return the mask of the others."""
        inside = cols < self.row_end[rows]
        np.add.at(self.table, self.base[rows[inside]] + cols[inside], weight)
        return ~inside

    def run(self, block: int = 1 << 22) -> Run:
        """The non-zero cells as a run; frees the table."""
        keys, values = [], []
        for start in range(0, len(self.table), block):
            cells = start + np.flatnonzero(self.table[start : start + block])
            rows = np.searchsorted(self.row_start, cells, side="right") - 1
            keys.append(rows * self.size + (cells - self.base[rows]))
            values.append(self.table[cells])
        self.table = self.table[:0]
        return _concat(keys, np.int64), _concat(values, self.table.dtype)


class _PairCounter:
    """Pairs of batches, as the dense table plus summed runs kept in memory."""

    def __init__(
        self, size: int, window: int, symmetric: bool, weighting: bool, plan: _Plan
    ) -> None:
        self.size, self.window, self.symmetric = size, window, symmetric
        self.weights, self.scale = distance_weights(window, weighting)
        self.bits = window.bit_length() if weighting else 0
        if size * size << self.bits >= 1 << 63:
            raise InputError(
                f"{size} words with window {window} overflow 63-bit pair keys; "
                "lower --max-vocab or --window"
            )
        self.dense = _DenseTable(size, plan.dense_cells, symmetric, self.weights.dtype)
        self.keys = np.empty(plan.batch_tokens * window, dtype=np.int64)
        self.pending: list[Run] = []

    def add(self, ids: np.ndarray, pos: np.ndarray, first: int) -> None:
        """Count the pairs whose later token is ids[first:]."""
        n, filled = len(ids), 0
        for d in range(1, self.window + 1):
            start = max(first, d)
            if start >= n:
                break
            ok = pos[start:] >= d  # both words in the same line
            rows, cols = ids[start:][ok], ids[start - d : n - d][ok]  # later word, earlier one
            if self.symmetric:  # each pair once, the smaller id first
                rows, cols = np.minimum(rows, cols), np.maximum(rows, cols)
            sparse = self.dense.add(rows, cols, self.weights[d])
            out = self.keys[filled : filled + int(sparse.sum())]
            np.multiply(rows[sparse], self.size, out=out, dtype=np.int64)
            out += cols[sparse]
            if self.bits:
                out <<= self.bits
                out |= d
            filled += len(out)
        self.pending.append(self._reduce(self.keys[:filled]))

    def _reduce(self, keys: np.ndarray) -> Run:
        """Sort keys (pair << bits | distance) in place and sum them into a run."""
        keys.sort()
        starts = _run_starts(keys)
        counts = np.diff(starts, append=len(keys))
        firsts = keys[starts]
        values = counts * self.weights[firsts & ((1 << self.bits) - 1)]
        return _sum_sorted(firsts >> self.bits, values)

    def pending_entries(self) -> int:
        return sum(len(keys) for keys, _ in self.pending)

    def compact(self) -> int:
        """Sum the pending runs into one; return its length."""
        self.pending = [_sum_runs(self.pending)]
        return len(self.pending[0][0])

    def pop_pending(self) -> Run:
        self.compact()
        run, self.pending = self.pending[0], []
        return run

    def final_runs(self) -> list[Run]:
        """The pending run and the dense table's; frees the batch buffer and the table."""
        self.keys = self.keys[:0]
        runs = [self.pop_pending(), self.dense.run()]
        return [run for run in runs if len(run[0])]
