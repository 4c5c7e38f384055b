"""Analogies: "a is to b as c is to ?", answered by vector arithmetic.

Two ways of answering, both over the rows of a :class:`Table` (the first
``restrict_vocab`` rows of the vectors):

``3cosadd``
    the row nearest (by cosine) to ``b + c - a`` of the unit vectors: the
    rule of word2vec's ``compute-accuracy`` and of gensim's
    ``evaluate_word_analogies``.
``3cosmul``
    the row maximising ``cos'(x, b) · cos'(x, c) / (cos'(x, a) + 1e-6)`` with
    ``cos' = (1 + cos) / 2`` (Levy & Goldberg 2014, eq. 4; gensim's
    ``most_similar_cosmul``).

The protocol is gensim's with its defaults: a question with a word outside
the table is out of vocabulary, skipped and counted; the rows of ``a``, ``b``
and ``c`` are never answers; of the five best other rows, the first whose
key is not ``a``, ``b`` or ``c`` up to case is the answer, and the question
is correct when it is ``d`` up to case. Accuracy is correct / used, per
section and over the whole set.

Questions are answered in batches: one matrix product scores a batch against
every row, so memory stays near ``memory`` bytes whatever the table's size.

Example:
    >>> result = evaluate_analogies(table, bundled_set("google"))  # doctest: +SKIP
    >>> result.accuracy("3cosadd"), result.used, result.questions  # doctest: +SKIP
    (0.74, 19258, 19544)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aligner.errors import EvalSetError, InputError
from aligner.evaluate.sets import AnalogySet
from aligner.evaluate.table import Table, none_found
from aligner.progress import SILENT, Progress

__all__ = ["METHODS", "TOP", "AnalogyResult", "SectionResult", "evaluate_analogies", "top_answers"]

METHODS = ("3cosadd", "3cosmul")
TOP = 5  # candidates examined per question, as gensim does
MEMORY = 1 << 28  # bytes of scores held at once (about)
EPSILON = np.float32(1e-6)


@dataclass
class SectionResult:
    """One section: its questions, those used, and the correct answers per method."""

    name: str
    questions: int = 0
    used: int = 0
    correct: dict[str, int] = field(default_factory=dict)

    def accuracy(self, method: str) -> float | None:
        """correct / used, ``None`` when no question was used."""
        return self.correct[method] / self.used if self.used else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        accuracy = {m: self.accuracy(m) for m in self.correct}
        return {"name": self.name, "questions": self.questions, "used": self.used,
                "correct": dict(self.correct), "accuracy": accuracy}  # fmt: skip


@dataclass
class AnalogyResult:
    """Accuracy on one analogy set, overall and per section, and what it covers.

    Attributes:
        name: the set's name.
        path: the set's file.
        methods: the methods answered with (see :data:`METHODS`).
        questions: questions in the set.
        used: questions with all four words in the table.
        oov: questions skipped because a word is out of vocabulary
            (``questions == used + oov``).
        left_out: of ``oov``, questions with a word whose row was left out
            (filled at random in an artifact).
        correct: correct answers per method.
        sections: the figures per section, in file order.
    """

    name: str
    path: str
    methods: tuple[str, ...]
    questions: int
    used: int
    oov: int
    left_out: int
    correct: dict[str, int]
    sections: list[SectionResult]

    def accuracy(self, method: str = "3cosadd") -> float | None:
        """correct / used over all sections, ``None`` when no question was used."""
        return self.correct[method] / self.used if self.used else None

    @property
    def coverage(self) -> float:
        """Fraction of the questions used."""
        return self.used / self.questions if self.questions else 0.0

    @property
    def oov_percent(self) -> float:
        """Percentage of questions out of vocabulary (gensim's ``oov_ratio``)."""
        return 100.0 * self.oov / self.questions if self.questions else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures, coverage and sections included."""
        return {
            "name": self.name,
            "path": self.path,
            "accuracy": {m: self.accuracy(m) for m in self.methods},
            "correct": dict(self.correct),
            "questions": self.questions,
            "used": self.used,
            "oov": self.oov,
            "oov_treatment": "skipped",
            "left_out": self.left_out,
            "coverage": self.coverage,
            "sections": [s.to_dict() for s in self.sections],
        }


def check_methods(methods: Sequence[str]) -> tuple[str, ...]:
    """The methods as a tuple, checked.

    Raises:
        InputError: none, or an unknown one.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise InputError(
            f"unknown analogy method(s) {unknown or list(methods)}; "
            f"choose from {', '.join(METHODS)}"
        )
    return tuple(dict.fromkeys(methods))


def evaluate_analogies(
    table: Table,
    questions: AnalogySet,
    *,
    methods: Sequence[str] = METHODS,
    require: bool = False,
    memory: int = MEMORY,
    progress: Progress = SILENT,
) -> AnalogyResult:
    """Answer a set's questions with the table's vectors and count the correct answers.

    Args:
        table: the rows searched (see :func:`aligner.evaluate.table.make_table`).
        questions: the analogy set.
        methods: ``"3cosadd"`` and/or ``"3cosmul"``.
        require: raise when no question has its four words in the table
            (for a user's own file; a bundled set is then reported as uncovered).
        memory: about how many bytes of scores to hold at once.
        progress: receives a bar counting the questions answered.

    Returns:
        An :class:`AnalogyResult`.

    Raises:
        InputError: an unknown method.
        EvalSetError: ``require`` and no question is in the vocabulary.

    Example:
        >>> result = evaluate_analogies(table, read_analogies("mine.txt"))  # doctest: +SKIP
        >>> result.accuracy("3cosmul")  # doctest: +SKIP
        0.5
    """
    methods = check_methods(methods)
    sections = [
        SectionResult(name, correct=dict.fromkeys(methods, 0)) for name in questions.sections
    ]
    rows: list[list[int]] = []
    where: list[int] = []
    left_out = 0
    for question in questions.questions:
        sections[question.section].questions += 1
        words = (question.a, question.b, question.c, question.d)
        found = [table.row(w) for w in words]
        if any(row is None for row in found):
            left_out += any(table.was_left_out(w) for w in words)
            continue
        rows.append([row for row in found if row is not None])
        where.append(question.section)
    if require and not rows:
        items = f"{len(questions.questions)} questions has all four words"
        raise EvalSetError(none_found(questions.path, items, table, left_out))
    quads = np.array(rows, dtype=np.int64).reshape(-1, 4)
    section_of = np.array(where, dtype=np.int64)
    for section, n in zip(sections, _per_section(section_of, len(sections)), strict=True):
        section.used = n
    correct = {}
    for method in methods:
        right = _correct(table, quads, method, memory, progress)
        hits = _per_section(section_of[right], len(sections))
        for section, n in zip(sections, hits, strict=True):
            section.correct[method] = n
        correct[method] = int(right.sum())
    total = len(questions.questions)
    return AnalogyResult(
        questions.name, str(questions.path), methods, total, len(rows), total - len(rows),
        left_out, correct, sections,
    )  # fmt: skip


def _per_section(section_of: np.ndarray, n_sections: int) -> list[int]:
    return [int(n) for n in np.bincount(section_of, minlength=n_sections)]


def _correct(
    table: Table, quads: np.ndarray, method: str, memory: int, progress: Progress
) -> np.ndarray:
    """Whether each question's answer is its ``d`` up to case, by gensim's rule.

    Of the best rows (``a``, ``b``, ``c`` left out), the answer is the first
    whose key is none of ``a``, ``b``, ``c`` up to case (nor an artifact's
    twin of them, see :attr:`Table.canonical`); when all are, gensim keeps
    the last one examined.
    """
    top = top_answers(table, quads[:, :3], method, memory=memory, progress=progress)
    canonical = table.canonical
    keys = np.where(top >= 0, canonical[np.maximum(top, 0)], -1)
    a, b, c, d = (canonical[quads[:, i : i + 1]] for i in range(4))
    other = (keys >= 0) & (keys != a) & (keys != b) & (keys != c)
    last = np.maximum((keys >= 0).sum(axis=1) - 1, 0)
    pick = np.where(other.any(axis=1), np.argmax(other, axis=1), last)
    answer = keys[np.arange(len(keys)), pick]
    result: np.ndarray = (answer >= 0) & (answer == d[:, 0])
    return result


def top_answers(
    table: Table,
    abc: np.ndarray,
    method: str,
    *,
    k: int = TOP,
    memory: int = MEMORY,
    progress: Progress = SILENT,
) -> np.ndarray:
    """The ``k`` best rows for each question ``(a, b, c)``, best first; -1 pads.

    The rows ``a``, ``b`` and ``c`` themselves, and rows whose score is not a
    number (all-zero vectors), are never among them.

    Args:
        table: the rows searched.
        abc: ``(n, 3)`` rows of each question's ``a``, ``b`` and ``c``.
        method: ``"3cosadd"`` or ``"3cosmul"``.
        k: how many rows per question.
        memory: about how many bytes of scores to hold at once.
        progress: receives a bar counting the questions answered.

    Returns:
        ``(n, k)`` int64 rows.

    Example:
        >>> top_answers(table, np.array([[0, 1, 2]]), "3cosmul", k=1)  # doctest: +SKIP
        array([[3]])
    """
    # per question: float32 scores, 3CosMul's cosines of up to 3 words, argpartition's int64
    batch = max(1, memory // (24 * max(len(table), 1)))
    score = _add_scores if method == "3cosadd" else _mul_scores
    out = np.full((len(abc), k), -1, dtype=np.int64)
    with progress.bar(f"analogies ({method})", total=len(abc), unit="q") as bar:
        for start in range(0, len(abc), batch):
            part = abc[start : start + batch]
            out[start : start + len(part)] = _best(score(table, part), part, k)
            bar.update(len(part))
    return out


def _add_scores(table: Table, abc: np.ndarray) -> np.ndarray:
    """Cosine of every row with the unit mean of ``b + c - a`` (gensim's arithmetic)."""
    ua, ub, uc = (table.unit_rows(abc[:, i]) for i in range(3))
    mean = ((ub + uc) - ua).astype(np.float64) / 3.0
    length = np.linalg.norm(mean, axis=1)
    scale = np.divide(1.0, length, out=np.ones_like(length), where=length > 0)
    query = (mean * scale[:, None]).astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores: np.ndarray = (query @ table.vectors.T) / table.norms
    return scores


def _mul_scores(table: Table, abc: np.ndarray) -> np.ndarray:
    """``cos'(x, b) cos'(x, c) / (cos'(x, a) + 1e-6)`` for every row x, ``cos' = (1+cos)/2``."""
    words, inverse = np.unique(abc, return_inverse=True)
    inverse = inverse.reshape(abc.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        shifted = (1 + (table.unit_rows(words) @ table.vectors.T) / table.norms) / 2
        scores: np.ndarray = (shifted[inverse[:, 1]] * shifted[inverse[:, 2]]) / (
            shifted[inverse[:, 0]] + EPSILON
        )
    return scores


def _best(scores: np.ndarray, abc: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` best-scoring rows per line, best first, without a, b, c or NaN rows; -1 pads."""
    n, n_rows = scores.shape
    lines = np.arange(n)[:, None]
    scores[np.isnan(scores)] = -np.inf
    scores[lines, abc] = -np.inf
    take = min(k, n_rows)
    top = np.argpartition(scores, n_rows - take, axis=1)[:, n_rows - take :]
    values = scores[lines, top]
    order = np.argsort(-values, axis=1, kind="stable")
    top, values = top[lines, order], values[lines, order]
    out = np.full((n, k), -1, dtype=np.int64)
    out[:, :take] = np.where(values > -np.inf, top, -1)
    return out
