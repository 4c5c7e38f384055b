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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, pairwise
from typing import Any

import numpy as np

from aligner.errors import InputError
from aligner.tokenize import TokenizerSpec
from aligner.vocab import Vocab

__all__ = [
    "Rows",
    "UnknownTokenError",
    "collect",
    "frame_columns",
    "is_missing",
    "pad_rows",
    "python_rows",
    "text_list",
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
    """A ``list<int32>`` array of the rows (null where a row is null); the values take
    the type of ``rows.ids`` (``int32`` ids, ``int8`` masks).

    Past 2**31 - 1 ids in one array (8 GiB of ids), a ``large_list<int32>``.
    """
    import pyarrow as pa

    ids = pa.array(rows.ids, type=pa.from_numpy_dtype(rows.ids.dtype))
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


class UnknownTokenError(InputError):
    """A token is not in the vocabulary, and may not become the unk row.

    Attributes:
        token: the token.
        row: the row of the call's input (from 0) that holds it.
        unknown: the encoder's ``unknown`` option (``"unk"``: the vocabulary
            has no unk token; ``"error"``).
    """

    def __init__(self, message: str, token: str, row: int, unknown: str) -> None:
        super().__init__(message)
        self.token, self.row, self.unknown = token, row, unknown

    def __reduce__(self) -> tuple[Any, ...]:  # pickles (DataLoader workers, num_proc)
        return type(self), (str(self), self.token, self.row, self.unknown)


def unknown_error(token: str, row: int, unknown: str) -> UnknownTokenError:
    """The error for an unknown token that may not be mapped to the unk row."""
    if unknown == "error":
        message = (
            f"row {row}: token {token!r} is not in the vocabulary (unknown='error'); "
            "pass unknown='unk' or 'skip' to encode it anyway"
        )
    else:
        message = (
            f"row {row}: token {token!r} is not in the vocabulary, which has no unk token; "
            "rebuild the artifact with --unk-token, or pass unknown='skip' to drop such tokens"
        )
    return UnknownTokenError(message, token, row, unknown)


def _ids(vocab: Vocab, tokens: list[str], row: int, unknown: str) -> list[int]:
    if unknown == "unk" and vocab.unk_id is not None:
        return vocab.lookup(tokens)
    found = [vocab.get(t) for t in tokens]
    ids = [i for i in found if i is not None]
    if len(ids) < len(found) and unknown != "skip":
        raise unknown_error(tokens[found.index(None)], row, unknown)
    return ids


def is_missing(value: object) -> bool:
    """True for a missing value: ``None``, a float NaN (numpy's too), pandas ``NA``/``NaT``
    or numpy ``NaT``. pandas is recognised by its types' names, never imported.

    Example:
        >>> is_missing(float("nan")), is_missing(""), is_missing(None)
        (True, False, True)
    """
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return bool(value != value)
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    kind = type(value)
    return kind.__name__ in ("NAType", "NaTType") and kind.__module__.startswith("pandas")


def frame_columns(data: object) -> list[Any] | None:
    """The column names of a data frame (pandas, polars, a pyarrow table), else ``None``.

    Recognised by its shape (two dimensions) and its column names; no
    library is imported.
    """
    shape = getattr(data, "shape", None)
    if not isinstance(shape, tuple) or len(shape) != 2 or isinstance(data, np.ndarray):
        return None
    names = getattr(data, "column_names", None)  # pyarrow (its .columns are the arrays)
    if names is None:
        names = getattr(data, "columns", None)
    return None if names is None else list(names)


def _one_column(data: Any, names: list[Any]) -> Any:
    """The only column of a data frame; several columns are refused, naming them."""
    kind = type(data).__name__
    if len(names) == 1:
        return data[names[0]]
    shown = ", ".join(map(repr, names[:10])) + (", ..." if len(names) > 10 else "")
    first = names[0] if names else "text"
    raise InputError(
        f"a {kind} with {len(names)} columns ({shown or 'none'}) is not a list of texts; "
        f"pass its text column, e.g. df[{first!r}]"
    )


def _refuse_container(data: object) -> None:
    """Refuse what iterates but is not a list of texts (bytes, a dict, a set, an n-D array)."""
    if isinstance(data, bytes | bytearray | memoryview):
        raise InputError(
            f"the texts are {type(data).__name__}, not str; decode them first "
            "(data.decode('utf-8')), or pass a list of str"
        )
    if isinstance(data, Mapping):
        raise InputError(
            f"a {type(data).__name__} is not a list of texts (it would encode its keys); "
            "pass list(d.values()) or the list of texts itself"
        )
    if isinstance(data, set | frozenset):
        raise InputError(
            f"a {type(data).__name__} has no order, so the rows would not match the texts; "
            "pass a list"
        )
    shape = getattr(data, "shape", None)
    if isinstance(shape, tuple) and len(shape) != 1:
        raise InputError(
            f"the texts are a {len(shape)}-D {type(data).__name__} of shape {shape}; "
            "pass a 1-D array or list of texts (one column)"
        )


def _to_list(data: object) -> Any:
    for name in ("tolist", "to_list", "to_pylist"):
        if callable(method := getattr(data, name, None)):
            return method
    return None


def text_list(data: Any) -> list[Any]:
    """The texts of ``data`` as a list of ``str`` and ``None``, in order.

    Takes a list, tuple or any iterable of texts, a 1-D numpy array, a pandas
    (or polars) Series, a data frame with exactly one column, or a pyarrow
    array; a single ``str`` is one text. Missing values (see
    :func:`is_missing`) become ``None``.

    Raises:
        InputError: bytes, a dict, a set, a data frame with several columns,
            an array of more than one dimension, something that is not
            iterable, or an item that is neither text nor missing (the
            message names the item).

    Example:
        >>> text_list(("a b", float("nan")))
        ['a b', None]
    """
    if isinstance(data, str):
        return [data]
    names = frame_columns(data)
    if names is not None:
        data = _one_column(data, names)
    _refuse_container(data)
    if isinstance(data, list):
        items = data
    elif (to_list := _to_list(data)) is not None:
        items = to_list()  # numpy, pandas and polars series, pyarrow arrays: fast and whole
    else:
        try:
            items = list(data)
        except TypeError:
            raise InputError(
                f"the texts are {type(data).__name__}; pass a str (one text) or a list of str"
            ) from None
    if not all(type(t) is str or t is None for t in items):
        items = [None if is_missing(t) else t for t in items]
        check_texts(items)
    return items


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
            raise InputError(f"text {index} is {_kind(text)}")
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise InputError(
                    f"text {index} holds a lone surrogate at character {exc.start}, which is "
                    "not Unicode text; decode the data with errors='replace'"
                ) from None


def _kind(value: object) -> str:
    """What a non-text item is, and the remedy, for messages."""
    kind = type(value).__name__
    if isinstance(value, bytes | bytearray):
        return f"{kind}, not str; decode it first (value.decode('utf-8'))"
    return f"{kind}, not str; pass strings (or None for a missing text)"


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
