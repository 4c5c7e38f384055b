"""Counting on Spark (aligner.engines.spark.count): the local engine's vocabulary, byte for byte."""

from __future__ import annotations

import gzip
import lzma
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aligner.errors import CorpusError, InputError, VocabError
from aligner.tokenize import TokenizerSpec
from aligner.vocab_build import build_vocab_file as local_vocab_file
from aligner.vocab_build import count_tokens as local_count_tokens

pytest.importorskip("pyspark", reason="the Spark tests need pyspark: pip install 'aligner[spark]'")

from aligner.engines.spark import build_vocab_file, corpus_identity, count_tokens


def mixed_corpus(root: Path) -> Path:
    """Text files (a BOM, CRLF, blank lines, tabs, Unicode spaces, gzip, a BOM not at a
    file's start), a Parquet column with a null, a headed CSV with quotes and a value on two
    lines, and JSONL with a blank line and a null."""
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(
        "\ufeffThe Café, naïve! Über\r\n\nthe cafe CAFÉ — ΣΊΣΥΦΟΣ don't\n"
        "  spaced\u3000out\ttabs \u00a0nbsp ﬁne\n".encode()
    )
    with gzip.open(root / "sub" / "b.txt.gz", "wt", encoding="utf-8") as fh:
        fh.write("\ufeffGz first line\nthe The THE 123 4.5\n\n\ufeffmid-file mark\n")
    table = pa.table({"id": [1, 2, 3], "text": ["Parquet row one.", None, "ÉCOLE école the"]})
    pq.write_table(table, root / "c.parquet")
    (root / "d.csv").write_text(
        'n,text\n1,"a, ""quoted"" cell"\n2,\n3,"multi\nline Cell the"\n', encoding="utf-8"
    )
    (root / "e.jsonl").write_text(
        '{"text": "json Line one"}\n\n{"text": null}\n{"text": "Ünïcödé json the"}\n',
        encoding="utf-8",
    )
    return root


SPECS = {
    "whitespace": TokenizerSpec(),
    "regex-lower-nfkc": TokenizerSpec(kind="regex", lowercase=True, normalize="nfkc"),
}


@pytest.mark.parametrize(
    ("spec", "min_count", "max_size"),
    [("whitespace", 1, None), ("regex-lower-nfkc", 2, 3)],
)
def test_vocab_file_is_the_local_one_byte_for_byte(
    spark: Any, tmp_path: Path, spec: str, min_count: int, max_size: int | None
) -> None:
    data = mixed_corpus(tmp_path / "data")
    options: dict[str, Any] = {
        "tokenizer": SPECS[spec],
        "text_column": "text",
        "min_count": min_count,
        "max_size": max_size,
    }
    local = local_vocab_file(data, tmp_path / "local.tsv", **options)
    remote = build_vocab_file(spark, str(data), tmp_path / "spark.tsv", **options)
    assert (tmp_path / "spark.tsv").read_bytes() == (tmp_path / "local.tsv").read_bytes()
    assert remote.path == tmp_path / "spark.tsv"
    assert remote.to_dict() | {"path": None} == local.to_dict() | {"path": None}
    assert remote.types_written > 2  # a real vocabulary, not an empty agreement


def test_counts_of_a_glob_equal_the_local_counts_and_specials_are_dropped(
    spark: Any, tmp_path: Path
) -> None:
    (tmp_path / "x1.txt").write_text("<unk> b a\n<pad> a a\n", encoding="utf-8")
    (tmp_path / "x2.txt").write_text("c <unk>\n", encoding="utf-8")
    (tmp_path / "skipped.md").write_text("not matched by the glob\n", encoding="utf-8")
    spec = TokenizerSpec()
    counts = count_tokens(spark, str(tmp_path / "x*.txt"), tokenizer=spec)
    expected = local_count_tokens(tmp_path / "x1.txt", tokenizer=spec)
    expected += local_count_tokens(tmp_path / "x2.txt", tokenizer=spec)
    assert counts == expected
    report = build_vocab_file(spark, [str(tmp_path / "x1.txt"), str(tmp_path / "x2.txt")],
                              tmp_path / "v.tsv", tokenizer=spec)  # fmt: skip
    assert report.dropped_specials == ("<pad>", "<unk>")
    assert (tmp_path / "v.tsv").read_text(encoding="utf-8") == "a\t3\nb\t1\nc\t1\n"


