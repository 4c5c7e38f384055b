"""Match task-vocabulary rows to word vectors through a fallback chain.

Each vocabulary row gets a *kind* saying where its vector comes from:

========== ===========================================================
kind       meaning
========== ===========================================================
pad        the padding row, all zeros
special    another special token (``<unk>``), filled like missing rows
exact      the vectors have the token as is
lowercase  the vectors have it only up to case (``The`` → ``the``)
accents    ... only up to accents and compatibility forms (``Café`` → ``cafe``,
           ``ﬁnal`` → ``final``)
digits     ... only up to its digits (``1984`` → ``2001``, or ``##`` as in
           word2vec GoogleNews)
subword    composed from subword n-grams (fastText ``.bin`` models) or from
           sentencepiece pieces (:mod:`aligner.pieces`)
fill       no vector: filled by :mod:`aligner.fill`
========== ===========================================================

The chain is an ordered tuple of distinct steps among :data:`FALLBACKS`;
omitted steps are off, the first step that finds a row wins, and ``fill`` is
always last (it is :mod:`aligner.fill`'s job, not a step). The normalising
steps (``lowercase``, ``accents``, ``digits``) fold *cumulatively*: a step
compares a token and a vector key through a :class:`~aligner.vectors.Fold` made of itself and
every normalising step before it in the chain. With the full chain,
``lowercase`` compares ``t.lower()``, ``accents`` compares
``strip_accents(t).lower()``, and ``digits`` that with every decimal digit
replaced by ``0``, then (second try) by ``#``. Among the vector keys that fold
to the token's fold, the first row (file order) wins.

Example:
    >>> import numpy as np
    >>> from aligner.vectors import WordVectors
    >>> from aligner.vocab import Vocab
    >>> wv = WordVectors(["the", "guitar", "cafe", "####"], np.eye(4, dtype=np.float32))
    >>> a = align(Vocab(["The", "guitar", "Café", "1984", "zorblax"]), wv)
    >>> a.kinds
    ['pad', 'special', 'lowercase', 'exact', 'accents', 'digits', 'fill']
    >>> round(a.coverage.type_coverage, 3)
    0.8
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

import numpy as np

from aligner.errors import CoverageError, InputError
from aligner.vectors import DIGIT_MARKS, Fold, WordVectors
from aligner.vocab import Vocab

__all__ = [
    "BANDS",
    "FALLBACKS",
    "KINDS",
    "NORMALISING",
    "PRETRAINED_KINDS",
    "Alignment",
    "Band",
    "Coverage",
    "CoverageShortfall",
    "align",
    "check_fallbacks",
    "step_folds",
]

FALLBACKS = ("exact", "lowercase", "accents", "digits", "subword")
#: the steps that compare folded keys (the others compare keys as they are)
NORMALISING = ("lowercase", "accents", "digits")
KINDS = ("pad", "special", "exact", "lowercase", "accents", "digits", "subword", "fill")
#: kinds whose vectors come from the word vectors (frozen in "partial" mode)
PRETRAINED_KINDS = frozenset({"exact", "lowercase", "accents", "digits", "subword"})
#: frequency bands of the coverage report: name, first rank, end rank
BANDS = (("top 1k", 0, 1_000), ("1k-10k", 1_000, 10_000), ("rest", 10_000, None))


def check_fallbacks(fallbacks: Sequence[str]) -> tuple[str, ...]:
    """Check a fallback chain.

    Args:
        fallbacks: ordered steps among :data:`FALLBACKS`.

    Returns:
        The chain as a tuple.

    Raises:
        InputError: an empty chain, or an unknown or repeated step.
    """
    chain = tuple(fallbacks)
    unknown = [s for s in chain if s not in FALLBACKS]
    if not chain or unknown or len(set(chain)) != len(chain):
        raise InputError(
            f"fallback chain {list(chain)} is invalid; use one or more distinct steps among "
            f"{', '.join(FALLBACKS)} (fill is always last and not named)"
        )
    return chain


def step_folds(fallbacks: Sequence[str]) -> dict[str, tuple[Fold, ...]]:
    """The folds each normalising step of the chain tries, in order.

    Args:
        fallbacks: the fallback chain.

    Returns:
        For each normalising step of the chain, its folds: one, or two (marks
        ``0`` then ``#``) from the ``digits`` step on.

    Example:
        >>> [f.name for f in step_folds(FALLBACKS)["digits"]]
        ['accents+lowercase+digits0', 'accents+lowercase+digits#']

    Raises:
        InputError: an invalid chain (see :func:`check_fallbacks`).
    """
    on: set[str] = set()
    folds: dict[str, tuple[Fold, ...]] = {}
    for step in check_fallbacks(fallbacks):
        if step in NORMALISING:
            on.add(step)
            marks = DIGIT_MARKS if "digits" in on else (None,)
            folds[step] = tuple(Fold("lowercase" in on, "accents" in on, m) for m in marks)
    return folds


@dataclass
class Band:
    """Coverage of one frequency band of the vocabulary (see :data:`BANDS`).

    Attributes:
        name: ``"top 1k"``, ``"1k-10k"`` or ``"rest"``.
        types: vocabulary types in the band.
        found_types: those that found a vector.
        tokens: their total count, if counts are known.
        found_tokens: the count of those found, if counts are known.
    """

    name: str
    types: int
    found_types: int
    tokens: int | None = None
    found_tokens: int | None = None

    @property
    def type_coverage(self) -> float:
        """Share of the band's types that found a vector (0 for an empty band)."""
        return self.found_types / self.types if self.types else 0.0

    @property
    def token_coverage(self) -> float | None:
        """Share of the band's tokens that found a vector, if counts are known."""
        if self.tokens is None or self.found_tokens is None or not self.tokens:
            return None
        return self.found_tokens / self.tokens


class CoverageShortfall(CoverageError):
    """Coverage is below the required minimum; the error carries the report.

    Attributes:
        coverage: the coverage report that fell short.
        warnings: what the build found likely to be the cause (see
            :func:`aligner.diagnose.build_warnings`), when a build raised it.
    """

    def __init__(self, message: str, coverage: Coverage) -> None:
        super().__init__(message)
        self.coverage = coverage
        self.warnings: list[str] = []


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
        bands: coverage by frequency band (:data:`BANDS`): ranks go by count,
            descending, ties by row order; without counts, by row order, which
            is frequency order for the usual vocabulary files (most frequent
            first). Empty in reports written before bands existed.
    """

    types: int
    types_by_kind: dict[str, int]
    tokens: int | None = None
    tokens_by_kind: dict[str, int] | None = None
    top_missing: list[tuple[str, int | None]] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)

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

    @property
    def type_shares(self) -> dict[str, float]:
        """Share of vocabulary types per match kind."""
        return {k: n / self.types if self.types else 0.0 for k, n in self.types_by_kind.items()}

    @property
    def token_shares(self) -> dict[str, float] | None:
        """Share of dataset-1 tokens per match kind, if counts are known."""
        if self.tokens_by_kind is None or not self.tokens:
            return None
        return {k: n / self.tokens for k, n in self.tokens_by_kind.items()}

    def require(self, minimum: float) -> None:
        """Raise unless coverage reaches ``minimum`` (reaching it exactly is enough).

        Args:
            minimum: the required share, within [0, 1]. It is compared with
                token coverage when counts are known, else with type coverage.

        Raises:
            InputError: ``minimum`` is not within [0, 1].
            CoverageShortfall: coverage is below ``minimum`` (a
                :class:`~aligner.errors.CoverageError` carrying this report).
        """
        if not 0.0 <= minimum <= 1.0:
            raise InputError(f"minimum coverage must be within 0 and 1, got {minimum}")
        measured, what = self.token_coverage, "token"
        if measured is None:
            measured, what = self.type_coverage, "type"
        if measured < minimum:
            raise CoverageShortfall(
                f"{what} coverage {_below(measured, minimum)} is below --min-coverage "
                f"{minimum}; add pretrained vectors with more of the vocabulary, enable more "
                "fallbacks, or lower --min-coverage",
                self,
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready report, as stored in the manifest."""
        bands = [
            asdict(b) | {"type_coverage": _rounded(b.type_coverage)}
            | {"token_coverage": _rounded(b.token_coverage)}
            for b in self.bands
        ]  # fmt: skip
        return {
            "types": self.types,
            "found_types": self.found_types,
            "type_coverage": _rounded(self.type_coverage),
            "types_by_kind": self.types_by_kind,
            "type_shares": _rounded(self.type_shares),
            "tokens": self.tokens,
            "token_coverage": _rounded(self.token_coverage),
            "tokens_by_kind": self.tokens_by_kind,
            "token_shares": _rounded(self.token_shares),
            "top_missing": [[t, c] for t, c in self.top_missing],
            "bands": bands,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Coverage:
        """Rebuild a report stored with :meth:`to_dict` (older reports too)."""
        fields = ("name", "types", "found_types", "tokens", "found_tokens")
        return cls(
            types=data["types"],
            types_by_kind=dict(data["types_by_kind"]),
            tokens=data.get("tokens"),
            tokens_by_kind=data.get("tokens_by_kind"),
            top_missing=[(t, c) for t, c in data.get("top_missing", [])],
            bands=[Band(*(b.get(f) for f in fields)) for b in data.get("bands") or []],
        )


def _rounded(value: Any) -> Any:
    """A share (or a dict of shares) rounded to 6 decimals; ``None`` stays ``None``."""
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return None if value is None else round(value, 6)


def _below(value: float, limit: float) -> str:
    """``value`` printed with 3 decimals, or more where 3 would not show it below ``limit``."""
    for digits in range(3, 10):
        text = f"{value:.{digits}f}"
        if float(text) < limit:
            return text
    return repr(value)


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


Finder = Callable[[str], int | None]


def _finders(vectors: WordVectors, fallbacks: tuple[str, ...]) -> list[tuple[str, Finder]]:
    """(kind, lookup) pairs in the order they are tried; fold indexes are built lazily."""
    folds = step_folds(fallbacks)
    finders: list[tuple[str, Finder]] = []
    for step in fallbacks:
        if step == "exact":
            finders.append((step, vectors.row))
        elif step == "subword":
            finders.append((step, vectors.row_subword))
        else:
            finders += [
                (step, partial(vectors.row_folded, f.name, f.function)) for f in folds[step]
            ]
    return finders


def _bands(ranked: list[int], kinds: list[str], counts: list[int] | None) -> list[Band]:
    bands = []
    for name, start, stop in BANDS:
        rows = ranked[start:stop]
        found = [r for r in rows if kinds[r] in PRETRAINED_KINDS]
        band = Band(name, len(rows), len(found))
        if counts is not None:
            band.tokens = sum(counts[r] for r in rows)
            band.found_tokens = sum(counts[r] for r in found)
        bands.append(band)
    return bands


def _coverage(vocab: Vocab, kinds: list[str], top: int) -> Coverage:
    rows = range(len(vocab.specials), len(vocab))
    counts = vocab.counts
    types_by_kind = {k: 0 for k in KINDS if k not in ("pad", "special")}
    for row in rows:
        types_by_kind[kinds[row]] += 1
    coverage = Coverage(types=len(rows), types_by_kind=types_by_kind)
    ranked = list(rows) if counts is None else sorted(rows, key=lambda r: -counts[r])
    missing = [r for r in ranked if kinds[r] == "fill"][:top]
    coverage.top_missing = [
        (vocab.tokens[r], None if counts is None else counts[r]) for r in missing
    ]
    coverage.bands = _bands(ranked, kinds, counts)
    if counts is not None:
        coverage.tokens_by_kind = dict.fromkeys(types_by_kind, 0)
        for row in rows:
            coverage.tokens_by_kind[kinds[row]] += counts[row]
        coverage.tokens = sum(coverage.tokens_by_kind.values())
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
        fallbacks: ordered distinct steps among :data:`FALLBACKS` (see the
            module docstring); ``"subword"`` finds rows only in vectors that
            have composed rows (``n_subword``).
        top_missing: how many missing tokens the coverage report lists.

    Returns:
        An :class:`Alignment` with per-row kinds and the coverage report.

    Raises:
        InputError: an empty chain, or an unknown or repeated fallback step.
    """
    chain = check_fallbacks(fallbacks)
    finders = _finders(vectors, chain)
    kinds: list[str] = []
    source_rows = np.full(len(vocab), -1, dtype=np.int64)
    for row, token in enumerate(vocab.tokens):
        if vocab.is_special(row):
            kinds.append("pad" if row == vocab.pad_id else "special")
            continue
        kind = "fill"
        for step, find in finders:
            source = find(token)
            if source is not None:
                kind, source_rows[row] = step, source
                break
        kinds.append(kind)
    return Alignment(vocab, kinds, source_rows, chain, _coverage(vocab, kinds, top_missing))
