"""GloVe co-occurrences on Spark (aligner.engines.spark.cooccur) and training from the shards
(aligner.engines.glove_shards): the local engine's counts and, for one seed, its vectors."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aligner.corpus import Corpus
from aligner.engines.glove_shards import read_shards, train_glove_shards
from aligner.errors import CorpusError, InputError
from aligner.tokenize import TokenizerSpec
from aligner.train.cooccur import count_cooccurrences, count_vocab
from aligner.train.glove_corpus import GloveTrainingParams, train_glove_corpus

pytest.importorskip("pyspark", reason="the Spark tests need pyspark: pip install 'aligner[spark]'")

from aligner.engines.spark import cooccurrence_shards, train_glove, write_token_shards

WORDS = ["the", "a", "of", "guitar", "piano", "drums", "song", "band", "goal", "team", "coach",
         "match", "Rare", "Café"]  # fmt: skip


def corpus(root: Path, lines: int = 400, seed: int = 1) -> Path:
    """Lines of 0 to 30 words, Zipf-like, rare words (dropped by min_count) among them;
    two text files and a Parquet file."""
    rng = random.Random(seed)
    texts = []
    for _ in range(lines):
        n = rng.choice([0, 1, 2, 5, 9, 30])
        texts.append(
            " ".join(rng.choice(WORDS[: rng.randint(1, len(WORDS))]) if rng.random() < 0.9
                     else f"hapax{rng.randint(0, 10**6)}" for _ in range(n))
        )  # fmt: skip
    root.mkdir()
    third = lines // 3
    (root / "a.txt").write_text("\n".join(texts[:third]) + "\n", encoding="utf-8")
    (root / "b.txt").write_text("\n".join(texts[third : 2 * third]), encoding="utf-8")
    pq.write_table(pa.table({"text": texts[2 * third :]}), root / "c.parquet")
    return root


def local_counts(data: Path, **options: Any) -> tuple[Any, Any]:
    source = Corpus(data, text_column="text")
    vocab = count_vocab(source, min_count=3)
    return vocab, count_cooccurrences(source, vocab, **options)


def test_counts_and_trained_vectors_equal_the_local_engine(spark: Any, tmp_path: Path) -> None:
    data = corpus(tmp_path / "data")
    params = GloveTrainingParams(dim=6, epochs=3, min_count=3, window=5, seed=4, device="cpu")
    vectors = train_glove(spark, str(data), params, text_column="text", shards=tmp_path / "cooc")
    vocab, cooc = local_counts(data, window=5)
    counted, words, meta = read_shards(tmp_path / "cooc")
    assert words.words == vocab.words and np.array_equal(words.counts, vocab.counts)
    assert len(cooc) > 100 and meta["pairs"] == len(cooc)
    for name in ("rows", "cols", "values"):  # window 5: exact sums, so equal bit for bit
        assert np.array_equal(getattr(counted, name), getattr(cooc, name)), name
    local = train_glove_corpus(Corpus(data, text_column="text"), params)
    assert vectors.keys == local.keys
    assert np.array_equal(vectors.vectors, local.vectors)  # same pairs, same order, same seed
    # beyond memory_gb the pairs are memory-mapped from unlinked files: the same vectors
    (tmp_path / "tmp").mkdir()
    mapped = train_glove_shards(tmp_path / "cooc", params, memory_gb=1e-6, tmp_dir=tmp_path / "tmp")
    assert np.array_equal(mapped.vectors, local.vectors)
    paged, _, _ = read_shards(tmp_path / "cooc", memory_gb=1e-6, tmp_dir=tmp_path / "tmp")
    assert isinstance(paged.values, np.memmap) and np.array_equal(paged.values, cooc.values)
    assert list((tmp_path / "tmp").iterdir()) == []
    assert vectors.source["corpus"]["tokens"] == local.source["corpus"]["tokens"]
    assert vectors.source["corpus"]["sentences"] == local.source["corpus"]["sentences"]


def test_left_context_counts_without_weights_and_a_float_window(spark: Any, tmp_path: Path) -> None:
    data = corpus(tmp_path / "data", seed=2)
    for window, symmetric, weighting in ((3, False, False), (20, True, True)):
        out = tmp_path / f"cooc{window}"
        cooccurrence_shards(spark, str(data), out, text_column="text", min_count=3,
                            window=window, symmetric=symmetric,
                            distance_weighting=weighting, shards=3)  # fmt: skip
        counted, _, meta = read_shards(out)
        _, cooc = local_counts(data, window=window, symmetric=symmetric,
                               distance_weighting=weighting)  # fmt: skip
        assert meta["symmetric"] is symmetric and len(list(out.glob("part-*.parquet"))) == 3
        assert np.array_equal(counted.rows, cooc.rows) and np.array_equal(counted.cols, cooc.cols)
        # window 20: lcm(1..20) is too large for exact integer sums; float sums, float32 rounding
        np.testing.assert_allclose(counted.values, cooc.values, rtol=1e-6)


def test_an_existing_output_is_kept_and_a_failure_leaves_nothing(
    spark: Any, tmp_path: Path
) -> None:
    data = tmp_path / "t.txt"
    data.write_bytes(b"a b a b\n\xff broken\n")
    out = tmp_path / "cooc"
    out.mkdir()
    (out / "mine.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(InputError, match="already exists; pass --force"):
        cooccurrence_shards(spark, str(data), out, min_count=1)
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    with pytest.raises(CorpusError, match="not valid UTF-8"):
        cooccurrence_shards(spark, str(data), tmp_path / "new", min_count=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cooc", "t.txt"]


def test_a_directory_that_is_not_shards_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"holds no _cooccur\.json"):
        read_shards(tmp_path)
    (tmp_path / "_cooccur.json").write_text(json.dumps({"format": "other"}), encoding="utf-8")
    with pytest.raises(CorpusError, match="not aligner's co-occurrence shards"):
        train_glove_shards(tmp_path, {"dim": 4})


def test_token_shards_hold_the_vocabulary_words_of_each_line(spark: Any, tmp_path: Path) -> None:
    data = tmp_path / "t.txt"
    # a text of kept words last before empty ones: each row's own tokens are kept
    data.write_text("nothing known\nguitar guitar\nThe guitar, the DRUMS\n\n", encoding="utf-8")
    spec = TokenizerSpec(kind="regex", lowercase=True)
    shards = write_token_shards(spark, str(data), tmp_path / "tokens", tokenizer=spec,
                                words=["the", "guitar", "drums"], compression=None)  # fmt: skip
    parts = (tmp_path / "tokens").glob("part-*")
    lines = sorted(line for part in parts for line in part.read_text().split("\n") if line)
    assert lines == ["guitar guitar", "the guitar the drums"]
    assert shards.lines == 2 and shards.vocab_size == 3
