"""aligner.pretrained.fasttext_subword: n-grams, hashes and word vectors as gensim computes them."""

from __future__ import annotations

import random

import numpy as np
import pytest
from gensim.models.fasttext import ft_hash_bytes, ft_ngram_hashes

from aligner.pretrained import fasttext_subword
from aligner.pretrained.fasttext_subword import has_ngrams, ngram_buckets, word_vectors

ALPHABET = "abcXYZ09éüßñ中文😀\u0301-'_<>"


def _words(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    words = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 16))) for _ in range(count)]
    return [*words, "a", "", "</s>", "é", "😀"]


@pytest.mark.parametrize(
    ("minn", "maxn", "bucket"),
    [
        (3, 6, 2_000_000),
        (1, 1, 100),
        (1, 3, 7),
        (0, 4, 1000),
        (5, 5, 50),
        (3, 2, 10),
        (2, 8, 2**31 - 1),
    ],
)
def test_ngram_buckets_equal_gensims(minn: int, maxn: int, bucket: int) -> None:
    words = _words(400, seed=minn * 10 + maxn)
    ids, offsets = ngram_buckets(words, minn, maxn, bucket)
    assert offsets[0] == 0 and offsets[-1] == len(ids) and ids.dtype == np.int64
    for i, word in enumerate(words):
        assert ids[offsets[i] : offsets[i + 1]].tolist() == ft_ngram_hashes(
            word, minn, maxn, bucket
        )


def _unsigned_fnv1a(data: bytes) -> int:
    h = 2166136261
    for byte in data:
        h = ((h ^ byte) * 16777619) % 2**32
    return h


def test_non_ascii_bytes_hash_sign_extended_as_gensim_does() -> None:
    # with maxn = 1 the only n-gram of "é" is "é" itself: its hash is visible modulo 2**31 - 1
    bucket = 2**31 - 1
    for word in ("é", "中", "😀", "q"):
        [ours] = ngram_buckets([word], 1, 1, bucket)[0].tolist()
        data = word.encode("utf-8")
        assert ours == ft_hash_bytes(data) % bucket
        if not word.isascii():  # a byte >= 0x80 is a negative signed char, not its unsigned value
            assert ours != _unsigned_fnv1a(data) % bucket


@pytest.mark.parametrize(("minn", "maxn"), [(3, 6), (1, 1), (0, 2), (5, 5), (4, 3), (0, 0), (7, 9)])
def test_has_ngrams_agrees_with_the_ngrams(minn: int, maxn: int) -> None:
    words = _words(200, seed=3)
    _, offsets = ngram_buckets(words, minn, maxn, 100)
    counts = np.diff(offsets)
    for word, count in zip(words, counts, strict=True):
        assert has_ngrams(word, minn, maxn, 100) == (count > 0), word
    assert not has_ngrams("guitar", minn, maxn, 0)  # no buckets, no n-grams


def _reference(
    matrix: np.ndarray, word: str, row: int, nwords: int, args: tuple[int, ...]
) -> np.ndarray:
    """gensim's loops, transcribed: adjust_vectors for a table word, get_vector for another."""
    hashes = ft_ngram_hashes(word, *args) if args[2] else []
    if row >= 0:
        vector = matrix[row].copy()
        for h in hashes:
            vector += matrix[nwords + h]
        return vector / (len(hashes) + 1)
    vector = np.zeros(matrix.shape[1], np.float32)
    for h in hashes:
        vector += matrix[nwords + h]
    return vector / len(hashes) if hashes else vector


@pytest.mark.parametrize("small_batches", [False, True])
def test_word_vectors_equal_gensims_loops_bit_for_bit(
    monkeypatch: pytest.MonkeyPatch, small_batches: bool
) -> None:
    if small_batches:
        monkeypatch.setattr(fasttext_subword, "NGRAMS_PER_BATCH", 5)
        monkeypatch.setattr(fasttext_subword, "BATCH_BYTES", 1)
    rng = np.random.default_rng(0)
    nwords, bucket, dim = 50, 97, 7
    matrix = rng.standard_normal((nwords + bucket, dim)).astype(np.float32)
    words = _words(120, seed=9)
    rows = np.array([i % nwords if i % 3 else -1 for i in range(len(words))])
    asked: list[np.ndarray] = []

    def read_rows(ids: np.ndarray) -> np.ndarray:
        asked.append(ids)
        return matrix[ids]

    got = word_vectors(
        read_rows, words, rows, dim=dim, nwords=nwords, minn=2, maxn=4, bucket=bucket
    )
    for word, row, vector in zip(words, rows.tolist(), got, strict=True):
        expected = _reference(matrix, word, row, nwords, (2, 4, bucket))
        assert vector.tobytes() == expected.tobytes(), word
    assert all(np.all(np.diff(ids) > 0) for ids in asked)  # sorted, each row read once a batch
    assert (len(asked) > 1) == small_batches


def test_word_vectors_without_buckets_are_the_table_rows() -> None:
    matrix = np.arange(12, dtype=np.float32).reshape(4, 3)
    got = word_vectors(
        lambda ids: matrix[ids], ["b", "a"], np.array([2, 0]), dim=3, nwords=4, minn=3, maxn=6,
        bucket=0,
    )  # fmt: skip
    assert got.tolist() == [matrix[2].tolist(), matrix[0].tolist()]


def test_a_word_outside_the_table_without_ngrams_gets_zeros_as_in_gensim() -> None:
    matrix = np.ones((4 + 10, 2), np.float32)
    got = word_vectors(
        lambda ids: matrix[ids], ["ab", "abcd"], np.array([-1, -1]), dim=2, nwords=4, minn=5,
        maxn=5, bucket=10,
    )  # fmt: skip
    assert got.tolist() == [[0.0, 0.0], [1.0, 1.0]]  # "<ab>" is shorter than 5; "<abcd>" has 2
