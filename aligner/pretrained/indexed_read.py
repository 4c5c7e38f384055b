"""Read a text vectors file through its row index: only the lines the vocabulary wants.

With a :class:`~aligner.pretrained.row_index.RowIndex` every line's token is
known before the file is read, so :func:`read_plain` works in two steps:

1. decide, from the tokens alone, which rows to keep
   (:class:`~aligner.pretrained.key_filter.KeyFilter`, then
   :class:`~aligner.pretrained.rows.Wanted`, in file order, as the full pass);
2. read the kept rows and parse their values on worker threads, each batch
   written into its place in the output matrix.

The steps do not overlap: a thread that parses while another runs Python
waits for the interpreter lock at each handover (a CSV parse of the same rows
took 16 s instead of 0.9 s next to a busy thread), so step 2 runs alone.

That is the whole work when every row it looks at is a plain row: a token,
one space and D values separated by single spaces, no ``\\r``. Those checks
are made on the way; the first row that is anything else — too few or too
many fields, a token holding spaces, a CRLF line end, a value that is not a
number, a token without values — raises :class:`NotPlain`, and the reader
starts again with :func:`scan_indexed`,
which treats every row as the full pass does (names the line of an error,
skips and counts with ``skip_bad_rows``). Either way the rows, counts and
errors are those of the full pass.

Example:
    >>> read_indexed(reader, load_index(cache, digest, size))  # doctest: +SKIP
"""

from __future__ import annotations

import ctypes
import dataclasses
import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from aligner.pretrained.batches import parse_at_once
from aligner.pretrained.key_filter import KeyFilter
from aligner.pretrained.row_index import Recorder, RowIndex, load_index, row_reader
from aligner.pretrained.rows import ReadResult, Wanted

if TYPE_CHECKING:
    from aligner.pretrained.readers import TextReader

__all__ = [
    "BATCH", "THREADS", "NotPlain", "StaleIndex", "read_indexed", "read_plain", "scan_indexed",
]  # fmt: skip

#: bytes of rows parsed together (small: each parse thread's transient memory)
BATCH = 1 << 20
#: threads parsing the kept rows
THREADS = 2

ReadAt = Callable[[int, int], bytes]
#: a kept row: its file offset, its length and its token
Row = tuple[int, int, bytes]


class NotPlain(Exception):
    """A row the reader looks at is not a plain row: read again, the exact way."""


class StaleIndex(Exception):
    """A row's token is not the one the index recorded: the file is not the one indexed."""


def read_indexed(
    reader: TextReader, index: RowIndex, full_pass: Callable[[], ReadResult]
) -> ReadResult:
    """Read only the lines ``index`` says the vocabulary may want: :func:`read_plain`, or
    when a row it looks at is not plain, :func:`scan_indexed` from the start.

    A row whose token is not the recorded one (the file changed in a way its
    digest did not show) makes the read start again as ``full_pass``, which
    records the index anew.
    """
    stats = dataclasses.replace(reader.stats)
    with reader.path.open("rb", buffering=0) as fh:
        read_at = row_reader(fh)
        try:
            try:
                return read_plain(reader, index, read_at, THREADS)
            except NotPlain:
                reader.stats, reader.keys = dataclasses.replace(stats), []
            again = _again(reader, index)
            if again is not None:
                scan = lambda: scan_indexed(reader, read_at, again)  # noqa: E731
                return reader.collect(reader.parse_while(scan))
        except StaleIndex:
            pass
    reader.stats, reader.keys = stats, []
    reader.recorder, reader.recorded_from = Recorder(), (index.first_offset, index.first_line)
    return full_pass()


def _again(reader: TextReader, index: RowIndex) -> RowIndex | None:
    """``index``, loaded again if :func:`read_plain` let its arrays go; None when it is gone."""
    if not index.released:
        return index
    assert reader.rows_cache is not None
    again = load_index(*reader.rows_cache, reader.opened.size)
    fits = again is not None and (again.first_offset, again.first_line) == (
        index.first_offset, index.first_line,
    )  # fmt: skip
    return again if fits else None


def scan_indexed(reader: TextReader, read_at: ReadAt, index: RowIndex) -> None:
    """The full pass's tests (:meth:`TextReader.scan_block`), on the lines
    :class:`KeyFilter` passes on; errors and counts as the full pass has them."""
    assert isinstance(reader.wanted, Wanted)
    wanted = reader.wanted
    rows = KeyFilter(wanted).candidates(index)
    take, raw, lowered, wants = reader.take, wanted.raw, wanted.lowered, wanted.wants
    blank, first, tokens = 0, index.first_line + 1, index.keys.data
    ats, starts = index.key_offsets()[rows].tolist(), index.starts()[rows].tolist()
    for i, at, start, length, sp in zip(
        rows.tolist(), ats, starts, index.lengths[rows].tolist(), index.spaces[rows].tolist(),
        strict=True,
    ):  # fmt: skip
        row = read_at(start, length)
        _check(row, length, sp, tokens[at : at + max(sp, 0)].tobytes())
        if sp > 0:
            key = row[:sp]
            if key in raw or (key.lower() in lowered if key.isalpha() else wants(key)):
                take(row, first + i)
        elif row.strip():
            reader.bad_row(first + i, "a token without values")
        else:
            blank += 1
    reader.stats.rows_read += len(index.lengths) - blank


