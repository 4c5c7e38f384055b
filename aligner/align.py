"""Match task-vocabulary rows to word vectors through a fallback chain.

Each vocabulary row gets a *kind* saying where its vector comes from:

========== ===========================================================
kind       meaning
========== ===========================================================
pad        the padding row, all zeros
special    another special token (``<unk>``), filled like missing rows
exact      the vectors have the token as is
lowercase  the vectors have it only up to case (``The`` → ``the``)
subword    composed from subword n-grams (fastText ``.bin`` models)
fill       no vector: filled by :mod:`aligner.fill`
========== ===========================================================

Example:
    >>> import numpy as np
    >>> from aligner.vectors import WordVectors
    >>> from aligner.vocab import Vocab
    >>> wv = WordVectors(["the", "guitar"], np.eye(2, dtype=np.float32))
    >>> a = align(Vocab(["The", "guitar", "zorblax"]), wv)
    >>> a.kinds
    ['pad', 'special', 'lowercase', 'exact', 'fill']
    >>> round(a.coverage.type_coverage, 3)
    0.667
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aligner.errors import InputError
from aligner.vectors import WordVectors
from aligner.vocab import Vocab

__all__ = ["FALLBACKS", "KINDS", "PRETRAINED_KINDS", "Alignment", "Coverage", "align"]

FALLBACKS = ("exact", "lowercase", "subword")
KINDS = ("pad", "special", "exact", "lowercase", "subword", "fill")
#: kinds whose vectors come from the word vectors (frozen in "partial" mode)
PRETRAINED_KINDS = frozenset({"exact", "lowercase", "subword"})


@dataclass
class Coverage:
    """How much of the task vocabulary found a vector (specials excluded).

    Attributes:
        types: number of non-special vocabulary rows.
        types_by_kind: rows per match kind.
        tokens: total dataset-1 count of those rows, if counts are known.
        tokens_by_kind: counts per match kind, if counts are known.
        top_missing: the most frequent tokens that found no vector, with
            their counts (``None`` when counts are unknown).
    """

    types: int
    types_by_kind: dict[str, int]
    tokens: int | None = None
    tokens_by_kind: dict[str, int] | None = None
    top_missing: list[tuple[str, int | None]] = field(default_factory=list)

    @property
    def found_types(self) -> int:
        """Rows that found a vector."""
        return sum(n for k, n in self.types_by_kind.items() if k in PRETRAINED_KINDS)

    @property
    def type_coverage(self) -> float:
        """Share of vocabulary types that found a vector."""
        return self.found_types / self.types if self.types else 0.0

    @property
    def token_coverage(self) -> float | None:
        """Share of dataset-1 tokens (by count) that found a vector, if counts are known."""
        if self.tokens_by_kind is None or not self.tokens:
            return None
        found = sum(n for k, n in self.tokens_by_kind.items() if k in PRETRAINED_KINDS)
        return found / self.tokens

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready report, as stored in the manifest."""
        return {
            "types": self.types,
            "found_types": self.found_types,
            "type_coverage": round(self.type_coverage, 6),
            "types_by_kind": self.types_by_kind,
            "tokens": self.tokens,
            "token_coverage": None
            if self.token_coverage is None
            else round(self.token_coverage, 6),
            "tokens_by_kind": self.tokens_by_kind,
            "top_missing": [[t, c] for t, c in self.top_missing],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Coverage:
        """Rebuild a report stored with :meth:`to_dict`."""
        return cls(
            types=data["types"],
            types_by_kind=dict(data["types_by_kind"]),
            tokens=data.get("tokens"),
            tokens_by_kind=data.get("tokens_by_kind"),
            top_missing=[(t, c) for t, c in data.get("top_missing", [])],
        )


@dataclass
class Alignment:
    """The result of :func:`align`.

    Attributes:
        vocab: the task vocabulary.
        kinds: match kind of every row (see the module table).
        source_rows: for each row, the row of the word vectors it takes, or -1.
        fallbacks: the fallback chain that was applied, in order.
        coverage: the coverage report.
    """

    vocab: Vocab
    kinds: list[str]
    source_rows: np.ndarray
    fallbacks: tuple[str, ...]
    coverage: Coverage

    @property
    def found(self) -> np.ndarray:
        """Boolean mask of rows that found a vector."""
        return self.source_rows >= 0


def _match(token: str, vectors: WordVectors, fallbacks: Sequence[str]) -> tuple[str, int]:
    for step in fallbacks:
        if step == "exact":
            row = vectors.row(token)
        elif step == "lowercase":
            row = vectors.row_lower(token)
        else:
            row = vectors.row_subword(token)
        if row is not None:
            return step, row
    return "fill", -1


def _coverage(vocab: Vocab, kinds: list[str], top: int) -> Coverage:
    rows = range(len(vocab.specials), len(vocab))
    types_by_kind = {k: 0 for k in KINDS if k not in ("pad", "special")}
    for row in rows:
        types_by_kind[kinds[row]] += 1
    coverage = Coverage(types=len(rows), types_by_kind=types_by_kind)
    missing = [row for row in rows if kinds[row] == "fill"]
    if vocab.counts is not None:
        counts = vocab.counts
        tokens_by_kind = dict.fromkeys(types_by_kind, 0)
        for row in rows:
            tokens_by_kind[kinds[row]] += counts[row]
        coverage.tokens = sum(tokens_by_kind.values())
        coverage.tokens_by_kind = tokens_by_kind
        missing.sort(key=lambda r: (-counts[r], r))
        coverage.top_missing = [(vocab.tokens[r], counts[r]) for r in missing[:top]]
    else:
        coverage.top_missing = [(vocab.tokens[r], None) for r in missing[:top]]
    return coverage


def align(
    vocab: Vocab,
    vectors: WordVectors,
    *,
    fallbacks: Sequence[str] = FALLBACKS,
    top_missing: int = 20,
) -> Alignment:
    """Find a vector for every vocabulary row, trying each fallback in order.

    Args:
        vocab: the task vocabulary.
        vectors: trained or pretrained word vectors.
        fallbacks: ordered steps among ``"exact"``, ``"lowercase"`` and
            ``"subword"`` (which finds rows only in vectors that have them).
        top_missing: how many missing tokens the coverage report lists.

    Returns:
        An :class:`Alignment` with per-row kinds and the coverage report.

    Raises:
        InputError: an unknown or repeated fallback step.
    """
    fallbacks = tuple(fallbacks)
    unknown = [s for s in fallbacks if s not in FALLBACKS]
    if not fallbacks or unknown or len(set(fallbacks)) != len(fallbacks):
        raise InputError(
            f"fallback chain {list(fallbacks)} is invalid; use one or more distinct steps among "
            f"{', '.join(FALLBACKS)}"
        )
    kinds: list[str] = []
    source_rows = np.full(len(vocab), -1, dtype=np.int64)
    for row, token in enumerate(vocab.tokens):
        if vocab.is_special(row):
            kinds.append("pad" if row == vocab.pad_id else "special")
            continue
        kind, source = _match(token, vectors, fallbacks)
        kinds.append(kind)
        source_rows[row] = source
    coverage = _coverage(vocab, kinds, top_missing)
    return Alignment(vocab, kinds, source_rows, fallbacks, coverage)