def test_no_token_reaching_min_count_is_the_local_error(spark: Any, tmp_path: Path) -> None:
    data = tmp_path / "t.txt"
    data.write_text("b a\na\n", encoding="utf-8")
    with pytest.raises(VocabError) as local:
        local_vocab_file(data, tmp_path / "l.tsv", tokenizer=TokenizerSpec(), min_count=5)
    with pytest.raises(VocabError) as remote:
        build_vocab_file(spark, str(data), tmp_path / "s.tsv", tokenizer=TokenizerSpec(),
                         min_count=5)  # fmt: skip
    assert str(remote.value) == str(local.value)
    assert not (tmp_path / "s.tsv").exists()


def _bad_utf8(root: Path) -> Path:
    (root / "bad.txt").write_bytes(b"fine line\n\xff\xfe broken\n")
    return root / "bad.txt"


def _int_column(root: Path) -> Path:
    pq.write_table(pa.table({"n": [1, 2], "body": ["a", "b"]}), root / "t.parquet")
    return root / "t.parquet"


def _xz(root: Path) -> Path:
    (root / "c.txt.xz").write_bytes(lzma.compress(b"a b\n"))
    return root / "c.txt.xz"


def _arrow(root: Path) -> Path:
    with (
        pa.OSFile(str(root / "t.arrow"), "wb") as sink,
        pa.ipc.new_file(sink, pa.schema([("text", pa.string())])) as writer,
    ):
        writer.write_table(pa.table({"text": ["a"]}))
    return root / "t.arrow"


@pytest.mark.parametrize(
    ("make", "column", "error", "words"),
    [
        (lambda root: root / "missing", None, CorpusError, ["missing: no such file"]),
        (_bad_utf8, None, CorpusError, ["bad.txt: a line is not valid UTF-8"]),
        (_int_column, "n", CorpusError, ["column 'n' is bigint, not text", "body"]),
        (_int_column, "zz", CorpusError, ["no column 'zz'", "n, body"]),
        (_int_column, None, CorpusError, ["needs --text-column", "n, body"]),
        (_bad_utf8, "text", InputError, ["--text-column 'text' applies to"]),
        (_xz, None, CorpusError, ["cannot decompress xz", ".gz or .bz2"]),
        (_arrow, "text", CorpusError, ["does not read Arrow/Feather", "Parquet"]),
    ],
    ids=["missing", "not-utf8", "int-column", "no-column", "no-text-column",
         "column-for-text", "xz", "arrow"],
)  # fmt: skip
def test_bad_input_is_one_line_and_writes_nothing(
    spark: Any,
    tmp_path: Path,
    make: Callable[[Path], Path],
    column: str | None,
    error: type[Exception],
    words: list[str],
) -> None:
    data = make(tmp_path)
    out = tmp_path / "out" / "v.tsv"
    out.parent.mkdir()
    with pytest.raises(error) as caught:
        build_vocab_file(spark, str(data), out, tokenizer=TokenizerSpec(), text_column=column)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message
    assert list(out.parent.iterdir()) == []


def test_an_existing_output_is_refused_before_counting(spark: Any, tmp_path: Path) -> None:
    data = tmp_path / "t.txt"
    data.write_text("a b\n", encoding="utf-8")
    out = tmp_path / "v.tsv"
    out.write_text("keep me\n", encoding="utf-8")
    with pytest.raises(InputError, match="exists"):
        build_vocab_file(spark, str(data), out, tokenizer=TokenizerSpec())
    assert out.read_text(encoding="utf-8") == "keep me\n"


def test_inputs_are_listed_in_the_local_order_without_hidden_names(
    spark: Any, tmp_path: Path
) -> None:
    for name in ("b/2.txt", "b/1.txt", "a.txt", "_SUCCESS", ".hidden.txt", "c/_part.txt"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x\n", encoding="utf-8")
    found = corpus_identity(spark, [str(tmp_path), str(tmp_path / "b" / "2.txt")], "text")
    names = [
        uri.removeprefix(tmp_path.as_uri().replace("///", "/")) for uri, _, _ in found["files"]
    ]
    assert names == ["/a.txt", "/b/1.txt", "/b/2.txt", "/b/2.txt"]
    assert all(size == 2 and modified > 0 for _, size, modified in found["files"])
    assert found["text_column"] == "text" and found["engine"] == "spark"
