"""Find, among the lines of a text vectors file, the few whose token a vocabulary may want.

The text reader's exact test (:meth:`aligner.pretrained.rows.Wanted.wants`)
costs a Python call per line. A :class:`~aligner.pretrained.row_index.RowIndex`
holds, for every line, what :func:`token_hashes` gives whatever the
vocabulary: a 32-bit hash of its token as it is and in ASCII lowercase, and
whether the token is non-ASCII or holds a digit. :class:`KeyFilter` looks
those hashes up in bitmaps of the hashes of the vocabulary's scan keys (and
hashes the tokens with a digit under each fold that replaces digits); lines
with a non-ASCII token or without a space are passed on too. The result is a
superset of the wanted lines (a hash collision only adds one), which the
reader then tests exactly, in file order. All of it is numpy:
``pyarrow.compute.is_in`` would be as fast, but its first call costs the
process 46 MB.

Example:
    >>> keys, offsets = np.frombuffer(b"theThex86", dtype=np.uint8), np.array([0, 3, 6, 9])
    >>> raw, lower, flags = token_hashes(keys, offsets)
    >>> bool(raw[0] == lower[0] == lower[1]), bool(raw[0] == raw[1]), flags.tolist()
    (True, False, [0, 0, 2])
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from aligner.pretrained.rows import Wanted

if TYPE_CHECKING:
    from aligner.pretrained.row_index import RowIndex

__all__ = ["DIGIT", "NON_ASCII", "KeyFilter", "token_hashes"]

_SAME = np.arange(256, dtype=np.uint8)
_LOWER = _SAME.copy()
_LOWER[ord("A") : ord("Z") + 1] += 32
_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[ord("0") : ord("9") + 1] = True
_UPPER = _LOWER != _SAME

#: :func:`token_hashes` flags
NON_ASCII, DIGIT = 1, 2
#: a vocabulary's hashes are kept as a bitmap of 2**_BITMAP_ORDER bits (4 MiB): for
#: 50,000 tokens a token not among them passes the filter with odds 1 in 670
_BITMAP_ORDER = 25
_SHIFT = np.uint32(32 - _BITMAP_ORDER)
#: lines hashed at a time (bounds the memory of the 8-byte terms of their tokens)
LINES_AT_ONCE = 1 << 16
#: bytes of a token with a place of their own in its hash; later bytes share the last power
_PLACES = 256
_POWERS = np.cumprod(np.full(_PLACES, 0x9E3779B97F4A7C15, dtype=np.uint64), dtype=np.uint64)
_TERMS = np.arange(1, 257, dtype=np.uint64)  # a byte's term before its power: byte + 1


def _weights(offsets: np.ndarray) -> np.ndarray:
    """Each byte's power in the hash of its string: by its place in the string."""
    lengths = np.diff(offsets)
    within = np.arange(offsets[-1], dtype=np.int64) - np.repeat(offsets[:-1], lengths)
    if len(lengths) and int(lengths.max()) > _PLACES:
        np.minimum(within, _PLACES - 1, out=within)
    return _POWERS[within]


