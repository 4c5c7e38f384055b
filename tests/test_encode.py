"""Encoding text to ids: the reference encode() and the Encoder (lists, Arrow, adapters)."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aligner
from aligner.encode import Encoder, encode
from aligner.errors import InputError
from aligner.tokenize import TokenizerSpec
from aligner.vocab import Vocab

from .text_strategies import LAYOUTS, SPECS, WORDS, layout, sentencepiece_spec, spaced_text, texts

VOCAB = Vocab(
    [*WORDS, *(w.lower() for w in WORDS if w.lower() not in WORDS), "▁play", "▁the", "▁guitar"]
)


def reference(values: list[str | None], vocab: Vocab, spec: TokenizerSpec) -> list[Any]:
    return [None if v is None else encode([v], vocab, spec)[0] for v in values]


def spec_id(spec: TokenizerSpec) -> str:
    return f"{spec.kind}-lower{int(spec.lowercase)}-{spec.normalize}"


# Small inputs take a per-text Python path, larger ones the Arrow path: test both.
PATHS = ("python", "arrow")


def choose(path: str) -> Any:
    return lambda self, texts, chars: path == "python"


@contextmanager
def only(path: str) -> Iterator[None]:
    """Force one path: only the choice between the two real paths is replaced."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Encoder, "_few", choose(path))
        yield


@pytest.fixture(params=PATHS)
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(Encoder, "_few", choose(request.param))
    return str(request.param)


# ---------------------------------------------------------------- the reference


def test_encode_uses_vocab_rows_and_unk() -> None:
    vocab = Vocab(["play", "guitar", "The"])
    assert encode(["The  play\tguitar", "", "zzz play"], vocab, TokenizerSpec()) == [
        [4, 2, 3],
        [],
        [1, 2],
    ]


def test_encode_lowercasing_spec_changes_ids() -> None:
    vocab = Vocab(["play", "The"])
    assert encode(["The play"], vocab, TokenizerSpec(lowercase=True)) == [[1, 2]]


def test_encode_without_unk_raises() -> None:
    with pytest.raises(KeyError):
        encode(["nope"], Vocab(["a"], unk=None), TokenizerSpec())


def test_artifact_encode_matches_vocab(built: Path) -> None:
    art = aligner.load(built)
    ids = art.encode(["The guitar zorblax unseen"])
    assert ids == [[art.vocab["The"], art.vocab["guitar"], art.vocab["zorblax"], art.vocab.unk_id]]
    assert art.tokenizer == TokenizerSpec()


# ---------------------------------------------------------------- Encoder == encode()


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
@settings(max_examples=100, deadline=None)
@given(values=texts(), kind=st.sampled_from(LAYOUTS))
def test_encoder_equals_encode(spec: TokenizerSpec, values: list[str | None], kind: str) -> None:
    enc = Encoder(VOCAB, spec)
    expected = reference(values, VOCAB, spec)
    for path in PATHS:
        with only(path):
            assert enc(values) == expected
            assert enc(layout(values, kind)).to_pylist() == expected


@pytest.mark.parametrize("spec", SPECS[:2], ids=spec_id)
@settings(max_examples=100, deadline=None)
@given(values=texts(spaced_text()), kind=st.sampled_from(LAYOUTS))
def test_encoder_equals_encode_on_single_spaced_text(
    spec: TokenizerSpec, values: list[str | None], kind: str
) -> None:
    expected = reference(values, VOCAB, spec)
    with only("arrow"):
        assert Encoder(VOCAB, spec)(layout(values, kind)).to_pylist() == expected


@settings(max_examples=50, deadline=None)
@given(values=texts(), kind=st.sampled_from(LAYOUTS), lower=st.booleans())
def test_encoder_equals_encode_for_sentencepiece(
    values: list[str | None], kind: str, lower: bool
) -> None:
    spec = sentencepiece_spec(lowercase=lower, normalize="nfkc" if lower else None)
    expected = reference(values, VOCAB, spec)
    for path in PATHS:
        with only(path):
            assert Encoder(VOCAB, spec)(values) == expected
            assert Encoder(VOCAB, spec)(layout(values, kind)).to_pylist() == expected


@settings(max_examples=50, deadline=None)
@given(values=texts(), rows=st.integers(1, 4))
def test_small_lookup_batches_give_the_same_ids(values: list[str | None], rows: int) -> None:
    spec = TokenizerSpec(kind="regex")
    with only("arrow"):
        assert Encoder(VOCAB, spec, batch_rows=rows)(values) == reference(values, VOCAB, spec)


