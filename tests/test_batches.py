"""Parsing the values of kept text rows: at once, or row by row to name a bad line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.errors import VectorsFormatError
from aligner.pretrained.batches import FEW, LONG, OK, SPACED, parse_batch, split_fields

PATH = Path("v.txt")


@settings(max_examples=50, deadline=None)
@given(
    values=st.lists(
        st.lists(
            st.floats(width=32, allow_nan=False, allow_infinity=False), min_size=4, max_size=4
        ),
        min_size=1,
        max_size=30,
    ),
    style=st.sampled_from(["repr", "e", "g"]),
)
def test_printed_float32_values_come_back_bit_for_bit(
    values: list[list[float]], style: str
) -> None:
    expected = np.array(values, dtype=np.float32)
    printed = {
        "repr": lambda x: repr(float(np.float32(x))),  # shortest round trip of the float32
        "e": lambda x: f"{x:.9e}",
        "g": lambda x: f"{x:.9g}",
    }[style]
    rows = [" ".join(printed(x) for x in row).encode() for row in values]
    batch = parse_batch(PATH, 4, rows, list(range(1, len(rows) + 1)), False)
    assert batch.matrix.tobytes() == expected.tobytes()
    assert batch.keep.all() and batch.bad_rows == 0


def test_decimals_are_rounded_once_to_float32() -> None:
    # 1.00000005960464477539 lies just above the midpoint of 1 and the next float32:
    # rounded to float64 first it lands on the midpoint, and then ties to 1.0
    batch = parse_batch(PATH, 2, [b"1.000000059604644775390625001 0.5"], [1], False)
    assert batch.matrix[0, 0] == np.nextafter(np.float32(1), np.float32(2))


@pytest.mark.parametrize(
    "row", [b"0.5 x 1", b"0.5  1", b"0.5\t1 2", b"0.5 1 0x10", b"NA 1 2", b"0.5 1 2 "]
)
def test_a_bad_value_is_named_or_skipped(row: bytes) -> None:
    good = b"0.25 0.5 1"
    with pytest.raises(VectorsFormatError, match=r"^v.txt, line 8: a value is not a number"):
        parse_batch(PATH, 3, [good, row, good], [7, 8, 9], False)
    batch = parse_batch(PATH, 3, [good, row, good], [7, 8, 9], True)
    assert batch.keep.tolist() == [True, False, True] and batch.bad_rows == 1
    assert batch.matrix.tolist() == [[0.25, 0.5, 1.0]] * 2


def test_non_finite_values_are_parsed_for_the_reader_to_count() -> None:
    batch = parse_batch(PATH, 3, [b"nan 1 2", b"inf -inf 1e50", b"1 2 3"], [1, 2, 3], False)
    assert batch.keep.all()
    assert np.isnan(batch.matrix[0, 0]) and np.isinf(batch.matrix[1]).all()
    assert batch.matrix[2].tolist() == [1, 2, 3]


def test_split_fields_tells_the_token_from_the_values() -> None:
    assert split_fields(b"cat 0.5 1\r", 2, 100) == (OK, b"cat", b"0.5 1", 2)
    assert split_fields(b"new york 0.5 1", 2, 100) == (SPACED, b"new york", b"0.5 1", 3)
    assert split_fields(b"cat 0.5", 2, 100)[0] == FEW
    assert split_fields(b"cat " + b"1 " * 60, 2, 100)[0] == LONG
