"""End to end: build on data_samples → load → embedding → forward pass."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import aligner
from aligner.errors import CorpusError, InputError, VocabError

from .helpers import small_config

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"


def _vectors_file(artifact: Path) -> Path:
    """The artifact's vectors file, as its manifest names it."""
    manifest = json.loads((artifact / "manifest.json").read_text(encoding="utf-8"))
    return artifact / manifest["vectors"]["file"]


def test_build_on_data_samples_then_train_a_forward_pass(tmp_path: Path) -> None:
    config = aligner.BuildConfig(
        corpus=SAMPLES / "corpus.txt",
        vocab=SAMPLES / "vocab.txt",
        out=tmp_path / "demo",
        params=aligner.Word2VecParams(dim=32, min_count=2, epochs=5),
        seed=1,
    )
    result = aligner.build(config)
    coverage = result.coverage
    # every vocabulary token except the few absent from dataset 0 finds a vector
    assert coverage.type_coverage > 0.9
    assert coverage.types_by_kind["lowercase"] > 0 and coverage.types_by_kind["fill"] > 0
    assert coverage.token_coverage is not None and coverage.token_coverage > coverage.type_coverage
    art = aligner.load(result.path)
    assert art.vectors.shape == (len(art.vocab), 32)
    assert art.manifest["coverage"] == coverage.to_dict()
    assert art.manifest["source"]["params"]["seed"] == 1
    ids = art.encode(["The band played a song", "They scored a goal"])
    batch = torch.nn.utils.rnn.pad_sequence(
        [torch.tensor(x) for x in ids], batch_first=True, padding_value=art.vocab.pad_id
    )
    for mode in ("trainable", "frozen", "partial"):
        out = art.embedding(mode)(batch)
        assert out.shape == (2, 5, 32)
        assert torch.count_nonzero(out[1, 4]) == 0  # padded position
    # vectors learned on dataset 0 put same-topic words together
    neighbours = [t.lower() for t, _ in art.neighbors("guitar", k=5)]
    assert {"piano", "band", "song", "drums", "concert", "album", "melody", "chord"} & set(
        neighbours
    )
    assert (
        art.neighbors("guitar", k=1)[0][1]
        > dict((t, s) for t, s in art.neighbors("guitar", k=len(art.vocab)))["football"]
    )


def test_same_seed_gives_byte_identical_vectors(corpus_file: Path, vocab_file: Path) -> None:
    base = corpus_file.parent
    for name in ("a", "b"):
        aligner.build(small_config(corpus_file, vocab_file, base / name))
    aligner.build(small_config(corpus_file, vocab_file, base / "c", seed=8))
    a, b, c = (_vectors_file(base / n).read_bytes() for n in "abc")
    assert a == b
    assert a != c


def test_adding_a_vocab_word_keeps_other_filled_rows(corpus_file: Path, vocab_file: Path) -> None:
    base = corpus_file.parent
    aligner.build(small_config(corpus_file, vocab_file, base / "a"))
    bigger = base / "bigger.txt"
    bigger.write_text("qqnew\t50\n" + vocab_file.read_text())
    aligner.build(small_config(corpus_file, bigger, base / "b"))
    a, b = aligner.load(base / "a"), aligner.load(base / "b")
    for token in a.vocab.tokens:
        assert np.array_equal(a.vectors[a.vocab[token]], b.vectors[b.vocab[token]]), token


@pytest.mark.parametrize(
    ("vocab_text", "error", "message"),
    [
        ("", VocabError, "empty"),
        ("a\n\nb\n", VocabError, "line 2"),
        ("a\nb\na\n", VocabError, "line 3"),
    ],
)
def test_bad_vocab_fails_before_training_and_writes_nothing(
    corpus_file: Path, vocab_text: str, error: type[Exception], message: str
) -> None:
    vocab = corpus_file.parent / "bad.txt"
    vocab.write_text(vocab_text)
    out = corpus_file.parent / "out"
    with pytest.raises(error, match=message):
        aligner.build(small_config(corpus_file, vocab, out))
    assert not out.exists()
    assert [p.name for p in corpus_file.parent.iterdir() if p.name.startswith(".")] == []


