"""Corpus layouts: compressed text, trees, Parquet, Arrow, JSONL, CSV/TSV, and their errors."""

from __future__ import annotations

import bz2
import csv
import gzip
import json
import lzma
import os
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from aligner.corpus import Corpus, layout_of
from aligner.errors import CorpusError, InputError
from aligner.tokenize import TokenizerSpec
from aligner.train import Word2VecParams, train_word2vec

SENTENCES = [
    "We play guitar",
    'the band, "loud" plays, again',
    "nasa Launches\ta rocket",
    "ünïcode wörds; here",
]
EXPECTED = [sentence.split() for sentence in SENTENCES]
TEXT = "\n".join(SENTENCES) + "\n"


def _table(texts: list[str | None]) -> pa.Table:
    return pa.table({"id": list(range(len(texts))), "text": texts})


def _write_text(path: Path, compress: Callable[[bytes], bytes] = bytes) -> Path:
    path.write_bytes(compress(TEXT.encode("utf-8")))
    return path


def _write_parquet(path: Path, texts: list[str | None] | None = None, **kw: int) -> Path:
    pq.write_table(_table(list(SENTENCES) if texts is None else texts), path, **kw)  # type: ignore[arg-type]
    return path


def _write_jsonl(path: Path, records: list[object], open_: Callable[..., object] = open) -> Path:
    with open_(path, "wt", encoding="utf-8") as out:  # type: ignore[operator]
        for record in records:
            out.write(record if isinstance(record, str) else json.dumps(record))
            out.write("\n")
    return path


def _write_csv(path: Path, delimiter: str, texts: list[str] = SENTENCES) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(["id", "text", "score"])
        writer.writerows([i, text, 0.5] for i, text in enumerate(texts))
    return path


def _write_tree(root: Path) -> Path:
    """SENTENCES split over a nested tree, in walk order, plus hidden files that must be skipped."""
    (root / "b" / "deep").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "a.txt").write_text(SENTENCES[0] + "\n")
    (root / "b" / "c.txt.gz").write_bytes(gzip.compress(f"{SENTENCES[1]}\n".encode()))
    (root / "b" / "deep" / "d.txt").write_text(SENTENCES[2] + "\n")
    # Each level is sorted by name: b/ (a folder) before b.txt, although "b.txt" < "b/..."
    (root / "b.txt.xz").write_bytes(lzma.compress(f"{SENTENCES[3]}\n".encode()))
    (root / ".hidden.txt").write_text("never read\n")
    (root / ".git" / "x.txt").write_text("never read either\n")
    return root


LAYOUTS: dict[str, Callable[[Path], tuple[Path, str | None]]] = {
    "txt": lambda d: (_write_text(d / "c.txt"), None),
    "txt.gz": lambda d: (_write_text(d / "c.txt.gz", gzip.compress), None),
    "txt.bz2": lambda d: (_write_text(d / "c.txt.bz2", bz2.compress), None),
    "txt.xz": lambda d: (_write_text(d / "c.txt.xz", lzma.compress), None),
    "tree": lambda d: (_write_tree(d / "tree"), None),
    "parquet": lambda d: (
        _write_parquet(d / "c.parquet", [*SENTENCES[:2], None, *SENTENCES[2:]]),
        "text",
    ),
    "feather": lambda d: (_feather(d / "c.feather"), "text"),
    "arrow-stream": lambda d: (_arrow_stream(d / "c.arrow"), "text"),
    "jsonl": lambda d: (_write_jsonl(d / "c.jsonl", _records()), "text"),
    "jsonl.gz": lambda d: (_write_jsonl(d / "c.jsonl.gz", _records(), gzip.open), "text"),
    "csv": lambda d: (_write_csv(d / "c.csv", ","), "text"),
    "tsv": lambda d: (_write_csv(d / "c.tsv", "\t"), "text"),
}


def _records() -> list[object]:
    rows: list[object] = [{"id": i, "text": text} for i, text in enumerate(SENTENCES)]
    return [*rows[:2], "", {"id": 9, "text": None}, *rows[2:]]  # a blank line and a null


def _feather(path: Path) -> Path:
    feather.write_feather(_table([*SENTENCES, None]), path, chunksize=2)
    return path


