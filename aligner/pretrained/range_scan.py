"""The worker side of the parallel scan (:mod:`aligner.pretrained.parallel`).

A worker process gets a :class:`Job` (a range of whole lines of the file),
scans it with the serial reader's own code (:class:`RangeScan`, a
:class:`~aligner.pretrained.readers.TextReader`) in the blocks one process
would read, and sends back a :class:`Part`: what it recorded of every row a
reader that has kept nothing would test further, then the parsed values of
the rows its own copy of the keep rule kept. It decides nothing that depends
on the rows before its range: :mod:`aligner.pretrained.replay` does.

Example:
    >>> work(conn, Job(Path("v.txt"), "glove", 300, False, 0, 1 << 26, 1 << 22), wanted,
    ...      done, 0)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aligner.pretrained.archive import Opened
from aligner.pretrained.batches import SPACED, split_fields
from aligner.pretrained.readers import TextReader
from aligner.pretrained.row_index import Recorder
from aligner.pretrained.rows import ReadStats, Wanted

__all__ = ["Job", "Part", "RangeScan", "work"]


@dataclass
class Job:
    """One worker's range: bytes ``start`` to ``end`` of the file, whole lines."""

    path: Path
    fmt: str
    dim: int
    skip_bad_rows: bool
    start: int
    end: int
    chunk: int  # the reader's block size: blocks end where one process's blocks end
    record: bool = False  # record the range's lines for the row index


@dataclass
class Part:
    """What one worker found in its range; line numbers count from the range's start.

    The candidates are the rows a reader that has kept nothing tests further,
    in file order: their line, scan key (the text before the first space),
    what :func:`~aligner.pretrained.batches.split_fields` gave (outcome, key,
    fields, bytes of values) and whether the line ended in ``\\r``. ``rows`` gives, for each,
    its row in the worker's matrix, ``-1`` when the worker did not keep it and
    ``-2`` when its values are not numbers.
    """

    lines: int = 0
    rows_read: int = 0
    no_values: list[int] = field(default_factory=list)
    fatal: int | None = None  # a line too long for the dimension: the scan stopped there
    at: list[int] = field(default_factory=list)
    scan_keys: list[bytes] = field(default_factory=list)
    outcomes: bytearray = field(default_factory=bytearray)
    keys: list[bytes] = field(default_factory=list)
    fields: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)  # bytes of values
    crlf: bytearray = field(default_factory=bytearray)
    rows: list[int] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)  # rows of each matrix block sent after
    matrix: np.ndarray | None = None
    recorded: tuple[bytes, bytes, bytes, int] | None = None  # the range's lines: Recorder.parts()


class _Stop(Exception):
    """The rest of the range cannot change the result: a fatal line was found."""


class _SharedBar:
    """A progress bar that adds a worker's bytes to its slot of a shared array."""

    def __init__(self, done: Any, index: int) -> None:
        self.done, self.index = done, index

    def update(self, n: int = 1) -> None:
        self.done[self.index] += n

    def status(self, text: str) -> None:
        pass


class RangeScan(TextReader):
    """A worker's reader: the serial scan of one range, recording instead of deciding."""

    parse_skips = True  # a bad number is recorded, and decided on by the parent

    def __init__(self, job: Job, wanted: Wanted, opened: Any, bar: _SharedBar) -> None:
        super().__init__(job.path, opened, wanted, job.fmt, None, job.skip_bad_rows)
        self.dim, self.job, self.pos, self.bar = job.dim, job, job.start, bar
        self.keeper = wanted.copy()  # this range's own keep rule; ``wanted`` stays unchanged
        self.scratch = ReadStats()
        self.part = Part()
        self.kept_rows = 0
        self.matrices: list[np.ndarray] = []
        self.parent = os.getppid()
        self.recorder = Recorder() if job.record else None

    def read_chunk(self) -> bytes:
        """The next block, ending where one process's blocks end (or at the range's end)."""
        if os.getppid() != self.parent:
            raise SystemExit(1)  # the parent is gone: nobody wants the result
        chunk = self.job.chunk
        size = min(chunk - self.pos % chunk, self.job.end - self.pos)
        data: bytes = self.opened.raw.read(size) if size > 0 else b""
        self.pos += len(data)
        self.bar.update(len(data))
        return data

    def scan(self) -> None:
        try:
            self.part.lines = self.scan_stream(self.read_chunk(), 0)
        except _Stop:
            self.recorder = None  # the rest of the range was not scanned
        if self.recorder is not None:
            self.part.recorded = self.recorder.parts()

    def run(self) -> Part:
        """Scan the range; the part, its matrix of the rows this worker kept."""
        batches = self.parse_while(self.scan)
        part = self.part
        part.rows_read = self.stats.rows_read
        keep = np.concatenate([b.keep for b in batches]) if batches else np.ones(0, bool)
        rows = np.array(part.rows, dtype=np.int64)
        local = rows >= 0
        kept = keep[rows[local]]
        rows[local] = np.where(kept, (np.cumsum(keep) - 1)[rows[local]], -2)
        part.rows = rows.tolist()
        part.batches = [len(b.matrix) for b in batches]
        part.matrix = None
        self.matrices = [b.matrix for b in batches]
        return part

    def take(self, row: bytes, lineno: int) -> None:
        """Record a candidate; queue its values when this range's keep rule keeps it."""
        outcome, key, values, fields = split_fields(row, self.dim, self.line_max)
        part = self.part
        scan_key = row[: row.find(b" ")]
        part.at.append(lineno)
        part.scan_keys.append(key if scan_key == key else scan_key)  # pickled once when equal
        part.outcomes.append(outcome)
        part.keys.append(key)
        part.fields.append(fields)
        part.sizes.append(len(values))
        part.crlf.append(row.endswith(b"\r"))
        if outcome > SPACED or not self.keeper.keep(key, self.scratch):
            part.rows.append(-1)
            return
        part.rows.append(self.kept_rows)
        self.kept_rows += 1
        self.queue(values, lineno)

    def bad_row(self, lineno: int, problem: str) -> None:
        """A row without values: recorded; without ``skip_bad_rows`` the range ends here."""
        self.part.no_values.append(lineno)
        if not self.skip_bad_rows:
            raise _Stop

    def check_carry(self, carry: bytes, lineno: int) -> None:
        if len(carry) > self.line_max:
            self.part.fatal = lineno + 1
            raise _Stop


def work(conn: Any, job: Job, wanted: Wanted, done: Any, index: int) -> None:
    """A worker process: scan ``job``'s range and send the part, then its matrix blocks."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and ends us
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    try:
        with job.path.open("rb") as raw:
            raw.seek(job.start)
            scan = RangeScan(job, wanted, Opened(raw, raw, job.end), _SharedBar(done, index))
            part = scan.run()
        conn.send(("part", part))
        for matrix in scan.matrices:
            if len(matrix):  # a batch whose every row was unparsable has none
                conn.send_bytes(matrix)
    except SystemExit:
        raise
    except BaseException as exc:  # sent to the parent, which raises it
        _send_error(conn, exc)
    finally:
        conn.close()


def _send_error(conn: Any, exc: BaseException) -> None:
    """Send ``exc`` to the parent (as a RuntimeError when it does not pickle)."""
    for error in (exc, RuntimeError(f"{type(exc).__name__}: {exc}")):
        try:
            conn.send(("error", error))
            return
        except Exception:  # not picklable; or the parent is gone
            continue
