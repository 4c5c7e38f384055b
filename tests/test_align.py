"""align: the fallback chain (exact, lowercase, accents, digits, subword), kinds, coverage."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.align import BANDS, FALLBACKS, KINDS, PRETRAINED_KINDS, Band, Coverage, align
from aligner.errors import AlignerError, CoverageError, InputError
from aligner.fill import fill, token_rng
from aligner.vectors import Fold, WordVectors, fold_digits, strip_accents
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
    assert result.fallbacks == ("exact", "lowercase", "accents", "digits", "subword")
    assert result.fallbacks == FALLBACKS


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
    "fallbacks",
    [
        ("exact", "stem"),
        ("exact", "exact"),
        ("lowercase", "lowercase"),
        ("EXACT",),
        ("exact", "digits", "accents", "digits"),
        ("exact", "fill"),
        ("Accents",),
    ],
)
def test_invalid_fallback_chain(fallbacks: tuple[str, ...]) -> None:
    with pytest.raises(InputError) as info:
        align(Vocab(["a"]), _vectors("a"), fallbacks=fallbacks)
    message = str(info.value)
    assert str(list(fallbacks)) in message and "distinct steps" in message
    assert "exact, lowercase, accents, digits, subword" in message


# --- coverage -----------------------------------------------------------------------------------

TOKENS = ["The", "guitar", "nasa", "zorblax", "qux", "blorp"]


def _by_kind(**counts: int) -> dict[str, int]:
    """A full per-kind dict (every non-special kind), zero where not given."""
    return {k: counts.get(k, 0) for k in KINDS if k not in ("pad", "special")}


COUNTS = [10, 5, 3, 7, 7, 9]
KEYS = ("the", "guitar", "NASA", "unused")


def test_coverage_by_type_and_by_token() -> None:
    result = align(Vocab(TOKENS, counts=COUNTS), _vectors(*KEYS))
    assert result.kinds[2:] == ["lowercase", "exact", "lowercase", "fill", "fill", "fill"]
    cov = result.coverage
    # 6 task types; The, guitar and nasa found -> 3 / 6.
    assert cov.types == 6 and cov.found_types == 3
    assert cov.type_coverage == pytest.approx(3 / 6)
    assert cov.types_by_kind == _by_kind(exact=1, lowercase=2, fill=3)
    # 41 task tokens; found 10 + 5 + 3 = 18.
    assert cov.tokens == 41
    assert cov.tokens_by_kind == _by_kind(exact=5, lowercase=13, fill=23)
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
    assert cov.types_by_kind == _by_kind(exact=1, fill=5)
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
    vectors = WordVectors(keys, np.zeros((len(keys), 2), dtype=np.float32))
    # "w1" would find "W0" through the digits step: this property is about exact and case
    result = align(vocab, vectors, fallbacks=("exact", "lowercase"))
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


# --- the accents, digits and subword steps ------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "keys", "row"),
    [
        ("Café", ("x", "cafe"), 1),  # accent and case
        ("café", ("cafe",), 0),
        ("ﬁnal", ("final",), 0),  # ligature (NFKC)
        ("Ｎａïｖｅ", ("naive",), 0),  # full-width letters (NFKC) and a diaeresis
        ("Ångström", ("angstrom",), 0),
        ("élan", ("Elan", "elan"), 0),  # the first key folding the same way wins
    ],
)
def test_accents_match(token: str, keys: tuple[str, ...], row: int) -> None:
    result = align(Vocab([token]), _vectors(*keys))
    assert result.kinds[2] == "accents" and result.source_rows[2] == row


@pytest.mark.parametrize(
    ("token", "keys", "row"),
    [
        ("1984", ("x", "2001"), 1),  # mark "0": any digits, same positions
        ("1984", ("####",), 0),  # mark "#": word2vec GoogleNews
        ("42", ("##", "17"), 1),  # "0" is tried before "#", though "##" comes first
        ("٣", ("7",), 0),  # an Arabic-Indic digit is a decimal digit
        ("Room-101", ("room-999",), 0),  # folded after case
        ("3.5km", ("#.#km",), 0),
    ],
)
def test_digits_match(token: str, keys: tuple[str, ...], row: int) -> None:
    result = align(Vocab([token]), _vectors(*keys))
    assert result.kinds[2] == "digits" and result.source_rows[2] == row


def test_digits_do_not_match_another_length() -> None:
    assert align(Vocab(["1984"]), _vectors("###", "20011")).kinds[2] == "fill"


def _fasttext_style(table: tuple[str, ...], composed: tuple[str, ...]) -> WordVectors:
    """Vectors whose last rows are composed (subword) rows, as train_fasttext returns them."""
    keys = [*table, *composed]
    matrix = np.repeat(np.arange(len(keys), dtype=np.float32)[:, None], 3, axis=1)
    return WordVectors(keys, matrix, n_subword=len(composed))


def test_subword_rows_found_only_by_the_subword_step() -> None:
    vectors = _fasttext_style(("guitar",), ("guitr",))
    result = align(Vocab(["guitar", "guitr"]), vectors)
    assert result.kinds[2:] == ["exact", "subword"]
    assert result.source_rows.tolist() == [-1, -1, 0, 1]
    assert align(Vocab(["guitr"]), vectors, fallbacks=FALLBACKS[:-1]).kinds[2] == "fill"


def test_a_composed_row_is_never_found_by_the_normalising_steps() -> None:
    # "Guitr" would find the composed "guitr" if composed rows were in the fold indexes
    vectors = _fasttext_style(("x",), ("guitr",))
    assert align(Vocab(["Guitr"]), vectors).kinds[2] == "fill"


def test_fill_is_last_and_filled_by_aligner_fill() -> None:
    vectors = _vectors("a", "b", "c")
    result = align(Vocab(["a", "zorblax"]), vectors)
    assert result.kinds == ["pad", "special", "exact", "fill"]
    matrix = fill(result, vectors, method="uniform", seed=3, scale=0.5).matrix
    expected = token_rng(3, "zorblax").uniform(-0.5, 0.5, 3).astype(np.float32)
    assert np.array_equal(matrix[3], expected)


# one token per step, findable by that step only (with the steps before it on)
ONLY = {
    "exact": ("guitar", "guitar"),
    "lowercase": ("Piano", "piano"),
    "accents": ("Café", "cafe"),
    "digits": ("1984", "2001"),
    "subword": ("guitr", None),
}


def _one_of_each() -> tuple[Vocab, WordVectors]:
    table = tuple(key for _, key in ONLY.values() if key is not None)
    return Vocab([token for token, _ in ONLY.values()]), _fasttext_style(table, ("guitr",))


def test_every_kind_with_the_full_chain() -> None:
    vocab, vectors = _one_of_each()
    result = align(vocab, vectors)
    assert result.kinds[2:] == list(ONLY)
    assert result.coverage.types_by_kind == _by_kind(
        exact=1, lowercase=1, accents=1, digits=1, subword=1
    )
    assert set(ONLY) == PRETRAINED_KINDS


@pytest.mark.parametrize(
    ("omitted", "kinds"),
    [
        # a normalising step finds what exact finds: "guitar" falls to lowercase
        ("exact", ["lowercase", "lowercase", "accents", "digits", "subword"]),
        # without lowercase, accents and digits stay case-sensitive: "Café" ≠ "cafe"
        ("lowercase", ["exact", "fill", "fill", "digits", "subword"]),
        ("accents", ["exact", "lowercase", "fill", "digits", "subword"]),
        ("digits", ["exact", "lowercase", "accents", "fill", "subword"]),
        ("subword", ["exact", "lowercase", "accents", "digits", "fill"]),
    ],
)
def test_an_omitted_step_is_off(omitted: str, kinds: list[str]) -> None:
    vocab, vectors = _one_of_each()
    chain = tuple(step for step in FALLBACKS if step != omitted)
    result = align(vocab, vectors, fallbacks=chain)
    assert result.kinds[2:] == kinds and result.fallbacks == chain


def test_exact_alone_leaves_the_rest_to_fill() -> None:
    vocab, vectors = _one_of_each()
    kinds = align(vocab, vectors, fallbacks=("exact",)).kinds[2:]
    assert kinds == ["exact", "fill", "fill", "fill", "fill"]


def test_a_step_earlier_in_the_chain_wins() -> None:
    # "2001" exists as is, but digits comes first and "1999" is the first row folding to "0000"
    vectors = _vectors("1999", "2001")
    assert align(Vocab(["2001"]), vectors, fallbacks=("digits", "exact")).kinds[2] == "digits"
    assert align(Vocab(["2001"]), vectors, fallbacks=("digits", "exact")).source_rows[2] == 0
    assert align(Vocab(["2001"]), vectors, fallbacks=("exact", "digits")).source_rows[2] == 1
    # accents before lowercase: "CAFÉ" finds "CAFE" by accents, "cafe" later by lowercase
    vectors = _vectors("cafe", "CAFE")
    result = align(Vocab(["CAFÉ", "Cafe"]), vectors, fallbacks=("exact", "accents", "lowercase"))
    assert result.kinds[2:] == ["accents", "lowercase"]
    assert result.source_rows[2:].tolist() == [1, 0]
    # subword before exact: the composed row wins although the table has the word
    vectors = _fasttext_style(("guitar",), ("guitar",))
    assert align(Vocab(["guitar"]), vectors, fallbacks=("subword", "exact")).source_rows[2] == 1


def test_folds_are_cumulative() -> None:
    vectors = _vectors("annee1999")
    vocab = Vocab(["Année2024"])
    # digits alone compares "Année0000" with "annee0000": no match
    assert align(vocab, vectors, fallbacks=("exact", "digits")).kinds[2] == "fill"
    # with case and accents on before it, digits compares "annee0000" with "annee0000"
    assert align(vocab, vectors).kinds[2] == "digits"
    # accents without lowercase stays case-sensitive
    assert align(Vocab(["Café"]), _vectors("cafe"), fallbacks=("exact", "accents")).kinds[2] == (
        "fill"
    )
    assert align(Vocab(["Café"]), _vectors("Cafe"), fallbacks=("exact", "accents")).kinds[2] == (
        "accents"
    )
    # a step after digits folds digits too: "1984" vs "2001" compared by lowercase after digits
    result = align(Vocab(["1984"]), _vectors("2001"), fallbacks=("exact", "digits", "lowercase"))
    assert result.kinds[2] == "digits"


def test_fold_indexes_are_built_lazily_for_enabled_steps_only() -> None:
    vectors = _vectors("the", "cafe")
    align(Vocab(["the", "The"]), vectors)
    assert set(vectors._folded) == {"lowercase"}  # "The" stopped at lowercase
    align(Vocab(["Café"]), vectors, fallbacks=("exact", "accents"))
    assert set(vectors._folded) == {"lowercase", "accents"}


# --- the folds -----------------------------------------------------------------------------------

FOLDS = [Fold(lowercase, accents, mark) for lowercase in (False, True) for accents in (False, True)
         for mark in (None, "0", "#")]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=12), fold=st.sampled_from(FOLDS))
def test_folds_are_idempotent(text: str, fold: Fold) -> None:
    once = fold(text)
    assert fold(once) == once


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=12))
def test_strip_accents_leaves_no_combining_mark(text: str) -> None:
    import unicodedata

    stripped = strip_accents(text)
    assert strip_accents(stripped) == stripped
    assert unicodedata.normalize("NFKC", stripped) == stripped or not stripped.isascii()
    assert not any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", stripped))


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=12))
def test_strip_accents_is_the_documented_recipe(text: str) -> None:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    kept = "".join(c for c in decomposed if unicodedata.combining(c) == 0)
    assert strip_accents(text) == unicodedata.normalize("NFC", kept)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=12), mark=st.sampled_from(["0", "#"]))
def test_fold_digits_replaces_exactly_the_decimal_digits(text: str, mark: str) -> None:
    folded = fold_digits(text, mark)
    assert len(folded) == len(text)
    for before, after in zip(text, folded, strict=True):
        assert after == (mark if before.isdecimal() else before)


def test_no_combining_mark_lies_beyond_the_table() -> None:
    import sys
    import unicodedata

    from aligner.vectors import COMBINING_END

    beyond = range(COMBINING_END, sys.maxunicode + 1)
    assert not any(unicodedata.combining(chr(c)) for c in beyond)


def test_fold_names_are_distinct() -> None:
    assert len({fold.name for fold in FOLDS}) == len(FOLDS)


# --- coverage: shares, frequency bands, a hand-computed example ----------------------------------


def _name(i: int) -> str:
    """A 4-letter digit-free name per index: no fold of one equals another's."""
    letters = []
    for _ in range(4):
        i, r = divmod(i, 26)
        letters.append(chr(ord("a") + r))
    return "".join(letters)


