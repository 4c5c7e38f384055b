"""Rows of token ids, flat: numpy truncation, padding and conversion.

A :class:`Rows` holds the ids of many texts as one flat ``int32`` array and
the offsets of its rows, like an Arrow ``list<int32>`` array, so that
truncating and padding are a few vectorized numpy operations whatever the
number of rows.

Example:
    >>> rows = Rows(np.array([5, 6, 7], dtype=np.int32), np.array([0, 2, 3]), None)
    >>> to_lists(pad_rows(truncate(rows, 1), 2, 0))
    [[5, 0], [7, 0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, pairwise
from typing import Any

import numpy as np

from aligner.errors import InputError
from aligner.tokenize import TokenizerSpec
from aligner.vocab import Vocab

__all__ = [
    "Rows",
    "collect",
    "pad_rows",
    "python_rows",
    "to_arrow",
    "to_lists",
    "truncate",
    "unknown_error",
]


@dataclass
class Rows:
    """Token ids of many rows.

    Attributes:
        ids: ``int32`` ids of all rows, in order.
        offsets: ``int64``, ``rows + 1`` entries: row ``i`` is
            ``ids[offsets[i]:offsets[i + 1]]``.
        valid: the rows that are not null (null rows have no ids), or
            ``None`` when no row is null.
    """

    ids: np.ndarray
    offsets: np.ndarray
    valid: np.ndarray | None

    def __len__(self) -> int:
        return int(self.offsets.size - 1)

    def lengths(self) -> np.ndarray:
        """The number of ids of each row (``int64``)."""
        return np.diff(self.offsets)

    def nulls(self) -> Any:
        """The null rows as a ``pa.bool_()`` mask, or ``None``."""
        import pyarrow as pa

        return None if self.valid is None else pa.array(~self.valid)

    def lengths_arrow(self) -> Any:
        """:meth:`lengths` as a ``pa.int32()`` array, null where a row is null."""
        import pyarrow as pa

        mask = None if self.valid is None else ~self.valid
        return pa.array(self.lengths().astype(np.int32), type=pa.int32(), mask=mask)

    def without(self, remove: np.ndarray) -> Rows:
        """These rows without the ids where ``remove`` is true."""
        kept = np.zeros(remove.size + 1, dtype=np.int64)
        np.cumsum(~remove, out=kept[1:])
        return Rows(self.ids[~remove], kept[self.offsets], self.valid)


def collect(parts: Sequence[Rows]) -> Rows:
    """The rows of ``parts``, one after the other, as one :class:`Rows`."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return Rows(np.zeros(0, np.int32), np.zeros(1, np.int64), None)
    shifts = np.cumsum([0] + [p.ids.size for p in parts[:-1]])
    offsets = [parts[0].offsets[:1]] + [
        p.offsets[1:] + s for p, s in zip(parts, shifts, strict=True)
    ]
    valid = None
    if any(p.valid is not None for p in parts):
        valid = np.concatenate(
            [np.ones(len(p), bool) if p.valid is None else p.valid for p in parts]
        )
    return Rows(np.concatenate([p.ids for p in parts]), np.concatenate(offsets), valid)


def truncate(rows: Rows, max_length: int | None) -> Rows:
    """Keep the first ``max_length`` ids of every row (all when ``None``)."""
    lengths = rows.lengths()
    if max_length is None or lengths.max(initial=0) <= max_length:
        return rows
    position = np.arange(rows.ids.size) - np.repeat(rows.offsets[:-1], lengths)
    return rows.without(position >= max_length)


def pad_rows(rows: Rows, width: int, pad_id: int) -> Rows:
    """Every non-null row padded with ``pad_id`` to ``width`` ids (rows must fit)."""
    lengths = rows.lengths()
    full = np.full(len(rows), width, dtype=np.int64)
    if rows.valid is not None:
        full[~rows.valid] = 0
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(full, out=offsets[1:])
    ids = np.full(int(offsets[-1]), pad_id, dtype=np.int32)
    shift = np.repeat(offsets[:-1] - rows.offsets[:-1], lengths)
    ids[np.arange(rows.ids.size) + shift] = rows.ids
    return Rows(ids, offsets, rows.valid)


