"""fastText training (gensim): table rows, composed subword rows, pipeline kinds."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

import aligner
from aligner.corpus import Corpus
from aligner.errors import InputError
from aligner.train import FastTextParams, make_params, train, train_fasttext
from aligner_cli.main import cli

from .helpers import small_config

PARAMS = FastTextParams(dim=8, min_count=2, epochs=2, bucket=5000, seed=3)


def test_table_rows_then_subword_rows_equal_gensim_composition(corpus_file: Path) -> None:
    from gensim.models import FastText

    wv = train_fasttext(Corpus(corpus_file), PARAMS, compose=["guitar", "guitarz", "zzq", "zzq"])
    assert wv.n_subword == 2 and wv.keys[-2:] == ["guitarz", "zzq"]
    assert wv.row("guitarz") is None and wv.row_subword("guitarz") == len(wv) - 2
    # the same training through gensim directly composes the same vectors; a corpus
    # this small gets the wide window (10) when none is given
    assert wv.source["params"]["window"] == 10
    sentences = list(Corpus(corpus_file))
    model = FastText(
        sentences, vector_size=8, min_count=2, epochs=2, bucket=5000, seed=3, workers=1,
        window=10, negative=5, sg=1, min_n=3, max_n=6, sample=1e-3,
    )  # fmt: skip
    assert np.array_equal(wv.vectors[wv.row("guitar")], model.wv["guitar"])
    assert np.array_equal(wv.vectors[wv.row_subword("guitarz")], model.wv["guitarz"])
    assert wv.source["method"] == "fasttext" and wv.source["params"]["bucket"] == 5000


def test_window_from_the_corpus_size_unless_given(corpus_file: Path) -> None:
    from aligner.train.defaults import FASTTEXT_WIDE_WINDOW_BELOW, fasttext_window

    small = FASTTEXT_WIDE_WINDOW_BELOW - 1
    assert fasttext_window(small) == 10 and fasttext_window(small + 1) == 5
    assert fasttext_window(10**9) == 5
    given = train_fasttext(Corpus(corpus_file), replace(PARAMS, window=3))
    chosen = train_fasttext(Corpus(corpus_file), PARAMS)
    assert given.source["params"]["window"] == 3 and chosen.source["params"]["window"] == 10
    assert not np.array_equal(given.vectors, chosen.vectors)
    # word2vec keeps gensim's 5 whatever the corpus size
    assert aligner.Word2VecParams().window == 5


def test_same_seed_is_bit_identical(corpus_file: Path) -> None:
    first = train_fasttext(Corpus(corpus_file), PARAMS, compose=["qq"])
    second = train_fasttext(Corpus(corpus_file), PARAMS, compose=["qq"])
    assert np.array_equal(first.vectors, second.vectors)


def test_params_are_checked_and_never_converted() -> None:
    with pytest.raises(InputError, match="min_n"):
        FastTextParams(min_n=5, max_n=3)
    params = make_params("fasttext", {"dim": 7, "min_n": 2}, seed=9)
    assert isinstance(params, FastTextParams) and (params.dim, params.min_n, params.seed) == (
        7,
        2,
        9,
    )
    assert make_params("fasttext", params) == params
    # another method's object (a subclass or a parent) is refused, not converted
    with pytest.raises(InputError, match="Word2VecParams do not belong to method 'fasttext'"):
        make_params("fasttext", aligner.Word2VecParams(dim=7))
    with pytest.raises(InputError, match="FastTextParams do not belong to method 'word2vec'"):
        make_params("word2vec", params)
    with pytest.raises(InputError, match="word2vec has no parameter min_n"):
        make_params("word2vec", {"min_n": 2})
    with pytest.raises(InputError, match="unknown training method"):
        make_params("lda")


def test_train_dispatch(corpus_file: Path) -> None:
    wv = train(
        Corpus(corpus_file), "fasttext", {"dim": 6, "min_count": 2, "epochs": 1}, compose=["x1"]
    )
    assert wv.dim == 6 and wv.n_subword == 1


def test_build_with_fasttext_gives_subword_rows(corpus_file: Path, vocab_file: Path) -> None:
    out = corpus_file.parent / "ft"
    config = small_config(corpus_file, vocab_file, out, method="fasttext", params=PARAMS, seed=None)
    result = aligner.build(config)
    art = aligner.load(out)
    # "zorblax" and "guitr" are not in the corpus: composed instead of random
    assert art.provenance[art.vocab["zorblax"]] == "subword"
    assert art.provenance[art.vocab["guitr"]] == "subword"
    assert result.coverage.types_by_kind["fill"] == 0
    assert art.manifest["source"]["method"] == "fasttext"
    # without the subword step they are filled at random
    plain = aligner.build(
        small_config(corpus_file, vocab_file, corpus_file.parent / "ft2", method="fasttext",
                     params=PARAMS, seed=None, fallbacks=("exact", "lowercase"))
    )  # fmt: skip
    assert plain.coverage.types_by_kind["fill"] == 2


# aligner train --method fasttext: .bin keeps the subwords, text says it does not.


def _train(out: Path, corpus: Path, *extra: object) -> Result:
    args = ["train", "--corpus", corpus, "--method", "fasttext", "--dim", 8, "--min-count", 2,
            "--epochs", 2, "--bucket", 5000, "--seed", 3, "--out", out, *extra]  # fmt: skip
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.mark.parametrize("name", ["vectors.bin", "vectors.bin.gz"])
def test_train_bin_keeps_subwords_for_a_later_build(
    tmp_path: Path, corpus_file: Path, name: str
) -> None:
    from gensim.models.fasttext import load_facebook_model

    out = tmp_path / name
    result = _train(out, corpus_file, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["format"] == "fasttext-bin" and data["notes"] == [] and result.stderr == ""
    raw = gzip.decompress(out.read_bytes()) if name.endswith(".gz") else out.read_bytes()
    assert raw[:4] == (793712314).to_bytes(4, "little")  # fastText's magic number
    plain = tmp_path / "plain.bin"  # (gensim's own reader of .gz models is broken)
    plain.write_bytes(raw)
    model = load_facebook_model(str(plain))  # gensim reads it back
    assert model.wv.vector_size == 8 and "guitar" in model.wv.key_to_index
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("guitar\nguitarz\nfootballs\n", encoding="utf-8")
    art_dir = tmp_path / "art"
    built = CliRunner().invoke(
        cli, ["build", "--pretrained", str(out), "--vocab", str(vocab), "--out", str(art_dir)]
    )
    assert built.exit_code == 0, built.output
    art = aligner.load(art_dir)
    # words outside the trained table are composed from their n-grams, as fastText does
    assert art.provenance[art.vocab["guitarz"]] == "subword"
    assert art.provenance[art.vocab["footballs"]] == "subword"
    np.testing.assert_allclose(art.vectors[art.vocab["guitarz"]], model.wv["guitarz"], rtol=1e-5)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_train_text_says_it_drops_the_subwords(tmp_path: Path, corpus_file: Path) -> None:
    out = tmp_path / "vectors.txt"
    result = _train(out, corpus_file)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"wrote {out}:")
    note = (
        f"note: {out} keeps only whole-word vectors: fastText's subwords (which compose vectors "
        f"for unseen words) are kept only in its .bin format, e.g. --out {tmp_path / 'vectors.bin'}"
    )
    assert result.stderr.strip() == note
    again = _train(tmp_path / "v2.vec.gz", corpus_file, "--json")
    data = json.loads(again.stdout)
    assert data["format"] == "word2vec" and "--out " + str(tmp_path / "v2.bin") in data["notes"][0]
    # a build from the text file fills the words a .bin would have composed
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("guitar\nguitarz\n", encoding="utf-8")
    built = CliRunner().invoke(
        cli,
        ["build", "--pretrained", str(out), "--vocab", str(vocab), "--out", str(tmp_path / "a")],
    )
    assert built.exit_code == 0, built.output
    art = aligner.load(tmp_path / "a")
    assert art.provenance[art.vocab["guitarz"]] == "fill"


def test_train_word2vec_bin_stays_word2vec_binary(tmp_path: Path, corpus_file: Path) -> None:
    out = tmp_path / "w2v.bin"
    args = ["train", "--corpus", corpus_file, "--dim", 8, "--min-count", 2, "--epochs", 1,
            "--out", out, "--json"]  # fmt: skip
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["format"] == "word2vec-binary" and data["notes"] == []
    assert out.read_bytes().startswith(f"{data['rows']} 8\n".encode())
