"""Hypothesis strategies for texts, shared by the Arrow tokenizer and encoder tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
from hypothesis import strategies as st

from aligner.tokenize import TokenizerSpec, train_sentencepiece

CORPUS = Path(__file__).resolve().parent.parent / "data_samples" / "corpus.txt"

# Words of the vocabulary used by the tests, in several scripts and cases.
WORDS = [
    "play", "guitar", "The", "the", "été", "Été", "naïve", "straße", "ΣΟΦΙΑ", "σοφια",
    "İstanbul", "istanbul", "東京", "ﬁne", "fine", "Ｆｕｌｌ", "full", "e\u0301", "don", "t",
    "'", "!", ",", "_x_", "42", "x²", "can't", "a-b",
]  # fmt: skip
# Characters that stress the tokenizers: accents, combining marks, CJK, Greek
# capital sigma, U+0130, ligatures, full-width forms, punctuation.
ODD = ["é", "\u0301", "東", "Σ", "\u0130", "ß", "ﬁ", "Ａ", "'", "!", "-", "_", "\u200b", "²"]
# Unassigned in Python 3.11's Unicode 14 tables, assigned in pyarrow's newer ones (they
# lowercase or NFKC-normalize differently there): the Arrow path must defer to Python.
ODD += ["\u1c89", "\ua7cb", "\u0558", "\u209d", "\U000107bb"]
# Separators: single and double spaces, tabs, line breaks, Unicode spaces.
SEPARATORS = [" ", " ", " ", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2028", "\x1c"]

any_char = st.characters(exclude_categories=("Cs",))  # every code point UTF-8 can hold
# ... and of those, no whitespace (Zs/Zl/Zp are the Unicode spaces, Cc holds tab, line feed,
# U+001C-001F and U+0085)
no_space = st.characters(exclude_categories=("Cs", "Zs", "Zl", "Zp", "Cc"))


def _word(chars: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    words = st.sampled_from(WORDS)
    return st.one_of(words, words, st.text(chars, min_size=1, max_size=6), st.sampled_from(ODD))


@st.composite
def text(draw: Any) -> str:
    """One text: words (mostly vocabulary words) joined by any separators, at the ends too."""
    words = draw(st.lists(_word(any_char), max_size=8))
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(words) + 1))
    return seps[0] * draw(st.integers(0, 1)) + "".join(map(str.__add__, words, seps[1:]))


def spaced_text() -> st.SearchStrategy[str]:
    """One text whose only whitespace is single spaces between words (the fast path)."""
    return st.lists(_word(no_space), max_size=8).map(" ".join)


def texts(one: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[list[str | None]]:
    """Lists of texts (default: :func:`text`) with some nulls and empty strings."""
    one = text() if one is None else one
    return st.lists(st.one_of(one, st.none(), st.just("")), max_size=12)


LAYOUTS = ("array", "sliced", "chunked", "large_string", "string_view")


def layout(values: list[str | None], kind: str) -> Any:
    """``values`` as an Arrow input of one of the LAYOUTS."""
    if kind == "sliced":  # whitespace before the slice must not matter
        return pa.array(["x\ty", None, "\u3000", *values], type=pa.string()).slice(3)
    if kind == "chunked":
        half = len(values) // 2
        return pa.chunked_array([values[:half], values[half:]], type=pa.string())
    if kind == "large_string":
        return pa.array(values, type=pa.large_string())
    if kind == "string_view":
        return pa.array(values, type=pa.string()).cast(pa.string_view())
    return pa.array(values, type=pa.string())


SPECS = [
    TokenizerSpec(kind=kind, lowercase=lower, normalize=norm)
    for kind in ("whitespace", "regex")
    for lower in (False, True)
    for norm in (None, "nfkc")
]


@cache
def sentencepiece_spec(lowercase: bool = True, normalize: str | None = "nfkc") -> TokenizerSpec:
    """A small unigram model trained on data_samples/corpus.txt."""
    with CORPUS.open(encoding="utf-8") as fh:
        return train_sentencepiece(fh, vocab_size=300, lowercase=lowercase, normalize=normalize)