def _example() -> tuple[list[str], list[int], WordVectors]:
    """10,100 types; rows are deliberately not in frequency order.

    ======== ============ ===== ===========================================
    rows     kind         count band (by count)
    ======== ============ ===== ===========================================
    0-39     exact          1   rest    (count 1: ranks 10,000-10,099)
    40-99    fill           1   rest
    100-699  exact         60   top 1k  (counts 60/50/40: ranks 0-999)
    700-799  lowercase     50   top 1k
    800-849  accents       50   top 1k
    850-879  digits        50   top 1k
    880-1099 fill          40   top 1k
    1100-5599 exact         2   1k-10k  (count 2: ranks 1,000-9,999)
    5600-6499 lowercase     2   1k-10k
    6500-6599 subword       2   1k-10k
    6600-10099 fill         2   1k-10k
    ======== ============ ===== ===========================================
    """
    plan = [(40, "exact", 1), (60, "fill", 1), (600, "exact", 60), (100, "lowercase", 50),
            (50, "accents", 50), (30, "digits", 50), (220, "fill", 40), (4500, "exact", 2),
            (900, "lowercase", 2), (100, "subword", 2), (3500, "fill", 2)]  # fmt: skip
    tokens, counts, table, composed = [], [], [], []
    for n, kind, count in plan:
        for _ in range(n):
            name = _name(len(tokens))
            token = {"lowercase": name.upper(), "accents": name + "é", "digits": name + "7"}.get(
                kind, name + "q" if kind in ("fill", "subword") else name
            )
            tokens.append(token)
            counts.append(count)
            if kind == "subword":
                composed.append(token)
            elif kind != "fill":
                table.append({"accents": name + "e", "digits": name + "3"}.get(kind, name))
    keys = table + composed
    matrix = np.ones((len(keys), 2), dtype=np.float32)
    return tokens, counts, WordVectors(keys, matrix, n_subword=len(composed))


