"""Spilling, merging and assembling co-occurrence counts (see :mod:`aligner.train.cooccur`).

Partial counts are *runs*: sorted unique int64 pair keys with their summed
values. Runs beyond the memory budget are written as raw arrays to a
temporary directory; the final merge reads them back in chunks, so memory
stays bounded however many runs there are, and the result is assembled into
the sorted (row, col) matrix.

The spill directory is named ``aligner-cooccur-<pid>-<random>``. A run
killed with SIGKILL (or by a signal Python does not turn into an exception)
cannot remove it; the next GloVe run removes every such directory, of the
same user, whose process is gone (:func:`sweep_stale_spills`).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aligner.errors import InputError, TrainingError

if TYPE_CHECKING:
    from aligner.train.cooccur import _Plan

Run = tuple[np.ndarray, np.ndarray]  # sorted unique int64 keys, their summed values
SPILL_PREFIX = "aligner-cooccur-"
_SPILL_NAME = re.compile(rf"{SPILL_PREFIX}(\d+)-[^/]+")


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (one of another user counts as alive)."""
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def sweep_stale_spills(tmp_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Remove the spill directories of GloVe runs whose process is gone.

    Only directories named ``aligner-cooccur-<pid>-*`` in ``tmp_dir`` (default
    the system temporary directory), owned by this user, whose ``pid`` no
    longer runs, are removed; symbolic links and anything else are left alone.

    Returns:
        The directories removed.
    """
    root = Path(tmp_dir) if tmp_dir is not None else Path(tempfile.gettempdir())
    removed = []
    try:
        candidates = list(root.glob(f"{SPILL_PREFIX}*"))
    except OSError:
        return []
    for path in candidates:
        match = _SPILL_NAME.fullmatch(path.name)
        try:
            info = path.lstat()
        except OSError:
            continue
        if match is None or not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            continue
        if not _alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


@dataclass
class Cooccurrences:
    """Weighted co-occurrence counts ``X[row, col]``, sorted by (row, col), pairs unique."""

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    vocab_size: int

    def __len__(self) -> int:
        return len(self.rows)


class _Spills:
    """Runs written as raw arrays to a temporary directory, removed on exit."""

    def __init__(self, tmp_dir: str | os.PathLike[str] | None, dtype: np.dtype[Any]) -> None:
        self.dtype = dtype
        sweep_stale_spills(tmp_dir)
        try:
            prefix = f"{SPILL_PREFIX}{os.getpid()}-"
            self._dir = tempfile.TemporaryDirectory(prefix=prefix, dir=tmp_dir)
        except OSError as exc:
            raise InputError(
                f"cannot create a temporary directory in {tmp_dir}: {exc.strerror}; "
                "pass --tmp-dir with an existing, writable directory"
            ) from None
        self.path = Path(self._dir.name)
        self.written = 0
        self.names: list[Path] = []

    def __enter__(self) -> _Spills:
        return self

    def __exit__(self, *exc: object) -> None:
        self._dir.cleanup()

    def write(self, chunks: Iterable[Run]) -> None:
        name = self.path / f"run-{self.written:05d}"
        try:
            with open(f"{name}.keys", "wb") as keys_file, open(f"{name}.values", "wb") as values:
                for keys, sums in chunks:
                    keys.tofile(keys_file)
                    sums.astype(self.dtype, copy=False).tofile(values)
        except OSError as exc:
            raise TrainingError(
                f"cannot spill co-occurrence counts to {self.path}: {exc.strerror}; "
                "free disk space, pass --tmp-dir on a larger disk or raise --memory-gb"
            ) from None
        self.written += 1
        self.names.append(name)

    def load(self, name: Path) -> Run:
        size = os.path.getsize(f"{name}.keys") // 8
        if size == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=self.dtype)
        keys = np.memmap(f"{name}.keys", dtype=np.int64, mode="r")
        return keys, np.memmap(f"{name}.values", dtype=self.dtype, mode="r")

    def final_runs(self, in_memory: list[Run], plan: _Plan) -> list[Run]:
        """All runs to merge; once anything was spilled, all of them from disk,
        merged in groups first so that at most ``plan.max_fan_in`` remain."""
        if not self.names:
            return in_memory
        while in_memory:
            self.write([in_memory.pop(0)])
        while len(self.names) > plan.max_fan_in:
            group, self.names = self.names[: plan.max_fan_in], self.names[plan.max_fan_in :]
            runs = [self.load(name) for name in group]
            self.write(_merge(runs, plan.merge_entries))
            for name in group:
                os.remove(f"{name}.keys")
                os.remove(f"{name}.values")
        return [self.load(name) for name in self.names]


def _run_starts(keys: np.ndarray) -> np.ndarray:
    """Indices where a run of equal (sorted) keys starts."""
    starts = np.ones(len(keys), dtype=bool)
    np.not_equal(keys[1:], keys[:-1], out=starts[1:])
    return np.flatnonzero(starts)


def _sum_sorted(keys: np.ndarray, values: np.ndarray) -> Run:
    """Sum the values of equal keys; keys are sorted."""
    if len(keys) == 0:
        return keys, values
    starts = _run_starts(keys)
    return keys[starts], np.add.reduceat(values, starts)


def _sum_runs(runs: list[Run]) -> Run:
    """One run from several: a stable merge, then sums of equal keys."""
    runs = [run for run in runs if len(run[0])]
    if len(runs) <= 1:
        return runs[0] if runs else (np.empty(0, np.int64), np.empty(0, np.int64))
    keys = np.concatenate([keys for keys, _ in runs])
    order = np.argsort(keys, kind="stable")
    values = np.concatenate([values for _, values in runs])
    return _sum_sorted(keys[order], values[order])


def _merge(runs: list[Run], entries: int) -> Iterator[Run]:
    """The sum of sorted runs, in key order, reading ``entries`` of them at a time."""
    chunk = entries // max(len(runs), 1)
    position = [0] * len(runs)
    while True:
        live = [i for i, (keys, _) in enumerate(runs) if position[i] < len(keys)]
        if not live:
            return
        ends = {i: min(position[i] + chunk, len(runs[i][0])) for i in live}
        limit = min(runs[i][0][ends[i] - 1] for i in live)  # every key <= limit is here
        parts = []
        for i in live:
            keys, values = runs[i]
            start = position[i]
            stop = start + int(np.searchsorted(keys[start : ends[i]], limit, side="right"))
            parts.append((np.array(keys[start:stop]), np.array(values[start:stop])))
            position[i] = stop
        yield _sum_runs(parts)


def _concat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.empty(0, dtype)


class _Matrix:
    """Merged runs, kept as compact pieces, then placed into (row, col)-sorted arrays.

    Symmetric runs hold each pair once, as (lo, hi). Row r of the full matrix
    is its lower part (the transposes of pairs (c, r), c < r, in the order of
    c) then its upper part (pairs (r, c), c >= r); a diagonal pair was counted
    for both orders, so it doubles.
    """

    def __init__(self, size: int, scale: float, symmetric: bool) -> None:
        self.size, self.scale, self.symmetric = size, scale, symmetric
        self.pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.upper = np.zeros(size, dtype=np.int64)  # per row
        self.lower = np.zeros(size, dtype=np.int64)  # per row: transposed pairs

    def add(self, run: Run) -> None:
        keys, sums = run
        rows, cols = (keys // self.size).astype(np.int32), (keys % self.size).astype(np.int32)
        self.upper += np.bincount(rows, minlength=self.size)
        if self.symmetric:
            self.lower += np.bincount(cols[rows != cols], minlength=self.size)
        self.pieces.append((rows, cols, (sums / self.scale).astype(np.float32)))

    def assemble(self) -> Cooccurrences:
        n = int(self.upper.sum() + self.lower.sum())
        out = (np.empty(n, np.int32), np.empty(n, np.int32), np.empty(n, np.float32))
        lower_upto = np.cumsum(self.lower)
        cursor = np.cumsum(self.upper) - self.upper + lower_upto - self.lower  # row starts
        done = 0
        self.pieces.reverse()
        while self.pieces:  # free each piece once placed
            rows, cols, values = self.pieces.pop()
            at = np.arange(done, done + len(rows)) + lower_upto[rows]
            diag = rows == cols
            if self.symmetric:
                values = np.where(diag, values * 2, values)
            _put(out, at, rows, cols, values)
            done += len(rows)
            if self.symmetric:
                off = np.flatnonzero(~diag)
                off = off[_stable_order(cols[off], self.size)]  # by transposed row, then col
                t_rows = cols[off]
                starts = _run_starts(t_rows)
                rank = np.arange(len(off)) - np.repeat(starts, np.diff(starts, append=len(off)))
                _put(out, cursor[t_rows] + rank, t_rows, rows[off], values[off])
                cursor += np.bincount(t_rows, minlength=self.size)
        return Cooccurrences(*out, vocab_size=self.size)


def _put(out: tuple[np.ndarray, ...], at: np.ndarray, *columns: np.ndarray) -> None:
    for target, column in zip(out, columns, strict=True):
        target[at] = column


def _stable_order(ids: np.ndarray, size: int) -> np.ndarray:
    """A stable argsort of ids below ``size``, by 16-bit radix passes."""
    order = np.argsort(ids.astype(np.uint16), kind="stable")
    if size > 1 << 16:
        high = (ids[order] >> 16).astype(np.uint16)
        order = order[np.argsort(high, kind="stable")]
    return order
