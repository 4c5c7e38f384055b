"""``evaluate()``: word similarity and analogies of an artifact or a vectors file.

The source is opened, its first ``restrict_vocab`` rows become the table
searched (:mod:`aligner.evaluate.table`), and every set is scored against it
(:mod:`aligner.evaluate.similarity`, :mod:`aligner.evaluate.analogy`). The
figures equal those of gensim's ``evaluate_word_pairs`` and
``evaluate_word_analogies`` (defaults) on the same rows.

In an artifact only rows that found a vector count: rows filled at random
(kind ``fill``) are left out unless ``include_filled``, and the padding and
special rows always are; the :class:`Evaluation` says how many were left out,
and each set how many of its items that cost.

Example:
    >>> result = aligner.evaluate("build/demo")  # doctest: +SKIP
    >>> result.similarity[0].spearman, result.analogy[0].accuracy("3cosadd")  # doctest: +SKIP
    (0.64, 0.71)
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aligner.errors import InputError
from aligner.evaluate.analogy import METHODS, AnalogyResult, check_methods, evaluate_analogies
from aligner.evaluate.lookup import first_twins
from aligner.evaluate.sets import (
    BUNDLED,
    AnalogySet,
    SimilaritySet,
    bundled_set,
    read_analogies,
    read_similarity,
)
from aligner.evaluate.similarity import SimilarityResult, evaluate_similarity
from aligner.evaluate.table import Table, make_table
from aligner.progress import SILENT, Progress
from aligner.vectors import WordVectors

if TYPE_CHECKING:
    from aligner.artifact import Artifact

__all__ = ["NOT_FOUND_KINDS", "RESTRICT_VOCAB", "Evaluation", "evaluate"]

RESTRICT_VOCAB = 300_000
#: artifact rows that did not find a vector; ``fill`` rows count with include_filled
NOT_FOUND_KINDS = frozenset({"fill", "pad", "special"})

Source = str | os.PathLike[str]


@dataclass
class Evaluation:
    """The figures of one source on every set, with what they cover.

    Attributes:
        source: the artifact directory or vectors file (or a description).
        kind: ``"artifact"``, the vectors file's format, or ``"vectors"``.
        dim: vector dimension.
        rows: rows the source offered (an artifact's found rows, or all with
            ``include_filled``; a file's rows read, at most ``restrict_vocab``).
        searched: rows searched: the first ``restrict_vocab`` of ``rows``.
        restrict_vocab: the limit asked for.
        case_insensitive: words compared in upper case (gensim's default).
        include_filled: whether an artifact's filled rows counted.
        left_out: artifact rows left out, by kind (``fill``, ``pad``, ``special``).
        read: a vectors file's read counts
            (:class:`~aligner.pretrained.formats.ReadStats`: repeated keys,
            malformed and non-finite rows skipped); ``None`` for an artifact
            or in-memory vectors.
        similarity: one result per similarity set.
        analogy: one result per analogy set.
    """

    source: str
    kind: str
    dim: int
    rows: int
    searched: int
    restrict_vocab: int
    case_insensitive: bool
    include_filled: bool
    left_out: dict[str, int] = field(default_factory=dict)
    read: dict[str, Any] | None = None
    similarity: list[SimilarityResult] = field(default_factory=list)
    analogy: list[AnalogyResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the settings, the rows left out, and every set's figures."""
        return {
            "source": self.source,
            "kind": self.kind,
            "dim": self.dim,
            "rows": self.rows,
            "searched": self.searched,
            "restrict_vocab": self.restrict_vocab,
            "case_insensitive": self.case_insensitive,
            "include_filled": self.include_filled,
            "left_out": dict(self.left_out),
            "read": None if self.read is None else dict(self.read),
            "similarity": [r.to_dict() for r in self.similarity],
            "analogy": [r.to_dict() for r in self.analogy],
        }


def evaluate(
    source: Source | Artifact | WordVectors,
    *,
    sets: Sequence[str] | None = None,
    similarity: Source | Sequence[Source] = (),
    analogy: Source | Sequence[Source] = (),
    methods: str | Sequence[str] = METHODS,
    restrict_vocab: int = RESTRICT_VOCAB,
    case_insensitive: bool = True,
    include_filled: bool = False,
    format: str | None = None,
    member: str | None = None,
    skip_bad_rows: bool = False,
    progress: Progress = SILENT,
) -> Evaluation:
    """Evaluate vectors on word-similarity and analogy sets.

    Args:
        source: an artifact directory (or opened :class:`~aligner.artifact.Artifact`),
            a vectors file in any format aligner reads (plain or compressed),
            or :class:`~aligner.vectors.WordVectors`.
        sets: bundled sets by name (:data:`~aligner.evaluate.sets.BUNDLED`);
            ``None``: all of them when no file of your own is given, else none.
        similarity: your word-similarity files (``word1<TAB>word2<TAB>score``),
            or one such file.
        analogy: your analogy files (``a b c d`` lines, ``: section`` lines),
            or one such file.
        methods: analogy methods, ``"3cosadd"`` and/or ``"3cosmul"`` (or one name).
        restrict_vocab: search only the first this many rows (the most
            frequent words, in a source sorted by frequency), as gensim does.
        case_insensitive: compare words in upper case; of several keys
            equal up to case, the first row counts (gensim's default).
        include_filled: in an artifact, count rows filled at random too.
        format: the vectors file's format (detected when ``None``).
        member: the member to read inside a zip archive.
        skip_bad_rows: skip (and count, in ``read``) malformed rows of a
            vectors file instead of failing.
        progress: receives bars for reading and for the analogies.

    Returns:
        An :class:`Evaluation`.

    Raises:
        EvalSetError: a malformed set file (the message names the line), or
            one of your files with no item in the vocabulary.
        InputError: bad options (no set, ``restrict_vocab`` < 1, options
            that do not apply to the source).
        ArtifactError, VectorsFormatError: the source cannot be read.

    Example:
        >>> ev = evaluate("vectors.vec.gz", sets=["wordsim353"])  # doctest: +SKIP
        >>> ev.similarity[0].spearman, ev.similarity[0].used  # doctest: +SKIP
        (0.66, 350)
    """
    if restrict_vocab < 1:
        raise InputError(f"restrict_vocab must be at least 1, got {restrict_vocab}")
    loaded = _read_sets(sets, _paths(similarity), _paths(analogy))  # fail before a long read
    if any(isinstance(s, AnalogySet) for s, _ in loaded):
        methods = check_methods([methods] if isinstance(methods, str) else methods)
    reading = {"format": format, "member": member, "skip_bad_rows": skip_bad_rows}
    table, evaluation = _open(
        source, restrict_vocab, case_insensitive, include_filled, reading, progress
    )
    for one, mine in loaded:
        if isinstance(one, SimilaritySet):
            evaluation.similarity.append(evaluate_similarity(table, one, require=mine))
        else:
            evaluation.analogy.append(
                evaluate_analogies(table, one, methods=methods, require=mine, progress=progress)
            )
    return evaluation


def _paths(files: Source | Sequence[Source]) -> Sequence[Source]:
    """One file, or several, as a sequence (a lone path is not iterated letter by letter)."""
    return [files] if isinstance(files, str | os.PathLike) else files


def _read_sets(
    names: Sequence[str] | None, similarity: Sequence[Source], analogy: Sequence[Source]
) -> list[tuple[SimilaritySet | AnalogySet, bool]]:
    """Every set, with whether it is the user's own file (then it must be covered)."""
    if isinstance(names, str):
        names = [names]
    if names is None:
        names = [] if (similarity or analogy) else list(BUNDLED)
    loaded: list[tuple[SimilaritySet | AnalogySet, bool]] = [
        (bundled_set(name), False) for name in dict.fromkeys(names)
    ]
    loaded += [(read_similarity(path), True) for path in similarity]
    loaded += [(read_analogies(path), True) for path in analogy]
    if not loaded:
        raise InputError("no evaluation set: name a bundled set or pass a file of your own")
    return loaded


def _open(
    source: Source | Artifact | WordVectors,
    limit: int,
    case_insensitive: bool,
    include_filled: bool,
    reading: dict[str, Any],
    progress: Progress,
) -> tuple[Table, Evaluation]:
    """The table searched and an Evaluation holding the source's facts.

    ``reading`` holds read_vectors' options for a vectors file (format, member,
    skip_bad_rows).
    """
    from aligner.artifact import Artifact, open_artifact

    vectors_file = not isinstance(source, WordVectors | Artifact) and not Path(source).is_dir()
    if not vectors_file and any(reading.values()):
        raise InputError(
            "format, member and skip_bad_rows apply to vectors files, not to an artifact"
        )
    if not vectors_file and not isinstance(source, WordVectors | Artifact):
        source = open_artifact(source)
    if isinstance(source, Artifact):
        return _artifact_table(source, limit, case_insensitive, include_filled)
    if include_filled:
        raise InputError("include_filled applies to artifacts, whose rows say how they were made")
    if isinstance(source, WordVectors):
        words = len(source.keys) - source.n_subword
        table = make_table(source.keys[:words], source.vectors[:words], limit=limit,
                           case_insensitive=case_insensitive)  # fmt: skip
        return table, _facts(table, str(source.source.get("path", "vectors")), "vectors",
                             words, limit, include_filled)  # fmt: skip
    from aligner.pretrained.formats import read_vectors

    head = read_vectors(source, limit=limit, progress=progress, **reading)
    vectors = head.vectors
    table = make_table(vectors.keys, vectors.vectors, limit=limit,
                       case_insensitive=case_insensitive)  # fmt: skip
    evaluation = _facts(table, str(source), head.format, len(vectors), limit, include_filled)
    evaluation.read = head.stats.to_dict()
    return table, evaluation


def _artifact_table(
    artifact: Artifact, limit: int, case_insensitive: bool, include_filled: bool
) -> tuple[Table, Evaluation]:
    """The artifact's found rows (and filled ones with include_filled), in row order.

    Twin rows (one vector under one folded key, given by a fallback step) are
    one word to the analogies, as case variants are.
    """
    leave = NOT_FOUND_KINDS - ({"fill"} if include_filled else set())
    kinds = artifact.provenance
    rows = [i for i, kind in enumerate(kinds) if kind not in leave]
    tokens = artifact.vocab.tokens
    searched = rows[:limit]
    left = [tokens[i] for i, kind in enumerate(kinds) if kind == "fill" and kind in leave]
    table = Table([tokens[i] for i in searched], artifact.vectors[searched],
                  case_insensitive=case_insensitive, left_out=left, limit=limit,
                  twins=first_twins(artifact, searched))  # fmt: skip
    evaluation = _facts(table, str(artifact.path), "artifact", len(rows), limit, include_filled)
    evaluation.dim = artifact.dim
    evaluation.left_out = dict(Counter(kind for kind in kinds if kind in leave))
    return table, evaluation


def _facts(
    table: Table, source: str, kind: str, rows: int, limit: int, include_filled: bool
) -> Evaluation:
    return Evaluation(
        source=source,
        kind=kind,
        dim=int(table.vectors.shape[1]),
        rows=rows,
        searched=len(table),
        restrict_vocab=limit,
        case_insensitive=table.case_insensitive,
        include_filled=include_filled,
    )