def test_coverage_hand_computed_with_counts() -> None:
    tokens, counts, vectors = _example()
    cov = align(Vocab(tokens, counts=counts), vectors).coverage
    assert cov.types == 10_100
    # exact 40 + 600 + 4500; lowercase 100 + 900; fill 60 + 220 + 3500
    assert cov.types_by_kind == _by_kind(
        exact=5140, lowercase=1000, accents=50, digits=30, subword=100, fill=3780
    )
    assert cov.found_types == 6320  # 10,100 - 3,780
    assert cov.type_coverage == pytest.approx(6320 / 10_100)
    # tokens: rest 100 x 1; top 600x60 + 100x50 + 50x50 + 30x50 + 220x40 = 53,800; 9,000 x 2
    assert cov.tokens == 100 + 53_800 + 18_000 == 71_900
    # exact 40x1 + 600x60 + 4500x2; lowercase 100x50 + 900x2; accents 50x50; digits 30x50;
    # subword 100x2; fill 60x1 + 220x40 + 3500x2
    assert cov.tokens_by_kind == _by_kind(
        exact=45_040, lowercase=6_800, accents=2_500, digits=1_500, subword=200, fill=15_860
    )
    assert cov.token_coverage == pytest.approx(56_040 / 71_900)
    assert cov.type_shares["accents"] == pytest.approx(50 / 10_100)
    assert cov.token_shares is not None
    assert cov.token_shares["lowercase"] == pytest.approx(6_800 / 71_900)
    assert sum(cov.type_shares.values()) == pytest.approx(1.0)
    # top 1k: rows 100-1099, 780 found, 8,800 tokens missing; 1k-10k: 5,500 of 9,000 found,
    # 18,000 - 3,500x2 = 11,000 tokens found; rest: rows 0-99, 40 found
    assert cov.bands == [
        Band("top 1k", 1000, 780, 53_800, 45_000),
        Band("1k-10k", 9000, 5500, 18_000, 11_000),
        Band("rest", 100, 40, 100, 40),
    ]
    assert cov.bands[0].type_coverage == 0.78 and cov.bands[0].token_coverage == pytest.approx(
        45_000 / 53_800
    )
    # the most frequent missing: count 40 (rows 880-1099) in row order
    assert cov.top_missing == [(tokens[r], 40) for r in range(880, 900)]


