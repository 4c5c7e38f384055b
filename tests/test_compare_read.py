"""Reading labelled dataset-1 files: every layout, and what is refused."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from aligner.compare.read import read_labelled
from aligner.errors import CorpusError, InputError

ROWS = [("music", "we play guitar"), ("sports", "a goal"), ("music", "")]


def test_tsv_without_header_by_column_number(tmp_path: Path) -> None:
    path = tmp_path / "train.tsv"
    path.write_text("".join(f"{label}\t{text}\n" for label, text in ROWS), encoding="utf-8")
    split = read_labelled(path, text_column="2", label_column="1")
    assert split.labels == ["music", "sports", "music"]
    assert split.texts == ["we play guitar", "a goal", ""]
    assert split.where(1) == "line 2"


def test_csv_with_header_by_name_keeps_quoted_text(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text('id,text,label\n1,"hello, world",a\n2,"two\nlines",b\n', encoding="utf-8")
    split = read_labelled(path, text_column="text", label_column="label")
    assert split.texts == ["hello, world", "two\nlines"]
    assert split.labels == ["a", "b"]
    assert split.where(0) == "line 2"


def test_jsonl_gz_with_numeric_labels(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl.gz"
    records = [{"text": "x y", "label": 1}, {"text": None, "label": "1"}, {"text": "z", "label": 0}]
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(json.dumps(r) for r in records) + "\n\n")
    split = read_labelled(path, text_column="text", label_column="label")
    assert split.labels == ["1", "1", "0"]  # 1 and "1" are one label
    assert split.texts == ["x y", "", "z"]


@pytest.mark.parametrize("suffix", ["parquet", "arrow"])
def test_parquet_and_arrow(tmp_path: Path, suffix: str) -> None:
    table = pa.table({"label": ["a", "b"], "body": ["one", "two"], "n": [1, 2]})
    path = tmp_path / f"train.{suffix}"
    if suffix == "parquet":
        pq.write_table(table, path)
    else:
        feather.write_feather(table, path)
    split = read_labelled(path, text_column="body", label_column="label")
    assert (split.texts, split.labels) == (["one", "two"], ["a", "b"])
    assert split.where(1) == "row 2"


def test_empty_file_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "empty.tsv"
    path.write_text("")
    assert len(read_labelled(path, text_column="2", label_column="1")) == 0


@pytest.mark.parametrize(
    ("name", "content", "columns", "expected"),
    [
        ("t.tsv", "a\tx\n", ("3", "1"), ["t.tsv, line 1", "no column number 3", "--text-column"]),
        ("t.tsv", "a\tx\n", ("2", "5"), ["t.tsv, line 1", "no column number 5", "--label-column"]),
        ("t.csv", "text,y\nx,a\n", ("text", "label"), ["t.csv", "no column 'label'", "y"]),
        ("t.tsv", "1\t2\n3\t4\n", ("2", "1"), ["t.tsv", "only numbers", "--text-column"]),
        ("t.tsv", "a\tx\n\ty\n", ("2", "1"), ["t.tsv, line 2", "no label", "give every row"]),
        ("t.jsonl", '{"t": 3, "l": "a"}\n', ("t", "l"), ["t.jsonl", "not text", "--text-column"]),
        ("t.jsonl", '{"t": "x"}\n', ("t", "l"), ["t.jsonl", "no column 'l'", "--label-column"]),
        ("t.jsonl", '{"t": "x", "l": 1}\n{"t": "y"}\n', ("t", "l"), ["line 2", "lacks"]),
        ("t.jsonl", '{"t": "x", "l": [1]}\n', ("t", "l"), ["record 1", "not a value"]),
        ("t.txt", "hello\n", ("text", "label"), ["t.txt", "plain text", "TSV/CSV"]),
    ],
)
def test_bad_files_name_file_place_and_remedy(
    tmp_path: Path, name: str, content: str, columns: tuple[str, str], expected: list[str]
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError) as info:
        read_labelled(path, text_column=columns[0], label_column=columns[1])
    message = str(info.value)
    assert "\n" not in message
    for fragment in expected:
        assert fragment in message


def test_parquet_text_column_that_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"n": [1, 2], "label": ["a", "b"]}), path)
    with pytest.raises(CorpusError, match=r"column 'n' is int64, not text"):
        read_labelled(path, text_column="n", label_column="label")


@pytest.mark.parametrize(("text", "label"), [("2", "2"), ("2", "label")])
def test_columns_the_same_or_mixed_number_and_name(tmp_path: Path, text: str, label: str) -> None:
    path = tmp_path / "t.tsv"
    path.write_text("a\tx\n")
    with pytest.raises(InputError, match="--text-column and --label-column"):
        read_labelled(path, text_column=text, label_column=label)


def test_headerless_line_1_with_a_repeated_cell_counts_every_column(tmp_path: Path) -> None:
    # line 1 is data: "x\tx" is two columns, though a header could not repeat a name
    path = tmp_path / "t.tsv"
    path.write_text("x\tx\nmusic\twe play\n", encoding="utf-8")
    split = read_labelled(path, text_column="02", label_column="1")
    assert split.texts == ["x", "we play"] and split.labels == ["x", "music"]
    with pytest.raises(CorpusError, match=r"line 1: 2 columns, so no column number 3"):
        read_labelled(path, text_column="2", label_column="3")


@pytest.mark.parametrize(
    ("cells", "labels"),
    [
        (["+1", "1", "-1", " 10 "], ["1", "1", "-1", "10"]),  # integers: one spelling each
        (["007", "7", "10"], ["007", "7", "10"]),  # a leading zero: codes, as encode keeps them
        (["1", "1.0", "x"], ["1", "1.0", "x"]),  # not all integers: names as written
    ],
)
def test_integer_labels_are_one_label_however_written(
    tmp_path: Path, cells: list[str], labels: list[str]
) -> None:
    path = tmp_path / "train.csv"
    path.write_text("label,text\n" + "".join(f"{c},guitar\n" for c in cells))
    split = read_labelled(path, text_column="text", label_column="label")
    assert split.labels == labels
