"""Encoding text to ids with the artifact's stored tokenizer."""

from __future__ import annotations

from pathlib import Path

import pytest

import aligner
from aligner.encode import encode
from aligner.tokenize import TokenizerSpec
from aligner.vocab import Vocab


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
