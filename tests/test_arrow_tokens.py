"""split_arrow: Arrow tokenization equal, row by row, to TokenizerSpec."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.arrow_tokens import blank_whitespace, only_spaces, split_arrow, tokenize_batch
from aligner.errors import InputError
from aligner.tokenize import TokenizerSpec

from .text_strategies import LAYOUTS, SPECS, layout, sentencepiece_spec, spaced_text, texts

WHITESPACE = [chr(c) for c in range(0x110000) if chr(c).isspace()]


def reference(spec: TokenizerSpec, values: list[str | None]) -> list[list[str] | None]:
    return [None if v is None else spec(v) for v in values]


def ids(spec: TokenizerSpec) -> str:
    return f"{spec.kind}-lower{int(spec.lowercase)}-{spec.normalize}"


@pytest.mark.parametrize("spec", SPECS, ids=ids)
@settings(max_examples=150, deadline=None)
@given(values=texts(), kind=st.sampled_from(LAYOUTS))
def test_split_arrow_equals_the_python_tokenizer(
    spec: TokenizerSpec, values: list[str | None], kind: str
) -> None:
    assert split_arrow(spec, layout(values, kind)).to_pylist() == reference(spec, values)


@pytest.mark.parametrize("spec", SPECS, ids=ids)
@settings(max_examples=100, deadline=None)
@given(values=texts(spaced_text()), kind=st.sampled_from(LAYOUTS))
def test_split_arrow_fast_path_equals_the_python_tokenizer(
    spec: TokenizerSpec, values: list[str | None], kind: str
) -> None:
    assert split_arrow(spec, layout(values, kind)).to_pylist() == reference(spec, values)


@settings(max_examples=60, deadline=None)
@given(values=texts(), kind=st.sampled_from(LAYOUTS), lower=st.booleans())
def test_split_arrow_sentencepiece_equals_the_python_tokenizer(
    values: list[str | None], kind: str, lower: bool
) -> None:
    spec = sentencepiece_spec(lowercase=lower, normalize="nfkc" if lower else None)
    assert split_arrow(spec, layout(values, kind)).to_pylist() == reference(spec, values)


@settings(max_examples=100, deadline=None)
@given(value=spaced_text())
def test_single_spaced_text_needs_no_blanking(value: str) -> None:
    assert only_spaces(np.frombuffer(value.encode(), dtype=np.uint8))


@pytest.mark.parametrize("space", WHITESPACE, ids=lambda c: f"U+{ord(c):04X}")
def test_every_whitespace_character_is_found_and_blanked(space: str) -> None:
    data = np.frombuffer(f"é{space}東".encode(), dtype=np.uint8)
    assert only_spaces(data) == (space == " ")
    blanked = bytes(blank_whitespace(data))
    assert blanked == "é".encode() + b" " * len(space.encode()) + "東".encode()
    values = ["we play", f"a{space}b", None]
    assert split_arrow(TokenizerSpec(), pa.array(values)).to_pylist() == [
        ["we", "play"],
        ["a", "b"],
        None,
    ]


@settings(max_examples=200, deadline=None)
@given(value=st.text(st.characters(exclude_categories=("Cs",))))
def test_blank_whitespace_then_split_on_spaces_is_str_split(value: str) -> None:
    blanked = bytes(blank_whitespace(np.frombuffer(value.encode(), dtype=np.uint8)))
    assert [t for t in blanked.decode().split(" ") if t] == value.split()


@pytest.mark.parametrize(
    "value",
    ["a  b", " a b", "a b ", " ", "  ", "a" + " " * 5 + "b"],
    ids=["double", "leading", "trailing", "one-space", "two-spaces", "run"],
)
def test_runs_of_spaces_split_right(value: str) -> None:
    values = [value, "x y", None, ""]
    got = split_arrow(TokenizerSpec(), pa.array(values)).to_pylist()
    assert got == reference(TokenizerSpec(), values)


def with_garbage_under_null(data: bytes) -> Any:
    """["ab", null (over ``data``), "c d"] built from raw buffers."""
    body = b"ab" + data + b"c d"
    offsets = np.array([0, 2, 2 + len(data), len(body)], dtype=np.int32)
    validity = np.packbits([1, 0, 1], bitorder="little")
    return pa.StringArray.from_buffers(
        3, pa.py_buffer(offsets), pa.py_buffer(body), pa.py_buffer(validity)
    )


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_bytes_under_null_slots_are_ignored(spec: TokenizerSpec) -> None:
    array = with_garbage_under_null("x\t\u3000Y! ".encode())
    assert array.to_pylist() == ["ab", None, "c d"]
    assert split_arrow(spec, array).to_pylist() == [["ab"], None, ["c", "d"]]
    batch = tokenize_batch(spec, array)
    dropped = [False] * len(batch.tokens) if batch.drop is None else batch.drop.tolist()
    kept = [t for t, drop in zip(batch.tokens.to_pylist(), dropped, strict=True) if not drop]
    assert kept == ["ab ", "c ", "d "]


@pytest.mark.parametrize("after", [b"\x80", b"\xc3", b"\xe3\x80", b"\xff", b"x"])
def test_bytes_after_the_last_value_are_ignored(after: bytes) -> None:
    # pyarrow 26's utf8_split_whitespace keeps "b " here when `after` is >= 0x80
    offsets = np.array([0, 4], dtype=np.int32)
    array = pa.StringArray.from_buffers(1, pa.py_buffer(offsets), pa.py_buffer(b"a b " + after))
    assert split_arrow(TokenizerSpec(), array).to_pylist() == [["a", "b"]]


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_odd_texts(spec: TokenizerSpec) -> None:
    values = [
        "İSTANBUL ΣΟΦΟΣ ﬁne Ｆｕｌｌ",
        "e\u0301te\u0301 東京 café",
        "Don't\tstop!!\n",
        "\u00a0a\u3000b\u2028c\x1cd\x85e\u00a0",
        "´ x",  # NFKC turns U+00B4 into a space and a combining mark
        "",
        None,
    ]
    assert split_arrow(spec, pa.array(values)).to_pylist() == reference(spec, values)


def test_empty_and_all_null_inputs() -> None:
    spec = TokenizerSpec()
    assert split_arrow(spec, pa.array([], type=pa.string())).to_pylist() == []
    assert split_arrow(spec, pa.array([None, None], type=pa.string())).to_pylist() == [None, None]
    assert split_arrow(spec, pa.array([None, None])).to_pylist() == [None, None]  # null type
    assert split_arrow(spec, pa.array(["", ""])).to_pylist() == [[], []]
    empty = pa.chunked_array([], type=pa.string())
    assert split_arrow(spec, empty).to_pylist() == []


def test_chunked_in_chunked_out_and_dictionary_input() -> None:
    spec = TokenizerSpec(lowercase=True)
    chunked = pa.chunked_array([["A b"], [], ["C", None]])
    result = split_arrow(spec, chunked)
    assert isinstance(result, pa.ChunkedArray) and result.num_chunks == 3
    assert result.to_pylist() == [["a", "b"], ["c"], None]
    encoded = pc.dictionary_encode(pa.array(["A b", "A b", None]))
    assert split_arrow(spec, encoded).to_pylist() == [["a", "b"], ["a", "b"], None]


def test_non_text_array_is_an_input_error() -> None:
    with pytest.raises(InputError, match="int64, not text"):
        split_arrow(TokenizerSpec(), pa.array([1, 2]))


def test_regex_keeps_punctuation_as_tokens() -> None:
    spec = TokenizerSpec(kind="regex")
    values = ["Don't stop!", "a_b,c", "x²+y", "«quoted»"]
    assert split_arrow(spec, pa.array(values)).to_pylist() == [
        ["Don", "'", "t", "stop", "!"],
        ["a_b", ",", "c"],
        ["x²", "+", "y"],
        ["«", "quoted", "»"],
    ]


NEWER = ["\u1c89", "\ua7cb", "\u0558", "\u209d", "\U000107bb"]  # Cn in Python 3.11


def test_pyarrow_knows_characters_python_does_not() -> None:
    # the premise of the next test: pyarrow alone would disagree with Python here
    import unicodedata

    assert all(unicodedata.category(c) == "Cn" for c in NEWER)
    lowered = pc.utf8_lower(pa.array(NEWER)).to_pylist()
    normalized = pc.utf8_normalize(pa.array(NEWER), form="NFKC").to_pylist()
    assert lowered != NEWER or normalized != NEWER


@pytest.mark.parametrize("char", NEWER)
@pytest.mark.parametrize(
    "spec",
    [TokenizerSpec(lowercase=True), TokenizerSpec(normalize="nfkc"),
     TokenizerSpec("regex", lowercase=True, normalize="nfkc")],
)  # fmt: skip
def test_characters_newer_than_python_are_prepared_by_python(
    char: str, spec: TokenizerSpec
) -> None:
    texts = [f"A{char}B x {char}", "Plain Text", None, f"é{char}"]
    expected = [None if t is None else spec(t) for t in texts]
    assert split_arrow(spec, pa.array(texts)).to_pylist() == expected