def test_coverage_hand_computed_without_counts_follows_row_order() -> None:
    tokens, _, vectors = _example()
    cov = align(Vocab(tokens), vectors).coverage
    assert cov.tokens is None and cov.token_shares is None
    # first 1,000 rows: 0-99 (40 found) and 100-999 (600 + 100 + 50 + 30 found, 120 fill)
    # next 9,000: 1000-1099 (fill), 1100-9999 (4500 + 900 + 100 found); last 100: all fill
    assert cov.bands == [
        Band("top 1k", 1000, 820),
        Band("1k-10k", 9000, 5500),
        Band("rest", 100, 0),
    ]
    assert cov.top_missing[:2] == [(tokens[40], None), (tokens[41], None)]


def test_band_ties_follow_row_order_across_a_boundary() -> None:
    # 1,001 types of count 5 but the last (count 9, rank 0); row 0 is the only one missing
    tokens = [_name(i) for i in range(1001)]
    counts = [5] * 1000 + [9]
    cov = align(Vocab(tokens, counts=counts), _vectors(*tokens[1:])).coverage
    # ranks: row 1000, then rows 0-998 (top 1k: 999 + row 1000 -> 1,000 types, row 0 missing)
    assert cov.bands[0] == Band("top 1k", 1000, 999, 9 + 999 * 5, 9 + 998 * 5)
    assert cov.bands[1] == Band("1k-10k", 1, 1, 5, 5)  # row 999
    assert cov.bands[2] == Band("rest", 0, 0, 0, 0)
    assert cov.bands[2].type_coverage == 0.0 and cov.bands[2].token_coverage is None
    assert [name for name, _, _ in BANDS] == ["top 1k", "1k-10k", "rest"]


