"""Compose word vectors from sentencepiece pieces (match kind ``subword``).

When vectors are trained for the *pieces* of a sentencepiece model (dataset 0
split by the model), a task word missing from the word vectors can still get
a vector: the mean of the vectors of its pieces. The result follows the
convention of :func:`aligner.train.fasttext.train_fasttext`: the composed rows
come last (``n_subword``) and only :meth:`~aligner.vectors.WordVectors.row_subword`
finds them, so the ``subword`` step of the fallback chain uses them only for
words no earlier step found.

Example:
    >>> import numpy as np
    >>> from aligner.vectors import WordVectors
    >>> pieces = WordVectors(["▁gui", "tar"], np.array([[1, 0], [0, 1]], dtype=np.float32))
    >>> split = {"guitar": ["▁gui", "tar"]}.__getitem__
    >>> wv = compose_from_pieces(["guitar"], pieces, split)
    >>> wv.vectors[wv.row_subword("guitar")].tolist(), wv.n_subword
    ([0.5, 0.5], 1)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from aligner.errors import InputError
from aligner.vectors import WordVectors

__all__ = ["compose_from_pieces"]


def compose_from_pieces(
    words: Iterable[str],
    pieces: WordVectors,
    encode: Callable[[str], list[str]],
) -> WordVectors:
    """The piece vectors plus one composed row per word: the mean of its pieces' vectors.

    Args:
        words: the task words to compose (typically those no other step finds);
            a repeated word is composed once.
        pieces: vectors keyed by piece strings (``"▁gui"``, ``"tar"``), without
            composed rows of their own.
        encode: splits a word into piece strings, e.g. a sentencepiece
            :class:`~aligner.tokenize.TokenizerSpec` or
            ``lambda w: processor.encode(w, out_type=str)``.

    Returns:
        WordVectors whose table is ``pieces``' and whose last ``n_subword``
        rows are the composed rows, keyed by their words. A piece counts each
        time it occurs in the word's encoding; pieces without a vector are
        left out of the mean, and a word none of whose pieces has a vector gets
        no row. ``source`` is ``pieces.source`` with
        ``{"subword": "sentencepiece-pieces"}``.

    Raises:
        InputError: ``pieces`` already holds composed rows.
    """
    if pieces.n_subword:
        raise InputError(
            f"the piece vectors already hold {pieces.n_subword} composed rows; "
            "pass the vectors trained for the pieces"
        )
    keys: list[str] = []
    rows: list[np.ndarray] = []
    for word in dict.fromkeys(words):
        found = [r for r in map(pieces.row, encode(word)) if r is not None]
        if found:
            keys.append(word)
            rows.append(pieces.vectors[found].mean(axis=0, dtype=np.float64))
    composed = np.asarray(rows, dtype=np.float32).reshape(len(rows), pieces.dim)
    source = pieces.source | {"subword": "sentencepiece-pieces"}
    matrix = np.concatenate([pieces.vectors, composed])
    return WordVectors(pieces.keys + keys, matrix, source, n_subword=len(keys))