def _arrow_stream(path: Path) -> Path:
    table = _table(list(SENTENCES))
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=3):
            writer.write_batch(batch)
    return path


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_layout_yields_the_same_tokens(tmp_path: Path, layout: str) -> None:
    path, column = LAYOUTS[layout](tmp_path)
    corpus = Corpus(path, text_column=column)
    assert list(corpus) == EXPECTED
    assert list(corpus) == EXPECTED  # a second pass is identical
    assert (corpus.lines_read, corpus.tokens_read) == (4, sum(map(len, EXPECTED)))


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_on_bytes_reports_every_file_byte_each_pass(tmp_path: Path, layout: str) -> None:
    path, column = LAYOUTS[layout](tmp_path)
    seen: list[int] = []
    corpus = Corpus(path, text_column=column, on_bytes=seen.append)
    for _ in range(2):
        seen.clear()
        list(corpus)
        assert sum(seen) == corpus.size
        assert all(n > 0 for n in seen)


def test_parquet_progress_advances_with_the_batches(tmp_path: Path) -> None:
    texts = [f"row {i} words" for i in range(5000)]
    path = _write_parquet(tmp_path / "big.parquet", texts, row_group_size=1000)
    seen: list[int] = []
    corpus = Corpus(path, text_column="text", on_bytes=seen.append)
    rows = 0
    for rows, _ in enumerate(corpus, start=1):
        if rows == 2500:
            assert 0 < sum(seen) < corpus.size  # partway: neither nothing nor everything
    assert rows == 5000 and sum(seen) == corpus.size and len(seen) >= 4


def test_tokenizer_applies_to_column_values(tmp_path: Path) -> None:
    path = _write_parquet(tmp_path / "c.parquet")
    corpus = Corpus(path, text_column="text", tokenizer=TokenizerSpec(lowercase=True))
    assert next(iter(corpus)) == ["we", "play", "guitar"]


def test_csv_value_spanning_lines_is_one_text(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "c.csv", ",", ['first, "quoted"\nsecond line', "next"])
    assert list(Corpus(path, text_column="text")) == [
        ["first,", '"quoted"', "second", "line"],
        ["next"],
    ]


def test_csv_numbers_in_the_text_column_are_text(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "c.csv", ",", ["1", "2.5", "three"])
    assert list(Corpus(path, text_column="text")) == [["1"], ["2.5"], ["three"]]


def test_mixed_directory_reads_each_file_by_its_layout(tmp_path: Path) -> None:
    _write_text(tmp_path / "a.txt")
    _write_parquet(tmp_path / "b.parquet")
    _write_jsonl(tmp_path / "c.jsonl", _records())
    (tmp_path / "d.csv").write_bytes(b"")  # empty: adds nothing, no error
    corpus = Corpus(tmp_path, text_column="text")
    assert list(corpus) == EXPECTED * 3
    assert corpus.describe() == {
        "path": str(tmp_path),
        "bytes": corpus.size,
        "compression": None,
        "files": 4,
        "layout": ["csv", "jsonl", "parquet", "text"],
        "text_column": "text",
    }


def test_describe_a_compressed_tree_and_a_parquet_file(tmp_path: Path) -> None:
    tree = Corpus(_write_tree(tmp_path / "tree")).describe()
    assert tree["files"] == 4 and tree["compression"] == [None, "gzip", "xz"]
    assert "layout" not in tree and "text_column" not in tree
    path = _write_parquet(tmp_path / "c.parquet")
    facts = Corpus(path, text_column="text").describe()
    assert facts["layout"] == "parquet" and facts["text_column"] == "text"
    assert facts["bytes"] == path.stat().st_size and "files" not in facts


def test_identity_changes_when_a_file_in_the_tree_changes(tmp_path: Path) -> None:
    root = _write_tree(tmp_path / "tree")
    before = Corpus(root).identity()
    (root / "b" / "deep" / "d.txt").write_text("changed content, longer than before\n")
    after = Corpus(root).identity()
    assert before != after and after["files"][0][0] == "a.txt"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("c.txt", "self"),
        ("corpus", "self"),
        ("c.txt.gz", None),
        ("c.parquet", None),
    ],
)
def test_plain_text_path(tmp_path: Path, name: str, expected: str | None) -> None:
    path = tmp_path / name
    if name.endswith(".parquet"):
        _write_parquet(path)
    else:
        _write_text(path, gzip.compress if name.endswith(".gz") else bytes)
    corpus = Corpus(path, text_column="text" if name.endswith(".parquet") else None)
    assert corpus.plain_text_path == (path if expected else None)