def _hashes(
    data: np.ndarray, offsets: np.ndarray, lut: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """A 32-bit hash of each ``data[offsets[i]:offsets[i + 1]]`` (``offsets`` starts at 0),
    its bytes mapped through ``lut`` first: the top half of a polynomial hash modulo 2**64.
    Kept in row indexes: a change is a new :data:`~aligner.pretrained.row_index.LAYOUT`."""
    terms = _TERMS[lut][data]  # (byte + 1) as uint64
    terms *= _weights(offsets) if weights is None else weights
    sums = np.zeros(len(data) + 1, dtype=np.uint64)
    np.cumsum(terms, out=sums[1:])
    full = sums[offsets[1:]] - sums[offsets[:-1]] + np.diff(offsets).astype(np.uint64)
    return (full >> np.uint64(32)).astype(np.uint32)


def token_hashes(
    keys: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What :class:`KeyFilter` needs of each token, whatever the vocabulary: its hash as it
    is, its hash in ASCII lowercase, and flags (:data:`NON_ASCII`, :data:`DIGIT`).

    Args:
        keys: the tokens, concatenated (uint8).
        offsets: token ``i`` is ``keys[offsets[i]:offsets[i + 1]]``.
    """
    n = len(offsets) - 1
    raw, lower, flags = np.zeros(n, np.uint32), np.zeros(n, np.uint32), np.zeros(n, np.uint8)
    for a in range(0, n, LINES_AT_ONCE):
        b = min(a + LINES_AT_ONCE, n)
        data, bounds = keys[offsets[a] : offsets[b]], offsets[a : b + 1] - offsets[a]
        if not len(data):
            continue
        raw[a:b] = lower[a:b] = _hashes(data, bounds, _SAME)
        upper = np.flatnonzero(_any(_UPPER[data], bounds))  # only these change in lowercase
        if len(upper):
            subset, sub_bounds = _subset(data, bounds, upper)
            lower[a + upper] = _hashes(subset, sub_bounds, _LOWER)
        non_ascii, digit = _any(data >= 0x80, bounds), _any(_DIGIT[data], bounds)
        flags[a:b] = non_ascii * np.uint8(NON_ASCII) + digit * np.uint8(DIGIT)
    return raw, lower, flags


def _any(marks: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Whether ``marks[offsets[i]:offsets[i + 1]]`` holds a True, for each ``i`` (``offsets``
    starts at 0 and ends at ``len(marks)``). ``reduceat`` runs over the non-empty segments
    only: it would give an empty one the element after it."""
    lengths = np.diff(offsets)
    filled = lengths > 0
    out = np.zeros(len(lengths), dtype=bool)
    if filled.any():
        out[filled] = np.logical_or.reduceat(marks, offsets[:-1][filled])
    return out


def _table(keys: set[bytes], lut: np.ndarray) -> np.ndarray:
    """A bitmap of the hashes of ``keys`` (each byte mapped through ``lut`` first): bit
    ``h >> (32 - _BITMAP_ORDER)`` is set for each hash ``h``."""
    offsets = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum([len(k) for k in keys], out=offsets[1:])
    slots = _hashes(np.frombuffer(b"".join(keys), dtype=np.uint8), offsets, lut) >> _SHIFT
    bits = np.zeros(1 << (_BITMAP_ORDER - 3), dtype=np.uint8)
    np.bitwise_or.at(bits, slots >> 3, np.left_shift(1, slots & 7).astype(np.uint8))
    return bits


def _member(hashes: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """Whether each hash's bit is set (a lookup in a few MB, unlike a binary search)."""
    slots = hashes >> _SHIFT
    return (bits[slots >> 3] >> (slots & 7).astype(np.uint8)) & 1 != 0


def _subset(
    data: np.ndarray, offsets: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The tokens ``rows`` of ``data``/``offsets``, concatenated, and their offsets."""
    lengths = offsets[rows + 1] - offsets[rows]
    sub = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=sub[1:])
    where = np.repeat(offsets[rows] - sub[:-1], lengths) + np.arange(sub[-1], dtype=np.int64)
    return data[where], sub


class KeyFilter:
    """The lines whose token :meth:`Wanted.wants` may accept (see the module docstring)."""

    def __init__(self, wanted: Wanted) -> None:
        self.raw = _table(wanted.raw, _SAME)
        self.lowered = _table(wanted.lowered, _LOWER)
        self.digit_tables = []  # the folds that replace digits: wanted.wants applies them
        for lower, marks, scan in wanted.digit_scans:  # to ASCII tokens with a digit
            lut = np.frombuffer(marks, dtype=np.uint8)
            self.digit_tables.append((lut[_LOWER] if lower else lut, _table(scan, lut)))

    def candidates(self, index: RowIndex) -> np.ndarray:
        """The indices of the lines of ``index`` that may be wanted, in order."""
        wanted = (index.spaces < 0) | ((index.flags & NON_ASCII) != 0)  # folded in Python
        wanted |= _member(index.raw_hash, self.raw)
        wanted |= _member(index.lower_hash, self.lowered)
        if self.digit_tables:
            digits = np.flatnonzero(((index.flags & DIGIT) != 0) & ~wanted)
            keys, offsets = _subset(index.keys, index.key_offsets(), digits)
            weights = _weights(offsets)
            for lut, table in self.digit_tables:
                wanted[digits] |= _member(_hashes(keys, offsets, lut, weights), table)
        wanted &= index.spaces != 0
        return np.flatnonzero(wanted)
