"""pieces: word vectors composed from sentencepiece pieces (kind ``subword``)."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
import sentencepiece as spm
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.align import align
from aligner.errors import InputError
from aligner.pieces import compose_from_pieces
from aligner.vectors import WordVectors
from aligner.vocab import Vocab

TEXT = [
    "we play the guitar and the piano every evening",
    "the guitarist tuned his guitars before the concert",
    "a pianist plays pianos in the concert hall",
    "they played football and basketball in the stadium",
    "the players of the team played a good match",
] * 20


@pytest.fixture(scope="module")
def processor() -> spm.SentencePieceProcessor:
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(TEXT),
        model_writer=model,
        vocab_size=40,
        model_type="unigram",
        minloglevel=2,
    )
    return spm.SentencePieceProcessor(model_proto=model.getvalue())


def _encode(processor: spm.SentencePieceProcessor) -> Callable[[str], list[str]]:
    def encode(word: str) -> list[str]:
        pieces: list[str] = processor.encode(word, out_type=str)
        return pieces

    return encode


def _piece_vectors(processor: spm.SentencePieceProcessor) -> WordVectors:
    """Piece i gets the vector (i, i^2): easy to recompute by hand."""
    keys = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    matrix = np.array([[i, i * i] for i in range(len(keys))], dtype=np.float32)
    return WordVectors(keys, matrix, source={"kind": "trained", "method": "word2vec"})


def test_composed_rows_are_the_mean_of_the_real_pieces(
    processor: spm.SentencePieceProcessor,
) -> None:
    pieces = _piece_vectors(processor)
    words = ["guitarists", "pianoplayer", "stadiums"]
    result = compose_from_pieces(words, pieces, _encode(processor))
    assert result.n_subword == 3 and result.keys[-3:] == words
    assert result.keys[: len(pieces)] == pieces.keys
    assert np.array_equal(result.vectors[: len(pieces)], pieces.vectors)
    for word in words:
        ids = processor.encode(word)  # piece ids: piece i has the vector (i, i^2)
        assert len(ids) >= 2  # the words are split into several pieces
        expected = [sum(ids) / len(ids), sum(i * i for i in ids) / len(ids)]
        row = result.row_subword(word)
        assert row is not None
        assert result.vectors[row].tolist() == pytest.approx(expected)
    assert result.source == {
        "kind": "trained",
        "method": "word2vec",
        "subword": "sentencepiece-pieces",
    }


def test_align_finds_the_composed_rows_as_subword(processor: spm.SentencePieceProcessor) -> None:
    pieces = _piece_vectors(processor)
    vectors = compose_from_pieces(["guitarists"], pieces, _encode(processor))
    result = align(Vocab(["guitarists"]), vectors)
    assert result.kinds[2] == "subword"
    assert result.source_rows[2] == len(pieces)
    # without the subword step the word is filled
    assert align(Vocab(["guitarists"]), vectors, fallbacks=("exact",)).kinds[2] == "fill"


HAND = WordVectors(
    ["▁gui", "tar", "▁pi", "ano"],
    np.array([[1, 2], [3, 6], [10, 0], [0, 10]], dtype=np.float32),
)
SPLIT = {
    "guitar": ["▁gui", "tar"],
    "guitartar": ["▁gui", "tar", "tar"],
    "pianox": ["▁pi", "ano", "x"],
    "zzz": ["▁z", "zz"],
}


def test_hand_made_means() -> None:
    result = compose_from_pieces(["guitar", "guitartar", "pianox", "zzz"], HAND, SPLIT.__getitem__)
    # guitar: ((1+3)/2, (2+6)/2); guitartar: a piece counts each time: ((1+3+3)/3, (2+6+6)/3);
    # pianox: "x" has no vector: ((10+0)/2, (0+10)/2); zzz: no piece has a vector -> no row
    assert result.keys[4:] == ["guitar", "guitartar", "pianox"] and result.n_subword == 3
    expected = [[2.0, 4.0], [7 / 3, 14 / 3], [5.0, 5.0]]
    np.testing.assert_allclose(result.vectors[4:], expected, rtol=1e-6)
    assert result.row_subword("zzz") is None
    assert result.row("guitar") is None  # composed rows are found only by row_subword


def test_repeated_and_no_words() -> None:
    result = compose_from_pieces(["guitar", "guitar"], HAND, SPLIT.__getitem__)
    assert result.keys[4:] == ["guitar"]
    empty = compose_from_pieces([], HAND, SPLIT.__getitem__)
    assert empty.n_subword == 0 and empty.keys == HAND.keys and empty.vectors.shape == (4, 2)


def test_pieces_with_composed_rows_are_refused() -> None:
    composed = compose_from_pieces(["guitar"], HAND, SPLIT.__getitem__)
    with pytest.raises(InputError, match="already hold 1 composed rows"):
        compose_from_pieces(["pianox"], composed, SPLIT.__getitem__)


@settings(max_examples=50, deadline=None)
@given(split=st.lists(st.sampled_from(["▁gui", "tar", "▁pi", "ano", "x"]), min_size=1, max_size=6))
def test_mean_lies_within_the_pieces(split: list[str]) -> None:
    result = compose_from_pieces(["w"], HAND, lambda _: split)
    known = [HAND.vectors[HAND.keys.index(p)] for p in split if p in HAND.keys]
    if not known:
        assert result.n_subword == 0
        return
    row = result.vectors[result.row_subword("w")]
    assert row.tolist() == pytest.approx(np.mean(known, axis=0).tolist())
    assert (row >= np.min(known, axis=0) - 1e-5).all() and (
        row <= np.max(known, axis=0) + 1e-5
    ).all()
