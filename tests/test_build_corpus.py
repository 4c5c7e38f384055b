"""build/train from every corpus layout: --text-column, directory keys, long texts."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import aligner
from aligner.corpus import Corpus
from aligner.train import Word2VecParams, train_word2vec
from aligner.train.word2vec import MAX_SENTENCE
from aligner_cli.main import cli

from .helpers import small_config


def _parquet(corpus_file: Path, path: Path) -> Path:
    lines = corpus_file.read_text().splitlines()
    pq.write_table(pa.table({"id": list(range(len(lines))), "text": lines}), path)
    return path


def test_cli_build_from_parquet_with_text_column(
    tmp_path: Path, corpus_file: Path, vocab_file: Path
) -> None:
    shards = tmp_path / "shards"
    shards.mkdir()
    _parquet(corpus_file, shards / "part-0.parquet")
    args = ["build", "--corpus", shards, "--vocab", vocab_file, "--out", tmp_path / "a",
            "--dim", 8, "--min-count", 2, "--epochs", 1]  # fmt: skip
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert (
        result.exit_code == 1 and "--text-column" in result.output and "id, text" in result.output
    )
    result = CliRunner().invoke(cli, [str(a) for a in [*args, "--text-column", "text", "--json"]])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["coverage"]["types_by_kind"]["exact"] == 3
    art = aligner.load(tmp_path / "a")
    assert art.manifest["source"]["corpus"]["text_column"] == "text"
    bad_args = ["build", "--pretrained", vocab_file, "--text-column", "x", "--vocab", vocab_file,
                "--out", tmp_path / "b"]  # fmt: skip
    bad = CliRunner().invoke(cli, [str(a) for a in bad_args])
    assert bad.exit_code == 2 and "--text-column applies to --corpus" in bad.output


def test_changing_a_file_inside_a_corpus_directory_rebuilds(
    tmp_path: Path, corpus_file: Path, vocab_file: Path
) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text(corpus_file.read_text())
    (folder / "b.txt").write_text("guitar piano band\n" * 50)
    config = small_config(folder, vocab_file, tmp_path / "art")
    assert not aligner.build(config).reused
    assert aligner.build(config).reused
    (folder / "b.txt").write_text("football goal team\n" * 60)
    with pytest.raises(aligner.ArtifactExistsError):
        aligner.build(config)


def test_long_texts_reach_gensim_whole(tmp_path: Path) -> None:
    # one text longer than gensim's per-sentence limit: a word that only occurs
    # past the limit must still be learned
    words = ["filler"] * (MAX_SENTENCE + 50) + ["latecomer"] * 5
    path = tmp_path / "long.txt"
    path.write_text(" ".join(words) + "\n")
    wv = train_word2vec(Corpus(path), Word2VecParams(dim=4, min_count=1, epochs=1))
    assert wv.row("latecomer") is not None


def test_plain_text_with_workers_uses_gensim_corpus_file(corpus_file: Path, tmp_path: Path) -> None:
    from aligner.tokenize import TokenizerSpec

    params = Word2VecParams(dim=6, min_count=2, epochs=1, workers=2)
    fast = train_word2vec(Corpus(corpus_file), params)
    assert fast.source["reader"] == "corpus_file"
    assert fast.source["corpus"]["tokens"] == 1500 * 9
    streamed = train_word2vec(Corpus(corpus_file), Word2VecParams(dim=6, min_count=2, epochs=1))
    assert streamed.source["reader"] == "stream" and set(fast.keys) == set(streamed.keys)
    # a tokenizer that changes the text, or a compressed file, keeps the streamed path
    lower = Corpus(corpus_file, tokenizer=TokenizerSpec(lowercase=True))
    assert train_word2vec(lower, params).source["reader"] == "stream"
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(aligner.CorpusError, match="empty"):
        train_word2vec(Corpus(empty), params)
