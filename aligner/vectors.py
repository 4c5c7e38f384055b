"""Word vectors in memory: the numpy currency passed between stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aligner.errors import InputError

__all__ = ["WordVectors"]


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
        self._lower: dict[str, int] | None = None

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
        if self._lower is None:
            self._lower = {}
            for i, k in enumerate(self.keys[: len(self.keys) - self.n_subword]):
                self._lower.setdefault(k.lower(), i)
        return self._lower.get(key.lower())

    def row_subword(self, key: str) -> int | None:
        """The composed (subword) row of ``key``, or ``None``."""
        return self._subword.get(key)
