"""Label columns read in batches: typed columns checked, CSV/TSV cells typed by what they hold."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aligner.encode_label_columns import column_ids, is_integer_text, scan_labels
from aligner.encode_labels import LabelVocab
from aligner.errors import InputError


def where(row: int) -> str:
    return f"d.parquet, row {row + 1}"


def scan(batches: list[Any], names: LabelVocab | None = None, **options: Any) -> Any:
    return scan_labels(lambda: iter(batches), names, where, **options)


def cells(*batches: list[str]) -> list[Any]:
    return [pa.array(batch, pa.string()) for batch in batches]


def test_scan_learns_sorted_names_over_batches_of_any_string_type() -> None:
    batches = [
        pa.array(["b", "a"]).dictionary_encode(),
        pa.array(["c", "a"], pa.large_string()),
    ]
    kind, names = scan(batches)
    assert kind == "text" and names is not None and names.names == ("a", "b", "c")
    assert column_ids(batches[1], kind, names).to_pylist() == [2, 0]
    assert column_ids(batches[1], kind, names).type == pa.int64()


@pytest.mark.parametrize(
    ("batches", "given_names", "message"),
    [
        ([pa.array(["a"]), pa.array(["b", None])], None, "d.parquet, row 3: no label in column"),
        ([pa.array([None, "a"])], None, "d.parquet, row 1: no label"),
        ([pa.array(["a", " \t"])], None, "d.parquet, row 2: no label"),
        ([pa.array([1, None])], None, "d.parquet, row 2: no label"),
        ([pa.array([1]), pa.array(["b"])], None, "row 2: the label column 'label' holds string"),
        ([pa.array(["a", "zz"])], ["a"], "row 2: label 'zz' is not one of the 1 label names"),
        ([pa.array([1.5])], ["a"], "the labels of column 'label' are float numbers, and label"),
        ([pa.array([True])], None, "row 1: the label column 'label' holds bool, not text"),
        ([pa.array([0.5, float("nan")])], None, "row 2: label nan of column 'label' is not a fin"),
        ([pa.array([1.0]), pa.array([-1e39])], None, r"row 2: label -1e\+39 of column 'label'"),
        ([pa.array([1, 2**63 + 5], pa.uint64())], None, "row 2: label 9223372036854775813 of"),
    ],
)  # fmt: skip
def test_scan_errors_name_the_row(
    batches: list[Any], given_names: list[str] | None, message: str
) -> None:
    names = None if given_names is None else LabelVocab(given_names, source="n.txt")
    with pytest.raises(InputError, match=message):
        scan(batches, names)


def test_numbers_are_kept() -> None:
    assert scan([pa.array([3, 1], pa.int8())]) == ("integer", None)
    assert column_ids(pa.array([3, 1], pa.int8()), "integer", None).type == pa.int64()
    assert scan([]) == (None, None)
    floats = pa.array([0.5], pa.float32())
    assert column_ids(floats, "float", None).equals(floats)
    assert scan([pa.array([2**63 - 1], pa.uint64())]) == ("integer", None)


@pytest.mark.parametrize(
    ("batches", "kind", "ids"),
    [
        (cells(["0", "1", "2"], ["10", "11"]), "integer", [0, 1, 2, 10, 11]),
        (cells([" +1", "-1 ", "0"]), "integer", [1, -1, 0]),
        (cells(["-0", "9223372036854775807"]), "integer", [0, 9223372036854775807]),
        (cells(["0.5", "1.25"]), "float", [0.5, 1.25]),
        (cells(["1", "2"], ["1e3", ".5", "-2.", "1E-2"]), "float", [1, 2, 1000, 0.5, -2, 0.01]),
        (cells(["007", "7"]), "text", [0, 1]),  # a leading zero: codes, kept as names
        (cells(["1", "2"], ["10", "x"]), "text", [0, 2, 1, 3]),  # "10" sorts before "2"
        (cells(["1_000", "2"]), "text", [0, 1]),
        (cells(["1,5", "2"]), "text", [0, 1]),
        (cells(["NA", "spam"]), "text", [0, 1]),  # a text column may have a class named NA
    ],
)
def test_csv_cells_are_typed_by_what_they_hold(
    batches: list[Any], kind: str, ids: list[Any]
) -> None:
    found, names = scan(batches, infer=True)
    assert found == kind and (names is None) == (kind != "text")
    written = [v for b in batches for v in column_ids(b, found, names).to_pylist()]
    assert written == ids
    if kind == "integer":
        assert column_ids(batches[0], kind, names).type == pa.int64()
    if kind == "float":
        assert column_ids(batches[0], kind, names).type == pa.float64()


def test_given_names_make_a_csv_column_text() -> None:
    names = LabelVocab(["1", "0"], source="n.txt")
    assert scan(cells(["0", "1"]), names, infer=True) == ("text", names)


@pytest.mark.parametrize(
    ("batches", "message"),
    [
        (cells(["1"], ["NaN"]), "row 2: label 'NaN' of column 'y' is not a finite number, and"),
        (cells(["0.5", "-inf"]), "row 2: label '-inf' of column 'y' is not a finite number"),
        (cells(["1", "NA", "null"]), "row 2: label 'NA' of column 'y' is not a number, and the"),
        (cells(["1.5", "1e39"]), "row 2: label '1e39' of column 'y' is beyond the float32 range"),
        (cells(["1", "99999999999999999999"]), "row 2: label '99999999999999999999' of column"),
        (cells(["1", ""]), "row 2: no label in column 'y'"),
    ],
)
def test_csv_number_columns_refuse_what_training_cannot_take(
    batches: list[Any], message: str
) -> None:
    with pytest.raises(InputError) as error:
        scan(batches, column="y", infer=True)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_long_integer_refused_only_when_the_column_stays_integers() -> None:
    # it may be a name: in a text column it is one
    kind, names = scan(cells(["99999999999999999999", "x"]), infer=True)
    assert kind == "text" and names is not None and names.names == ("99999999999999999999", "x")
    with pytest.raises(InputError, match="int64 range of class ids; give ids that fit int64, or g"):
        scan(cells(["99999999999999999999", "1"]), infer=True)


def test_many_names_that_looked_like_numbers_are_read_again() -> None:
    numbers = [str(n) for n in range(70_000)]
    reads = []

    def read() -> Any:
        reads.append(1)
        return iter(cells(numbers, ["spam"]))

    kind, names = scan_labels(read, None, where, infer=True)
    assert kind == "text" and names is not None and len(names) == 70_001
    assert len(reads) == 2 and names.names[:3] == ("0", "1", "10")


@given(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=20))
def test_integers_written_any_way_come_back_as_they_are(values: list[int]) -> None:
    texts = [f"+{v}" if v > 0 and v % 2 else f" {v} " for v in values]
    assert all(is_integer_text(t) for t in texts)
    kind, names = scan(cells(texts), infer=True)
    assert kind == "integer" and column_ids(cells(texts)[0], kind, names).to_pylist() == values
