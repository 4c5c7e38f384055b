"""Encoding on Spark (aligner.engines.spark.encode): the local encoder's ids and columns."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aligner import load
from aligner.encode_files import encode_file
from aligner.errors import CorpusError, InputError

pytest.importorskip("pyspark", reason="the Spark tests need pyspark: pip install 'aligner[spark]'")

from aligner.engines.spark import encode, encode_files, worker

TEXTS = ["The guitar and Piano", None, "", "goal goal zorblax never-seen", "\ufeffguitar"]


def test_dataframe_ids_equal_the_local_encoder(spark: Any, built: Path) -> None:
    frame = spark.createDataFrame(list(enumerate(TEXTS)), "id int, text string")
    art = load(built)
    plain = encode(frame, built, "text").orderBy("id").collect()
    assert [row["input_ids"] for row in plain] == art.encode(TEXTS)
    padded = encode(frame, str(built), "text", max_length=3, pad=True)
    assert padded.columns == ["id", "text", "input_ids", "attention_mask", "length"]
    rows = padded.orderBy("id").collect()
    ids, lengths = art.encoder(max_length=3, pad=True).encode_with_lengths(pa.array(TEXTS))
    assert [row["input_ids"] for row in rows] == ids.to_pylist()
    assert [row["length"] for row in rows] == lengths.to_pylist() == [3, None, 0, 3, 1]
    assert rows[4]["attention_mask"] == [1, 0, 0] and rows[1]["attention_mask"] is None
    assert worker._ENCODERS == {}  # opened by the workers, never in this process


@pytest.mark.parametrize(
    ("column", "options", "message"),
    [
        ("body", {}, "no column 'body'; its columns are: id, text"),
        ("id", {}, "column 'id' is int, not text"),
        ("text", {"pad": True}, "padding on Spark needs max_length"),
    ],
)
def test_bad_columns_and_options_are_refused_at_once(
    spark: Any, built: Path, column: str, options: dict[str, Any], message: str
) -> None:
    frame = spark.createDataFrame([(1, "a")], "id int, text string")
    with pytest.raises(InputError, match=message):
        encode(frame, built, column, **options)
    taken = spark.createDataFrame([("a", 1)], "text string, length int")
    with pytest.raises(InputError, match="already has a column named 'length'"):
        encode(taken, built, "text")


def test_files_give_the_local_command_columns_in_the_input_order(
    spark: Any, built: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    # names Spark would take for globs or escapes, and a bigger second file read first
    (data / "a +1%.txt").write_text("\ufeffguitar The\r\n\nPiano piano goal\n", encoding="utf-8")
    (data / "b.txt").write_text(
        "\ufeffzorblax\nfootball The The\n" + "goal\n" * 50, encoding="utf-8"
    )
    encoder = load(built).encoder(max_length=4, pad=True)
    result = encode_files(spark, str(data), built, tmp_path / "ids", max_length=4, pad=True)
    expected = []
    for name in ("a +1%.txt", "b.txt"):
        encode_file(encoder, data / name, tmp_path / f"{name}.parquet")
        expected += pq.read_table(tmp_path / f"{name}.parquet").to_pylist()
    written = pq.read_table(tmp_path / "ids")
    assert written.schema.names == pq.read_schema(tmp_path / "b.txt.parquet").names
    assert written.to_pylist() == expected
    assert (result.rows, result.tokens, result.unknown, result.files) == (55, 59, 1, 2)


def test_a_headerless_tsv_keeps_numbered_columns(spark: Any, built: Path, tmp_path: Path) -> None:
    data = tmp_path / "train.tsv"
    with data.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter="\t").writerows([["music", "The guitar"], ["sport", "goal"]])
    encode_files(spark, str(data), built, tmp_path / "ids", text_column="2")
    encode_file(load(built).encoder(), data, tmp_path / "local.parquet", text_column="2")
    assert (
        pq.read_table(tmp_path / "ids").to_pylist()
        == pq.read_table(tmp_path / "local.parquet").to_pylist()
    )


def test_bad_files_are_one_line_and_leave_no_output(
    spark: Any, built: Path, tmp_path: Path
) -> None:
    pq.write_table(pa.table({"n": [1], "text": ["a"]}), tmp_path / "t.parquet")
    (tmp_path / "t.txt").write_text("", encoding="utf-8")
    out = tmp_path / "ids"
    with pytest.raises(CorpusError, match="column 'n' is bigint, not text"):
        encode_files(spark, str(tmp_path / "t.parquet"), built, out, text_column="n")
    with pytest.raises(InputError, match="mixes layouts"):
        encode_files(spark, str(tmp_path), built, out, text_column="text")
    with pytest.raises(InputError, match="holds no rows to encode"):
        encode_files(spark, str(tmp_path / "t.txt"), built, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.parquet", "t.txt"]
