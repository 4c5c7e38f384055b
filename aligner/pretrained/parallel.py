"""Scan an uncompressed text vectors file in several processes, with the serial result.

:class:`~aligner.pretrained.readers.TextReader` reads the file's head (the
word2vec header, the dimension) itself, then, for a file of at least
:data:`PARALLEL_MIN_BYTES` and more than one worker, calls :func:`start_scan`:
the rest is cut at line ends into one byte range per worker, and each worker
process scans its range with the reader's own code
(:class:`~aligner.pretrained.range_scan.RangeScan`), reading the same 4 MiB
blocks as one process would (so a line too long for the dimension is caught
where one process catches it).

A worker cannot know what the rows before its range kept, so it decides
nothing that depends on them. It records every row that a reader which has
kept nothing yet would test further (a superset of the rows one process tests
further), with what splitting the row gave, and parses the values of the rows
its own copy of the keep rule keeps: having seen fewer rows, that copy keeps
every row one process keeps (and perhaps a few more). The parent then
replays one process's decisions over these candidates, range after range in
file order (:mod:`aligner.pretrained.replay`): the first row of each key
wins, and the counts, the warnings and the first error, with its line number
in the whole file, are those of one process (on a file with several faults
too: the replay meets an unparsable number where one process meets it, when
it collects the batch of values that holds it).

Workers are forked when this process runs no other thread (nothing is
copied or imported again), else started from a fork server when the main
module need not run again in them (a notebook), else the file is read in one
process (see :func:`_context`). A worker that ends without a result is an
error that says to pass ``workers=1``.

Example:
    >>> from aligner.pretrained.formats import read_vectors
    >>> read_vectors("glove.840B.300d.txt", vocab, workers=4)  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from aligner.errors import InputError
from aligner.pretrained import readers
from aligner.pretrained.range_scan import Job, Part, work
from aligner.pretrained.rows import ReadResult, Wanted

__all__ = ["PARALLEL_MIN_BYTES", "Scan", "available_cores", "start_scan"]

#: bytes after the head below which one process reads the file. One process already
#: parses on a second thread, and each worker costs about 0.14 s of CPU (its start, its
#: import of pyarrow, its share of the replay): estimated from CPU times, two workers
#: pay from about 160 MB on two cores, four from about 100 MB
PARALLEL_MIN_BYTES = 128 << 20
#: a cut between ranges moves at most this far past its place to reach a line end
CUT_REACH = 1 << 24
POLL_SECONDS = 0.1  # how often the parent advances the bar while workers scan


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def cut_points(path: Path, body: int, size: int, workers: int) -> list[int] | None:
    """Where the ranges start and end: right after a line end near each even share.

    ``None`` when a cut finds no line end within :data:`CUT_REACH` (a file of
    huge lines: one process reads it, and names the line).
    """
    cuts = [body]
    with path.open("rb") as fh:
        for i in range(1, workers):
            at = max(cuts[-1], body + (size - body) * i // workers)
            end = _line_end(fh, at, size)
            if end is None:
                return None
            if cuts[-1] < end < size:
                cuts.append(end)
    return [*cuts, size]


def _line_end(fh: Any, at: int, size: int) -> int | None:
    """The offset just after the first line end from ``at`` (``size`` at the end of the
    file); ``None`` when there is none within :data:`CUT_REACH`."""
    fh.seek(at)
    step = min(1 << 16, CUT_REACH)
    for start in range(at, min(size, at + CUT_REACH), step):
        nl = fh.read(step).find(b"\n")
        if nl >= 0:
            return start + nl + 1
    return size if at + CUT_REACH >= size else None


def _context() -> Any | None:
    """How to start workers, or ``None`` to read in one process.

    fork when no other thread runs (forking a process with threads can leave
    the child waiting on a lock for ever); else a fork server where the main
    module has no file to run again in each worker (an interactive session, a
    notebook), since a script run as ``__main__`` would be started again in
    every worker (which fails without an ``if __name__ == "__main__"`` guard).
    """
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if threading.active_count() == 1 and "fork" in methods and sys.platform != "darwin":
        return multiprocessing.get_context("fork")
    main = sys.modules.get("__main__")
    if "forkserver" in methods and getattr(main, "__file__", None) is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["aligner.pretrained.range_scan"])
        return ctx
    return None


class Scan:
    """Worker processes scanning the ranges of one file; :meth:`result` merges their parts."""

    def __init__(self, reader: readers.TextReader, cuts: list[int], lineno: int, ctx: Any) -> None:
        assert isinstance(reader.wanted, Wanted)
        self.reader, self.lineno, self.body = reader, lineno, cuts[0]
        self.done = ctx.RawArray("q", len(cuts) - 1)
        self.procs: list[Any] = []
        self.conns: list[Any] = []
        with self.stopping(only_on_error=True):
            for i, (start, end) in enumerate(itertools.pairwise(cuts)):
                job = Job(reader.path, reader.fmt, reader.dim, reader.skip_bad_rows, start, end,
                          readers.CHUNK, record=reader.recorder is not None)  # fmt: skip
                receive, send = ctx.Pipe(duplex=False)
                self.conns.append(receive)
                proc = ctx.Process(
                    target=work, args=(send, job, reader.wanted, self.done, i), daemon=True
                )
                try:
                    proc.start()
                finally:
                    send.close()
                self.procs.append(proc)

    def result(self) -> ReadResult | None:
        """The rows one process would have kept; ``None``: read the file in one process."""
        from aligner.pretrained.replay import replay

        with self.stopping():
            parts = self.collect()
        result = replay(self.reader, parts, self.lineno)
        recorder = self.reader.recorder
        if result is not None and recorder is not None:  # each range's lines, in file order
            if all(part.recorded is not None for part in parts):
                for part in parts:
                    assert part.recorded is not None
                    recorder.extend(*part.recorded)
            else:
                self.reader.recorder = None  # a range ended early: nothing to keep
        return result

    @contextmanager
    def stopping(self, *, only_on_error: bool = False) -> Iterator[None]:
        """End every worker still running on the way out (an error, Ctrl-C, a signal)."""
        try:
            yield
        except BaseException:
            self.stop()
            raise
        if not only_on_error:
            self.stop()

    def stop(self) -> None:
        """End the workers still running, wait for them, close the pipes."""
        for proc in self.procs:
            if proc.is_alive():
                proc.terminate()
        for proc in self.procs:
            proc.join()
        for conn in self.conns:
            conn.close()

    def collect(self) -> list[Part]:
        """Each worker's part, in file order, advancing the bar while they scan."""
        from multiprocessing.connection import wait

        parts: list[Part | None] = [None] * len(self.conns)
        waiting = dict(enumerate(self.conns))
        bar, shown = self.reader.bar, self.reader.reported  # the head: up to past ``body``
        while waiting:
            for conn in wait(list(waiting.values()), timeout=POLL_SECONDS):
                i = self.conns.index(conn)
                parts[i] = self.receive(i, conn)
                del waiting[i]
            now = max(shown, self.body + sum(self.done))
            bar.update(now - shown)
            shown = now
        self.reader.reported = shown
        return [part for part in parts if part is not None]

    def receive(self, i: int, conn: Any) -> Part:
        try:
            kind, part = conn.recv()
        except EOFError:
            self.procs[i].join()
            raise InputError(
                f"reading {self.reader.path}: a reading process ended without a result "
                f"(exit status {self.procs[i].exitcode}; out of memory?); pass --workers 1 "
                "to read it in one process"
            ) from None
        if kind == "error":
            raise part
        matrix = np.empty((sum(part.batches), self.reader.dim), dtype=np.float32)
        flat, at = matrix.reshape(-1).view(np.uint8), 0
        for rows in part.batches:
            if rows:
                at += conn.recv_bytes_into(flat, at)
        part.matrix = matrix
        return part


def start_scan(reader: readers.TextReader, body: int, lineno: int) -> Scan | None:
    """Start workers on the file after its head (byte ``body``, ``lineno`` lines read).

    Returns:
        The running :class:`Scan`, or ``None`` when one process should read
        the rest: a file below :data:`PARALLEL_MIN_BYTES` after its head, a
        head longer than one block, a file that cannot be cut at line ends, or
        no safe way to start processes (see :func:`_context`).
    """
    size = reader.opened.size
    if size - body < PARALLEL_MIN_BYTES or reader.reported > readers.CHUNK:
        return None
    ctx = _context()
    cuts = None if ctx is None else cut_points(reader.path, body, size, reader.workers)
    if cuts is None or len(cuts) < 3:
        return None
    return Scan(reader, cuts, lineno, ctx)