def to_arrow(rows: Rows) -> Any:
    """A ``list<int32>`` array of the rows (null where a row is null).

    Past 2**31 - 1 ids in one array (8 GiB of ids), a ``large_list<int32>``.
    """
    import pyarrow as pa

    ids = pa.array(rows.ids, type=pa.int32())
    if rows.offsets[-1] >= 2**31:
        return pa.LargeListArray.from_arrays(pa.array(rows.offsets), ids, mask=rows.nulls())
    offsets = pa.array(rows.offsets.astype(np.int32), type=pa.int32())
    return pa.ListArray.from_arrays(offsets, ids, mask=rows.nulls())


def to_lists(rows: Rows) -> list[list[int] | None]:
    """The rows as Python lists (``None`` where a row is null)."""
    flat = rows.ids.tolist()
    bounds = rows.offsets.tolist()
    out: list[list[int] | None] = [flat[a:b] for a, b in pairwise(bounds)]
    if rows.valid is not None:
        for i in np.flatnonzero(~rows.valid).tolist():
            out[i] = None
    return out


def unknown_error(token: str, row: int, unknown: str) -> InputError:
    """The error for an unknown token that may not be mapped to the unk row."""
    if unknown == "error":
        return InputError(
            f"row {row}: token {token!r} is not in the vocabulary (unknown='error'); "
            "pass unknown='unk' or 'skip' to encode it anyway"
        )
    return InputError(
        f"row {row}: token {token!r} is not in the vocabulary, which has no unk token; "
        "rebuild the artifact with --unk-token, or pass unknown='skip' to drop such tokens"
    )


def _ids(vocab: Vocab, tokens: list[str], row: int, unknown: str) -> list[int]:
    if unknown == "unk" and vocab.unk_id is not None:
        return vocab.lookup(tokens)
    found = [vocab.get(t) for t in tokens]
    ids = [i for i in found if i is not None]
    if len(ids) < len(found) and unknown != "skip":
        raise unknown_error(tokens[found.index(None)], row, unknown)
    return ids


def check_texts(texts: Sequence[object]) -> None:
    """Refuse what an Arrow string array cannot hold, on either encoder path.

    Raises:
        InputError: an item is neither ``str`` nor ``None``, or holds a lone
            surrogate (not encodable as UTF-8).
    """
    for index, text in enumerate(texts):
        if text is None:
            continue
        if not isinstance(text, str):
            kind = type(text).__name__
            raise InputError(f"text {index} is {kind}, not str; pass strings (or None)")
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise InputError(
                    f"text {index} holds a lone surrogate at character {exc.start}, which is "
                    "not Unicode text; decode the data with errors='replace'"
                ) from None


def python_rows(
    texts: Sequence[str | None], vocab: Vocab, tokenizer: TokenizerSpec, unknown: str
) -> Rows:
    """The rows of a few texts, text by text in Python (no Arrow cost per call).

    Args:
        texts: the texts (``None`` for null rows).
        vocab: the vocabulary.
        tokenizer: the tokenizer spec.
        unknown: ``"unk"``, ``"skip"`` or ``"error"`` (see ``Encoder``).

    Raises:
        InputError: a text is not a string, or an unknown token may not be mapped.

    Example:
        >>> python_rows(["a b", None], Vocab(["a"]), TokenizerSpec(), "unk").offsets
        array([0, 2, 2])
    """
    check_texts(texts)
    present = [(i, t) for i, t in enumerate(texts) if t is not None]
    where = [i for i, _ in present]
    tokens = tokenizer.tokenize_many([t for _, t in present])
    lists = [_ids(vocab, toks, row, unknown) for toks, row in zip(tokens, where, strict=True)]
    lengths = np.zeros(len(texts), dtype=np.int64)
    lengths[where] = [len(ids) for ids in lists]
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    ids = np.fromiter(chain.from_iterable(lists), dtype=np.int32, count=int(offsets[-1]))
    valid = None
    if len(where) < len(texts):
        valid = np.zeros(len(texts), dtype=bool)
        valid[where] = True
    return Rows(ids, offsets, valid)
