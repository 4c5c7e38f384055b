"""Sentencepiece tokenizers: training, loading, the artifact round trip, corrupt models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from aligner.artifact import open_artifact, write_artifact
from aligner.errors import ArtifactCorruptError, InputError
from aligner.tokenize import TokenizerSpec, train_sentencepiece
from aligner.vocab import Vocab

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return (SAMPLES / "corpus.txt").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def unigram(texts: list[str]) -> TokenizerSpec:
    return train_sentencepiece(texts, vocab_size=300, model_type="unigram")


def test_training_gives_a_model_of_the_requested_size(unigram: TokenizerSpec) -> None:
    assert unigram.kind == "sentencepiece"
    assert unigram.processor.piece_size() == 300
    pieces = unigram("we play the guitar")
    assert pieces and "".join(pieces).replace("\u2581", " ").strip() == "we play the guitar"


def test_training_is_reproducible(texts: list[str], unigram: TokenizerSpec) -> None:
    again = train_sentencepiece(texts, vocab_size=300, model_type="unigram")
    assert again.model == unigram.model
    other_seed = train_sentencepiece(texts[:2000], vocab_size=300, max_sentences=500, seed=1)
    same_seed = train_sentencepiece(texts[:2000], vocab_size=300, max_sentences=500, seed=1)
    assert other_seed.model == same_seed.model


def test_bpe_differs_from_unigram(texts: list[str], unigram: TokenizerSpec) -> None:
    bpe = train_sentencepiece(texts, vocab_size=300, model_type="bpe")
    assert bpe.model != unigram.model
    assert bpe.processor.piece_size() == 300


def test_lowercase_applies_to_training_and_encoding(texts: list[str]) -> None:
    spec = train_sentencepiece(texts, vocab_size=200, lowercase=True)
    assert spec.lowercase
    assert spec("WE PLAY") == spec("we play")
    assert all(p == p.lower() for p in spec("The Guitar"))


def test_train_encode_round_trip_through_a_model_file(
    tmp_path: Path, unigram: TokenizerSpec, texts: list[str]
) -> None:
    assert unigram.model is not None
    (tmp_path / "m.model").write_bytes(unigram.model)
    loaded = TokenizerSpec.sentencepiece(tmp_path / "m.model")
    assert loaded == unigram
    sample = texts[:50]
    assert loaded.tokenize_many(sample) == [unigram(t) for t in sample]
    ids = loaded.processor.encode(sample)
    assert loaded.processor.decode(ids) == [" ".join(t.split()) for t in sample]


def test_dict_round_trip_needs_the_same_model(unigram: TokenizerSpec) -> None:
    data = json.loads(json.dumps(unigram.to_dict()))
    assert data["model_sha256"] and "model" not in data
    assert TokenizerSpec.from_dict(data, model=unigram.model) == unigram
    with pytest.raises(InputError, match="missing or differs"):
        TokenizerSpec.from_dict(data)
    with pytest.raises(InputError, match="missing or differs"):
        TokenizerSpec.from_dict(data, model=b"\x00" + (unigram.model or b""))


def test_corrupt_model_file_is_a_one_line_error(tmp_path: Path, unigram: TokenizerSpec) -> None:
    assert unigram.model is not None
    bad = tmp_path / "bad.model"
    bad.write_bytes(unigram.model[: len(unigram.model) // 3])
    with pytest.raises(InputError) as info:
        TokenizerSpec.sentencepiece(bad)
    message = str(info.value)
    assert str(bad) in message and "not a valid sentencepiece model" in message
    assert "\n" not in message
    with pytest.raises(InputError, match="cannot read sentencepiece model"):
        TokenizerSpec.sentencepiece(tmp_path / "missing.model")


def test_vocab_size_too_large_names_the_limit(texts: list[str]) -> None:
    with pytest.raises(InputError) as info:
        train_sentencepiece(texts[:3], vocab_size=5000)
    message = str(info.value)
    assert "5000" in message and "at most" in message and "--sp-vocab-size" in message


def test_no_text_and_bad_model_type_are_input_errors() -> None:
    with pytest.raises(InputError, match="no text"):
        train_sentencepiece(["", "  "], vocab_size=50)
    with pytest.raises(InputError, match="unknown sentencepiece model type 'word'"):
        train_sentencepiece(["a b"], vocab_size=50, model_type="word")


def _write(tmp_path: Path, spec: TokenizerSpec) -> Path:
    vocab = Vocab(["\u2581play", "\u2581the"])
    matrix = np.zeros((len(vocab), 3), dtype=np.float32)
    kinds = ["pad", "special", "exact", "exact"]
    return write_artifact(tmp_path / "art", matrix, vocab, kinds, tokenizer=spec)


def _model_file(path: Path) -> Path:
    """The artifact's sentencepiece model file, as its manifest names it."""
    manifest = json.loads((path / "manifest.json").read_text())
    return path / manifest["tokenizer"]["model_file"]


def test_artifact_stores_the_model_and_encodes_with_it(
    tmp_path: Path, unigram: TokenizerSpec
) -> None:
    path = _write(tmp_path, unigram)
    assert _model_file(path).read_bytes() == unigram.model
    assert _model_file(path).parent == path and _model_file(path).suffix == ".model"
    art = open_artifact(path)
    assert art.tokenizer == unigram
    pieces = unigram("we play the guitar")
    assert art.encode(["we play the guitar"]) == [art.vocab.lookup(pieces)]


def test_artifact_with_a_tampered_model_is_corrupt(tmp_path: Path, unigram: TokenizerSpec) -> None:
    path = _write(tmp_path, unigram)
    model = _model_file(path)
    model.write_bytes(b"garbage")
    with pytest.raises(ArtifactCorruptError, match="rebuild the artifact"):
        open_artifact(path)
    model.unlink()
    with pytest.raises(ArtifactCorruptError, match=r"\.model.* is missing"):
        open_artifact(path)


def test_long_texts_are_trained_on_too(texts: list[str]) -> None:
    # documents, not sentences: each far longer than sentencepiece's 4192-byte default
    documents = [" ".join(texts[i : i + 400]) for i in range(0, 4000, 400)]
    assert min(len(d.encode()) for d in documents) > 10_000
    spec = train_sentencepiece(documents, vocab_size=200)
    assert spec.processor.piece_size() == 200