# --- require ------------------------------------------------------------------------------------


def _three_quarters(counts: list[int] | None) -> Coverage:
    # tokens: a (found, 3) and b (missing, 1) -> 3/4; types: 1/2
    return align(Vocab(["a", "b"], counts=counts), _vectors("a")).coverage


def test_require_at_the_boundary_uses_token_coverage() -> None:
    cov = _three_quarters([3, 1])
    assert cov.token_coverage == 0.75
    cov.require(0.75)  # reaching it exactly is enough
    cov.require(0.0)
    with pytest.raises(CoverageError) as info:
        cov.require(0.7500001)
    message = str(info.value)
    assert message.startswith("token coverage 0.750 is below --min-coverage 0.7500001;")
    assert "add pretrained vectors" in message and "lower --min-coverage" in message
    assert "\n" not in message and isinstance(info.value, AlignerError)


def test_require_without_counts_uses_type_coverage() -> None:
    cov = _three_quarters(None)
    cov.require(0.5)
    with pytest.raises(
        CoverageError, match=r"^type coverage 0\.500 is below --min-coverage 0\.75;"
    ):
        cov.require(0.75)


def test_require_never_prints_a_figure_that_looks_reached() -> None:
    cov = Coverage(types=10_000, types_by_kind={"exact": 8_999, "fill": 1_001})
    with pytest.raises(CoverageError, match=r"type coverage 0\.8999 is below --min-coverage 0\.9;"):
        cov.require(0.9)


@pytest.mark.parametrize("minimum", [-0.1, 1.5, float("nan")])
def test_require_rejects_a_minimum_outside_0_1(minimum: float) -> None:
    with pytest.raises(InputError, match="within 0 and 1"):
        _three_quarters(None).require(minimum)


# --- old reports ------------------------------------------------------------------------------


def test_an_old_report_without_bands_or_new_kinds_still_loads() -> None:
    old = {
        "types": 6, "found_types": 3, "type_coverage": 0.5,
        "types_by_kind": {"exact": 1, "lowercase": 2, "subword": 0, "fill": 3},
        "tokens": 41, "token_coverage": 0.439024,
        "tokens_by_kind": {"exact": 5, "lowercase": 13, "subword": 0, "fill": 23},
        "top_missing": [["blorp", 9]],
    }  # fmt: skip
    cov = Coverage.from_dict(old)
    assert cov.bands == [] and cov.found_types == 3
    assert cov.token_coverage == pytest.approx(18 / 41)
    again = Coverage.from_dict(json.loads(json.dumps(cov.to_dict())))
    assert again == cov


def test_coverage_dict_holds_shares_and_bands() -> None:
    tokens, counts, vectors = _example()
    data = align(Vocab(tokens, counts=counts), vectors).coverage.to_dict()
    json.dumps(data)
    assert data["type_shares"]["exact"] == round(5140 / 10_100, 6)
    assert data["token_shares"]["fill"] == round(15_860 / 71_900, 6)
    assert data["bands"][0] == {
        "name": "top 1k", "types": 1000, "found_types": 780, "type_coverage": 0.78,
        "tokens": 53_800, "found_tokens": 45_000, "token_coverage": round(45_000 / 53_800, 6),
    }  # fmt: skip
    again = Coverage.from_dict(json.loads(json.dumps(data)))
    assert again.to_dict() == data


FOLD_ALPHABET = ["a", "Z", "é", "É", "1", "9", "#", "٣", "ﬁ", "-", "İ", "ß", "Σ", "²", "\u0301"]


@settings(max_examples=200, deadline=None)
@given(
    texts=st.lists(st.text(st.sampled_from(FOLD_ALPHABET), max_size=5), max_size=12),
    lowercase=st.booleans(),
    accents=st.booleans(),
    mark=st.sampled_from([None, "0", "#"]),
)
def test_folding_many_keys_at_once_equals_folding_each(
    texts: list[str], lowercase: bool, accents: bool, mark: str | None
) -> None:
    fold = Fold(lowercase, accents, mark)
    assert fold.fold_all(texts) == [fold(t) for t in texts]
