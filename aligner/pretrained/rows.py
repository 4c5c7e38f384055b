"""Which rows of a vectors file a pass keeps, and what it returns and counts.

:class:`Wanted` decides, for a task vocabulary and a fallback chain, which
raw byte keys are worth keeping (exactly, or through a fold: case, accents,
digits; see :mod:`aligner.align`) and keeps the first row of each;
:class:`AllRows` keeps every row when there is no vocabulary. The readers
(:mod:`aligner.pretrained.readers`, :mod:`aligner.pretrained.fasttext_bin`)
count what they see in a :class:`ReadStats` and return a :class:`ReadResult`.

Example:
    >>> from aligner.vocab import Vocab
    >>> wanted = Wanted(Vocab(["guitar"]), ("exact", "lowercase"))
    >>> wanted.wants(b"Guitar"), wanted.wants(b"piano")
    (True, False)
    >>> stats = ReadStats()
    >>> wanted.keep(b"guitar", stats), wanted.keep(b"guitar", stats), stats.duplicates
    (True, False, 1)
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from aligner.align import FALLBACKS, step_folds
from aligner.vectors import DIGIT_MARKS, WordVectors, fold_digits, strip_accents
from aligner.vocab import Vocab

__all__ = ["AllRows", "ReadResult", "ReadStats", "Wanted", "lower_key"]


@dataclass
class ReadStats:
    """What the pass saw; reported with the coverage.

    Only rows whose token the vocabulary can use are examined closely, so
    ``duplicates``, ``spaced_tokens``, ``bad_rows`` and ``nonfinite_rows``
    count among those rows.
    """

    rows_read: int = 0
    rows_kept: int = 0
    header_rows: int | None = None
    header_mismatch: bool = False
    duplicates: int = 0
    spaced_tokens: int = 0
    invalid_utf8: int = 0
    nonfinite_rows: int = 0
    bad_rows: int = 0
    bom: bool = False
    crlf: bool = False
    subword_rows: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready counts."""
        return asdict(self)


@dataclass
class ReadResult:
    """The rows read, the detected format and dimension, and the pass's counts."""

    vectors: WordVectors
    format: str
    dim: int
    stats: ReadStats = field(default_factory=ReadStats)


