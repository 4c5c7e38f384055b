"""build_vocab / write_vocab: every dataset layout, order, limits, specials, errors, round trip."""

from __future__ import annotations

import bz2
import csv
import gzip
import json
import os
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aligner.errors import InputError, VocabError
from aligner.tokenize import TokenizerSpec
from aligner.vocab import DEFAULT_PAD, DEFAULT_UNK, Vocab, read_vocab
from aligner.vocab_build import (
    build_vocab,
    build_vocab_file,
    count_tokens,
    select_tokens,
    write_vocab,
)

from .helpers import RecordingProgress

SAMPLES = Path(__file__).resolve().parents[1] / "data_samples"
SPEC = TokenizerSpec()
LABELS = ["music", "sports", "music", "film", "cooking"]
TEXTS = [
    "We play guitar and the band plays",
    "the team scored a goal , the crowd cheered",
    "ünïcode wörds and the guitar",
    "",  # an empty text adds nothing
    "the the   guitar\tsolo",
]
EXPECTED = Counter(token for text in TEXTS for token in text.split())


# --- every layout gives the same counts -----------------------------------------------------------


def _text(path: Path, opener: Callable[..., object] = open) -> Path:
    with opener(path, "wt", encoding="utf-8") as out:  # type: ignore[operator]
        out.write("\n".join(TEXTS) + "\n")  # type: ignore[attr-defined]
    return path


def _delimited(path: Path, delimiter: str, header: bool) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=delimiter)
        if header:
            writer.writerow(["label", "text"])
        writer.writerows(zip(LABELS, TEXTS, strict=True))
    return path


def _jsonl(path: Path, opener: Callable[..., object] = open) -> Path:
    with opener(path, "wt", encoding="utf-8") as out:  # type: ignore[operator]
        for label, text in zip(LABELS, TEXTS, strict=True):
            out.write(json.dumps({"label": label, "text": text}) + "\n")  # type: ignore[attr-defined]
        out.write(json.dumps({"label": "x", "text": None}) + "\n")  # type: ignore[attr-defined]
    return path


def _table() -> pa.Table:
    return pa.table({"id": list(range(6)), "text": [*TEXTS, None]})


def _parquet(path: Path) -> Path:
    pq.write_table(_table(), path, row_group_size=2)
    return path


def _feather(path: Path) -> Path:
    feather.write_feather(_table(), path, chunksize=2)
    return path


def _arrow_stream(path: Path) -> Path:
    table = _table()
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=4):
            writer.write_batch(batch)
    return path


def _directory(root: Path) -> Path:
    """TEXTS split over plain, compressed and tabular files in a nested directory."""
    (root / "b").mkdir(parents=True)
    (root / "a.txt").write_text(TEXTS[0] + "\n", encoding="utf-8")
    (root / "b" / "c.txt.gz").write_bytes(gzip.compress(f"{TEXTS[1]}\n".encode()))
    (root / "b" / "d.jsonl").write_text(json.dumps({"text": TEXTS[2]}) + "\n", encoding="utf-8")
    pq.write_table(pa.table({"text": TEXTS[3:]}), root / "e.parquet")
    (root / ".hidden.txt").write_text("never read\n", encoding="utf-8")
    return root


