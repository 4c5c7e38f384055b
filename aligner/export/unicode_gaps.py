"""Where the Hugging Face ``tokenizers`` library's Unicode tables differ from Python's.

aligner normalizes and lowercases text with Python's :mod:`unicodedata`
(Unicode 14.0.0 in Python 3.11). ``tokenizers`` normalizes with older tables
and lowercases with Rust's newer ones. Measured against tokenizers 0.23.3 on
every code point (``tests/test_export_tokenizer.py`` measures them again):

* :data:`NFKC_LATE`: compatibility characters its NFKC leaves as they are
  (``㋿`` U+32FF, ``🯰`` U+1FBF0, …). The exported ``tokenizer.json``
  replaces each by Python's NFKC before normalizing, which gives the same text.
* :data:`COMPOSE_LATE`: canonical compositions it does not make (U+11935
  U+11930 → U+11938). The exported file composes them after normalizing.
* :data:`MARKS_LATE`: combining marks it does not know, and so does not
  reorder among other marks (U+1AC1, …). No rule can fix that: an export
  whose vocabulary holds one of them gets a warning.
* :data:`LOWER_LATE`: characters newer than Python's Unicode (``Ɤ`` U+A7CB
  → ``ɤ`` U+0264 in Unicode 16) that Rust lowercases and Python does not;
  likewise a warning when the vocabulary holds one of them or what they
  lowercase to.

Example:
    >>> 0x1AC1 in late_marks()
    True
"""

from __future__ import annotations

import unicodedata
from functools import cache

__all__ = [
    "COMPOSE_LATE",
    "LOWER_LATE",
    "MARKS_LATE",
    "NFKC_LATE",
    "late_lowercase",
    "late_marks",
    "nfkc_late",
]

#: (first, last) code points that tokenizers' NFKC leaves unchanged and Python's does not
NFKC_LATE = (
    (0x32FF, 0x32FF), (0xA7F2, 0xA7F4), (0xAB69, 0xAB69), (0x10781, 0x10785),
    (0x10787, 0x107B0), (0x107B2, 0x107BA), (0x1F16C, 0x1F16C), (0x1FBF0, 0x1FBF9),
)  # fmt: skip
#: precomposed characters that tokenizers' NFKC does not compose
COMPOSE_LATE = (0x11938,)
#: (first, last) combining marks that tokenizers' NFKC treats as base characters
MARKS_LATE = (
    (0x07FD, 0x07FD), (0x0898, 0x089F), (0x08CA, 0x08D3), (0x09FE, 0x09FE), (0x0C3C, 0x0C3C),
    (0x0D3B, 0x0D3C), (0x0EBA, 0x0EBA), (0x1715, 0x1715), (0x1ABF, 0x1ACE), (0x1DF6, 0x1DFA),
    (0xA82C, 0xA82C), (0x10D24, 0x10D27), (0x10EAB, 0x10EAC), (0x10F46, 0x10F50),
    (0x10F82, 0x10F85), (0x11070, 0x11070), (0x1133B, 0x1133B), (0x1145E, 0x1145E),
    (0x11839, 0x1183A), (0x1193D, 0x1193E), (0x11943, 0x11943), (0x119E0, 0x119E0),
    (0x11A34, 0x11A34), (0x11A47, 0x11A47), (0x11A99, 0x11A99), (0x11D42, 0x11D42),
    (0x11D44, 0x11D45), (0x11D97, 0x11D97), (0x16FF0, 0x16FF1), (0x1E130, 0x1E136),
    (0x1E2AE, 0x1E2AE), (0x1E2EC, 0x1E2EF),
)  # fmt: skip
#: (first, last, offset): Rust lowercases code point c to c + offset (Unicode 16)
LOWER_LATE = (
    (0x1C89, 0x1C89, 1), (0xA7CB, 0xA7CB, 0x0264 - 0xA7CB), (0xA7CC, 0xA7CC, 1),
    (0xA7CE, 0xA7CE, 1), (0xA7D2, 0xA7D2, 1), (0xA7D4, 0xA7D4, 1), (0xA7DA, 0xA7DA, 1),
    (0xA7DC, 0xA7DC, 0x019B - 0xA7DC), (0x10D50, 0x10D65, 0x20), (0x16EA0, 0x16EB8, 0x1B),
)  # fmt: skip


def _points(ranges: tuple[tuple[int, int], ...]) -> list[int]:
    return [c for first, last in ranges for c in range(first, last + 1)]


@cache
def nfkc_late() -> dict[str, str]:
    """Each character of :data:`NFKC_LATE` that Python normalizes → Python's NFKC of it."""
    pairs = ((chr(c), unicodedata.normalize("NFKC", chr(c))) for c in _points(NFKC_LATE))
    return {char: normal for char, normal in pairs if char != normal}


@cache
def late_compositions() -> dict[str, str]:
    """Python's canonical decomposition of each :data:`COMPOSE_LATE` character → the character."""
    pairs = ((unicodedata.normalize("NFD", chr(c)), chr(c)) for c in COMPOSE_LATE)
    return {parts: char for parts, char in pairs if parts != char}


@cache
def late_marks() -> frozenset[int]:
    """The :data:`MARKS_LATE` code points that Python orders as combining marks."""
    return frozenset(c for c in _points(MARKS_LATE) if unicodedata.combining(chr(c)))


@cache
def late_lowercase() -> dict[str, str]:
    """Each :data:`LOWER_LATE` character that Python does not lowercase → Rust's lowercase."""
    pairs = (
        (chr(c), chr(c + offset))
        for first, last, offset in LOWER_LATE
        for c in range(first, last + 1)
    )
    return {upper: lower for upper, lower in pairs if upper.lower() == upper}