def test_empty_corpus_writes_nothing(tmp_path: Path, vocab_file: Path) -> None:
    corpus = tmp_path / "empty.txt"
    corpus.write_text("\n  \n")
    with pytest.raises(CorpusError, match="empty"):
        aligner.build(small_config(corpus, vocab_file, tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_lowercase_fallback_can_be_switched_off(corpus_file: Path, vocab_file: Path) -> None:
    out = corpus_file.parent / "exact"
    result = aligner.build(small_config(corpus_file, vocab_file, out, fallbacks=("exact",)))
    assert result.coverage.types_by_kind["lowercase"] == 0
    assert aligner.load(out).provenance[aligner.load(out).vocab["The"]] == "fill"
    assert aligner.load(out).manifest["alignment"]["fallbacks"] == ["exact", "fill"]


def test_build_eval_groups_rows_by_the_chain_it_writes(tmp_path: Path) -> None:
    # "baghdäd" holds the vector of "baghdad": twins under the accents fold of the default
    # chain, two words under the chain built with. Two of Google's three questions on these
    # words then answer "baghdäd": wrong, unless it were one word with baghdad.
    rows = {"athens": [1, 0, 0, 0], "greece": [1, 0.1, 0, 0], "baghdad": [0, 0, 1, 0],
            "baghdäd": [0, 0, 1, 0], "iraq": [0, 0, 0, 1]}  # fmt: skip
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("".join(f"{w} {' '.join(map(str, v))}\n" for w, v in rows.items()))
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("".join(f"{w}\n" for w in rows))
    config = aligner.BuildConfig(out=tmp_path / "art", vocab=vocab, pretrained=vectors,
                                 fallbacks=("exact", "lowercase"), evaluate=True)  # fmt: skip
    result = aligner.build(config)
    stored = result.manifest["evaluation"]
    assert stored == aligner.evaluate(result.path).to_dict()
    google = next(r for r in stored["analogy"] if r["name"] == "google")
    assert google["used"] == 3
    assert google["accuracy"] == {"3cosadd": pytest.approx(1 / 3), "3cosmul": pytest.approx(1 / 3)}


def test_params_of_another_method_are_refused(corpus_file: Path, vocab_file: Path) -> None:
    out = corpus_file.parent / "out"
    # word2vec's parameters would train GloVe with word2vec's window 5 instead of 15
    config = small_config(corpus_file, vocab_file, out, method="glove")
    with pytest.raises(InputError, match="Word2VecParams do not belong to method 'glove'"):
        aligner.build(config)
    with pytest.raises(InputError, match="glove has no parameter sg"):
        aligner.build(small_config(corpus_file, vocab_file, out, method="glove", params={"sg": 0}))
    assert not out.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"dim": 50}, "dim apply to pretrained vectors"),
        ({"format": "glove", "member": "a.txt"}, "format, member apply to pretrained"),
        ({"vocab_min_count": 3}, "vocab_min_count apply when counting the vocabulary"),
        ({"init_scale": 0.1}, "init_scale applies to init='uniform'"),
    ],
)
def test_fields_that_do_not_apply_are_refused(
    corpus_file: Path, vocab_file: Path, fields: dict[str, object], message: str
) -> None:
    out = corpus_file.parent / "out"
    with pytest.raises(InputError, match=message):
        aligner.build(small_config(corpus_file, vocab_file, out, **fields))
    assert not out.exists()


def test_training_params_with_pretrained_vectors_are_refused(tmp_path: Path) -> None:
    config = aligner.BuildConfig(out=tmp_path / "a", pretrained=SAMPLES / "vectors.glove.txt",
                                 vocab=SAMPLES / "vocab.txt",
                                 params=aligner.Word2VecParams(dim=10))  # fmt: skip
    with pytest.raises(InputError, match="method and params train on a corpus"):
        aligner.build(config)
    assert not (tmp_path / "a").exists()


def test_one_seed_rule(corpus_file: Path, vocab_file: Path) -> None:
    base = corpus_file.parent

    def seeds(out: str, **fields: object) -> tuple[int, int]:
        manifest = aligner.build(
            small_config(corpus_file, vocab_file, base / out, **fields)
        ).manifest
        return manifest["source"]["params"]["seed"], manifest["fill"]["seed"]

    # BuildConfig.seed seeds training and fill
    assert seeds("a", seed=7) == (7, 7)
    # a params seed alone does the same: it is the build's seed
    assert seeds("b", seed=None, params=aligner.Word2VecParams(dim=12, min_count=2, epochs=3,
                                                                seed=5)) == (5, 5)  # fmt: skip
    # both given and equal: fine; neither: 0
    same = aligner.Word2VecParams(dim=12, min_count=2, epochs=3, seed=7)
    assert seeds("c", seed=7, params=same) == (7, 7)
    assert seeds("d", seed=None) == (0, 0)
    # "a" and "c" are the same build: reused
    assert aligner.build(small_config(corpus_file, vocab_file, base / "a", params=same)).reused
    with pytest.raises(InputError, match=r"two seeds: BuildConfig\.seed=7 and params seed=5"):
        aligner.build(small_config(corpus_file, vocab_file, base / "e", seed=7,
                                   params=aligner.Word2VecParams(seed=5)))  # fmt: skip
    assert not (base / "e").exists()


def test_workers_apply_to_pretrained_vectors_only(
    tmp_path: Path, corpus_file: Path, vocab_file: Path
) -> None:
    glove, vocab = SAMPLES / "vectors.glove.txt", SAMPLES / "vocab.txt"
    with pytest.raises(InputError, match="workers= sets the processes that read pretrained"):
        aligner.build(small_config(corpus_file, vocab_file, tmp_path / "a", workers=2))
    with pytest.raises(InputError, match="workers must be at least 1, got 0"):
        aligner.build(aligner.BuildConfig(out=tmp_path / "b", pretrained=glove, vocab=vocab,
                                          workers=0))  # fmt: skip
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    built = aligner.build(aligner.BuildConfig(out=tmp_path / "c", pretrained=glove, vocab=vocab,
                                              workers=2))  # fmt: skip
    assert built.coverage.found_types > 0