def test_lookup_batches_cut_by_bytes_give_the_same_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("aligner.encode_lookup.BATCH_BYTES", 7)
    monkeypatch.setattr(Encoder, "_few", choose("arrow"))
    values = ["play guitar", "the", "été naïve straße", None, "", "x" * 30, "The play"]
    enc = Encoder(VOCAB, TokenizerSpec())
    expected = reference(values, VOCAB, TokenizerSpec())
    assert enc(values) == expected
    assert enc(pa.array(["pad", *values]).slice(1)).to_pylist() == expected


def test_few_short_texts_take_the_python_path_and_many_the_arrow_path() -> None:
    enc = Encoder(VOCAB, TokenizerSpec())
    assert enc._few(32, 5_000)
    assert not enc._few(32, 10_000_000)
    assert not enc._few(100_000, 1_000)
    assert Encoder(VOCAB, TokenizerSpec(kind="regex"))._few(32, 5_000)


@pytest.mark.usefixtures("path")
def test_arrow_types_and_shapes() -> None:
    enc = Encoder(Vocab(["a", "b"]), TokenizerSpec())
    ids = enc(pa.array(["a b", None, "c"]))
    assert ids.type == pa.list_(pa.int32())
    assert ids.to_pylist() == [[2, 3], None, [1]]
    chunked = enc(pa.chunked_array([["a"], ["b", "a a"]]))
    assert isinstance(chunked, pa.ChunkedArray) and chunked.num_chunks == 2
    assert chunked.to_pylist() == [[2], [3], [2, 2]]
    table = pa.table({"id": [1, 2], "text": ["a", "b c"]})
    assert enc(table).to_pylist() == [[2], [3, 1]]
    assert enc(table.to_batches()[0]).to_pylist() == [[2], [3, 1]]
    assert enc(pa.table({"body": ["b"]}), column="body").to_pylist() == [[3]]
    assert enc([]) == [] and enc(pa.array([], pa.string())).to_pylist() == []
    assert enc(pa.chunked_array([], pa.string())).type == pa.list_(pa.int32())


@pytest.mark.usefixtures("path")
def test_other_iterables_and_numpy_arrays_are_texts() -> None:
    enc = Encoder(Vocab(["a", "b"]), TokenizerSpec())
    assert enc(t for t in ["a", "b"]) == [[2], [3]]
    assert enc(np.array(["a b", "b"], dtype=object)) == [[2, 3], [3]]


# ---------------------------------------------------------------- truncation and padding

TEXTS = ["a b c d e", "", None, "b", "a a a"]


@pytest.mark.usefixtures("path")
def test_max_length_keeps_the_first_ids() -> None:
    enc = Encoder(Vocab(["a", "b", "c", "d", "e"]), TokenizerSpec(), max_length=2)
    expected = [[2, 3], [], None, [3], [2, 2]]
    assert enc(TEXTS) == expected
    assert enc(pa.array(TEXTS)).to_pylist() == expected


@pytest.mark.usefixtures("path")
def test_pad_to_max_length_keeps_nulls() -> None:
    enc = Encoder(Vocab(["a", "b", "c", "d", "e"]), TokenizerSpec(), max_length=3, pad=True)
    expected = [[2, 3, 4], [0, 0, 0], None, [3, 0, 0], [2, 2, 2]]
    assert enc(TEXTS) == expected
    assert enc(pa.array(TEXTS)).to_pylist() == expected
    ids, lengths = enc.encode_with_lengths(TEXTS)
    assert ids == expected and lengths == [3, 0, None, 1, 3]
    _, arrow_lengths = enc.encode_with_lengths(pa.array(TEXTS))
    assert arrow_lengths.to_pylist() == [3, 0, None, 1, 3]


@pytest.mark.usefixtures("path")
def test_pad_without_max_length_pads_to_the_longest_row_of_the_call() -> None:
    enc = Encoder(Vocab(["a", "b"]), TokenizerSpec(), pad=True)
    assert enc(["a", "a b a", ""]) == [[2, 0, 0], [2, 3, 2], [0, 0, 0]]
    chunked = enc(pa.chunked_array([["a"], ["a b a b"]]))  # the longest of all chunks
    assert chunked.to_pylist() == [[2, 0, 0, 0], [2, 3, 2, 3]]


@settings(max_examples=100, deadline=None)
@given(values=texts(), max_length=st.integers(1, 5), pad=st.booleans())
def test_truncation_and_padding_match_the_reference(
    values: list[str | None], max_length: int, pad: bool
) -> None:
    spec = TokenizerSpec()
    enc = Encoder(VOCAB, spec, max_length=max_length, pad=pad)
    expected = [
        None if row is None else row[:max_length] + [0] * (max_length - len(row[:max_length]))
        if pad else row[:max_length]
        for row in reference(values, VOCAB, spec)
    ]  # fmt: skip
    for path in PATHS:
        with only(path):
            assert enc(values) == expected
            assert enc(pa.array(values, pa.string())).to_pylist() == expected


