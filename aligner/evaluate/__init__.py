"""Intrinsic evaluation of word vectors: nearest neighbours, similarity, analogies."""

from __future__ import annotations

from aligner.evaluate.analogy import METHODS, AnalogyResult, SectionResult, evaluate_analogies
from aligner.evaluate.lookup import Match, find_row, word_vector
from aligner.evaluate.neighbors import (
    Neighbor,
    Neighbors,
    cosine_similarity,
    most_similar,
    neighbors,
)
from aligner.evaluate.run import Evaluation, evaluate
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

__all__ = [
    "BUNDLED",
    "METHODS",
    "AnalogyResult",
    "AnalogySet",
    "Evaluation",
    "Match",
    "Neighbor",
    "Neighbors",
    "SectionResult",
    "SimilarityResult",
    "SimilaritySet",
    "Table",
    "bundled_set",
    "cosine_similarity",
    "evaluate",
    "evaluate_analogies",
    "evaluate_similarity",
    "find_row",
    "make_table",
    "most_similar",
    "neighbors",
    "read_analogies",
    "read_similarity",
    "word_vector",
]
