"""``aligner encode`` through CliRunner: layouts, options, JSON, errors, atomic output."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

import aligner
from aligner_cli.encode import encode

TEXTS = ["The guitar zorblax unseen", "football goal", "", "Piano piano piano"]


def run(*args: Any) -> Result:
    return CliRunner().invoke(encode, [str(a) for a in args])


def expected_ids(built: Path, texts: list[str | None]) -> list[Any]:
    art = aligner.load(built)
    return [None if t is None else art.encode([t])[0] for t in texts]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_help_ends_with_an_example() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert result.output.rstrip().splitlines()[-1].strip().startswith("--text-column 2")
    assert "Example:" in result.output


def test_text_file_one_text_per_line(built: Path, tmp_path: Path) -> None:
    data = tmp_path / "texts.txt"
    data.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    out = tmp_path / "ids.parquet"
    result = run("--artifact", built, "--data", data, "--out", out)
    assert result.exit_code == 0, result.output
    assert f"wrote {out}: 4 rows" in result.output
    table = pq.read_table(out)
    assert table.column_names == ["text", "input_ids", "length"]
    assert table["text"].to_pylist() == TEXTS
    assert table["input_ids"].to_pylist() == expected_ids(built, TEXTS)
    assert table["length"].to_pylist() == [4, 2, 0, 3]
    assert leftovers(tmp_path) == []


def test_parquet_keep_columns_or_ids_only_and_nulls(built: Path, tmp_path: Path) -> None:
    texts = [*TEXTS, None]
    data = tmp_path / "docs.parquet"
    pq.write_table(pa.table({"id": range(5), "body": texts}), data, row_group_size=2)
    out = tmp_path / "ids.parquet"
    result = run("--artifact", built, "--data", data, "--text-column", "body", "--out", out)
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.column_names == ["id", "body", "input_ids", "length"]
    assert table["id"].to_pylist() == list(range(5))
    assert table["input_ids"].to_pylist() == expected_ids(built, texts)
    assert table["length"].to_pylist() == [4, 2, 0, 3, None]
    args = ["--artifact", built, "--data", data, "--text-column", "body", "--out", out]
    result = run(*args, "--ids-only", "--force")
    assert result.exit_code == 0, result.output
    assert pq.read_table(out).column_names == ["input_ids", "length"]


def write_layout(folder: Path, kind: str) -> tuple[Path, str]:
    """TEXTS in the column 'text' of a file of the given kind; (path, column)."""
    rows = [{"n": i, "text": t} for i, t in enumerate(TEXTS)]
    table = pa.Table.from_pylist(rows)
    if kind == "jsonl.gz":
        path = folder / "data.jsonl.gz"
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in rows)
    elif kind == "csv":
        path = folder / "data.csv"
        path.write_text("n,text\n" + "".join(f'{i},"{t}"\n' for i, t in enumerate(TEXTS)))
    elif kind == "tsv-numbered":
        path = folder / "data.tsv"
        path.write_text("".join(f"{i}\t{t}\n" for i, t in enumerate(TEXTS)))
        return path, "2"
    elif kind == "arrow-file":
        path = folder / "data.arrow"
        feather.write_feather(table, path)
    else:
        path = folder / "data.ipc"
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
            w.write_table(table)
    return path, "text"


@pytest.mark.parametrize("kind", ["jsonl.gz", "csv", "tsv-numbered", "arrow-file", "arrow-stream"])
def test_every_layout(built: Path, tmp_path: Path, kind: str) -> None:
    data, column = write_layout(tmp_path, kind)
    out = tmp_path / "ids.parquet"
    result = run("--artifact", built, "--data", data, "--text-column", column, "--out", out)
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table["input_ids"].to_pylist() == expected_ids(built, TEXTS)
    assert len(table.column_names) == 4


def test_max_length_pad_and_json(built: Path, tmp_path: Path) -> None:
    data = tmp_path / "texts.txt"
    data.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    out = tmp_path / "ids.parquet"
    args = ["--artifact", built, "--data", data, "--out", out, "--max-length", 3, "--pad"]
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == {
        *("path", "rows", "tokens", "unknown", "seconds", "label_type", "label_names")
    }
    assert (report["path"], report["rows"], report["tokens"]) == (str(out), 4, 3 + 2 + 0 + 3)
    assert report["label_type"] is None and report["label_names"] is None
    art = aligner.load(built)
    kept = [row[:3] for row in expected_ids(built, TEXTS)]
    assert report["unknown"] == sum(row.count(art.vocab.unk_id) for row in kept) == 2
    table = pq.read_table(out)
    assert table.column_names == ["text", "input_ids", "attention_mask", "length"]
    ids = table["input_ids"].to_pylist()
    assert all(len(row) == 3 for row in ids)
    assert ids[2] == [art.vocab.pad_id] * 3
    assert table["attention_mask"].type == pa.list_(pa.int8())
    lengths = table["length"].to_pylist()
    assert lengths == [3, 2, 0, 3]
    assert table["attention_mask"].to_pylist() == [[1] * n + [0] * (3 - n) for n in lengths]


def test_pad_without_max_length_is_a_usage_error(built: Path, tmp_path: Path) -> None:
    data = tmp_path / "texts.txt"
    data.write_text("a\n")
    result = run("--artifact", built, "--data", data, "--out", tmp_path / "o.parquet", "--pad")
    assert result.exit_code == 2 and "--pad needs --max-length" in result.output


def assert_failed(result: Result, out: Path, *phrases: str) -> None:
    assert result.exit_code == 1
    message = result.output.strip()
    assert message.startswith("Error: ") and len(message.splitlines()) == 1, message
    for phrase in phrases:
        assert phrase in message, message
    assert not out.exists()
    assert leftovers(out.parent) == []


def test_missing_and_non_text_columns(built: Path, tmp_path: Path) -> None:
    data = tmp_path / "docs.parquet"
    pq.write_table(pa.table({"id": [1], "body": ["a"]}), data)
    out = tmp_path / "ids.parquet"
    result = run("--artifact", built, "--data", data, "--text-column", "text", "--out", out)
    assert_failed(result, out, "no column 'text'", "id, body", "--text-column")
    result = run("--artifact", built, "--data", data, "--text-column", "id", "--out", out)
    assert_failed(result, out, "'id' is int64, not text", "body")
    result = run("--artifact", built, "--data", data, "--out", out)
    assert_failed(result, out, "needs --text-column")


def test_empty_dataset(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "ids.parquet"
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert_failed(run("--artifact", built, "--data", empty, "--out", out), out, "no rows")
    data = tmp_path / "docs.parquet"
    pq.write_table(pa.table({"text": pa.array([], pa.string())}), data)
    result = run("--artifact", built, "--data", data, "--text-column", "text", "--out", out)
    assert_failed(result, out, "no rows")


def test_corrupt_artifact(built: Path, tmp_path: Path) -> None:
    artifact = tmp_path / "artifact"
    shutil.copytree(built, artifact)
    vocab_file = json.loads((artifact / "manifest.json").read_text())["vocab"]["file"]
    with (artifact / vocab_file).open("a", encoding="utf-8") as fh:
        fh.write("extra\n")
    data = tmp_path / "texts.txt"
    data.write_text("guitar\n")
    out = tmp_path / "ids.parquet"
    result = run("--artifact", artifact, "--data", data, "--out", out)
    assert_failed(result, out, "rebuild the artifact")


def test_existing_output_needs_force(built: Path, tmp_path: Path) -> None:
    data = tmp_path / "texts.txt"
    data.write_text("guitar\n")
    out = tmp_path / "ids.parquet"
    out.write_bytes(b"keep me")
    result = run("--artifact", built, "--data", data, "--out", out)
    assert result.exit_code == 1 and "already exists; pass --force" in result.output
    assert out.read_bytes() == b"keep me"
    assert run("--artifact", built, "--data", data, "--out", out, "--force").exit_code == 0
    assert pq.read_table(out)["input_ids"].to_pylist() == expected_ids(built, ["guitar"])


def test_unreadable_data_leaves_nothing(built: Path, tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text('{"text": "guitar"}\n{"text": "goal"\n')
    out = tmp_path / "ids.parquet"
    result = run("--artifact", built, "--data", data, "--text-column", "text", "--out", out)
    assert_failed(result, out, str(data), "cannot read it as JSONL")


def test_text_lines_split_like_corpus_reading(built: Path, tmp_path: Path) -> None:
    # a byte-order mark, a lone CR inside a line, CRLF: lines end at "\n" only
    data = tmp_path / "bom.txt"
    data.write_bytes(b"\xef\xbb\xbfguitar piano\nold\rguitar\r\nfootball\n")
    out = tmp_path / "ids.parquet"
    result = run("--artifact", built, "--data", data, "--out", out)
    assert result.exit_code == 0, result.output
    texts = ["guitar piano", "old\rguitar", "football"]
    table = pq.read_table(out)
    assert table["text"].to_pylist() == texts
    assert table["input_ids"].to_pylist() == expected_ids(built, texts)


def test_other_csv_columns_never_fail_on_a_late_type_change(built: Path, tmp_path: Path) -> None:
    # pyarrow guesses a column's type from its first block; the label turns to text late
    rows = [f"guitar piano,{i % 3},00{i}" for i in range(120_000)] + ["football,other,x"]
    data = tmp_path / "late.csv"
    data.write_text("text,label,code\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "ids.parquet"
    result = run("--artifact", built, "--data", data, "--text-column", "text", "--out", out)
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table["label"].to_pylist()[-2:] == ["2", "other"]  # read as text: lossless
    assert table["code"].to_pylist()[:2] == ["000", "001"]
    args = ["--artifact", built, "--data", data, "--text-column", "text", "--out", out]
    result = run(*args, "--ids-only", "--force")
    assert result.exit_code == 0, result.output
    assert pq.read_table(out).column_names == ["input_ids", "length"]


def test_jsonl_type_change_suggests_ids_only(built: Path, tmp_path: Path) -> None:
    lines = [json.dumps({"text": "guitar", "id": None})] * 60_000
    lines.append(json.dumps({"text": "piano", "id": 1}))
    data = tmp_path / "late.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "ids.parquet"
    args = ["--artifact", built, "--data", data, "--text-column", "text", "--out", out]
    result = run(*args)
    assert result.exit_code == 1 and "--ids-only" in result.output
    assert not out.exists() and leftovers(tmp_path) == []
    result = run(*args, "--ids-only")
    assert result.exit_code == 0, result.output
    assert pq.read_table(out)["length"].to_pylist()[-1] == 1


def test_failure_leaves_no_directories(built: Path, tmp_path: Path) -> None:
    data = tmp_path / "empty.txt"
    data.write_text("", encoding="utf-8")
    result = run("--artifact", built, "--data", data, "--out", tmp_path / "new" / "ids.parquet")
    assert result.exit_code == 1 and "no rows" in result.output
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("name", ["e.csv", "e.jsonl", "e", "e.parquet.gz", "e.arrow"])
def test_an_output_not_named_parquet_is_refused(built: Path, tmp_path: Path, name: str) -> None:
    data = tmp_path / "texts.txt"
    data.write_text("The guitar\n", encoding="utf-8")
    out = tmp_path / name
    result = run("--artifact", built, "--data", data, "--out", out)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert f"output {out} would hold Parquet" in lines[0] and ".parquet" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["texts.txt"]


def test_text_column_with_plain_text_is_refused(built: Path, tmp_path: Path) -> None:
    data = tmp_path / "texts.txt"
    data.write_text("The guitar\n", encoding="utf-8")
    out = tmp_path / "ids.parquet"
    result = run("--artifact", built, "--data", data, "--text-column", "nonexistent", "--out", out)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert "--text-column 'nonexistent' applies to Parquet" in lines[0]
    assert f"{data} is plain text" in lines[0] and "drop --text-column" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["texts.txt"]


# ---------------------------------------------------------------- headerless files, labels


def write_headerless(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("".join(f"{label}\t{text}\n" for label, text in rows), encoding="utf-8")
    return path


LABELLED = [("sport", "football goal"), ("music", "The guitar"), ("sport", "goal goal")]


def test_headerless_columns_are_named_by_number(built: Path, tmp_path: Path) -> None:
    # line 1 repeats a cell: the columns are still counted from line 1, and named 1, 2
    data = write_headerless(tmp_path / "t.tsv", [("goal", "goal"), *LABELLED])
    out = tmp_path / "ids.parquet"
    result = run("--artifact", built, "--data", data, "--text-column", "2", "--out", out)
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.column_names == ["1", "2", "input_ids", "length"]
    texts = ["goal", *(text for _, text in LABELLED)]
    assert table["2"].to_pylist() == texts
    assert table["input_ids"].to_pylist() == expected_ids(built, texts)
    other = tmp_path / "other.parquet"
    result = run("--artifact", built, "--data", data, "--text-column", "3", "--out", other)
    assert_failed(result, other, "line 1: 2 columns, so no column number 3", "from 1 to 2")


def test_text_labels_become_sorted_ids_kept_in_the_metadata(built: Path, tmp_path: Path) -> None:
    data = write_headerless(tmp_path / "train.tsv", LABELLED)
    out = tmp_path / "train.parquet"
    args = ["--artifact", built, "--data", data, "--text-column", 2, "--label-column", 1]
    result = run(*args, "--out", out, "--ids-only")
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("; labels: 0=music, 1=sport")
    table = pq.read_table(out)
    assert table.column_names == ["input_ids", "length", "labels"]
    assert table["labels"].type == pa.int64()
    assert table["labels"].to_pylist() == [1, 0, 1]
    assert json.loads(table.schema.metadata[b"aligner.labels"]) == ["music", "sport"]
    report = json.loads(run(*args, "--out", out, "--force", "--json").output)
    assert (report["label_type"], report["label_names"]) == ("text", ["music", "sport"])


def test_label_names_of_an_earlier_split_number_the_next(built: Path, tmp_path: Path) -> None:
    train = write_headerless(tmp_path / "train.tsv", LABELLED)
    test = write_headerless(tmp_path / "test.tsv", [("sport", "goal"), ("sport", "goal")])
    columns = ["--text-column", 2, "--label-column", 1]
    first = tmp_path / "train.parquet"
    assert run("--artifact", built, "--data", train, *columns, "--out", first).exit_code == 0
    out = tmp_path / "test.parquet"
    result = run("--artifact", built, "--data", test, *columns, "--out", out)
    assert result.exit_code == 0 and pq.read_table(out)["labels"].to_pylist() == [0, 0]
    args = ["--artifact", built, "--data", test, *columns, "--label-names", first]
    result = run(*args, "--out", out, "--force")
    assert result.exit_code == 0, result.output
    assert pq.read_table(out)["labels"].to_pylist() == [1, 1]  # sport is id 1 of the train names
    names = tmp_path / "names.txt"
    names.write_text("sport\nmusic\n", encoding="utf-8")
    args = ["--artifact", built, "--data", test, *columns, "--label-names", names]
    assert run(*args, "--out", out, "--force").exit_code == 0
    assert pq.read_table(out)["labels"].to_pylist() == [0, 0]
    assert json.loads(pq.read_schema(out).metadata[b"aligner.labels"]) == ["sport", "music"]


def test_a_label_outside_the_given_names_is_refused(built: Path, tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text("music\nsport\n", encoding="utf-8")
    data = write_headerless(tmp_path / "t.tsv", [*LABELLED, ("weather", "rain")])
    out = tmp_path / "ids.parquet"
    args = ["--artifact", built, "--data", data, "--text-column", 2, "--label-column", 1]
    result = run(*args, "--label-names", names, "--out", out)
    assert_failed(result, out, f"{data}, row 4: label 'weather' is not one of the 2 label")
    assert str(names) in result.output and "'music', 'sport'" in result.output


def test_integer_and_float_labels_are_kept(built: Path, tmp_path: Path) -> None:
    data = tmp_path / "d.parquet"
    texts = ["goal", "guitar"]
    pq.write_table(pa.table({"text": texts, "y": pa.array([3, 1], pa.int32())}), data)
    out = tmp_path / "ids.parquet"
    args = ["--artifact", built, "--data", data, "--text-column", "text", "--label-column", "y"]
    result = run(*args, "--out", out)
    assert result.exit_code == 0 and "labels: class ids, kept as they are" in result.output
    table = pq.read_table(out)
    assert table["labels"].type == pa.int64() and table["labels"].to_pylist() == [3, 1]
    assert table["y"].to_pylist() == [3, 1] and b"aligner.labels" not in (
        table.schema.metadata or {}
    )
    pq.write_table(pa.table({"text": texts, "y": [0.25, 1.5]}), data)
    assert run(*args, "--out", out, "--force").exit_code == 0
    assert pq.read_table(out)["labels"].to_pylist() == [0.25, 1.5]
    names = tmp_path / "names.txt"
    names.write_text("a\n", encoding="utf-8")
    result = run(*args, "--label-names", names, "--out", out, "--force")
    assert result.exit_code == 1 and "drop the label names (--label-names)" in result.output


@pytest.mark.parametrize(
    ("table", "label", "phrases"),
    [
        ({"text": ["a", "b"], "y": ["x", None]}, "y", ["row 2: no label", "drop the row"]),
        ({"text": ["a", "b"], "y": [" ", "x"]}, "y", ["row 1: no label", "drop the row"]),
        ({"text": ["a"], "y": [True]}, "y", ["row 1: the label column 'y' holds bool"]),
        ({"text": ["a"], "y": ["x"]}, "z", ["no column 'z'", "text, y", "--label-column"]),
        ({"text": ["a"], "y": ["x"]}, "text", ["--text-column and --label-column are both"]),
        ({"text": ["a"], "input_ids": [1]}, None, ["already has a column named 'input_ids'"]),
    ],
)
def test_bad_labels_and_clashing_columns(
    built: Path, tmp_path: Path, table: dict[str, Any], label: str | None, phrases: list[str]
) -> None:
    data = tmp_path / "d.parquet"
    pq.write_table(pa.table(table), data)
    out = tmp_path / "ids.parquet"
    labels = [] if label is None else ["--label-column", label]
    result = run(
        "--artifact", built, "--data", data, "--text-column", "text", *labels, "--out", out
    )
    assert_failed(result, out, *phrases)


def test_a_column_named_labels_is_replaced_by_the_ids(built: Path, tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "goal", "labels": "b"}\n{"text": "guitar", "labels": "a"}\n')
    out = tmp_path / "ids.parquet"
    args = ["--artifact", built, "--data", data, "--text-column", "text"]
    result = run(*args, "--label-column", "labels", "--out", out)
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.column_names == ["text", "input_ids", "length", "labels"]
    assert table["labels"].to_pylist() == [1, 0]


@pytest.mark.parametrize(
    ("data", "args", "code", "phrase"),
    [
        ("t.tsv", ["--text-column", "2", "--label-names", "t.tsv"], 2, "--label-names needs"),
        ("t.tsv", ["--text-column", "2", "--label-column", "label"], 1, "both by number"),
        ("t.txt", ["--label-column", "1"], 1, "is plain text (one text per line); drop"),
    ],
)
def test_label_option_errors(
    built: Path, tmp_path: Path, data: str, args: list[str], code: int, phrase: str
) -> None:
    write_headerless(tmp_path / data, LABELLED)
    out = tmp_path / "ids.parquet"
    args = [str(tmp_path / a) if a == data else a for a in args]
    result = run("--artifact", built, "--data", tmp_path / data, *args, "--out", out)
    assert result.exit_code == code, result.output
    assert phrase in result.output and "Traceback" not in result.output
    assert not out.exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        (b"music\nsport\nmusic\n", "'music' is given twice; give each label once"),
        (b"music\n\nsport\n", "line 2: an empty label name"),
        (b"\xff\xfe\n", "line 1: not valid UTF-8"),
        (b"", "no label names; give at least one"),
        (None, "holds no label names (no 'aligner.labels' in its metadata)"),
    ],
)
def test_bad_label_names_files_are_refused(
    built: Path, tmp_path: Path, content: bytes | None, phrase: str
) -> None:
    data = write_headerless(tmp_path / "t.tsv", LABELLED)
    if content is None:  # a Parquet file encoded without --label-column
        names = tmp_path / "plain.parquet"
        args = ["--artifact", built, "--data", data, "--text-column", 2, "--out", names]
        assert run(*args).exit_code == 0
    else:
        names = tmp_path / "names.txt"
        names.write_bytes(content)
    out = tmp_path / "ids.parquet"
    args = ["--artifact", built, "--data", data, "--text-column", 2, "--label-column", 1]
    result = run(*args, "--label-names", names, "--out", out)
    assert_failed(result, out, str(names), phrase)


# ---------------------------------------------------------------- labels as they are written


def write_labelled_table(path: Path, labels: list[str]) -> Path:
    """A TSV/CSV file with a header: y, text (the texts: 'guitar')."""
    sep = "\t" if path.suffix == ".tsv" else ","
    path.write_text(f"y{sep}text\n" + "".join(f"{y}{sep}guitar\n" for y in labels))
    return path


def encode_labels(built: Path, data: Path, out: Path, *extra: Any) -> Result:
    args = ["--artifact", built, "--data", data, "--text-column", "text", "--label-column", "y"]
    return run(*args, "--out", out, *extra)


def test_integer_labels_of_a_tsv_are_written_as_they_are(built: Path, tmp_path: Path) -> None:
    data = write_labelled_table(tmp_path / "ints.tsv", ["0", "1", "2", "10", "11"])
    out = tmp_path / "o.parquet"
    result = encode_labels(built, data, out)
    assert result.exit_code == 0, result.output
    assert "labels: class ids, kept as they are" in result.output
    table = pq.read_table(out)
    assert table["labels"].type == pa.int64()
    assert table["labels"].to_pylist() == [0, 1, 2, 10, 11]
    assert table["y"].to_pylist() == ["0", "1", "2", "10", "11"]  # the input column, as read
    jsonl = tmp_path / "ints.jsonl"
    jsonl.write_text("".join(f'{{"y": {y}, "text": "guitar"}}\n' for y in (0, 1, 2, 10, 11)))
    same = tmp_path / "j.parquet"
    assert encode_labels(built, jsonl, same).exit_code == 0
    assert pq.read_table(same)["labels"].to_pylist() == table["labels"].to_pylist()


@pytest.mark.parametrize(
    ("labels", "kind", "written"),
    [
        (["0.5", "1.25"], pa.float64(), [0.5, 1.25]),
        (["+1", "-1", " 3 "], pa.int64(), [1, -1, 3]),
        (["1", "1e3", ".5"], pa.float64(), [1.0, 1000.0, 0.5]),
        (["007", "7", "10"], pa.int64(), [0, 2, 1]),  # codes: names, sorted as text
    ],
)
def test_csv_labels_are_typed_by_their_cells(
    built: Path, tmp_path: Path, labels: list[str], kind: pa.DataType, written: list[Any]
) -> None:
    data = write_labelled_table(tmp_path / "d.csv", labels)
    out = tmp_path / "o.parquet"
    result = encode_labels(built, data, out)
    assert result.exit_code == 0, result.output
    assert pq.read_table(out)["labels"].type == kind
    assert pq.read_table(out)["labels"].to_pylist() == written
    if labels[0] == "007":
        assert result.output.strip().endswith("labels: 0=007, 1=10, 2=7")


def test_digit_labels_with_label_names_stay_names(built: Path, tmp_path: Path) -> None:
    data = write_labelled_table(tmp_path / "d.tsv", ["2", "10"])
    names = tmp_path / "names.txt"
    names.write_text("10\n2\n")
    out = tmp_path / "o.parquet"
    result = encode_labels(built, data, out, "--label-names", names)
    assert result.exit_code == 0, result.output
    assert pq.read_table(out)["labels"].to_pylist() == [1, 0]


@pytest.mark.parametrize(
    ("labels", "phrase"),
    [
        (["1.5", "inf", "-inf"], "row 2: label 'inf' of column 'y' is not a finite number"),
        (["0.5", "nan"], "row 2: label 'nan' of column 'y' is not a finite number"),
        (["1", "NA"], "row 2: label 'NA' of column 'y' is not a number, and the column holds"),
        (["1.5", "1e39"], "row 2: label '1e39' of column 'y' is beyond the float32 range"),
        (["1", "99999999999999999999"], "row 2: label '99999999999999999999' of column 'y' is"),
        (["1", ""], "row 2: no label in column 'y'"),
    ],
)
def test_csv_labels_training_cannot_take_are_refused(
    built: Path, tmp_path: Path, labels: list[str], phrase: str
) -> None:
    data = write_labelled_table(tmp_path / "d.csv", labels)
    out = tmp_path / "o.parquet"
    assert_failed(encode_labels(built, data, out), out, f"{data}, {phrase}")


@pytest.mark.parametrize(
    ("column", "phrase"),
    [
        (pa.array([0.5, float("nan"), float("inf"), 1.0]), "row 2: label nan of column 'y' is not"),
        (pa.array([0.5, -float("inf")]), "row 2: label -inf of column 'y' is not a finite number"),
        (pa.array([0.5, 1e300]), "row 2: label 1e+300 of column 'y' is beyond the float32 range"),
        (pa.array([1, 2**63 + 5], pa.uint64()), "row 2: label 9223372036854775813 of column 'y'"),
    ],
)
def test_parquet_labels_training_cannot_take_are_refused(
    built: Path, tmp_path: Path, column: pa.Array, phrase: str
) -> None:
    data = tmp_path / "d.parquet"
    pq.write_table(pa.table({"text": ["guitar"] * len(column), "y": column}), data)
    out = tmp_path / "o.parquet"
    result = encode_labels(built, data, out)
    assert_failed(result, out, f"{data}, {phrase}")
    assert "corrupt" not in result.output


def test_jsonl_labels_of_two_kinds_are_named(built: Path, tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    rows = ['{"text": "guitar", "y": "spam"}', '{"text": "goal", "y": "ham"}']
    data.write_text("\n".join([*rows, '{"text": "goal", "y": 3}']) + "\n")
    out = tmp_path / "o.parquet"
    result = encode_labels(built, data, out)
    assert_failed(
        result, out, f"{data}, line 3: label 'y' is the number 3, and line 1's is the text \"spam\""
    )
    assert "same kind of label" in result.output and "corrupt" not in result.output


def test_label_names_with_control_characters_are_shown_escaped(built: Path, tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text('y,text\n"c\td",guitar\n"a\nb",goal\n" x",goal\n"p=q",goal\nok,goal\n')
    out = tmp_path / "o.parquet"
    result = encode_labels(built, data, out)
    assert result.exit_code == 0, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert result.output.strip().endswith(r"labels: 0=' x', 1='a\nb', 2='c\td', 3=ok, 4='p=q'")
    names = json.loads(pq.read_schema(out).metadata[b"aligner.labels"])
    assert names == [" x", "a\nb", "c\td", "ok", "p=q"]  # kept as they are in the file


def test_a_compressed_label_names_file(built: Path, tmp_path: Path) -> None:
    data = write_labelled_table(tmp_path / "d.tsv", ["spam", "ham"])
    out = tmp_path / "o.parquet"
    packed = tmp_path / "names.txt.gz"
    packed.write_bytes(gzip.compress(b"spam\nham\n"))
    result = encode_labels(built, data, out, "--label-names", packed)
    assert result.exit_code == 0, result.output
    assert pq.read_table(out)["labels"].to_pylist() == [0, 1]
    hidden = tmp_path / "names.txt"
    hidden.write_bytes(gzip.compress(b"spam\nham\n"))
    other = tmp_path / "p.parquet"
    result = encode_labels(built, data, other, "--label-names", hidden)
    assert_failed(result, other, f"{hidden} is gzip-compressed, and its name does not say so")
    assert "rename it to end in .gz, or decompress it (gunzip names.txt)" in result.output


# ---------------------------------------------------------------- artifacts without specials


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An artifact without a pad token nor an unk token."""
    root = tmp_path_factory.mktemp("bare")
    vectors, vocab = root / "v.txt", root / "vocab.txt"
    vectors.write_text("guitar 0.1 0.2 0.3 0.4\nfootball 0.5 0.1 0.2 0.3\ngoal 0.3 0.3 0.1 0.9\n")
    vocab.write_text("guitar\nfootball\ngoal\n")
    aligner.build(
        aligner.BuildConfig(out=root / "art", pretrained=vectors, vocab=vocab, pad=None, unk=None)
    )
    return root / "art"


