"""The task side of a build: its tokenizer and its vocabulary.

A build's tokenizer is given (:class:`~aligner.tokenize.TokenizerSpec`, a
sentencepiece one loaded from a ``.model`` file included) or trained
(:class:`SentencePieceTraining`, on dataset 0 or dataset 1). Its vocabulary
comes from a file or is counted from dataset 1 with that tokenizer.

Sentencepiece can also serve the ``subword`` fallback of a word-level build:
vectors are trained for the pieces of dataset 0 and a word without a vector
becomes the mean of its pieces' vectors (:func:`piece_vectors`).

Example:
    >>> training = SentencePieceTraining(vocab_size=8000, train_on="data")
    >>> training.to_dict()["model_type"]
    'unigram'
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from aligner.corpus import Corpus
from aligner.errors import InputError
from aligner.progress import SILENT, Progress
from aligner.tokenize import TokenizerSpec, train_sentencepiece
from aligner.vectors import WordVectors

__all__ = ["SentencePieceTraining", "piece_vectors", "texts_of", "train_tokenizer"]

TRAIN_ON = ("corpus", "data")


@dataclass(frozen=True)
class SentencePieceTraining:
    """A sentencepiece model to train at build time.

    Attributes:
        vocab_size: number of pieces.
        model_type: ``"unigram"`` or ``"bpe"``.
        train_on: ``"corpus"`` (dataset 0) or ``"data"`` (dataset 1).
        lowercase: lowercase text before training and encoding.
        normalize: ``"nfkc"`` or ``None``.
        max_sentences: seeded sample size for large inputs.
    """

    vocab_size: int
    model_type: str = "unigram"
    train_on: str = "corpus"
    lowercase: bool = False
    normalize: str | None = None
    max_sentences: int = 1_000_000

    def __post_init__(self) -> None:
        if self.train_on not in TRAIN_ON:
            raise InputError(
                f"sentencepiece can train on {' or '.join(TRAIN_ON)}, not {self.train_on!r}"
            )
        if self.vocab_size < 2:
            raise InputError(f"sentencepiece vocabulary size {self.vocab_size} is too small")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters, for build keys and manifests."""
        return asdict(self)


def texts_of(
    path: str | os.PathLike[str],
    text_column: str | None,
    *,
    progress: Progress = SILENT,
    verb: str = "read",
    follow_links: bool = False,
) -> Iterator[str]:
    """The texts of dataset 0 or 1 (any layout :class:`~aligner.corpus.Corpus` reads),
    with one progress bar in bytes (``"<verb> <name>"``).

    Raises:
        CorpusError, InputError: see :class:`~aligner.corpus.Corpus`.
    """
    corpus = Corpus(path, text_column=text_column, follow_links=follow_links)
    with progress.bar(f"{verb} {corpus.path.name}", total=corpus.size, unit="B") as bar:
        corpus.on_bytes = bar.update
        yield from corpus.lines()


def train_tokenizer(
    training: SentencePieceTraining,
    path: str | os.PathLike[str],
    text_column: str | None,
    *,
    seed: int = 0,
    progress: Progress = SILENT,
    follow_links: bool = False,
) -> TokenizerSpec:
    """Train the sentencepiece model ``training`` asks for on the texts at ``path``.

    Raises:
        InputError: the texts cannot support the vocabulary size, or hold no text.
        CorpusError: the texts cannot be read.
    """
    return train_sentencepiece(
        texts_of(path, text_column, progress=progress, follow_links=follow_links),
        vocab_size=training.vocab_size,
        model_type=training.model_type,
        lowercase=training.lowercase,
        normalize=training.normalize,
        max_sentences=training.max_sentences,
        seed=seed,
        where=str(path),
    )


def piece_vectors(
    words: WordVectors, pieces: WordVectors, spec: TokenizerSpec, compose: list[str]
) -> WordVectors:
    """``words`` plus a ``subword`` row for each of ``compose`` made from its pieces.

    Args:
        words: word vectors without subword rows.
        pieces: vectors trained for the pieces of ``spec`` (same dimension).
        spec: the sentencepiece tokenizer that split dataset 0 into pieces.
        compose: task words to compose (only used when no earlier fallback
            finds them).

    Raises:
        InputError: the dimensions differ.
    """
    from aligner.pieces import compose_from_pieces

    if words.dim != pieces.dim:
        raise InputError(f"piece vectors have dimension {pieces.dim}, word vectors {words.dim}")
    composed = compose_from_pieces(compose, pieces, spec)
    n = composed.n_subword
    table = len(words) - words.n_subword
    keys = words.keys[:table] + composed.keys[len(composed) - n :]
    matrix = np.vstack([words.vectors[:table], composed.vectors[len(composed) - n :]])
    source = words.source | {"subword": "sentencepiece-pieces", "pieces": pieces.source}
    return WordVectors(keys, matrix, source=source, n_subword=n)