def test_plain_text_path_needs_an_identity_tokenizer_and_one_file(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    path = _write_text(tmp_path / "one" / "c.txt")
    assert Corpus(tmp_path / "one").plain_text_path == path  # a directory of one plain file
    assert Corpus(path, tokenizer=TokenizerSpec(lowercase=True)).plain_text_path is None
    assert Corpus(_write_tree(tmp_path / "tree")).plain_text_path is None


# --- errors ---------------------------------------------------------------------------------


def _error(path: Path, column: str | None = None, *, iterate: bool = False) -> str:
    with pytest.raises(CorpusError) as info:
        corpus = Corpus(path, text_column=column)
        if iterate:
            list(corpus)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    return message


@pytest.mark.parametrize(
    ("name", "kind"),
    [("c.parquet", "a Parquet"), ("c.feather", "an Arrow/Feather"), ("c.csv", "a CSV")],
)
def test_missing_text_column_lists_the_columns(tmp_path: Path, name: str, kind: str) -> None:
    path = tmp_path / name
    if name.endswith(".csv"):
        _write_csv(path, ",")
    else:
        (_write_parquet if name.endswith(".parquet") else _feather)(path)
    message = _error(path)
    assert f"{kind} file needs --text-column; its columns are: id, text" in message


def test_missing_text_column_in_a_directory_names_the_table(tmp_path: Path) -> None:
    _write_text(tmp_path / "a.txt")
    _write_jsonl(tmp_path / "b.jsonl", _records())
    message = str(_raises(tmp_path))
    assert str(tmp_path / "b.jsonl") in message and "a JSONL file needs --text-column" in message


def _raises(path: Path, column: str | None = None) -> CorpusError:
    with pytest.raises(CorpusError) as info:
        Corpus(path, text_column=column)
    return info.value


def test_absent_column_lists_the_columns(tmp_path: Path) -> None:
    message = _error(_write_parquet(tmp_path / "c.parquet"), "body")
    assert "no column 'body'; its columns are: id, text; pass one of them" in message


def test_non_text_column_names_its_type(tmp_path: Path) -> None:
    message = _error(_write_parquet(tmp_path / "c.parquet"), "id")
    assert "column 'id' is int64, not text" in message and "text columns are: text" in message


def test_non_text_column_checked_in_every_file_of_a_directory(tmp_path: Path) -> None:
    _write_parquet(tmp_path / "a.parquet")
    bad = tmp_path / "b.parquet"
    pq.write_table(pa.table({"text": [1, 2]}), bad)
    message = str(_raises(tmp_path, "text"))
    assert str(bad) in message and "is int64, not text" in message and "no text column" in message


def test_dictionary_encoded_text_is_text(tmp_path: Path) -> None:
    path = tmp_path / "c.feather"
    feather.write_feather(pa.table({"text": pa.array(SENTENCES).dictionary_encode()}), path)
    assert list(Corpus(path, text_column="text")) == EXPECTED


def test_text_column_on_plain_text_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        Corpus(_write_text(tmp_path / "c.txt"), text_column="text")
    assert not isinstance(info.value, CorpusError)
    assert "plain text only; drop --text-column" in str(info.value)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("{not json", "line 3: not valid JSON"),
        ("[1, 2]", "line 3: an array, not an object"),
        ('{"body": "x"}', "line 3: the record has no key 'text' (its keys: body)"),
        ('{"text": 7}', "line 3: 'text' is a number, not text"),
    ],
)
def test_bad_jsonl_line_names_the_line(tmp_path: Path, line: str, expected: str) -> None:
    path = _write_jsonl(tmp_path / "c.jsonl", [{"text": "a b"}, {"text": "c"}, line])
    seen: list[list[str]] = []
    with pytest.raises(CorpusError) as info:
        seen.extend(Corpus(path, text_column="text"))
    assert str(path) in str(info.value) and expected in str(info.value)
    assert seen == [["a", "b"], ["c"]]


def test_first_jsonl_record_is_checked_up_front(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "c.jsonl", [{"id": 1, "text": "a"}])
    assert "column 'id' is a number, not text" in _error(path, "id")
    assert "its columns are: id, text" in _error(path)


def test_empty_directory_and_hidden_files_only(tmp_path: Path) -> None:
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "x.txt").write_text("hidden\n")
    (tmp_path / ".notes.txt").write_text("hidden\n")
    message = _error(tmp_path)
    assert "holds no files" in message and "'.'" in message


def test_corpus_without_tokens_fails_training(tmp_path: Path) -> None:
    path = _write_parquet(tmp_path / "c.parquet", [None, "", "  "])
    corpus = Corpus(path, text_column="text")
    assert list(corpus) == []
    with pytest.raises(CorpusError, match="empty"):
        train_word2vec(corpus, Word2VecParams(dim=8, min_count=1, epochs=1))


