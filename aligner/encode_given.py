"""Rows that are already encoded (``dataset.map(enc.map_function())``), as collate takes them.

An encoded example holds ``input_ids`` (a list, numpy array or CPU tensor of
integer ids) and, optionally, ``attention_mask`` (0/1 integers or booleans,
one per id: 1 keeps the id) or ``length`` (the real ids before padding). Ids
must be ids of the encoder's vocabulary; an unsigned id beyond ``int64`` is
named as it is, never wrapped around.

Example:
    >>> encoded_row(0, {"input_ids": [5, 6, 0], "attention_mask": [1, 1, 0]}, 10).tolist()
    [5, 6]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from aligner.errors import InputError

__all__ = ["IDS", "LENGTH", "MASK", "encoded_row"]

IDS, MASK, LENGTH = "input_ids", "attention_mask", "length"
_INT64_MAX = np.iinfo(np.int64).max


def encoded_row(index: int, example: Mapping[str, Any], size: int) -> np.ndarray:
    """The real ids of an encoded example (its mask or length drops the padding).

    Args:
        index: the example's place in the batch, for messages.
        example: a mapping with ``input_ids`` (and ``attention_mask`` or ``length``).
        size: the vocabulary size: ids run from 0 to ``size - 1``.

    Returns:
        The ids (``int64``) the mask or length keeps.

    Raises:
        InputError: ids that are not one row of integers of the vocabulary, a
            mask that is not one 0/1 value (or bool) per id, a length that is
            not a count of the ids; the message names the example.
    """
    ids = _ids(index, _vector(index, example, IDS))
    if example.get(MASK) is not None:
        ids = ids[_mask(index, _vector(index, example, MASK), ids.size)]
    elif example.get(LENGTH) is not None:
        ids = ids[: _length(index, example[LENGTH], ids.size)]
    if ids.size and (ids.min() < 0 or ids.max() >= size):
        bad = int(ids[(ids < 0) | (ids >= size)][0])
        raise InputError(
            f"example {index}: {IDS!r} holds the id {bad}, and this encoder's vocabulary has "
            f"ids 0 to {size - 1}; encode the texts with the artifact this encoder comes from"
        )
    return ids


def _ids(index: int, ids: np.ndarray) -> np.ndarray:
    """Integer ids as ``int64``: unsigned ones beyond it, and Python integers beyond
    any numpy type, are named."""
    values = ids.tolist() if ids.dtype == object else []
    if values and all(isinstance(i, int) and not isinstance(i, bool) for i in values):
        big = next((i for i in values if not -_INT64_MAX - 1 <= i <= _INT64_MAX), None)
        if big is not None:
            raise _too_big(index, big)
        ids = np.array(values, dtype=np.int64)
    if ids.size and ids.dtype.kind not in "iu":
        raise InputError(
            f"example {index}: {IDS!r} holds {ids.dtype} values, not integer ids; "
            "give the ids that enc.map_function() wrote"
        )
    if ids.dtype == np.uint64 and ids.size and ids.max() > _INT64_MAX:
        raise _too_big(index, int(ids[ids > _INT64_MAX][0]))
    return ids.astype(np.int64)


def _too_big(index: int, value: int) -> InputError:
    return InputError(
        f"example {index}: {IDS!r} holds the id {value}, beyond int64 and any vocabulary; "
        "give the ids that enc.map_function() wrote"
    )


def _mask(index: int, mask: np.ndarray, width: int) -> np.ndarray:
    """Which ids a mask keeps: it must hold one 0/1 integer or bool per id."""
    if mask.shape != (width,):
        raise InputError(
            f"example {index}: {MASK!r} has {mask.size} values and {IDS!r} {width}; "
            "give one mask value per id"
        )
    if mask.dtype == np.bool_:
        return mask
    if mask.size and (mask.dtype.kind not in "iu" or not np.isin(mask, (0, 1)).all()):
        shown = next((v for v in mask.tolist() if v not in (0, 1)), mask.tolist()[0])
        what = "text" if mask.dtype.kind in "US" else str(mask.dtype)
        raise InputError(
            f"example {index}: {MASK!r} holds {what} values such as {shown!r}, not 0 and 1; "
            "give the mask that enc.map_function() wrote (0/1 integers or booleans)"
        )
    return mask != 0


def _vector(index: int, example: Mapping[str, Any], key: str) -> np.ndarray:
    """One row of ``example[key]`` as a 1-D numpy array (a list, an array or a CPU tensor)."""
    value = example[key]
    if value is None:
        raise InputError(
            f"example {index}: {key!r} is None (its text was missing); drop or fill the rows "
            "without text before batching"
        )
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, RuntimeError, OverflowError) as exc:
        detail = " ".join(str(exc).split())[:120]
        raise InputError(
            f"example {index}: {key!r} is a {type(value).__name__} that is not one row of ids "
            f"({detail}); give a list, a numpy array or a CPU tensor"
        ) from None
    if array.ndim != 1:
        raise InputError(
            f"example {index}: {key!r} has shape {tuple(array.shape)}, not one row of ids; "
            "give each example its own 1-D row"
        )
    return array


def _length(index: int, value: Any, width: int) -> int:
    value = value.item() if getattr(value, "ndim", None) == 0 else value
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or not 0 <= value <= width
    ):
        raise InputError(
            f"example {index}: {LENGTH!r} is {value!r}, not a count of its {width} ids; "
            "give the length that enc.map_function(length=True) wrote, or drop it"
        )
    return int(value)