LAYOUTS: dict[str, Callable[[Path], tuple[Path, str | None]]] = {
    "txt": lambda d: (_text(d / "t.txt"), None),
    "txt.gz": lambda d: (_text(d / "t.txt.gz", gzip.open), None),
    "txt.bz2": lambda d: (_text(d / "t.txt.bz2", bz2.open), None),
    "tsv": lambda d: (_delimited(d / "t.tsv", "\t", header=True), "text"),
    "tsv-no-header": lambda d: (_delimited(d / "t.tsv", "\t", header=False), "2"),
    "csv": lambda d: (_delimited(d / "t.csv", ",", header=True), "text"),
    "csv-no-header": lambda d: (_delimited(d / "t.csv", ",", header=False), "2"),
    "jsonl": lambda d: (_jsonl(d / "t.jsonl"), "text"),
    "jsonl.gz": lambda d: (_jsonl(d / "t.jsonl.gz", gzip.open), "text"),
    "parquet": lambda d: (_parquet(d / "t.parquet"), "text"),
    "feather": lambda d: (_feather(d / "t.feather"), "text"),
    "arrow-stream": lambda d: (_arrow_stream(d / "t.arrow"), "text"),
    "directory": lambda d: (_directory(d / "data"), "text"),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_layout_gives_the_same_counts(tmp_path: Path, layout: str) -> None:
    path, column = LAYOUTS[layout](tmp_path)
    assert count_tokens(path, tokenizer=SPEC, text_column=column) == EXPECTED
    vocab = build_vocab(path, tokenizer=SPEC, text_column=column)
    assert vocab.tokens[:5] == ["<pad>", "<unk>", "the", "guitar", "and"]
    assert dict(zip(vocab.tokens[2:], (vocab.counts or [])[2:], strict=True)) == EXPECTED


def test_bundled_samples_rebuild_the_bundled_vocabulary(tmp_path: Path) -> None:
    # data_samples/vocab.txt: the vocabulary of train.tsv and test.tsv (label<TAB>text, no header)
    for name in ("train.tsv", "test.tsv"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    out = write_vocab(build_vocab(tmp_path, tokenizer=SPEC, text_column="2"), tmp_path / "v.tsv")
    assert out.read_bytes() == (SAMPLES / "vocab.txt").read_bytes()


def test_progress_reports_every_byte(tmp_path: Path) -> None:
    path = _text(tmp_path / "t.txt")
    progress = RecordingProgress()
    count_tokens(path, tokenizer=SPEC, progress=progress)
    [(description, total, unit, bar)] = progress.bars
    assert description == "count t.txt" and unit == "B"
    assert total == sum(bar.updates) == path.stat().st_size


# --- order, limits, specials ----------------------------------------------------------------------


def _counts(text: str) -> Counter[str]:
    return Counter(text.split())


def _vocab_of(text: str, **kwargs: object) -> Vocab:
    return select_tokens(_counts(text), **kwargs).vocab  # type: ignore[arg-type]


def test_order_is_count_descending_then_code_point() -> None:
    vocab = _vocab_of("b a é B b a é B z b")
    assert vocab.tokens == ["<pad>", "<unk>", "b", "B", "a", "é", "z"]
    assert vocab.counts == [0, 0, 3, 2, 2, 2, 1]


def test_min_count_and_max_size() -> None:
    report = select_tokens(_counts("a a a b b c d"), min_count=2)
    assert report.vocab.tokens[2:] == ["a", "b"]
    assert (report.dropped_min_count, report.dropped_max_size) == (2, 0)
    report = select_tokens(_counts("a a a b b c d"), max_size=3)
    assert report.vocab.tokens == ["<pad>", "<unk>", "a", "b", "c"]  # specials not counted
    assert (report.dropped_min_count, report.dropped_max_size, report.types_written) == (0, 1, 3)
    report = select_tokens(_counts("a a a b b c d"), min_count=2, max_size=1)
    assert report.vocab.tokens[2:] == ["a"]
    assert (report.dropped_min_count, report.dropped_max_size) == (2, 1)
    assert (report.tokens_counted, report.types_counted) == (7, 4)


def test_specials_in_the_data_are_counted_but_never_entries() -> None:
    report = select_tokens(_counts("<pad> a <unk> <unk> a b"), max_size=1)
    assert report.vocab.tokens == ["<pad>", "<unk>", "a"]
    assert report.dropped_specials == ("<pad>", "<unk>")
    assert report.tokens_counted == 6 and report.dropped_max_size == 1


def test_custom_and_disabled_specials() -> None:
    vocab = _vocab_of("[PAD] <pad> <pad> x", pad="[PAD]", unk="[UNK]")
    assert vocab.tokens == ["[PAD]", "[UNK]", "<pad>", "x"]
    vocab = _vocab_of("<pad> <unk> x x", pad=None, unk=None)
    assert vocab.tokens == ["x", "<pad>", "<unk>"] and vocab.specials == ()


def test_lowercase_tokenizer_merges_case(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("The guitar\nthe Guitar GUITAR\n", encoding="utf-8")
    vocab = build_vocab(path, tokenizer=TokenizerSpec(lowercase=True))
    assert vocab.tokens[2:] == ["guitar", "the"] and vocab.counts == [0, 0, 3, 2]


# --- errors: one line naming the file and the remedy; nothing written -----------------------------


def _nothing_written(directory: Path) -> None:
    assert sorted(p.name for p in directory.iterdir()) == ["data"]


def _build_error(tmp_path: Path, make: Callable[[Path], Path], **kwargs: object) -> str:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    data = make(data_dir)
    with pytest.raises(InputError) as info:
        build_vocab_file(data, tmp_path / "v.tsv", tokenizer=SPEC, **kwargs)  # type: ignore[arg-type]
    _nothing_written(tmp_path)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_missing_tsv_column_says_to_pass_a_number(tmp_path: Path) -> None:
    make = lambda d: _delimited(d / "t.tsv", "\t", header=False)  # noqa: E731
    message = _build_error(tmp_path, make, text_column="text")
    assert "t.tsv" in message and "no column 'text'" in message
    assert "its columns are: music, We play guitar" in message
    assert "if line 1 is data and not a header, a column number (e.g. 2)" in message


def test_no_column_given_for_a_table(tmp_path: Path) -> None:
    message = _build_error(tmp_path, lambda d: _delimited(d / "t.tsv", "\t", header=False))
    assert "a TSV file needs --text-column" in message and "column number (e.g. 2)" in message


@pytest.mark.parametrize("column", ["3", "0"])
def test_column_number_out_of_range(tmp_path: Path, column: str) -> None:
    make = lambda d: _delimited(d / "t.csv", ",", header=False)  # noqa: E731
    message = _build_error(tmp_path, make, text_column=column)
    assert "t.csv, line 1: 2 columns" in message and "a number from 1 to 2" in message


def test_non_text_parquet_column(tmp_path: Path) -> None:
    message = _build_error(tmp_path, lambda d: _parquet(d / "t.parquet"), text_column="id")
    assert "t.parquet" in message and "column 'id' is int64, not text" in message
    assert "pass a text column to --text-column (its text columns are: text)" in message


def test_text_column_on_plain_text(tmp_path: Path) -> None:
    message = _build_error(tmp_path, lambda d: _text(d / "t.txt"), text_column="text")
    assert "plain text only; drop --text-column" in message


def _blank(directory: Path) -> Path:
    (directory / "t.txt").write_text("\n  \n\t\n", encoding="utf-8")
    return directory / "t.txt"


def _null_column(directory: Path) -> Path:
    pq.write_table(pa.table({"text": pa.array([None, None], pa.string())}), directory / "t.parquet")
    return directory / "t.parquet"


@pytest.mark.parametrize("make", [_blank, _null_column], ids=["blank", "nulls"])
def test_a_dataset_without_tokens(tmp_path: Path, make: Callable[[Path], Path]) -> None:
    column = "text" if make is _null_column else None
    message = _build_error(tmp_path, make, text_column=column)
    assert str(tmp_path / "data" / "t.") in message
    assert "holds no tokens; check --text-column and the file's content" in message


def test_a_dataset_of_specials_only(tmp_path: Path) -> None:
    message = _build_error(tmp_path, lambda d: _write(d / "t.txt", "<pad> <unk>\n"))
    assert "holds only special tokens" in message


def test_min_count_leaving_nothing(tmp_path: Path) -> None:
    message = _build_error(tmp_path, lambda d: _text(d / "t.txt"), min_count=100)
    assert "t.txt: no token occurs 100 times (the most frequent, 'the', occurs 6)" in message
    assert "lower --min-count" in message


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"min_count": 0}, "min_count must be at least 1"),
        ({"max_size": 0}, "max_size must be at least 1"),
        ({"pad": "X", "unk": "X"}, "must differ"),
    ],
)
def test_bad_options_fail_before_reading(
    tmp_path: Path, kwargs: dict[str, object], needle: str
) -> None:
    message = _build_error(tmp_path, lambda d: d / "does-not-matter.txt", **kwargs)
    assert needle in message


