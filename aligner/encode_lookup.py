"""The Encoder's Arrow path: split a batch of texts, look every token up at once.

A batch of rows is split by :func:`aligner.arrow_tokens.tokenize_batch` and
all of its tokens are looked up in one ``pc.index_in`` call against the
vocabulary (:func:`value_set`). ``index_in`` builds its hash table of the
vocabulary on every call, so the rows are cut into large batches
(:func:`batch_bounds`).

Example:
    >>> texts = pa.array(["play guitar", "drums"])  # doctest: +SKIP
    >>> lookup(texts, 0, vocab, spec, "unk", {}).ids  # doctest: +SKIP
    array([2, 3, 1], dtype=int32)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from aligner.encode_rows import Rows, unknown_error
from aligner.tokenize import TokenizerSpec
from aligner.vocab import Vocab

if TYPE_CHECKING:
    from aligner.arrow_tokens import TokenBatch

__all__ = ["BATCH_BYTES", "batch_bounds", "lookup", "value_set"]

BATCH_BYTES = 1 << 26


def batch_bounds(texts: Any, rows: int) -> list[tuple[int, int]]:
    """Row ranges of at most ``rows`` rows and about BATCH_BYTES of text each."""
    n = len(texts)
    if n <= rows and texts.nbytes <= BATCH_BYTES:
        return [(0, n)]
    from aligner.arrow_tokens import string_offsets

    ends = np.arange(rows, n, rows)
    sizes = string_offsets(texts)
    sizes -= sizes[0]
    by_bytes = np.searchsorted(sizes, np.arange(BATCH_BYTES, sizes[-1], BATCH_BYTES))
    cuts = np.unique(np.concatenate([ends, by_bytes, [n]]))
    cuts = cuts[(cuts > 0) & (cuts <= n)]
    starts = np.concatenate([[0], cuts[:-1]])
    return list(zip(starts.tolist(), cuts.tolist(), strict=True))


def value_set(vocab: Vocab, spaced: bool, cache: dict[bool, Any]) -> Any:
    """The vocabulary as an index_in value set (position = row), built once per ``cache``."""
    import pyarrow as pa

    if spaced not in cache:
        tokens = vocab.tokens
        if spaced:  # "" stays "": no spaced token is empty
            tokens = [f"{t} " if t else t for t in tokens]
        cache[spaced] = pa.array(tokens, type=pa.string())
    return cache[spaced]


def lookup(
    texts: Any,
    first_row: int,
    vocab: Vocab,
    tokenizer: TokenizerSpec,
    unknown: str,
    cache: dict[bool, Any],
) -> Rows:
    """Tokenize and look up one batch of rows (``first_row``: its place, for messages).

    Args:
        texts: a string array (not chunked).
        first_row: the row number of ``texts[0]`` in the whole input.
        vocab: the vocabulary.
        tokenizer: the tokenizer spec.
        unknown: ``"unk"``, ``"skip"`` or ``"error"`` (see ``Encoder``).
        cache: the value sets already built (:func:`value_set`).

    Raises:
        InputError: an unknown token that may not be mapped to the unk row.
    """
    import pyarrow.compute as pc

    from aligner.arrow_tokens import tokenize_batch

    batch = tokenize_batch(tokenizer, texts)
    found = pc.index_in(batch.tokens, value_set=value_set(vocab, batch.spaced, cache))
    remove = batch.drop
    if not found.null_count:
        ids = np.asarray(found, dtype=np.int32)
    elif unknown == "unk" and vocab.unk_id is not None:
        # unknown tokens (and the empty ones, dropped below) take the unk row
        ids = np.asarray(pc.fill_null(found, vocab.unk_id), dtype=np.int32)
    else:
        ids = np.asarray(pc.fill_null(found, -1), dtype=np.int32)
        missing = ids < 0
        if remove is not None:
            missing &= ~remove
        if missing.any():
            remove = _unknown(missing, remove, batch, first_row, unknown)
    rows = Rows(ids, batch.offsets, batch.valid)
    return rows if remove is None else rows.without(remove)


def _unknown(
    missing: np.ndarray, remove: np.ndarray | None, batch: TokenBatch, row0: int, unknown: str
) -> np.ndarray:
    """Drop or refuse the unknown tokens: the tokens to remove."""
    if unknown == "skip":
        return missing if remove is None else remove | missing
    first = int(np.argmax(missing))
    token = batch.tokens[first].as_py()
    token = token[:-1] if batch.spaced else token
    row = row0 + int(np.searchsorted(batch.offsets, first, side="right")) - 1
    raise unknown_error(token, row, unknown)
