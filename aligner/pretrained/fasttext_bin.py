"""fastText ``.bin`` models: table rows, plus subword vectors for missing words.

A ``.bin`` model holds hashed character n-grams besides its word table; a
word missing from the table gets the mean of its n-grams' vectors. Those rows
have the match kind ``subword``. The vectors equal gensim's, but the model is
not loaded whole: its word table is read, then only the rows of its input
matrix that the task vocabulary needs (its words' rows and their n-grams'
rows), through windows of the file mapped in memory (see
:mod:`~aligner.pretrained.fasttext_format`, :mod:`~aligner.pretrained.fasttext_subword`).
A compressed model is decompressed once into the cache directory: by one
process at a time, never past the size its header implies.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from itertools import compress, repeat
from operator import not_
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from aligner.align import FALLBACKS, step_folds
from aligner.pretrained.fasttext_extract import _extract_key as _extract_key  # tests use it here
from aligner.pretrained.fasttext_extract import plain_model
from aligner.pretrained.fasttext_format import HEADER, MAGIC, Model, open_model
from aligner.pretrained.fasttext_subword import has_ngrams, word_vectors
from aligner.vectors import Fold, WordVectors
from aligner.vocab import Vocab

if TYPE_CHECKING:
    from aligner.pretrained.rows import ReadResult

__all__ = ["HEADER", "MAGIC", "read_fasttext_bin", "read_fasttext_table"]


def _open(
    path: Path, member: str | None, dim: int | None, cache: str | os.PathLike[str] | None
) -> Model:
    return open_model(plain_model(path, member, _root(cache)), name=str(path), dim=dim)


def _vectors(model: Model, words: list[str], rows: list[int]) -> np.ndarray:
    """gensim's ``wv[word]`` for each word: ``rows`` gives its table row, or -1."""
    args = model.args
    return word_vectors(
        model.read_rows, words, np.asarray(rows, np.int64).reshape(-1), dim=args.dim,
        nwords=len(model.words), minn=args.minn, maxn=args.maxn, bucket=args.bucket,
    )  # fmt: skip


def _result(
    path: Path, model: Model, keys: list[str], matrix: np.ndarray, subword: int = 0
) -> ReadResult:
    from aligner.pretrained.rows import ReadResult, ReadStats

    kept = len(keys) - subword
    stats = ReadStats(rows_read=len(model.index), rows_kept=kept, subword_rows=subword)
    source = {"kind": "pretrained", "path": str(path), "format": "fasttext-bin"}
    vectors = WordVectors(keys, matrix, source, n_subword=subword)
    return ReadResult(vectors, "fasttext-bin", model.dim, stats)


def read_fasttext_table(
    path: Path,
    *,
    member: str | None = None,
    dim: int | None = None,
    limit: int | None = None,
    cache: str | os.PathLike[str] | None = None,
) -> ReadResult:
    """The first ``limit`` rows of a model's word table (its words by frequency), in order.

    Each row is the word's vector as gensim gives it (``wv[word]``: the word's
    own row averaged with its n-grams' rows). Only those rows, and the n-gram
    rows they use, are read. A compressed model is decompressed into
    ``<cache>/extracted/`` (``cache`` defaults to
    :func:`aligner.pretrained.download.cache_dir`).

    Raises:
        VectorsFormatError: unreadable model or a dimension other than ``dim``.

    Example:
        >>> read_fasttext_table(Path("cc.en.300.bin"), limit=2).vectors.keys  # doctest: +SKIP
        [',', 'the']
    """
    with _open(path, member, dim, cache) as model:
        keys = [w for i, w in enumerate(model.words[:limit]) if model.index[w] == i]
        matrix = _vectors(model, keys, [model.index[k] for k in keys])
        return _result(path, model, keys, matrix)


def read_fasttext_bin(
    path: Path,
    vocab: Vocab,
    *,
    member: str | None = None,
    dim: int | None = None,
    fallbacks: Sequence[str] = FALLBACKS,
    cache: str | os.PathLike[str] | None = None,
) -> ReadResult:
    """Rows of a fastText model for ``vocab``: table rows, then composed subword rows.

    A token takes the table row its fallback chain finds first (exactly, then
    through each normalising step's folds); a token none finds is composed
    from subword n-grams when the chain has ``subword`` and the token has
    n-grams. Vectors equal gensim's ``wv[word]``; only the rows they use are
    read from the file. A compressed model is decompressed into
    ``<cache>/extracted/`` (see :func:`read_fasttext_table`).

    Raises:
        VectorsFormatError: unreadable model or a dimension other than ``dim``.

    Example:
        >>> read_fasttext_bin(Path("model.bin"), Vocab(["guitar"])).vectors.keys  # doctest: +SKIP
        ['guitar']
    """
    with _open(path, member, dim, cache) as model:
        tokens = vocab.tokens[len(vocab.specials) :]
        found = _find_keys(tokens, model, fallbacks)
        keys = dict.fromkeys(key for key in found if key is not None)
        missing = [t for t, key in zip(tokens, found, strict=True) if key is None]
        args = model.args
        subword = [
            t for t in missing
            if "subword" in fallbacks and has_ngrams(t, args.minn, args.maxn, args.bucket)
        ]  # fmt: skip
        rows = [model.index[k] for k in keys] + [-1] * len(subword)
        matrix = _vectors(model, [*keys, *subword], rows)
        return _result(path, model, [*keys, *subword], matrix, len(subword))


def _root(cache: str | os.PathLike[str] | None) -> Path | None:
    return None if cache is None else Path(cache).expanduser()


def _find_keys(tokens: list[str], model: Model, fallbacks: Sequence[str]) -> list[str | None]:
    """The table key each token's chain finds first (``None``: none does).

    Exactly, then through each fold of the chain's normalising steps in turn:
    among the table's words that fold to the token's fold, the first (in file
    order) wins. A fold is applied to the whole table only while tokens are
    left unfound, and only the folds those tokens need are kept.
    """
    found: list[str | None] = [t if t in model.index else None for t in tokens]
    non_ascii: list[int] | None = None
    for fold in (fold for step in step_folds(fallbacks).values() for fold in step):
        pending = [i for i, key in enumerate(found) if key is None]
        if not pending:
            break
        if non_ascii is None:
            non_ascii = list(
                compress(range(len(model.words)), map(not_, map(str.isascii, model.words)))
            )
        wanted = {fold(tokens[i]) for i in pending}
        index = _fold_index(fold, model.words, non_ascii, wanted)
        for i in pending:
            found[i] = index.get(fold(tokens[i]))
    return found


def _fold_index(
    fold: Fold, words: list[str], non_ascii: list[int], wanted: set[str]
) -> dict[str, str]:
    """The first word (file order) of each wanted fold value.

    ASCII words fold with C-level string methods (their accents fold is
    themselves, their digits are 0-9); the others through ``fold`` itself.
    """
    values = list(map(str.lower, words)) if fold.lowercase else list(words)
    if fold.mark is not None:
        table = str.maketrans("0123456789", fold.mark * 10)
        values = list(map(str.translate, values, repeat(table)))
    if fold.accents or fold.mark is not None:
        for i in non_ascii:
            values[i] = fold(words[i])
    index: dict[str, str] = {}
    for value, word in zip(values, words, strict=True):
        if value in wanted and value not in index:
            index[value] = word
    return index