class Wanted:
    """The byte keys a vocabulary can use under a fallback chain.

    A row is wanted when its key is a vocabulary token, or when one of the
    folds of the chain's normalising steps (:func:`aligner.align.step_folds`)
    maps it to the fold of a token; a token holding spaces is also found
    through its first word (glove.840B rows). :meth:`keep` then keeps the
    first row of each exact key and of each wanted folded key.

    :meth:`wants` folds only the keys that can need it (non-ASCII keys, keys
    with a digit byte: an ASCII key without digits folds to itself or its
    lowercase form, which ``raw`` and ``lowered`` hold). The text reader's hot
    loop tests its common cases inline: the raw key ``in raw``, or a key of
    ASCII letters whose lowercase form is ``in lowered``.

    The object pickles (a parallel scan sends it to its workers) and
    :meth:`copy` gives one whose decisions leave this one as it is.
    """

    def __init__(self, vocab: Vocab, fallbacks: Sequence[str] = FALLBACKS) -> None:
        words = [_encode(w) for w in vocab.tokens[len(vocab.specials) :]]
        firsts = [w.split(b" ")[0] for w in words if b" " in w]
        self.exact = set(words)
        self.folds = tuple(dict.fromkeys(f for fs in step_folds(fallbacks).values() for f in fs))
        self.ascii = [(f.lowercase, None if f.mark is None else _MARKS[f.mark]) for f in self.folds]
        self.accents = any(f.accents for f in self.folds)
        self.bases = list(dict.fromkeys((f.accents, f.lowercase) for f in self.folds))
        self.plan = [(self.bases.index((f.accents, f.lowercase)), f.mark) for f in self.folds]
        self.want = self.fold_all(words)
        self.first_folds = self.fold_all(firsts)
        # what a fold must give to be wanted; a value leaves once its first row is kept
        self.scan = [want | first for want, first in zip(self.want, self.first_folds, strict=True)]
        self.digit_scans = self.digit_scan_sets()
        self.raw, self.lowered = self.exact | set(firsts), set[bytes]()
        for fold, values in zip(self.folds, self.scan, strict=True):
            (self.lowered if fold.lowercase else self.raw).update(values)
        self.needs_fold = any(f.accents or f.mark is not None for f in self.folds)
        self.kept_keys: set[bytes] = set()
        self.kept: list[set[bytes]] = [set() for _ in self.folds]

    def digit_scan_sets(self) -> list[tuple[bool, bytes, set[bytes]]]:
        """(lowercase, digit table, scan set) of each fold that replaces digits."""
        return [
            (lower, marks, scan)
            for (lower, marks), scan in zip(self.ascii, self.scan, strict=True)
            if marks is not None
        ]

    def copy(self) -> Wanted:
        """A Wanted in this one's state, whose :meth:`keep` decisions leave this one as it is.

        The sets that only ever grow or shrink through :meth:`keep` are copied;
        the rest (the vocabulary's folds) is shared.
        """
        other = copy.copy(self)
        other.scan = [set(scan) for scan in self.scan]
        other.digit_scans = other.digit_scan_sets()
        other.kept_keys = set(self.kept_keys)
        other.kept = [set(kept) for kept in self.kept]
        return other

    def fold_all(self, keys: list[bytes]) -> list[set[bytes]]:
        """The values of each fold over ``keys``."""
        plain = [k for k in keys if k.isascii()]
        lowered = [k.lower() for k in plain]
        others = [k.decode("utf-8", "replace") for k in keys if not k.isascii()]
        out = []
        for fold, (lower, marks) in zip(self.folds, self.ascii, strict=True):
            base = lowered if lower else plain
            values = set(base) if marks is None else {k.translate(marks) for k in base}
            values.update(_encode(fold(text)) for text in others)
            out.append(values)
        return out

    def wants(self, key: bytes) -> bool:
        """True when a row with this raw key may be kept (decided by :meth:`keep`)."""
        if key in self.raw:
            return True
        if not self.needs_fold:
            return bool(self.lowered) and lower_key(key) in self.lowered
        if key.isalpha() or (key.isascii() and _DIGIT_BYTE.search(key) is None):
            return key.lower() in self.lowered  # folds to itself or its lowercase form
        return self.wants_unusual(key)

    def wants_unusual(self, key: bytes) -> bool:
        """Whether a key that is not in ``raw`` has a wanted fold.

        Meant for keys other than ASCII letters: an ASCII key without digits
        folds to itself or its lowercase form, which ``raw`` and ``lowered``
        hold; only non-ASCII keys and keys with a digit byte are folded.
        """
        if key in self.kept_keys:
            return True  # a duplicate: counted by keep
        if not key.isascii():
            return any(v in s for v, s in zip(self.folded(key), self.scan, strict=True))
        low = key.lower()
        if low in self.lowered:
            return True
        if _DIGIT_BYTE.search(key) is None:
            return False  # folds to itself or its lowercase form: not wanted
        for lower, marks, scan in self.digit_scans:  # the other folds gave key or low
            if (low if lower else key).translate(marks) in scan:
                return True
        return False

    def folded(self, key: bytes) -> list[bytes]:
        """The key under each fold, in bytes (ASCII keys with bytes operations)."""
        if key.isascii():
            low = key.lower()
            if key.isalpha():  # no digit to replace
                return [low if lower else key for lower, _ in self.ascii]
            return [(low if lower else key).translate(marks) for lower, marks in self.ascii]
        text = key.decode("utf-8", "replace")
        stripped = strip_accents(text) if self.accents else text
        bases = []
        for accents, lower in self.bases:  # each distinct (accents, lowercase) once
            base = stripped if accents else text
            bases.append(base.lower() if lower else base)
        return [_encode(bases[i] if m is None else fold_digits(bases[i], m)) for i, m in self.plan]

    def keep(self, key: bytes, stats: ReadStats) -> bool:
        """Decide for a confirmed row: the first of each exact key and of each wanted fold."""
        if key in self.kept_keys:
            stats.duplicates += 1
            return False
        if key.isalpha() and key in self.exact:
            # ASCII letters fold to themselves or their lowercase form; not marking these
            # folds saves time and keeps at most one more row per fold (a case variant)
            self.kept_keys.add(key)
            return True
        fresh = False
        sets = zip(self.want, self.kept, self.scan, self.first_folds, strict=True)
        for value, (want, kept, scan, first) in zip(self.folded(key), sets, strict=True):
            if value in want and value not in kept:
                kept.add(value)  # a later row folding the same way adds nothing
                if value not in first:
                    scan.discard(value)
                fresh = True
        if fresh or key in self.exact:
            self.kept_keys.add(key)
            return True
        return False


class AllRows:
    """What :class:`Wanted` decides, without a vocabulary: every row, the first of each key."""

    def __init__(self) -> None:
        self.kept_keys: set[bytes] = set()

    def wants(self, key: bytes) -> bool:
        """Every row may be kept."""
        return True

    def keep(self, key: bytes, stats: ReadStats) -> bool:
        """Keep the first row of each key; count the repeats in ``stats.duplicates``."""
        if key in self.kept_keys:
            stats.duplicates += 1
            return False
        self.kept_keys.add(key)
        return True


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


_DIGIT_BYTE = re.compile(rb"[0-9]")
_MARKS = {m: bytes.maketrans(b"0123456789", m.encode() * 10) for m in DIGIT_MARKS}


def lower_key(key: bytes) -> bytes:
    if key.isascii():
        return key.lower()
    return key.decode("utf-8", "replace").lower().encode("utf-8")