def test_existing_output_needs_force(tmp_path: Path) -> None:
    data = _text(tmp_path / "t.txt")
    out = _write(tmp_path / "v.tsv", "old\t1\n")
    with pytest.raises(InputError, match="already exists; pass --force"):
        build_vocab_file(data, out, tokenizer=SPEC)
    assert out.read_text() == "old\t1\n"
    report = build_vocab_file(data, out, tokenizer=SPEC, force=True)
    assert report.path == out and read_vocab(out) == report.vocab
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.txt", "v.tsv"]


def test_output_that_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        write_vocab(Vocab(["a"]), tmp_path, force=True)


# --- write_vocab ----------------------------------------------------------------------------------


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_written_file_layout(tmp_path: Path) -> None:
    path = write_vocab(Vocab(["the", "Guitar", "été"], counts=[9, 2, 2]), tmp_path / "v.tsv")
    assert path.read_bytes() == "the\t9\nGuitar\t2\nété\t2\n".encode()
    assert (path.stat().st_mode & 0o777) == 0o666 & ~_umask()
    plain = write_vocab(Vocab(["a", "b"]), tmp_path / "p.txt")
    assert plain.read_bytes() == b"a\nb\n" and read_vocab(plain) == Vocab(["a", "b"])


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@pytest.mark.parametrize(
    ("token", "first", "needle"),
    [
        ("a\tb", False, "holds a tab or a line break"),
        ("a\nb", False, "holds a tab or a line break"),
        ("a\rb", False, "holds a tab or a line break"),
        ("  ", False, "is empty or only whitespace"),
        ("\u00a0", False, "is empty or only whitespace"),
        ("\ufeffa", True, "byte-order mark"),
        ("a\ud800", False, "lone surrogate"),
    ],
)
def test_tokens_that_cannot_be_read_back(
    tmp_path: Path, token: str, first: bool, needle: str
) -> None:
    tokens = [token, "ok"] if first else ["ok", token]
    out = _write(tmp_path / "v.tsv", "old\t1\n")
    with pytest.raises(VocabError) as info:
        write_vocab(Vocab(tokens, counts=[2, 1]), out, force=True)
    message = str(info.value)
    assert str(out) in message and needle in message and f"line {2 - first}" in message
    assert "change the tokenizer or clean the data" in message
    assert out.read_text() == "old\t1\n"  # the old file stays
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.tsv"]


