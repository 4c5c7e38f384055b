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
    assert table.column_names == ["text", "ids", "length"]
    assert table["text"].to_pylist() == TEXTS
    assert table["ids"].to_pylist() == expected_ids(built, TEXTS)
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
    assert table.column_names == ["id", "body", "ids", "length"]
    assert table["id"].to_pylist() == list(range(5))
    assert table["ids"].to_pylist() == expected_ids(built, texts)
    assert table["length"].to_pylist() == [4, 2, 0, 3, None]
    args = ["--artifact", built, "--data", data, "--text-column", "body", "--out", out]
    result = run(*args, "--ids-only", "--force")
    assert result.exit_code == 0, result.output
    assert pq.read_table(out).column_names == ["ids", "length"]


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
    assert table["ids"].to_pylist() == expected_ids(built, TEXTS)
    assert len(table.column_names) == 4


def test_max_length_pad_and_json(built: Path, tmp_path: Path) -> None:
    data = tmp_path / "texts.txt"
    data.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    out = tmp_path / "ids.parquet"
    args = ["--artifact", built, "--data", data, "--out", out, "--max-length", 3, "--pad"]
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == {"path", "rows", "tokens", "unknown", "seconds"}
    assert (report["path"], report["rows"], report["tokens"]) == (str(out), 4, 3 + 2 + 0 + 3)
    art = aligner.load(built)
    kept = [row[:3] for row in expected_ids(built, TEXTS)]
    assert report["unknown"] == sum(row.count(art.vocab.unk_id) for row in kept) == 2
    ids = pq.read_table(out)["ids"].to_pylist()
    assert all(len(row) == 3 for row in ids)
    assert ids[2] == [art.vocab.pad_id] * 3


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
    assert pq.read_table(out)["ids"].to_pylist() == expected_ids(built, ["guitar"])


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
    assert table["ids"].to_pylist() == expected_ids(built, texts)


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
    assert pq.read_table(out).column_names == ["ids", "length"]


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
