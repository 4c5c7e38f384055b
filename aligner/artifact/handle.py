"""An opened artifact: vocabulary, memory-mapped vectors, manifest, and what they make."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from aligner.artifact.layout import FILE_KEYS
from aligner.tokenize import TokenizerSpec
from aligner.vocab import Vocab

if TYPE_CHECKING:
    import torch
    from numpy.typing import ArrayLike

    from aligner.align import Coverage
    from aligner.artifact.mapped import MappedVectors
    from aligner.encode import Encoder
    from aligner.evaluate import Neighbors

__all__ = ["Artifact"]


class Artifact:
    """An opened artifact: vocabulary, memory-mapped vectors, manifest.

    Use :func:`open_artifact` (``aligner.load``) to create one.

    Attributes:
        path: the artifact directory.
        manifest: the parsed ``manifest.json``.
        vocab: the :class:`~aligner.vocab.Vocab` (``art.vocab["word"]`` → row).
        vectors: ``(len(vocab), dim)`` copy-on-write memory map (float32, or
            float16 when built with ``dtype="float16"``): writes stay in
            memory and never reach the file.
        provenance: the match kind of every row.
        tokenizer: the tokenizer spec the artifact was built with.
    """

    def __init__(
        self,
        path: Path,
        manifest: dict[str, Any],
        vocab: Vocab,
        vectors: np.ndarray,
        provenance: list[str],
        tokenizer: TokenizerSpec,
        *,
        mapped: MappedVectors | None = None,
    ) -> None:
        self.path = path
        self.manifest = manifest
        self.vocab = vocab
        self.vectors = vectors
        self.provenance = provenance
        self.tokenizer = tokenizer
        self._mapped = mapped

    @property
    def files(self) -> dict[str, Path]:
        """The artifact's files by role: ``vectors``, ``vocab``, ``provenance``
        (and ``tokenizer`` with a sentencepiece model), as the manifest names them.

        Example:
            >>> numpy.load(art.files["vectors"], mmap_mode="r")  # doctest: +SKIP
        """
        files = {}
        for section, key in FILE_KEYS:
            entry = self.manifest.get(section)
            if isinstance(entry, dict) and isinstance(entry.get(key), str):
                files[section] = self.path / entry[key]
        return files

    def __getstate__(self) -> dict[str, Any]:
        # a pickled artifact (a worker process) carries its vectors, not a descriptor
        return {**self.__dict__, "_mapped": None}

    def __repr__(self) -> str:
        return f"Artifact({str(self.path)!r}, rows={len(self.vocab)}, dim={self.dim})"

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return int(self.vectors.shape[1])

    @property
    def coverage(self) -> Coverage | None:
        """The coverage report stored at build time, if any."""
        from aligner.align import Coverage

        data = self.manifest.get("coverage")
        return None if data is None else Coverage.from_dict(data)

    @overload
    def encode(self, texts: str) -> list[int]: ...  # type: ignore[overload-overlap]
    @overload
    def encode(self, texts: Iterable[str]) -> list[list[int]]: ...
    @overload
    def encode(self, texts: Any) -> list[list[int] | None]: ...
    def encode(self, texts: Any) -> Any:
        """Token ids of one text (a ``str``), or of each text, with the build's tokenizer.

        Lists, iterables, numpy and Arrow arrays, a pandas Series or a
        one-column DataFrame give one row per text; a missing text (``None``,
        NaN) gives ``None``. See :func:`aligner.encode.encode`.

        Example:
            >>> art.encode("we play guitar")  # doctest: +SKIP
            [17, 4, 52]
            >>> art.encode(["we play guitar"])  # doctest: +SKIP
            [[17, 4, 52]]
        """
        from aligner.encode import encode

        return encode(texts, self.vocab, self.tokenizer)

    def encoder(self, **options: Any) -> Encoder:
        """A text → ids encoder for data pipelines, with the build's tokenizer.

        Args:
            options: see :class:`aligner.encode.Encoder` (``max_length``,
                ``pad``, ...).

        Example:
            >>> enc = aligner.load("build/demo").encoder(max_length=64)  # doctest: +SKIP
            >>> enc(["we play guitar"])  # doctest: +SKIP
            [[17, 4, 52]]
        """
        from aligner.encode import Encoder

        return Encoder(self.vocab, self.tokenizer, **options)

    def embedding(
        self,
        mode: str = "trainable",
        *,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> torch.nn.Embedding:
        """A ready ``torch.nn.Embedding`` initialised with the vectors.

        Each call maps the vectors file anew (copy-on-write): layers made from
        one artifact share no memory with each other nor with :attr:`vectors`,
        training one never changes another, and nothing is written to disk.
        Pages are copied only as rows are updated. The file mapped is the one
        verified when the artifact was opened (held open since), even when the
        directory has been rebuilt in the meantime.

        Args:
            mode: ``"trainable"``, ``"frozen"`` or ``"partial"`` (found rows
                fixed, filled rows trained); see :mod:`aligner.layers`.
            dtype: weight dtype, float32 by default (also for float16 storage).
            device: where to put the weights (CPU: shares the memory map).

        Example:
            >>> emb = aligner.load("build/demo").embedding("frozen")  # doctest: +SKIP
        """
        from aligner.layers import embedding_from_matrix

        # an artifact made in memory (not opened from disk) gives a copy
        matrix = np.array(self.vectors) if self._mapped is None else self._mapped.map()
        return embedding_from_matrix(
            matrix,
            mode=mode,
            padding_idx=self.vocab.pad_id,
            provenance=self.provenance,
            dtype=dtype,
            device=device,
        )

    def __getitem__(self, word: str) -> np.ndarray:
        """The vector of ``word`` (float32 copy), through the fallback chain.

        Raises ``KeyError`` naming the artifact and the folds tried; see
        :func:`aligner.evaluate.lookup.word_vector`.
        """
        from aligner.evaluate import word_vector

        return word_vector(self, word)

    def __contains__(self, word: object) -> bool:
        """Whether ``art[word]`` finds a row."""
        from aligner.evaluate import find_row

        return isinstance(word, str) and find_row(self, word) is not None

    def similarity(self, a: str | ArrayLike, b: str | ArrayLike) -> float:
        """Cosine of two words or vectors; see :func:`aligner.evaluate.cosine_similarity`."""
        from aligner.evaluate import cosine_similarity

        return cosine_similarity(self, a, b)

    def most_similar(
        self,
        query: str | ArrayLike,
        k: int = 10,
        *,
        found_only: bool = False,
        fold_twins: bool = True,
    ) -> Neighbors:
        """The ``k`` rows nearest a word or vector; see :func:`aligner.evaluate.most_similar`.

        Example:
            >>> [n.label for n in art.most_similar("Guitar", k=2)]  # doctest: +SKIP
            ['piano (also: Piano)', 'drums']
        """
        from aligner.evaluate import most_similar

        return most_similar(self, query, k=k, found_only=found_only, fold_twins=fold_twins)

    def neighbors(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        """``(token, cosine)`` of the ``k`` rows closest to ``word`` (see ``most_similar``)."""
        from aligner.evaluate import neighbors

        return neighbors(self, word, k=k)