# ---------------------------------------------------------------- unknown tokens


@pytest.mark.usefixtures("path")
def test_unknown_skip_drops_unknown_tokens() -> None:
    enc = Encoder(Vocab(["a"], unk=None), TokenizerSpec(), unknown="skip")
    assert enc(["x a y", "z"]) == [[1], []]
    assert enc(pa.array(["x a y", "z"])).to_pylist() == [[1], []]


@pytest.mark.usefixtures("path")
def test_no_unk_token_names_the_first_unknown_token_and_row() -> None:
    enc = Encoder(Vocab(["a"], unk=None), TokenizerSpec())
    with pytest.raises(InputError) as info:
        enc(["a a", "a  Mystery a"])
    message = str(info.value)
    assert "'Mystery'" in message and "row 1" in message and "unk" in message
    assert "unknown='skip'" in message


@pytest.mark.usefixtures("path")
def test_unknown_error_mode_refuses_even_with_an_unk_token() -> None:
    enc = Encoder(Vocab(["a"]), TokenizerSpec(kind="regex"), unknown="error", batch_rows=1)
    with pytest.raises(InputError, match=r"row 2: token '\?'"):
        enc(["a", "a", "a?"])


# ---------------------------------------------------------------- errors


def test_missing_column_lists_the_columns() -> None:
    enc = Encoder(Vocab(["a"]), TokenizerSpec())
    with pytest.raises(InputError) as info:
        enc(pa.table({"body": ["a"], "label": [1]}))
    message = str(info.value)
    assert "'text'" in message and "body, label" in message and "column=" in message


def test_non_text_column_is_refused_and_text_columns_are_suggested() -> None:
    enc = Encoder(Vocab(["a"]), TokenizerSpec())
    with pytest.raises(InputError) as info:
        enc(pa.table({"text": [1, 2], "body": ["a", "b"]}))
    message = str(info.value)
    assert "'text' is int64, not text" in message and "body" in message


@pytest.mark.usefixtures("path")
def test_bad_python_inputs() -> None:
    enc = Encoder(Vocab(["a"]), TokenizerSpec())
    with pytest.raises(InputError, match="text 1 is int, not str"):
        enc(["a", 3])


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"max_length": 0}, "max_length must be a positive integer"),
        ({"unknown": "drop"}, "unknown='drop'"),
        ({"batch_rows": 0}, "batch_rows must be positive"),
    ],
)
def test_bad_options(options: dict[str, Any], match: str) -> None:
    with pytest.raises(InputError, match=match):
        Encoder(Vocab(["a"]), TokenizerSpec(), **options)


def test_pad_needs_a_pad_token() -> None:
    with pytest.raises(InputError, match="pad=True needs a pad token"):
        Encoder(Vocab(["a"], pad=None), TokenizerSpec(), pad=True)
    with pytest.raises(InputError, match="need a pad token"):
        Encoder(Vocab(["a"], pad=None), TokenizerSpec()).collate()


# ---------------------------------------------------------------- artifact, pickling


@pytest.mark.usefixtures("path")
def test_artifact_encoder_equals_artifact_encode(built: Path) -> None:
    art = aligner.load(built)
    enc = art.encoder(max_length=8)
    texts = ["The guitar zorblax unseen", "football goal", ""]
    assert enc(texts) == art.encode(texts)
    assert enc(pa.array(texts)).to_pylist() == art.encode(texts)


def test_encoder_and_its_adapters_pickle() -> None:
    enc = Encoder(Vocab(["a"]), TokenizerSpec(), max_length=2)
    assert enc(["a b"]) == [[2, 1]]  # builds the value sets, which are not pickled
    clone = pickle.loads(pickle.dumps(enc))
    assert clone._value_sets == {}
    assert clone(["a b a"]) == [[2, 1]]
    assert pickle.loads(pickle.dumps(enc.map_function()))({"text": ["a"]}) == {"input_ids": [[2]]}
    assert pickle.loads(pickle.dumps(enc.collate()))(["a"])["input_ids"].tolist() == [[2]]


# ---------------------------------------------------------------- datasets.map


