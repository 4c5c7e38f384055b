"""TokenizerSpec: whitespace splitting, lowercasing, validation and its dict form."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.errors import InputError
from aligner.tokenize import TokenizerSpec


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("we play guitar", ["we", "play", "guitar"]),
        ("we\tplay\t\tguitar", ["we", "play", "guitar"]),
        ("  we   play  guitar  ", ["we", "play", "guitar"]),
        ("we\nplay\r\nguitar\n", ["we", "play", "guitar"]),
        # no-break space, ideographic space, em space, line separator, form feed
        (
            "we\u00a0play\u3000guitar\u2003now\u2028then\x0cend",
            ["we", "play", "guitar", "now", "then", "end"],
        ),
        ("", []),
        (" \t\u00a0\u3000 ", []),
    ],
)
def test_whitespace_split(text: str, expected: list[str]) -> None:
    assert TokenizerSpec()(text) == expected


def test_zero_width_space_is_not_a_separator() -> None:
    # U+200B is a format character, not whitespace: it stays inside the token.
    assert TokenizerSpec()("a\u200bb c") == ["a\u200bb", "c"]


def test_case_kept_by_default_and_lowered_on_request() -> None:
    text = "Play THE Guitar ÉTÉ"
    assert TokenizerSpec()(text) == ["Play", "THE", "Guitar", "ÉTÉ"]
    assert TokenizerSpec(lowercase=True)(text) == ["play", "the", "guitar", "été"]


def test_identity_on_spaced_text_only_without_lowercase() -> None:
    assert TokenizerSpec().is_identity_on_spaced_text
    assert not TokenizerSpec(lowercase=True).is_identity_on_spaced_text


def test_unknown_kind_is_an_input_error_listing_the_choices() -> None:
    with pytest.raises(InputError) as info:
        TokenizerSpec(kind="bpe")
    message = str(info.value)
    assert "'bpe'" in message and "whitespace" in message and "choose" in message


def test_to_dict_names_every_field() -> None:
    assert TokenizerSpec(lowercase=True).to_dict() == {
        "kind": "whitespace",
        "lowercase": True,
        "normalize": None,
    }


def test_from_dict_of_an_empty_dict_is_the_default() -> None:
    assert TokenizerSpec.from_dict({}) == TokenizerSpec()


def test_from_dict_rejects_unknown_fields_and_suggests_upgrading() -> None:
    with pytest.raises(InputError) as info:
        TokenizerSpec.from_dict({"kind": "whitespace", "lowercase": False, "strip_accents": True})
    message = str(info.value)
    assert "strip_accents" in message and "upgrade" in message


def test_from_dict_rejects_an_unknown_kind() -> None:
    with pytest.raises(InputError, match="unknown tokenizer kind 'wordpiece'"):
        TokenizerSpec.from_dict({"kind": "wordpiece", "lowercase": False})


def test_from_dict_of_a_sentencepiece_spec_needs_its_model() -> None:
    with pytest.raises(InputError, match=r"records no model sha256.*rebuild the artifact"):
        TokenizerSpec.from_dict({"kind": "sentencepiece", "lowercase": False})
    with pytest.raises(InputError, match="needs a model"):
        TokenizerSpec(kind="sentencepiece")


def test_spec_is_immutable() -> None:
    spec = TokenizerSpec()
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.lowercase = True  # type: ignore[misc]


@settings(max_examples=20)
@given(lowercase=st.booleans())
def test_dict_round_trip_through_json(lowercase: bool) -> None:
    spec = TokenizerSpec(lowercase=lowercase)
    again = TokenizerSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec
    assert again("A b") == spec("A b")


@settings(max_examples=50)
@given(text=st.text(max_size=60))
def test_tokens_have_no_whitespace_and_rejoining_is_stable(text: str) -> None:
    tokens = TokenizerSpec()(text)
    assert all(token and not any(ch.isspace() for ch in token) for token in tokens)
    assert TokenizerSpec()(" ".join(tokens)) == tokens


@settings(max_examples=50)
@given(text=st.text(max_size=60))
def test_lowercase_equals_lowering_each_token(text: str) -> None:
    # per character: U+0130 -> "i" and capital sigma -> "σ" anywhere (no final-sigma rule)
    def lower(token: str) -> str:
        return token.replace("\u0130", "i").replace("\u03a3", "\u03c3").lower()

    assert TokenizerSpec(lowercase=True)(text) == [lower(t) for t in TokenizerSpec()(text)]


def test_lowercase_is_per_character_like_arrow() -> None:
    assert TokenizerSpec(lowercase=True)("ΟΔΟΣ İstanbul") == ["οδοσ", "istanbul"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Don't stop!", ["Don", "'", "t", "stop", "!"]),
        ("e-mail: a@b.c", ["e", "-", "mail", ":", "a", "@", "b", ".", "c"]),
        ("snake_case 3.14", ["snake_case", "3", ".", "14"]),
        # combining marks stay in the word; CJK is a run of letters
        ("cafe\u0301 東京!", ["cafe\u0301", "東京", "!"]),
        ("«quoted»…", ["«", "quoted", "»", "…"]),
        ("a\u00a0\u3000b\t\n", ["a", "b"]),
        ("", []),
    ],
)
def test_regex_keeps_punctuation_as_tokens(text: str, expected: list[str]) -> None:
    assert TokenizerSpec(kind="regex")(text) == expected


@settings(max_examples=100)
@given(text=st.text(st.characters(exclude_categories=("Cs",)), max_size=40))
def test_regex_tokens_are_word_runs_or_single_symbols(text: str) -> None:
    tokens = TokenizerSpec(kind="regex")(text)
    non_space = "".join(ch for ch in text if not ch.isspace())
    assert "".join(tokens) == non_space  # nothing but whitespace is dropped
    for token in tokens:
        assert not any(ch.isspace() for ch in token)
        assert len(token) == 1 or all(_is_word(ch) for ch in token)


def _is_word(ch: str) -> bool:
    import unicodedata

    return unicodedata.category(ch)[0] in "LNM" or ch == "_"


def test_nfkc_normalizes_before_splitting_and_lowercasing() -> None:
    spec = TokenizerSpec(normalize="nfkc", lowercase=True)
    # ligature fi, full-width letters, superscript two, ideographic space
    assert spec("ﬁnal ＡＢＣ x²\u3000Ⅻ") == ["final", "abc", "x2", "xii"]
    assert TokenizerSpec()("ﬁnal") == ["ﬁnal"]


def test_unknown_normalization_is_refused() -> None:
    with pytest.raises(InputError, match="unknown normalization 'nfd'"):
        TokenizerSpec(normalize="nfd")
