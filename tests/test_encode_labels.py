"""Label vocabularies: names ↔ ids, a batch's labels as numbers, label columns read in batches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aligner.encode_labels import (
    LabelVocab,
    column_ids,
    label_array,
    read_label_names,
    scan_labels,
)
from aligner.errors import CorpusError, InputError


def where(row: int) -> str:
    return f"d.parquet, row {row + 1}"


@given(st.lists(st.text(max_size=5), min_size=1, max_size=30))
def test_of_numbers_the_sorted_distinct_labels(values: list[str]) -> None:
    vocab = LabelVocab.of(values)
    assert list(vocab.names) == sorted(set(values))
    ids = label_array(values, vocab, "label")
    assert [vocab.names[i] for i in ids.tolist()] == values  # ids map back to the labels
    assert LabelVocab.of(reversed(values)) == vocab  # row order plays no part


def test_of_refuses_a_missing_label() -> None:
    with pytest.raises(InputError, match=r"the labels, value 1: None is not a text label"):
        LabelVocab.of(["a", None])


def test_metadata_and_text_file_read_back(tmp_path: Path) -> None:
    vocab = LabelVocab(["spam", "ham"])
    path = tmp_path / "t.parquet"
    table = pa.table({"labels": [0, 1]})
    pq.write_table(table.replace_schema_metadata(vocab.metadata()), path)
    assert read_label_names(path) == vocab
    text = tmp_path / "names.txt"
    text.write_bytes(b"\xef\xbb\xbfspam\r\nham\n")
    assert read_label_names(text).names == ("spam", "ham")


def test_a_corrupt_parquet_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(CorpusError, match=f"{path}: cannot read it as Parquet"):
        read_label_names(path)
    pq.write_table(pa.table({"a": [1]}).replace_schema_metadata({"aligner.labels": "{"}), path)
    with pytest.raises(InputError, match="is not a JSON list of names"):
        read_label_names(path)


@pytest.mark.parametrize(
    ("values", "kind", "result"),
    [
        ([1, np.int64(2)], np.int64, [1, 2]),
        ([1, 0.5], np.float32, [1.0, 0.5]),
        ([np.array(3), "x"], None, "example 0: label 'label' is the number 3"),
        ([float("inf")], None, "example 0: label 'label' is inf, not a finite number"),
    ],
)
def test_label_array(values: list[Any], kind: Any, result: Any) -> None:
    if kind is None:
        with pytest.raises(InputError, match=result):
            label_array(values, LabelVocab(["x"]), "label")
        return
    out = label_array(values, None, "label")
    assert out.dtype == kind and out.tolist() == result


def test_scan_learns_sorted_names_over_batches_of_any_string_type() -> None:
    batches = [
        pa.array(["b", "a"]).dictionary_encode(),
        pa.array(["c", "a"], pa.large_string()),
    ]
    kind, names = scan_labels(batches, None, where)
    assert kind == "text" and names is not None and names.names == ("a", "b", "c")
    assert column_ids(batches[1], kind, names).to_pylist() == [2, 0]
    assert column_ids(batches[1], kind, names).type == pa.int64()


@pytest.mark.parametrize(
    ("batches", "given_names", "message"),
    [
        ([pa.array(["a"]), pa.array(["b", None])], None, "d.parquet, row 3: no label"),
        ([pa.array([None, "a"])], None, "d.parquet, row 1: no label"),
        ([pa.array(["a", " \t"])], None, "d.parquet, row 2: no label"),
        ([pa.array([1, None])], None, "d.parquet, row 2: no label"),
        ([pa.array([1]), pa.array(["b"])], None, "row 2: the label column holds string"),
        ([pa.array(["a", "zz"])], ["a"], "row 2: label 'zz' is not one of the 1 label names"),
        ([pa.array([1.5])], ["a"], "the labels are float numbers, and label names number"),
        ([pa.array([True])], None, "row 1: the label column holds bool, not text"),
    ],
)
def test_scan_errors_name_the_row(
    batches: list[Any], given_names: list[str] | None, message: str
) -> None:
    names = None if given_names is None else LabelVocab(given_names, source="n.txt")
    with pytest.raises(InputError, match=message):
        scan_labels(batches, names, where)


def test_numbers_are_kept() -> None:
    assert scan_labels([pa.array([3, 1], pa.int8())], None, where) == ("integer", None)
    assert column_ids(pa.array([3, 1], pa.int8()), "integer", None).type == pa.int64()
    assert scan_labels([], None, where) == (None, None)
    floats = pa.array([0.5], pa.float32())
    assert column_ids(floats, "float", None).equals(floats)
