"""formats: the reader keeps the rows the accents and digits steps can use, and no others."""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.align import FALLBACKS, align
from aligner.errors import InputError
from aligner.pretrained.formats import ReadStats, Wanted, read_vectors
from aligner.vectors import WordVectors
from aligner.vocab import Vocab

KEYS = ["the", "Cafe", "cafe", "2001", "####", "1999", "naïve", "NAIVE", "k9", "unused", "ﬁnal",
        "Room-999", "xyz1"]  # fmt: skip
VOCAB = ["The", "café", "1984", "naive", "final", "room-101"]
# the first row of each wanted fold: "cafe" folds like "Cafe", "####" and "1999" like "2001";
# "naïve" is kept for the accents fold of "naive" although lowercase finds "NAIVE" first
KEPT = ["the", "Cafe", "2001", "naïve", "NAIVE", "ﬁnal", "Room-999"]
KINDS = ["lowercase", "accents", "digits", "lowercase", "accents", "digits"]


def _matrix(n: int) -> np.ndarray:
    return np.array([[i + 1, -i] for i in range(n)], dtype=np.float32)  # no all-zero row


def _glove(path: Path, keys: Sequence[str]) -> Path:
    path.write_bytes("".join(f"{k} {i + 1} {-i}\n" for i, k in enumerate(keys)).encode())
    return path


def _binary(path: Path, keys: Sequence[str]) -> Path:
    matrix = _matrix(len(keys))
    rows = [
        k.encode() + b" " + r.astype("<f4").tobytes() for k, r in zip(keys, matrix, strict=True)
    ]
    path.write_bytes(f"{len(keys)} 2\n".encode() + b"".join(rows))
    return path


@pytest.mark.parametrize("write", [_glove, _binary])
def test_keeps_fold_rows_and_drops_the_rest(tmp_path: Path, write: object) -> None:
    path = write(tmp_path / "v", KEYS)  # type: ignore[operator]
    result = read_vectors(path, Vocab(VOCAB))
    assert result.vectors.keys == KEPT
    assert result.stats.rows_read == len(KEYS) and result.stats.rows_kept == len(KEPT)
    for key in KEPT:
        row = result.vectors.row(key)
        assert row is not None
        assert result.vectors.vectors[row].tolist() == [KEYS.index(key) + 1, -KEYS.index(key)]
    alignment = align(Vocab(VOCAB), result.vectors)
    assert alignment.kinds[2:] == KINDS
    assert [result.vectors.keys[r] for r in alignment.source_rows[2:]] == [
        "the", "Cafe", "2001", "NAIVE", "ﬁnal", "Room-999"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("fallbacks", "kept"),
    [
        (("exact", "lowercase"), ["the", "NAIVE"]),
        (("exact", "lowercase", "subword"), ["the", "NAIVE"]),
        (("exact", "accents"), ["cafe", "naïve", "ﬁnal"]),  # case-sensitive: "cafe", not "Cafe"
        (("exact", "digits"), ["2001"]),  # "Room-999" needs lowercase before digits
        (("exact",), []),
    ],
)
def test_only_the_folds_of_the_chain_keep_rows(
    tmp_path: Path, fallbacks: tuple[str, ...], kept: list[str]
) -> None:
    path = _glove(tmp_path / "v.txt", KEYS)
    assert read_vectors(path, Vocab(VOCAB), fallbacks=fallbacks).vectors.keys == kept


def test_lowercase_keyword_is_a_shorthand(tmp_path: Path) -> None:
    path = _glove(tmp_path / "v.txt", KEYS)
    assert read_vectors(path, Vocab(VOCAB), lowercase=True).vectors.keys == ["the", "NAIVE"]
    assert read_vectors(path, Vocab(VOCAB), lowercase=False).vectors.keys == []
    with pytest.raises(InputError, match="not both"):
        read_vectors(path, Vocab(VOCAB), lowercase=True, fallbacks=FALLBACKS)
    with pytest.raises(InputError, match="distinct steps"):
        read_vectors(path, Vocab(VOCAB), fallbacks=("exact", "stem"))


def test_exact_rows_stand_for_their_folds(tmp_path: Path) -> None:
    # "k1" folds like the exact "k0" kept before it: not kept; "k2" exact: kept
    path = _glove(tmp_path / "v.txt", ["k0", "k1", "k2", "K0"])
    result = read_vectors(path, Vocab(["k0", "k2", "k7"]))
    assert result.vectors.keys == ["k0", "k2"]
    assert align(Vocab(["k0", "k2", "k7"]), result.vectors).kinds[2:] == [
        "exact", "exact", "digits"
    ]  # fmt: skip


