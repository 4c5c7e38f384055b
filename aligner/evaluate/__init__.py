"""Intrinsic evaluation of word vectors: nearest neighbours, similarity, analogies."""

from __future__ import annotations

from aligner.evaluate.neighbors import neighbors

__all__ = ["neighbors"]