def read_plain(reader: TextReader, index: RowIndex, read_at: ReadAt, threads: int) -> ReadResult:
    """The read of a file whose rows the reader looks at are all plain (else :class:`NotPlain`).

    The reader's own :class:`Wanted` is left as it is (a copy decides), so
    that a read sent back to the start begins where this one began.
    """
    kept = _decide(reader, index, read_at)
    index.release()  # the rows are decided: its arrays may go before the values come in
    matrix = np.empty((len(kept), reader.dim), dtype=np.float32)
    cuts = _batches([length for _, length, _ in kept])
    with ThreadPoolExecutor(max_workers=threads) as pool:
        jobs = [
            pool.submit(_parse_rows, read_at, reader.dim, kept[a:b], matrix[a:b])
            for a, b in itertools.pairwise(cuts)
        ]
        try:
            for job in jobs:
                job.result()
        finally:
            for job in jobs:
                job.cancel()
    _give_back_freed_memory()
    return reader.finish(matrix)


def _give_back_freed_memory() -> None:
    """Return the heap the parse threads freed to the system (glibc keeps a heap per thread:
    45 MB of the 1 GB benchmark's read, which the build's later peak would sit on)."""
    try:
        libc = ctypes.CDLL(None)
        trim = libc.malloc_trim
    except (OSError, AttributeError, TypeError):  # not glibc
        return
    trim(0)


def _decide(reader: TextReader, index: RowIndex, read_at: ReadAt) -> list[Row]:
    """Step 1: the kept rows' (offset, length, token length), their keys added to the
    reader's; the rows read and the duplicates counted in its stats."""
    assert isinstance(reader.wanted, Wanted)
    wanted, stats, dim, line_max = reader.wanted.copy(), reader.stats, reader.dim, reader.line_max
    rows = KeyFilter(wanted).candidates(index)
    ats = index.key_offsets()[rows].tolist()  # the full arrays go at once (2 M lines: 32 MB)
    starts = index.starts()[rows].tolist()
    tokens, raw, lowered, wants = index.keys.data, wanted.raw, wanted.lowered, wanted.wants
    kept: list[Row] = []
    blank = 0
    for at, start, length, sp in zip(
        ats, starts, index.lengths[rows].tolist(), index.spaces[rows].tolist(), strict=True
    ):
        if sp < 0:  # no token: a blank line, or a row without values
            row = read_at(start, length)
            _check(row, length, sp, b"")
            if row.strip():
                raise NotPlain
            blank += 1
            continue
        key = tokens[at : at + sp].tobytes()
        if not (key in raw or (key.lower() in lowered if key.isalpha() else wants(key))):
            continue
        if length > line_max:
            raise NotPlain
        if wanted.keep(key, stats):
            reader.keys.append(reader.decode_key(key))
            kept.append((start, length, key))
        else:
            row = read_at(start, length)
            _check(row, length, sp, key)
            if not _plain(row, dim):  # the full pass checks it too
                raise NotPlain
    stats.rows_read += len(index.lengths) - blank
    return kept


def _check(row: bytes, length: int, sp: int, key: bytes) -> None:
    """Raise :class:`StaleIndex` unless ``row`` is the recorded line: its length, no line end
    in it, its token, then its first space (or none)."""
    if len(row) != length or b"\n" in row or row.find(b" ") != sp or not row.startswith(key):
        raise StaleIndex


def _plain(row: bytes, dim: int) -> bool:
    return not row.endswith((b"\r", b" ")) and row.count(b" ") == dim


def _batches(lengths: list[int]) -> list[int]:
    """Cut points of the kept rows into batches of about :data:`BATCH` bytes."""
    cuts, size = [0], 0
    for i, length in enumerate(lengths, 1):
        size += length
        if size >= BATCH:
            cuts.append(i)
            size = 0
    if cuts[-1] != len(lengths):
        cuts.append(len(lengths))
    return cuts


def _parse_rows(read_at: ReadAt, dim: int, rows: list[Row], out: np.ndarray) -> None:
    """Step 2, one batch: read the rows, parse their values into ``out``."""
    values = []
    for start, length, key in rows:
        row = read_at(start, length)
        _check(row, length, len(key), key)
        if row.endswith((b"\r", b" ")):
            raise NotPlain
        values.append(memoryview(row)[len(key) + 1 :])
    matrix = parse_at_once(dim, values)  # type: ignore[arg-type]
    if matrix is None:
        raise NotPlain
    out[...] = matrix