def test_an_unknown_token_without_unk_names_the_row_and_the_option(
    bare: Path, tmp_path: Path
) -> None:
    data = tmp_path / "texts.txt"
    data.write_text("guitar goal\nfootball\nguitar zzzq goal\n")
    out = tmp_path / "ids.parquet"
    result = run("--artifact", bare, "--data", data, "--out", out)
    assert_failed(
        result, out, f"{data}, row 3: token 'zzzq' is not in the vocabulary", "--unknown skip"
    )
    assert "unknown='skip'" not in result.output and "--unk-token" in result.output
    result = run("--artifact", bare, "--data", data, "--out", out, "--unknown", "skip")
    assert result.exit_code == 0, result.output
    art = aligner.load(bare)
    guitar, goal = art.vocab["guitar"], art.vocab["goal"]
    assert pq.read_table(out)["input_ids"].to_pylist()[2] == [guitar, goal]


def test_unknown_error_names_the_row_of_a_large_file(built: Path, tmp_path: Path) -> None:
    data = tmp_path / "texts.txt"
    data.write_text("guitar\n" * 70_000 + "guitar zzzq\n")  # past the first batch of rows
    out = tmp_path / "ids.parquet"
    result = run("--artifact", built, "--data", data, "--out", out, "--unknown", "error")
    assert_failed(result, out, f"{data}, row 70001: token 'zzzq' is not in the vocabulary")
    assert "(--unknown error); pass --unknown unk" in result.output


def test_pad_without_a_pad_token_says_so(bare: Path, tmp_path: Path) -> None:
    data = tmp_path / "texts.txt"
    data.write_text("guitar\n")
    out = tmp_path / "ids.parquet"
    result = run("--artifact", bare, "--data", data, "--out", out, "--max-length", 4, "--pad")
    assert_failed(result, out, f"--pad: the artifact {bare} has no pad token", "drop --pad")
    assert "pad=False" not in result.output
