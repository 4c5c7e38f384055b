"""fastText ``.bin`` models: table rows, plus subword vectors for missing words.

A ``.bin`` model holds hashed character n-grams besides its word table; a
word missing from the table gets the mean of its n-grams' vectors. Those rows
have the match kind ``subword``. The model is loaded with gensim.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aligner.errors import VectorsFormatError
from aligner.pretrained.archive import open_stream
from aligner.vectors import WordVectors
from aligner.vocab import Vocab

if TYPE_CHECKING:
    from aligner.pretrained.formats import ReadResult

__all__ = ["read_fasttext_bin"]


def _load(path: Path, member: str | None) -> Any:
    from gensim.models.fasttext import load_facebook_vectors

    with open_stream(path, member=member) as opened:
        try:
            return load_facebook_vectors(opened.stream)
        except (ValueError, EOFError, OSError, AssertionError, NotImplementedError) as exc:
            raise VectorsFormatError(
                f"{path}: not a readable fastText .bin model ({exc}); "
                "download it again or pass --format"
            ) from None


def read_fasttext_bin(
    path: Path,
    vocab: Vocab,
    *,
    member: str | None = None,
    dim: int | None = None,
    lowercase: bool = True,
) -> ReadResult:
    """Rows of a fastText model for ``vocab``: table rows, then composed subword rows.

    Raises:
        VectorsFormatError: unreadable model or a dimension other than ``dim``.
    """
    from aligner.pretrained.formats import ReadResult, ReadStats

    model = _load(path, member)
    if dim is not None and model.vector_size != dim:
        raise VectorsFormatError(
            f"{path}: the model has dimension {model.vector_size}, but --dim is {dim}"
        )
    table = model.key_to_index
    lower_index: dict[str, str] = {}
    if lowercase:
        for key in model.index_to_key:
            lower_index.setdefault(key.lower(), key)
    keys: list[str] = []
    seen: set[str] = set()
    rows: list[np.ndarray] = []
    missing: list[str] = []
    for token in vocab.tokens[len(vocab.specials) :]:
        key = token if token in table else lower_index.get(token.lower()) if lowercase else None
        if key is None:
            missing.append(token)
        elif key not in seen:
            seen.add(key)
            keys.append(key)
            rows.append(model.vectors[table[key]])
    subword = [t for t in missing if model.bucket]
    rows.extend(model.get_vector(t) for t in subword)
    stats = ReadStats(rows_read=len(table), rows_kept=len(keys), subword_rows=len(subword))
    matrix = np.asarray(rows, dtype=np.float32).reshape(len(rows), model.vector_size)
    source = {"kind": "pretrained", "path": str(path), "format": "fasttext-bin"}
    vectors = WordVectors(keys + subword, matrix, source, n_subword=len(subword))
    return ReadResult(vectors, "fasttext-bin", int(model.vector_size), stats)
