"""Find a word's row in an artifact, through the artifact's own fallback chain.

A word in the vocabulary is its own row. Any other word is folded the way the
build folded task tokens, step by step in the manifest's chain order
(``lowercase``, then ``accents``, then ``digits``, each fold cumulative, see
:mod:`aligner.align`), and compared with the vocabulary tokens folded the same
way. Among the rows a folded key reaches, one that found a vector at build
time wins over a filled one, then the first (most frequent) row. ``subword``
is never tried: composing a vector from n-grams needs the source vectors,
which an artifact does not keep.

Two rows are *twins* when they hold the same vector and fold to the same key
(:func:`twin_fold`): ``Guitar`` found through the ``lowercase`` fallback has
the vector of ``guitar``. The neighbour lists show twins once.

Example:
    >>> art = aligner.load("build/demo")  # doctest: +SKIP
    >>> find_row(art, "GUITAR")  # doctest: +SKIP
    Match(query='GUITAR', row=57, token='guitar', step='lowercase', kind='exact')
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from aligner.align import FALLBACKS, KINDS, NORMALISING, step_folds
from aligner.errors import ArtifactCorruptError, InputError
from aligner.vectors import Fold

if TYPE_CHECKING:
    from aligner.artifact import Artifact

__all__ = [
    "RANDOM_KINDS",
    "Match",
    "fallback_chain",
    "find_row",
    "first_twins",
    "kind_rank",
    "not_found_message",
    "resolve",
    "twin_fold",
    "word_vector",
]

#: row kinds whose vector was drawn at random: it carries no meaning
RANDOM_KINDS = frozenset({"fill", "special"})

#: folded-token indexes per artifact and fold name, built on the first miss
_INDEXES: weakref.WeakKeyDictionary[Artifact, dict[str, dict[str, int]]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class Match:
    """The row a query word answers to.

    Attributes:
        query: the word asked for.
        row: its row in the artifact.
        token: the vocabulary token of that row (``query`` itself when exact).
        step: how the query reached the row: ``exact`` or a fold step
            (``lowercase``, ``accents``, ``digits``).
        kind: the row's build-time provenance (``exact``, ``lowercase``, ...,
            ``fill``).
    """

    query: str
    row: int
    token: str
    step: str
    kind: str

    @property
    def random(self) -> bool:
        """True when the row was filled at random: its neighbours mean nothing."""
        return self.kind in RANDOM_KINDS


def fallback_chain(artifact: Artifact) -> tuple[str, ...]:
    """The fallback chain the artifact was aligned with, ``fill`` left out.

    Artifacts written without an ``alignment`` section get the full default
    chain.

    Raises:
        ArtifactCorruptError: the manifest names an unknown step.

    Example:
        >>> fallback_chain(aligner.load("build/demo"))  # doctest: +SKIP
        ('exact', 'lowercase', 'accents', 'digits', 'subword')
    """
    steps = artifact.manifest.get("alignment", {}).get("fallbacks")
    if steps is None:
        return FALLBACKS
    chain = tuple(s for s in steps if s != "fill")
    unknown = [s for s in chain if s not in FALLBACKS]
    if unknown:
        raise ArtifactCorruptError(
            f"{artifact.path}: the manifest's fallback chain names unknown steps {unknown}; "
            "upgrade aligner or rebuild the artifact"
        )
    return chain


def _folds(chain: Sequence[str]) -> list[tuple[str, Fold]]:
    """(step, fold) pairs of the chain's normalising steps, in the order tried."""
    if not any(s in NORMALISING for s in chain):
        return []
    return [(step, fold) for step, folds in step_folds(chain).items() for fold in folds]


def twin_fold(artifact: Artifact) -> Fold:
    """The fold under which two rows of the same vector count as twins.

    It is the chain's most folding key (every normalising step on); with no
    normalising step it is the identity, and no two rows are twins.
    """
    folds = _folds(fallback_chain(artifact))
    return folds[-1][1] if folds else Fold()


def first_twins(artifact: Artifact, rows: Sequence[int]) -> np.ndarray:
    """For each of ``rows``, the position (in ``rows``) of its first twin; its own when none.

    Twins hold one vector under one key of :func:`twin_fold`: rows that a
    fallback step gave the vector of another token (``Guitar`` and
    ``guitar``). Only rows whose folded key repeats have their vectors compared.

    Example:
        >>> first_twins(aligner.load("build/demo"), [2, 3, 4])  # doctest: +SKIP
        array([0, 0, 2])
    """
    fold, tokens, vectors = twin_fold(artifact), artifact.vocab.tokens, artifact.vectors
    keys = [fold(tokens[row]) for row in rows]
    repeated = {key for key, n in Counter(keys).items() if n > 1}
    out = np.arange(len(keys))
    first: dict[tuple[str, bytes], int] = {}
    for i, (row, key) in enumerate(zip(rows, keys, strict=True)):
        if key in repeated:
            out[i] = first.setdefault((key, np.asarray(vectors[row]).tobytes()), i)
    return out


