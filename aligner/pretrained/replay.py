"""One process's decisions, replayed over the candidates of a parallel scan.

The workers of :mod:`aligner.pretrained.parallel` record every row a reader
that has kept nothing would test further, and keep (by their own copy of the
keep rule) at least every row one process keeps. :func:`replay` walks these
records in file order with one keep rule, as one process walks the file: it
tests each candidate's key against what was kept before it, counts what one
process counts and raises the error one process raises, at its line in the
whole file (an unparsable value where one process meets it: when it collects
the batch that holds it, see :class:`_Batches`); the matrix is gathered from
the workers' rows it keeps.

Example:
    >>> result = replay(reader, parts, lineno=1)  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from aligner.pretrained import readers
from aligner.pretrained.batches import FEW, LONG, SPACED, not_a_number
from aligner.pretrained.rows import ReadResult, Wanted

if TYPE_CHECKING:
    from aligner.pretrained.range_scan import Part

__all__ = ["replay"]


def replay(reader: readers.TextReader, parts: list[Part], lineno: int) -> ReadResult | None:
    """The result of one process reading the file whose ranges gave ``parts``.

    Args:
        reader: the reader that read the head (its ``wanted`` has kept nothing).
        parts: the workers' parts, in file order.
        lineno: the lines of the head (1 for a word2vec header, else 0).

    Returns:
        The result, or ``None`` when a row this process keeps was not kept by
        its worker (which cannot happen; the caller then reads the file itself).

    Raises:
        VectorsFormatError: the first error one process meets, naming its line.
    """
    assert isinstance(reader.wanted, Wanted)
    keeper = reader.wanted.copy()
    before = reader.stats
    reader.stats = dataclasses.replace(before)
    keys: list[str] = []
    picks: list[list[int]] = []
    batches = _Batches(reader)
    for part in parts:
        reader.stats.rows_read += part.rows_read
        chosen = _replay_part(reader, keeper, part, lineno, keys, batches)
        if chosen is None:
            reader.stats = before
            return None
        picks.append(chosen)
        lineno += part.lines
    batches.finish()
    reader.keys = keys
    return reader.finish(_gather(parts, picks, reader.dim))


class _Batches:
    """Where one process raises for an unparsable value of a kept row.

    It parses kept rows in batches of :data:`~aligner.pretrained.readers.BATCH`
    bytes of values on a thread, and meets a batch's error when it collects
    the batch: before sending a third one while two are in flight, and at the
    end of the file. A malformed line further on can therefore be named first.
    """

    def __init__(self, reader: readers.TextReader) -> None:
        self.reader, self.size, self.rows = reader, 0, 0
        self.bad: int | None = None  # the first unparsable row of the batch being filled
        self.sent: deque[int | None] = deque()

    def add(self, size: int, bad: int | None) -> None:
        """A kept row with ``size`` bytes of values (``bad``: its line, when unparsable)."""
        if self.bad is None:
            self.bad = bad
        self.rows += 1
        self.size += size
        if self.size >= readers.BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        if len(self.sent) >= 2:
            self.collect(self.sent.popleft())
        self.sent.append(self.bad)
        self.size, self.rows, self.bad = 0, 0, None

    def finish(self) -> None:
        self.flush()
        while self.sent:
            self.collect(self.sent.popleft())

    def collect(self, bad: int | None) -> None:
        if bad is not None and not self.reader.skip_bad_rows:
            raise not_a_number(self.reader.path, bad)


def _replay_part(
    reader: readers.TextReader,
    keeper: Wanted,
    part: Part,
    base: int,
    keys: list[str],
    batches: _Batches,
) -> list[int] | None:
    """Replay one range (its lines start after line ``base``); the worker rows kept.

    The common case (a key in ``raw``, or of ASCII letters lowercasing into
    ``lowered``; a vocabulary word of ASCII letters seen the first time) is
    inline; the rest goes through :meth:`Wanted.wants` and :meth:`Wanted.keep`.
    """
    stats, wants, keep = reader.stats, keeper.wants, keeper.keep
    raw, lowered, exact, kept_keys = keeper.raw, keeper.lowered, keeper.exact, keeper.kept_keys
    no_values = [*part.no_values, -1]  # rows without values, in line order
    chosen: list[int] = []
    bad = 0
    rows = zip(part.at, part.scan_keys, part.outcomes, part.keys, part.rows, strict=True)
    for i, (line, scan_key, outcome, key, row) in enumerate(rows):
        while 0 <= no_values[bad] < line:
            reader.bad_row(base + no_values[bad], "a token without values")
            bad += 1
        if not (
            scan_key in raw
            or (scan_key.lower() in lowered if scan_key.isalpha() else wants(scan_key))
        ):
            continue
        if outcome:
            if not _outcome(reader, part, i, base + line):
                continue
        elif part.crlf[i]:
            stats.crlf = True
        if key.isalpha() and key in exact and key not in kept_keys:
            kept_keys.add(key)  # what keep() does for these keys, without the call
        elif not keep(key, stats):
            continue
        if row == -1:
            return None
        batches.add(part.sizes[i], base + line if row == -2 else None)
        if row == -2:  # a value is not a number
            reader.decode_key(key)
            stats.bad_rows += 1
            continue
        keys.append(key.decode() if key.isascii() else reader.decode_key(key))
        chosen.append(row)
    for at in no_values[bad:-1]:
        reader.bad_row(base + at, "a token without values")
    if part.fatal is not None:
        raise reader.too_long(base + part.fatal)
    return chosen


def _outcome(reader: readers.TextReader, part: Part, i: int, line: int) -> bool:
    """What one process does with a row it tests further that is not a token and D
    values: False when it drops the row (or raises)."""
    if part.crlf[i]:
        reader.stats.crlf = True
    outcome = part.outcomes[i]
    if outcome == LONG:
        raise reader.too_long(line)
    if outcome == FEW:
        reader.too_few(line, part.fields[i])
        return False
    reader.stats.spaced_tokens += outcome == SPACED
    return True


def _gather(parts: list[Part], picks: list[list[int]], dim: int) -> np.ndarray:
    """The chosen rows of each part's matrix, in order, in one matrix (parts freed)."""
    matrix = np.empty((sum(map(len, picks)), dim), dtype=np.float32)
    at = 0
    for part, chosen in zip(parts, picks, strict=True):
        if chosen:
            assert part.matrix is not None
            np.take(part.matrix, chosen, axis=0, out=matrix[at : at + len(chosen)])
        at += len(chosen)
        part.matrix = None
    return matrix