def test_a_byte_order_mark_after_line_1_is_kept(tmp_path: Path) -> None:
    vocab = Vocab(["a", "\ufeffb"], counts=[2, 1])
    assert read_vocab(write_vocab(vocab, tmp_path / "v.tsv")) == vocab


def test_a_vocabulary_of_specials_only_is_refused(tmp_path: Path) -> None:
    with pytest.raises(VocabError, match="no tokens besides the specials"):
        write_vocab(Vocab([]), tmp_path / "v.tsv")
    assert not (tmp_path / "v.tsv").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_unwritable_directory_leaves_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PermissionError):
            write_vocab(Vocab(["a"]), folder / "v.tsv")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


# --- round trip -----------------------------------------------------------------------------------

# What read_vocab reads back: no tab or line break, not only whitespace, no leading BOM.
_GOOD = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters=["\t", "\n", "\r"]),
    min_size=1,
    max_size=8,
).filter(lambda t: t.strip() != "" and not t.startswith("\ufeff"))
_SPECIALS = st.sampled_from([(DEFAULT_PAD, DEFAULT_UNK), ("[PAD]", "[UNK]"), (None, "<unk>")])
_ANY = st.text(max_size=6)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tokens=st.lists(_GOOD, min_size=1, max_size=12, unique=True), data=st.data())
def test_write_then_read_gives_an_equal_vocab(
    tmp_path: Path, tokens: list[str], data: st.DataObject
) -> None:
    pad, unk = data.draw(_SPECIALS)
    tokens = [t for t in tokens if t not in (pad, unk)] or ["x"]
    counts = data.draw(st.lists(st.integers(0, 10**12), min_size=len(tokens), max_size=len(tokens)))
    vocab = Vocab(tokens, counts=data.draw(st.sampled_from([counts, None])), pad=pad, unk=unk)
    path = write_vocab(vocab, tmp_path / "v.tsv", force=True)
    assert read_vocab(path, pad=pad, unk=unk) == vocab


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tokens=st.lists(_ANY, min_size=1, max_size=6, unique=True))
def test_any_token_is_written_faithfully_or_refused(tmp_path: Path, tokens: list[str]) -> None:
    tokens = [t for t in tokens if t not in (DEFAULT_PAD, DEFAULT_UNK)] or ["x"]
    vocab = Vocab(tokens, counts=list(range(len(tokens), 0, -1)))
    out = tmp_path / "v.tsv"
    out.unlink(missing_ok=True)
    try:
        write_vocab(vocab, out)
    except VocabError:
        assert not out.exists()
    else:
        assert read_vocab(out) == vocab
    assert [p.name for p in tmp_path.iterdir() if p.name != "v.tsv"] == []