@pytest.mark.usefixtures("path")
def test_map_function_on_a_dict_batch() -> None:
    enc = Encoder(Vocab(["a", "b"]), TokenizerSpec(), max_length=2, pad=True)
    fn = enc.map_function("body", output="ids", length=True)
    out = fn({"body": ["a b a", "b", None], "label": [0, 1, 0]})
    assert out == {
        "ids": [[2, 3], [3, 0], None],
        "attention_mask": [[1, 1], [1, 0], None],  # the encoder pads
        "length": [2, 1, None],
    }
    assert enc.map_function()({"text": ["a"]}) == {
        "input_ids": [[2, 0]],
        "attention_mask": [[1, 0]],
    }
    unpadded = Encoder(Vocab(["a", "b"]), TokenizerSpec(), max_length=2)
    assert unpadded.map_function()({"text": ["a b a", None]}) == {"input_ids": [[2, 3], None]}


@pytest.mark.usefixtures("path")
def test_map_function_on_an_arrow_table_returns_the_table_with_the_new_columns() -> None:
    enc = Encoder(Vocab(["a", "b"]), TokenizerSpec())
    table = pa.table({"text": ["a b", "b"], "label": [0, 1]})
    out = enc.map_function(length=True)(table)
    assert out.column_names == ["text", "label", "input_ids", "length"]
    assert out["input_ids"].to_pylist() == [[2, 3], [3]]
    assert out["length"].to_pylist() == [2, 1]
    again = enc.map_function()(out)  # an existing output column is replaced
    assert again.column_names == out.column_names


def test_map_function_errors_name_the_columns() -> None:
    fn = Encoder(Vocab(["a"]), TokenizerSpec()).map_function("text")
    with pytest.raises(InputError, match="no column 'text'; its columns are: body"):
        fn({"body": ["a"]})
    with pytest.raises(InputError, match="batched=True"):
        fn(["a"])


def test_map_function_with_datasets() -> None:
    datasets = pytest.importorskip("datasets")
    enc = Encoder(Vocab(["a", "b"]), TokenizerSpec())
    ds = datasets.Dataset.from_dict({"text": ["a b", "b x"], "label": [0, 1]})
    mapped = ds.map(enc.map_function(length=True), batched=True)
    assert mapped["input_ids"] == [[2, 3], [3, 1]] and mapped["length"] == [2, 2]
    arrow = ds.with_format("arrow").map(enc.map_function(), batched=True)
    assert arrow.with_format(None)["input_ids"] == [[2, 3], [3, 1]]


# ---------------------------------------------------------------- DataLoader collate


@pytest.mark.usefixtures("path")
def test_collate_in_a_dataloader() -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader

    enc = Encoder(Vocab(["a", "b", "c"]), TokenizerSpec(), max_length=3)
    rows = [
        {"text": "a b", "label": 0},
        {"text": "c c c c c", "label": 1},
        {"text": "", "label": 1},
        {"text": "a", "label": 0},
    ]
    batches = list(DataLoader(rows, batch_size=3, collate_fn=enc.collate()))
    first, second = batches
    assert first["input_ids"].dtype == torch.int64
    assert first["input_ids"].tolist() == [[2, 3, 0], [4, 4, 4], [0, 0, 0]]
    assert first["attention_mask"].tolist() == [[1, 1, 0], [1, 1, 1], [0, 0, 0]]
    assert first["length"].tolist() == [2, 3, 0]
    assert first["labels"].tolist() == [0, 1, 1]
    assert second["input_ids"].tolist() == [[2]]  # the longest row of the batch


def test_collate_strings_and_fixed_width() -> None:
    enc = Encoder(Vocab(["a"]), TokenizerSpec(), max_length=4, pad=True)
    out = enc.collate()(["a a", "a"])
    assert out["input_ids"].tolist() == [[2, 2, 0, 0], [2, 0, 0, 0]]
    assert "labels" not in out


def test_collate_errors() -> None:
    collate = Encoder(Vocab(["a"]), TokenizerSpec()).collate()
    with pytest.raises(InputError, match="1 of 2 examples have a 'label'"):
        collate([{"text": "a", "label": 1}, {"text": "a"}])
    with pytest.raises(InputError, match="example 0 has no 'text' key"):
        collate([{"body": "a"}])
    with pytest.raises(InputError, match="example 1: the text is missing"):
        collate(["a", None])


@pytest.mark.parametrize("count", [2, 5001])
def test_bad_items_are_refused_on_both_paths(count: int) -> None:
    enc = Encoder(Vocab(["a"]), TokenizerSpec())
    with pytest.raises(InputError, match=f"text {count - 1} is bytes"):
        enc(["a"] * (count - 1) + [b"a"])  # type: ignore[list-item]
    with pytest.raises(InputError, match=f"text {count - 1} holds a lone surrogate"):
        enc(["a"] * (count - 1) + ["a\ud800"])
