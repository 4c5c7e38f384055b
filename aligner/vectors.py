"""Word vectors in memory: the numpy currency passed between stages.

Also the key *folds* the alignment's normalising steps compare keys through
(:class:`Fold`: accents, then case, then digits), and the lazily built index
of the first row per folded key (:meth:`WordVectors.row_folded`).
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aligner.errors import InputError

__all__ = ["DIGIT_MARKS", "Fold", "WordVectors", "fold_digits", "strip_accents"]

#: what a digits fold replaces each decimal digit with, tried in this order
#: (``#`` as in word2vec GoogleNews, which writes numbers as ``##``)
DIGIT_MARKS = ("0", "#")
_DECIMAL = re.compile(r"\d")  # in str patterns, \d is exactly str.isdecimal (category Nd)


def strip_accents(text: str) -> str:
    """NFKC-normalise, then drop combining marks (NFKD, marks out, NFC).

    Example:
        >>> strip_accents("Café"), strip_accents("ﬁnal"), strip_accents("Ｎａïｖｅ")
        ('Cafe', 'final', 'Naive')
    """
    if text.isascii():
        return text
    composed = unicodedata.normalize("NFKC", text)
    decomposed = unicodedata.normalize("NFKD", composed)
    kept = decomposed.translate(_combining_marks())
    # nothing dropped: NFC of the decomposed form is the NFKC form itself
    return composed if len(kept) == len(decomposed) else unicodedata.normalize("NFC", kept)


#: combining marks all lie below this code point (planes 0 and 1; checked by the tests)
COMBINING_END = 0x20000


@functools.cache
def _combining_marks() -> dict[int, None]:
    """A ``str.translate`` table deleting every character with ``unicodedata.combining``."""
    return {c: None for c in range(COMBINING_END) if unicodedata.combining(chr(c))}


def fold_digits(text: str, mark: str = "0") -> str:
    """Replace every Unicode decimal digit (``str.isdecimal``) with ``mark``.

    Example:
        >>> fold_digits("1984"), fold_digits("٣.5", "#")
        ('0000', '#.#')
    """
    return _DECIMAL.sub(mark, text)


@dataclass(frozen=True)
class Fold:
    """A key function: strip accents, then lowercase, then replace digits.

    Attributes:
        lowercase: lowercase the key.
        accents: strip accents (:func:`strip_accents`) first.
        mark: replace decimal digits with this mark last (``None``: keep them).

    Example:
        >>> Fold(lowercase=True, accents=True, mark="#")("Café-1984")
        'cafe-####'
    """

    lowercase: bool = False
    accents: bool = False
    mark: str | None = None

    @property
    def name(self) -> str:
        """A name unique per field values (the cache key of its row index)."""
        parts = [n for n, on in (("accents", self.accents), ("lowercase", self.lowercase)) if on]
        return "+".join(parts + ([f"digits{self.mark}"] if self.mark is not None else []))

    @property
    def function(self) -> Callable[[str], str]:
        """This fold as a plain callable (``str.lower`` when it only lowercases)."""
        return str.lower if self == Fold(lowercase=True) else self

    def __call__(self, text: str) -> str:
        return self.case_and_digits(strip_accents(text) if self.accents else text)

    def case_and_digits(self, text: str) -> str:
        """The fold's steps after accents: lowercase, then digits (when on)."""
        if self.lowercase:
            text = text.lower()
        return text if self.mark is None else fold_digits(text, self.mark)

    def fold_all(self, texts: list[str]) -> list[str]:
        """``[self(t) for t in texts]``, with the ASCII texts folded by str methods.

        An ASCII text has no accent to strip and no digit other than 0-9, so
        its fold is its lowercase form with 0-9 translated to the mark; only
        the other texts go through :meth:`__call__`.

        Example:
            >>> Fold(lowercase=True, accents=True, mark="0").fold_all(["Café-1", "A1"])
            ['cafe-0', 'a0']
        """
        out = list(map(str.lower, texts)) if self.lowercase else list(texts)
        if self.mark is not None:  # letters only: no digit to replace
            table = str.maketrans("0123456789", self.mark * 10)
            out = [text if text.isalpha() else text.translate(table) for text in out]
        others = itertools.compress(range(len(texts)), map(operator.not_, map(str.isascii, texts)))
        for i in others:
            out[i] = self(texts[i])
        return out


@dataclass
class WordVectors:
    """Keys and their vectors, as produced by training or a pretrained file.

    Attributes:
        keys: one string per row; when a key repeats, the first row wins.
        vectors: float32 matrix of shape ``(len(keys), dim)``.
        source: JSON-ready facts about where the vectors came from
            (method, parameters, input file), copied into the manifest.
        n_subword: the last ``n_subword`` rows are not in the source's table
            but composed from subword n-grams for the task tokens they are
            keyed by; only :meth:`row_subword` finds them.
    """

    keys: list[str]
    vectors: np.ndarray
    source: dict[str, Any] = field(default_factory=dict)
    n_subword: int = 0

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or self.vectors.shape[0] != len(self.keys):
            raise InputError(
                f"vectors of shape {self.vectors.shape} do not match {len(self.keys)} keys"
            )
        self.vectors = np.ascontiguousarray(self.vectors, dtype=np.float32)
        words = len(self.keys) - self.n_subword
        self._index: dict[str, int] = {}
        for i, key in enumerate(self.keys[:words]):
            self._index.setdefault(key, i)
        self._subword = {key: words + i for i, key in enumerate(self.keys[words:])}
        self._folded: dict[str, dict[str, int]] = {}

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return int(self.vectors.shape[1])

    def row(self, key: str) -> int | None:
        """The row of ``key``, or ``None``."""
        return self._index.get(key)

    def row_lower(self, key: str) -> int | None:
        """The first row whose key lowercases to ``key.lower()``, or ``None``."""
        return self.row_folded("lowercase", str.lower, key)

    def row_folded(self, name: str, key_fn: Callable[[str], str], key: str) -> int | None:
        """The first table row whose key folds to ``key_fn(key)``, or ``None``.

        The index of the first row per folded key is built on the first call
        for ``name`` and kept: ``name`` must stand for ``key_fn`` (a
        :attr:`Fold.name`). Composed (subword) rows are not indexed.

        Example:
            >>> wv = WordVectors(["Cafe", "cafe"], np.zeros((2, 1), dtype=np.float32))
            >>> fold = Fold(lowercase=True, accents=True)
            >>> wv.row_folded(fold.name, fold, "CAFÉ")
            0
        """
        index = self._folded.get(name)
        if index is None:
            words = len(self.keys) - self.n_subword
            table = self.keys[:words]
            folded = key_fn.fold_all(table) if isinstance(key_fn, Fold) else map(key_fn, table)
            # reversed, so that the first row of each folded key is the one that stays
            index = dict(zip(reversed(list(folded)), range(words - 1, -1, -1), strict=True))
            self._folded[name] = index
        return index.get(key_fn(key))

    def row_subword(self, key: str) -> int | None:
        """The composed (subword) row of ``key``, or ``None``."""
        return self._subword.get(key)
