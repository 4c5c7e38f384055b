"""Label vocabularies: names ↔ ids, a batch's labels as numbers, label columns read in batches."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aligner.encode_labels import LabelVocab, float_problem, label_array, read_label_names
from aligner.errors import CorpusError, InputError


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
        ([np.float64(1e39)], None, "is 1e\\+39, beyond the float32 range"),
        ([2**64], None, "the integer 18446744073709551616, beyond the int64 range"),
        ([np.uint64(2**63 + 5)], None, "the integer 9223372036854775813, beyond the int64"),
    ],
)
def test_label_array(values: list[Any], kind: Any, result: Any) -> None:
    if kind is None:
        with pytest.raises(InputError, match=result):
            label_array(values, None, "label")
        return
    out = label_array(values, None, "label")
    assert out.dtype == kind and out.tolist() == result


def test_an_id_outside_the_names_is_named_before_int64() -> None:
    with pytest.raises(InputError, match="is the id 18446744073709551616, and there are 1 label"):
        label_array([2**64], LabelVocab(["x"]), "label")


def test_float_problem_says_why() -> None:
    assert float_problem(3.0e38) is None and float_problem(-0.0) is None
    assert float_problem(float("-inf")) == "not a finite number"
    assert float_problem(3.5e38) == "beyond the float32 range (±3.4e38) of training targets"


@pytest.mark.parametrize(
    "mapping",
    [
        {"spam": 1, "ham": 0},  # label2id
        {1: "spam", 0: "ham"},  # id2label
        {np.int64(1): "spam", np.int64(0): "ham"},
    ],
)
def test_a_hugging_face_mapping_orders_the_names_by_id(mapping: dict[Any, Any]) -> None:
    vocab = LabelVocab(mapping)
    assert vocab.names == ("ham", "spam") and vocab.to_id == {"ham": 0, "spam": 1}


@pytest.mark.parametrize(
    ("mapping", "phrase"),
    [
        ({"spam": 1, "ham": 1}, "'spam' and 'ham' both have the id 1; give the 2 labels the ids"),
        ({"spam": 2, "ham": 0}, "no label has the id 1; give the 2 labels the ids 0 to 1, each"),
        ({"spam": -1, "ham": 0}, "'spam' has the id -1"),
        ({0: "a", 1: "a"}, "'a' is given twice"),
        ({"spam": "x"}, "and this one maps 'spam' to 'x'; give one of those"),
        ({"spam": True}, "this one maps 'spam' to True"),
        ({}, "no label names"),
    ],
)
def test_a_mapping_needs_ids_0_to_n_minus_1(mapping: dict[Any, Any], phrase: str) -> None:
    with pytest.raises(InputError) as error:
        LabelVocab(mapping, source="collate(labels=...)")
    message = str(error.value)
    assert message.startswith("collate(labels=...): ") and phrase in message
    assert "\n" not in message


@pytest.mark.parametrize("names", [{"spam", "ham"}, frozenset({"spam", "ham"})])
def test_an_unordered_set_is_refused(names: Any) -> None:
    with pytest.raises(InputError) as error:
        LabelVocab(names)
    message = str(error.value)
    assert f"a {type(names).__name__} has no order" in message
    assert "give a list in id order, or LabelVocab.of(labels)" in message
    assert LabelVocab.of(names).names == ("ham", "spam")  # .of sorts: a set is fine there


@pytest.mark.parametrize(("suffix", "opener"), [(".gz", gzip.open), (".bz2", bz2.open)])
def test_a_compressed_names_file_is_read_decompressed(
    tmp_path: Path, suffix: str, opener: Any
) -> None:
    path = tmp_path / f"names.txt{suffix}"
    with opener(path, "wb") as fh:
        fh.write(b"spam\nham\n")
    assert read_label_names(path).names == ("spam", "ham")


@pytest.mark.parametrize(
    ("name", "content", "phrase"),
    [
        ("names.txt", gzip.compress(b"spam\n"), "is gzip-compressed, and its name does not say"),
        ("names", bz2.compress(b"spam\n"), "rename it to end in .bz2, or decompress it"),
        ("names.zip", b"PK\x03\x04rest", "is a zip archive; give the label names as plain text"),
        ("names.txt.gz", b"spam\n", "cannot decompress"),
    ],
)
def test_a_names_file_compressed_unsaid_is_refused(
    tmp_path: Path, name: str, content: bytes, phrase: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as error:
        read_label_names(path)
    assert phrase in str(error.value) and str(path) in str(error.value)


def test_a_parquet_names_file_without_its_suffix_is_read(tmp_path: Path) -> None:
    path = tmp_path / "names"
    pq.write_table(
        pa.table({"labels": [0]}).replace_schema_metadata(LabelVocab(["a"]).metadata()), path
    )
    assert read_label_names(path).names == ("a",)
