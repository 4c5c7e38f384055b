"""Evaluation sets: word pairs scored by people, and analogy questions.

Similarity sets have one pair per line, ``word1<TAB>word2<TAB>score``; lines
starting with ``#`` are comments and blank lines are skipped. Analogy sets
have one question per line, ``a b c d`` ("a is to b as c is to d"), grouped
by ``: section`` lines; blank and ``#`` lines are skipped, and questions
before the first section line form a section named after the file.

Words are kept exactly as written (case is folded when evaluating), so the
pairs and questions are those gensim's ``evaluate_word_pairs`` and
``evaluate_word_analogies`` read, with one difference: a line gensim would
skip silently (no tab, a score that is not a number, not four words) is an
error here that names the file and the line.

The bundled sets are the copies gensim ships in ``gensim/test/test_data``
(found without importing gensim):

============== ============================== ==========
``wordsim353`` WordSimilarity-353, 353 pairs  similarity
``simlex999``  SimLex-999, 999 pairs          similarity
``google``     Google analogies, 19,544 ones  analogy
============== ============================== ==========

Example:
    >>> pairs = read_similarity("my_pairs.tsv")  # doctest: +SKIP
    >>> pairs.pairs[0]  # doctest: +SKIP
    Pair(a='tiger', b='cat', score=7.35, line=3)
"""

from __future__ import annotations

import importlib.util
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from aligner.corpus_io import text_lines
from aligner.errors import EvalSetError

__all__ = [
    "BUNDLED",
    "AnalogySet",
    "Pair",
    "Question",
    "SimilaritySet",
    "bundled_path",
    "bundled_set",
    "read_analogies",
    "read_similarity",
]

#: bundled set name → (kind, file name in gensim's test data)
BUNDLED = {
    "wordsim353": ("similarity", "wordsim353.tsv"),
    "simlex999": ("similarity", "simlex999.txt"),
    "google": ("analogy", "questions-words.txt"),
}
#: the longest line read, in bytes: a longer one is an error naming the line
MAX_LINE = 1 << 20
SIMILARITY_FORMAT = "'word1<TAB>word2<TAB>score' lines ('#' starts a comment)"
ANALOGY_FORMAT = "lines of 4 words 'a b c d' (a is to b as c is to d), ': section' lines between"


@dataclass(frozen=True)
class Pair:
    """One scored word pair and the line it was read from (1-based)."""

    a: str
    b: str
    score: float
    line: int


@dataclass(frozen=True)
class Question:
    """One analogy question ``a : b :: c : d``, its section's index and line (1-based)."""

    a: str
    b: str
    c: str
    d: str
    section: int
    line: int


@dataclass
class SimilaritySet:
    """Word pairs with human similarity scores.

    Attributes:
        name: the bundled name, or the file's name.
        path: the file read.
        pairs: the pairs, in file order.
    """

    name: str
    path: Path
    pairs: list[Pair] = field(default_factory=list)


@dataclass
class AnalogySet:
    """Analogy questions grouped in sections.

    Attributes:
        name: the bundled name, or the file's name.
        path: the file read.
        sections: section names, in file order.
        questions: the questions, in file order.
    """

    name: str
    path: Path
    sections: list[str] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)


def bundled_path(name: str) -> Path:
    """The file of a bundled set, from gensim's installed test data.

    Raises:
        EvalSetError: an unknown name, or gensim's test data is not installed.

    Example:
        >>> bundled_path("wordsim353").name
        'wordsim353.tsv'
    """
    if name not in BUNDLED:
        raise EvalSetError(f"unknown bundled set {name!r}; choose one of: {', '.join(BUNDLED)}")
    spec = importlib.util.find_spec("gensim")
    if spec is None or spec.origin is None:
        raise EvalSetError(
            f"the bundled set {name!r} comes with gensim, which is not installed; "
            "install gensim or pass your own file"
        )
    path = Path(spec.origin).parent / "test" / "test_data" / BUNDLED[name][1]
    if not path.is_file():
        raise EvalSetError(
            f"the bundled set {name!r} is missing from gensim's test data ({path}); "
            "reinstall gensim or pass your own file"
        )
    return path


