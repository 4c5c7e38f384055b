"""align: the exact/lowercase fallback chain, row kinds and the coverage report."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.align import Coverage, align
from aligner.errors import InputError
from aligner.vectors import WordVectors
from aligner.vocab import Vocab


def _vectors(*keys: str) -> WordVectors:
    # Row i is filled with i, so a matched row can be recognised by its values.
    matrix = np.repeat(np.arange(len(keys), dtype=np.float32)[:, None], 3, axis=1)
    return WordVectors(list(keys), matrix)


def test_exact_match() -> None:
    result = align(Vocab(["guitar", "piano"]), _vectors("piano", "guitar"))
    assert result.kinds == ["pad", "special", "exact", "exact"]
    assert result.source_rows.tolist() == [-1, -1, 1, 0]
    assert result.found.tolist() == [False, False, True, True]
    assert result.fallbacks == ("exact", "lowercase", "subword")


def test_lowercase_match_from_a_capitalised_vocab_token() -> None:
    result = align(Vocab(["The"]), _vectors("x", "the"))
    assert result.kinds[2] == "lowercase" and result.source_rows[2] == 1


def test_lowercase_match_from_a_capitalised_vector_key() -> None:
    result = align(Vocab(["nasa"]), _vectors("x", "y", "NASA"))
    assert result.kinds[2] == "lowercase" and result.source_rows[2] == 2


def test_lowercase_match_between_two_different_casings() -> None:
    result = align(Vocab(["McDonald"]), _vectors("MCDONALD"))
    assert result.kinds[2] == "lowercase" and result.source_rows[2] == 0


@pytest.mark.parametrize("keys", [("the", "The"), ("The", "the")])
def test_exact_wins_over_lowercase_when_both_exist(keys: tuple[str, ...]) -> None:
    result = align(Vocab(["The"]), _vectors(*keys))
    assert result.kinds[2] == "exact"
    assert result.source_rows[2] == keys.index("The")


def test_lowercase_takes_the_first_matching_vector_row() -> None:
    result = align(Vocab(["nasa"]), _vectors("Nasa", "NASA"))
    assert result.source_rows[2] == 0


def test_repeated_vector_key_first_row_wins() -> None:
    result = align(Vocab(["a"]), _vectors("b", "a", "a"))
    assert result.source_rows[2] == 1


def test_lowercase_disabled() -> None:
    result = align(Vocab(["The", "the", "nasa"]), _vectors("the", "NASA"), fallbacks=("exact",))
    assert result.kinds == ["pad", "special", "fill", "exact", "fill"]
    assert result.source_rows.tolist() == [-1, -1, -1, 0, -1]
    assert result.fallbacks == ("exact",)


def test_chain_order_is_respected() -> None:
    # With lowercase tried first, "The" matches "the" even though "The" exists.
    result = align(Vocab(["The"]), _vectors("the", "The"), fallbacks=["lowercase", "exact"])
    assert result.kinds[2] == "lowercase" and result.source_rows[2] == 0
    assert result.fallbacks == ("lowercase", "exact")


def test_special_kinds_and_specials_never_take_vectors() -> None:
    vectors = _vectors("<pad>", "<unk>", "a")
    assert align(Vocab(["a"]), vectors).kinds == ["pad", "special", "exact"]
    assert align(Vocab(["a"]), vectors).source_rows.tolist() == [-1, -1, 2]
    assert align(Vocab(["a"], pad=None), vectors).kinds == ["special", "exact"]
    assert align(Vocab(["a"], unk=None), vectors).kinds == ["pad", "exact"]
    assert align(Vocab(["a"], pad=None, unk=None), vectors).kinds == ["exact"]
    custom = align(Vocab(["a"], pad="[PAD]", unk="[UNK]"), _vectors("[PAD]", "a"))
    assert custom.kinds == ["pad", "special", "exact"]


@pytest.mark.parametrize(
    "fallbacks", [("exact", "stem"), ("exact", "exact"), ("lowercase", "lowercase"), ("EXACT",)]
)
def test_invalid_fallback_chain(fallbacks: tuple[str, ...]) -> None:
    with pytest.raises(InputError) as info:
        align(Vocab(["a"]), _vectors("a"), fallbacks=fallbacks)
    message = str(info.value)
    assert str(list(fallbacks)) in message and "distinct steps" in message
    assert "exact, lowercase" in message


# --- coverage -----------------------------------------------------------------------------------

TOKENS = ["The", "guitar", "nasa", "zorblax", "qux", "blorp"]
COUNTS = [10, 5, 3, 7, 7, 9]
KEYS = ("the", "guitar", "NASA", "unused")


def test_coverage_by_type_and_by_token() -> None:
    result = align(Vocab(TOKENS, counts=COUNTS), _vectors(*KEYS))
    assert result.kinds[2:] == ["lowercase", "exact", "lowercase", "fill", "fill", "fill"]
    cov = result.coverage
    # 6 task types; The, guitar and nasa found -> 3 / 6.
    assert cov.types == 6 and cov.found_types == 3
    assert cov.type_coverage == pytest.approx(3 / 6)
    assert cov.types_by_kind == {"exact": 1, "lowercase": 2, "subword": 0, "fill": 3}
    # 41 task tokens; found 10 + 5 + 3 = 18.
    assert cov.tokens == 41
    assert cov.tokens_by_kind == {"exact": 5, "lowercase": 13, "subword": 0, "fill": 23}
    assert cov.token_coverage == pytest.approx(18 / 41)


def test_top_missing_by_count_then_row() -> None:
    cov = align(Vocab(TOKENS, counts=COUNTS), _vectors(*KEYS)).coverage
    # blorp (9) first; zorblax and qux tie at 7 and keep row order.
    assert cov.top_missing == [("blorp", 9), ("zorblax", 7), ("qux", 7)]
    top2 = align(Vocab(TOKENS, counts=COUNTS), _vectors(*KEYS), top_missing=2).coverage
    assert top2.top_missing == [("blorp", 9), ("zorblax", 7)]


def test_coverage_without_counts() -> None:
    cov = align(Vocab(TOKENS), _vectors(*KEYS)).coverage
    assert cov.type_coverage == pytest.approx(0.5)
    assert cov.tokens is None and cov.tokens_by_kind is None and cov.token_coverage is None
    assert cov.top_missing == [("zorblax", None), ("qux", None), ("blorp", None)]


def test_coverage_with_lowercase_disabled() -> None:
    cov = align(Vocab(TOKENS, counts=COUNTS), _vectors(*KEYS), fallbacks=("exact",)).coverage
    assert cov.types_by_kind == {"exact": 1, "lowercase": 0, "subword": 0, "fill": 5}
    assert cov.type_coverage == pytest.approx(1 / 6)
    assert cov.token_coverage == pytest.approx(5 / 41)
    assert cov.top_missing[0] == ("The", 10)


def test_coverage_excludes_specials_even_if_vectors_have_them() -> None:
    cov = align(Vocab(["a", "b"]), _vectors("<pad>", "<unk>", "a")).coverage
    assert cov.types == 2 and cov.type_coverage == pytest.approx(0.5)


def test_coverage_to_dict() -> None:
    data = align(Vocab(TOKENS, counts=COUNTS), _vectors(*KEYS)).coverage.to_dict()
    assert data["types"] == 6 and data["found_types"] == 3
    assert data["type_coverage"] == 0.5
    assert data["token_coverage"] == round(18 / 41, 6)
    assert data["top_missing"] == [["blorp", 9], ["zorblax", 7], ["qux", 7]]
    json.dumps(data)  # JSON-ready


@pytest.mark.parametrize("counts", [COUNTS, None])
def test_coverage_dict_round_trip_through_json(counts: list[int] | None) -> None:
    cov = align(Vocab(TOKENS, counts=counts), _vectors(*KEYS)).coverage
    again = Coverage.from_dict(json.loads(json.dumps(cov.to_dict())))
    assert again == cov
    assert again.to_dict() == cov.to_dict()


@settings(max_examples=50, deadline=None)
@given(
    kinds=st.lists(st.sampled_from(["exact", "lowercase", "fill"]), min_size=1, max_size=15),
    data=st.data(),
)
def test_coverage_round_trip_and_shares(kinds: list[str], data: st.DataObject) -> None:
    with_counts = data.draw(st.booleans())
    counts = data.draw(st.lists(st.integers(0, 1000), min_size=len(kinds), max_size=len(kinds)))
    tokens = [f"w{i}" for i in range(len(kinds))]
    keys = [
        t if k == "exact" else t.upper() for t, k in zip(tokens, kinds, strict=True) if k != "fill"
    ]
    vocab = Vocab(tokens, counts=counts if with_counts else None)
    result = align(vocab, WordVectors(keys, np.zeros((len(keys), 2), dtype=np.float32)))
    assert result.kinds[2:] == kinds
    cov = result.coverage
    assert cov.found_types == kinds.count("exact") + kinds.count("lowercase")
    assert cov.type_coverage == pytest.approx(cov.found_types / len(kinds))
    if with_counts:
        found = sum(c for c, k in zip(counts, kinds, strict=True) if k != "fill")
        assert cov.tokens == sum(counts)
        assert cov.token_coverage == (pytest.approx(found / sum(counts)) if sum(counts) else None)
    assert Coverage.from_dict(json.loads(json.dumps(cov.to_dict()))) == cov


def test_empty_fallback_chain_is_refused() -> None:
    vectors = WordVectors(["a"], np.ones((1, 2), dtype=np.float32))
    with pytest.raises(InputError, match="one or more"):
        align(Vocab(["a"]), vectors, fallbacks=())