def test_a_spaced_token_is_found_through_a_fold(tmp_path: Path) -> None:
    path = tmp_path / "v.txt"
    path.write_text("other 0 0\nCafé Au Lait 1 2\n", encoding="utf-8")
    result = read_vectors(path, Vocab(["cafe au lait"]))
    assert result.vectors.keys == ["Café Au Lait"] and result.stats.spaced_tokens == 1
    assert align(Vocab(["cafe au lait"]), result.vectors).kinds[2] == "accents"


def test_non_ascii_digits_and_duplicates(tmp_path: Path) -> None:
    # Arabic-Indic "٢٠٢٤" folds like "1984"; the second "1984" is a duplicate
    path = _glove(tmp_path / "v.txt", ["٢٠٢٤", "1984", "1984", "abc"])
    result = read_vectors(path, Vocab(["2001", "1984"]))
    assert result.vectors.keys == ["٢٠٢٤", "1984"] and result.stats.duplicates == 1
    assert align(Vocab(["2001", "1984"]), result.vectors).kinds[2:] == ["digits", "exact"]


def test_wanted_folds_only_keys_that_can_need_it() -> None:
    wanted = Wanted(Vocab(["Café", "1984", "the"]), FALLBACKS)
    assert wanted.needs_fold
    # ASCII letters: no folding beyond case; these sets answer in C
    assert b"the" in wanted.raw and b"cafe" in wanted.lowered
    assert wanted.wants(b"THE") and wanted.wants(b"CAFE") and not wanted.wants(b"caff")
    assert wanted.wants(b"2001") and wanted.wants(b"##") is False
    assert wanted.wants(b"####") and wanted.wants("CAFÉ".encode())
    classic = Wanted(Vocab(["Café", "1984", "the"]), ("exact", "lowercase"))
    assert not classic.needs_fold and classic.wants("CAFÉ".encode()) and not classic.wants(b"cafe")


def test_a_copy_keeps_on_its_own_and_both_pickle() -> None:
    wanted = Wanted(Vocab(["Café", "the"]), FALLBACKS)
    stats = ReadStats()
    upper, lower = "CAFÉ".encode(), "café".encode()
    copy = wanted.copy()
    assert copy.keep(upper, stats) and not copy.wants(lower)  # its folds are taken
    assert wanted.wants(lower) and wanted.keep(lower, stats)  # the original is untouched
    clone = pickle.loads(pickle.dumps(copy))
    assert not clone.wants(lower) and clone.keep(upper, stats) is False
    assert stats.duplicates == 1


ALPHABET = ["a", "A", "é", "É", "e", "1", "7", "#", "٣", "ﬁ", "-", "İ", "i", "ß", "Σ", "²"]
CHAINS = [FALLBACKS, ("exact", "lowercase"), ("exact", "digits"), ("exact", "accents"),
          ("digits", "lowercase", "exact"), ("accents", "exact", "digits")]  # fmt: skip
_counter = itertools.count()


@settings(max_examples=150, deadline=None)
@given(
    keys=st.lists(st.text(st.sampled_from(ALPHABET), min_size=1, max_size=4), max_size=25),
    tokens=st.lists(
        st.text(st.sampled_from(ALPHABET), min_size=1, max_size=4), max_size=8, unique=True
    ),
    chain=st.sampled_from(CHAINS),
    binary=st.booleans(),
)
def test_reading_keeps_everything_the_alignment_needs(
    tmp_path_factory: pytest.TempPathFactory,
    keys: list[str],
    tokens: list[str],
    chain: tuple[str, ...],
    binary: bool,
) -> None:
    """Aligning to the rows read gives what aligning to the whole file gives."""
    if not keys:
        keys = ["-"]
    folder = tmp_path_factory.mktemp(f"p{next(_counter)}")
    path = (_binary if binary else _glove)(folder / "v", keys)
    vocab = Vocab(tokens)
    read = read_vectors(path, vocab, fallbacks=chain).vectors
    whole = WordVectors(keys, _matrix(len(keys)))
    expected, got = align(vocab, whole, fallbacks=chain), align(vocab, read, fallbacks=chain)
    assert got.kinds == expected.kinds
    found = expected.found
    assert np.array_equal(
        read.vectors[got.source_rows[found]], whole.vectors[expected.source_rows[found]]
    )