def bundled_set(name: str) -> SimilaritySet | AnalogySet:
    """Read a bundled set by name (see :data:`BUNDLED`).

    Raises:
        EvalSetError: see :func:`bundled_path`.

    Example:
        >>> len(bundled_set("simlex999").pairs)
        999
    """
    path = bundled_path(name)
    if BUNDLED[name][0] == "similarity":
        return read_similarity(path, name=name)
    return read_analogies(path, name=name)


def _lines(path: Path) -> list[str]:
    """The file's lines (split at ``\\n``, a final ``\\r`` dropped), decoded as UTF-8.

    A line longer than :data:`MAX_LINE` bytes is an error (memory stays bounded).
    """
    if not path.is_file():
        problem = "is not a file" if path.exists() else "does not exist"
        raise EvalSetError(f"evaluation set {path} {problem}; check the path")
    remedy = "this is not an evaluation set (one pair or question per line)"
    try:
        with path.open("rb") as fh:
            found = text_lines(fh, path, limit=MAX_LINE, error=EvalSetError, remedy=remedy)
            return [line for _, line in found]
    except OSError as exc:
        raise EvalSetError(
            f"cannot read evaluation set {path} ({exc.strerror or exc}); check the file"
        ) from None


def read_similarity(path: str | os.PathLike[str], *, name: str | None = None) -> SimilaritySet:
    """Read a word-similarity set: ``word1<TAB>word2<TAB>score`` per line.

    Args:
        path: the file (UTF-8 text).
        name: the set's name in reports (default: the file's name).

    Returns:
        A :class:`SimilaritySet`.

    Raises:
        EvalSetError: a line without a tab, with other than 3 fields, or a
            score that is not a finite number (the message names the line);
            a file without any pair.

    Example:
        >>> read_similarity("pairs.tsv").pairs[0].score  # doctest: +SKIP
        7.35
    """
    path = Path(path)
    result = SimilaritySet(name or path.name, path)
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        where = f"{path}, line {number}"
        if len(fields) == 1:
            raise EvalSetError(f"{where}: no tab in {line[:60]!r}; expected {SIMILARITY_FORMAT}")
        if len(fields) != 3:
            raise EvalSetError(
                f"{where}: {len(fields)} tab-separated fields, expected 3: {SIMILARITY_FORMAT}"
            )
        result.pairs.append(Pair(fields[0], fields[1], _score(fields[2], where), number))
    if not result.pairs:
        raise EvalSetError(f"{path}: no word pairs in the file; expected {SIMILARITY_FORMAT}")
    return result


def _score(text: str, where: str) -> float:
    try:
        score = float(text)
    except ValueError:
        score = math.nan
    if not math.isfinite(score):
        raise EvalSetError(
            f"{where}: the score {text.strip()[:30]!r} is not a number; "
            "the third field must be the pair's score, such as 7.35"
        )
    return score


def read_analogies(path: str | os.PathLike[str], *, name: str | None = None) -> AnalogySet:
    """Read an analogy set: ``a b c d`` per line, in ``: section`` groups.

    Args:
        path: the file (UTF-8 text).
        name: the set's name in reports (default: the file's name).

    Returns:
        An :class:`AnalogySet`.

    Raises:
        EvalSetError: a question line without exactly 4 words (the message
            names the line), or a file without any question.

    Example:
        >>> read_analogies("analogies.txt").sections  # doctest: +SKIP
        ['capitals', 'plurals']
    """
    path = Path(path)
    result = AnalogySet(name or path.name, path)
    for number, line in enumerate(_lines(path), start=1):
        if line.startswith(": "):
            result.sections.append(line.lstrip(": ").strip())
            continue
        words = line.split()
        if not words or line.startswith("#"):
            continue
        if len(words) != 4:
            raise EvalSetError(
                f"{path}, line {number}: {len(words)} words, expected 4; the file needs "
                f"{ANALOGY_FORMAT}"
            )
        if not result.sections:
            result.sections.append(path.stem)
        a, b, c, d = words
        result.questions.append(Question(a, b, c, d, len(result.sections) - 1, number))
    if not result.questions:
        raise EvalSetError(f"{path}: no analogy questions in the file; expected {ANALOGY_FORMAT}")
    return result