@pytest.mark.parametrize(
    ("name", "compress", "expected"),
    [
        ("c.txt.bz2", bz2.compress, "not bzip2"),
        ("c.txt.xz", lzma.compress, "not xz"),
        ("c.jsonl.gz", gzip.compress, "not gzip"),
    ],
)
def test_truncated_compressed_files(
    tmp_path: Path, name: str, compress: Callable[[bytes], bytes], expected: str
) -> None:
    records = "".join(json.dumps({"text": f"line {i} {'w' * (i % 9)}"}) + "\n" for i in range(3000))
    data = compress(records.encode())
    path = tmp_path / name
    path.write_bytes(data[: len(data) // 2])
    message = _error(path, "text" if "jsonl" in name else None, iterate=True)
    assert "cannot decompress" in message and "after line" in message and expected in message


def test_truncated_csv_gz(tmp_path: Path) -> None:
    source = _write_csv(tmp_path / "src.csv", ",", [f"text {i} here" for i in range(20000)])
    data = gzip.compress(source.read_bytes())
    path = tmp_path / "c.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    message = _error(path, "text", iterate=True)
    assert "cannot decompress" in message and "not gzip" in message


def test_corrupt_parquet_and_arrow_name_the_file(tmp_path: Path) -> None:
    parquet = _write_parquet(tmp_path / "c.parquet")
    parquet.write_bytes(parquet.read_bytes()[:-20])
    assert "cannot read it as Parquet" in _error(parquet, "text")
    arrow = tmp_path / "c.arrow"
    arrow.write_bytes(b"this is not arrow at all, not even close" * 4)
    assert "Feather v1 is not read" in _error(arrow, "text")


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"id,text\n1,a b\n2,c,extra,fields\n", "2,c,extra,fields"), (b"id,text\n1,\xff\n", "UTF8")],
)
def test_bad_csv_names_the_file(tmp_path: Path, data: bytes, expected: str) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(data)
    message = _error(path, "text", iterate=True)
    assert "cannot read it as CSV" in message and expected in message and "quoting" in message


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("c.zip", "an archive is not read as a corpus; unzip it"),
        ("c.tar.gz", "extract it"),
        ("c.parquet.gz", "cannot be streamed when compressed"),
    ],
)
def test_archives_are_refused(tmp_path: Path, name: str, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"PK\x03\x04")
    assert expected in _error(path)


def test_layout_of() -> None:
    assert layout_of("x/Part.JSONL.GZ").layout == "jsonl"
    assert layout_of("x/part.ndjson").compression is None
    assert layout_of("data.v2.txt.bz2").layout == "text"
    assert layout_of("shard.ipc").layout == "arrow"
    assert layout_of("README").layout == "text"


def test_word2vec_trains_on_a_parquet_corpus(tmp_path: Path) -> None:
    texts = [f"w{i % 7} w{(i * 3) % 7} w{(i * 5) % 7}" for i in range(200)]
    path = _write_parquet(tmp_path / "c.parquet", texts)
    corpus = Corpus(path, text_column="text")
    wv = train_word2vec(corpus, Word2VecParams(dim=8, min_count=1, epochs=1))
    assert sorted(wv.keys) == [f"w{i}" for i in range(7)]
    assert wv.vectors.shape == (7, 8)
    assert wv.source["corpus"]["layout"] == "parquet" and wv.source["corpus"]["tokens"] == 600


@pytest.mark.parametrize("suffix", [".parquet", ".arrow", ".jsonl"])
def test_names_that_are_not_utf8_are_read(tmp_path: Path, suffix: str) -> None:
    """pyarrow takes only UTF-8 paths: such files are opened by Python for it."""
    plain = tmp_path / f"plain{suffix}"
    if suffix == ".parquet":
        pq.write_table(_table(SENTENCES), plain)
    elif suffix == ".arrow":
        feather.write_feather(_table(SENTENCES), plain)
    else:
        plain.write_text("".join(json.dumps({"text": s}) + "\n" for s in SENTENCES))
    folder = Path(os.fsdecode(os.fsencode(tmp_path) + b"/d\xe9"))
    folder.mkdir()
    odd = Path(os.fsdecode(os.fsencode(folder) + b"/caf\xe9" + suffix.encode()))
    plain.rename(odd)
    assert list(Corpus(odd, text_column="text")) == EXPECTED
    assert list(Corpus(folder, text_column="text")) == EXPECTED


def test_headerless_tsv_by_column_number_counts_repeated_cells(tmp_path: Path) -> None:
    # without a header line, line 1 is data: its repeated cells are still two columns
    path = tmp_path / "t.tsv"
    path.write_text("goal\tgoal\nsport\tfootball goal\n", encoding="utf-8")
    assert list(Corpus(path, text_column="2")) == [["goal"], ["football", "goal"]]
    with pytest.raises(CorpusError, match=r"line 1: 2 columns, so no column number 3; .* 1 to 2"):
        list(Corpus(path, text_column="3"))
