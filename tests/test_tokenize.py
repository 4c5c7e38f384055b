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
    assert TokenizerSpec(lowercase=True).to_dict() == {"kind": "whitespace", "lowercase": True}


def test_from_dict_of_an_empty_dict_is_the_default() -> None:
    assert TokenizerSpec.from_dict({}) == TokenizerSpec()


def test_from_dict_rejects_unknown_fields_and_suggests_upgrading() -> None:
    with pytest.raises(InputError) as info:
        TokenizerSpec.from_dict({"kind": "whitespace", "lowercase": False, "strip_accents": True})
    message = str(info.value)
    assert "strip_accents" in message and "upgrade" in message


def test_from_dict_rejects_an_unknown_kind() -> None:
    with pytest.raises(InputError, match="unknown tokenizer kind 'sentencepiece'"):
        TokenizerSpec.from_dict({"kind": "sentencepiece", "lowercase": False})


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
    assert TokenizerSpec(lowercase=True)(text) == [t.lower() for t in TokenizerSpec()(text)]