_KIND_ORDER = {kind: i for i, kind in enumerate(KINDS)}


def kind_rank(kind: str) -> int:
    """Which of several rows stands for them: found ones (``exact`` first) before filled."""
    return _KIND_ORDER.get(kind, len(KINDS))


def _ranks(artifact: Artifact) -> list[int]:
    return [kind_rank(kind) for kind in artifact.provenance]


def _index(artifact: Artifact, fold: Fold) -> dict[str, int]:
    """Folded token → its best row (found before filled, then first)."""
    indexes = _INDEXES.setdefault(artifact, {})
    index = indexes.get(fold.name)
    if index is None:
        ranks, tokens = _ranks(artifact), artifact.vocab.tokens
        index = {}
        for row in range(len(artifact.vocab.specials), len(tokens)):
            key = fold(tokens[row])
            best = index.get(key)
            if best is None or ranks[row] < ranks[best]:
                index[key] = row
        indexes[fold.name] = index
    return index


def find_row(artifact: Artifact, word: str) -> Match | None:
    """The row ``word`` answers to, or ``None``.

    Args:
        artifact: an opened artifact.
        word: any string; a vocabulary token (special ones included) is its
            own row, others go through the artifact's fold steps.

    Returns:
        A :class:`Match`, or ``None`` when no step finds a row.

    Example:
        >>> find_row(aligner.load("build/demo"), "Guitar").token  # doctest: +SKIP
        'guitar'
    """
    row = artifact.vocab.get(word)
    found = ("exact", row) if row is not None else _folded_row(artifact, word)
    if found is None:
        return None
    step, row = found
    return Match(word, row, artifact.vocab.tokens[row], step, artifact.provenance[row])


def _folded_row(artifact: Artifact, word: str) -> tuple[str, int] | None:
    """The first fold step (in chain order) that reaches a row, and that row."""
    for step, fold in _folds(fallback_chain(artifact)):
        row = _index(artifact, fold).get(fold(word))
        if row is not None:
            return step, row
    return None


def not_found_message(artifact: Artifact, word: str) -> str:
    """Why ``word`` has no row: what was tried and what to do instead.

    Example:
        >>> not_found_message(aligner.load("build/demo"), "Zzz9")  # doctest: +SKIP
        "'Zzz9' is not in the vocabulary of build/demo, nor is any token equal to it up to
        lowercase, accents or digits (tried 'zzz9', 'zzz0', 'zzz#'); the subword ..."
    """
    chain = fallback_chain(artifact)
    message = f"{word!r} is not in the vocabulary of {artifact.path}"
    folds = _folds(chain)
    if folds:
        steps = [s for s in NORMALISING if s in chain]
        named = ", ".join(steps[:-1]) + " or " + steps[-1] if len(steps) > 1 else steps[0]
        forms = list(dict.fromkeys(fold(word) for _, fold in folds))
        message += f", nor is any token equal to it up to {named} (tried "
        message += ", ".join(repr(f) for f in forms) + ")"
    if "subword" in chain:
        message += (
            "; the subword fallback cannot run here: it composes vectors from the source's "
            "n-grams, which an artifact does not keep"
        )
    return message + "; add the word to the task vocabulary and rebuild to get a row for it"


def resolve(artifact: Artifact, word: str) -> Match:
    """Like :func:`find_row`, but a word without a row is an error.

    Raises:
        InputError: no row answers to ``word`` (the message says what was tried).
    """
    match = find_row(artifact, word)
    if match is None:
        raise InputError(not_found_message(artifact, word))
    return match


def word_vector(artifact: Artifact, word: str) -> np.ndarray:
    """The vector of ``word`` as a float32 copy (``art["word"]``).

    Raises:
        KeyError: no row answers to ``word``; the message names the artifact
            and the folds tried.
        TypeError: ``word`` is not a string.

    Example:
        >>> word_vector(aligner.load("build/demo"), "Guitar").shape  # doctest: +SKIP
        (50,)
    """
    if not isinstance(word, str):
        raise TypeError(f"an artifact is indexed by words (str), not {type(word).__name__}")
    match = find_row(artifact, word)
    if match is None:
        raise KeyError(not_found_message(artifact, word))
    return np.array(artifact.vectors[match.row], dtype=np.float32)
