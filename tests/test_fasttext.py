"""fastText training (gensim): table rows, composed subword rows, pipeline kinds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import aligner
from aligner.corpus import Corpus
from aligner.errors import InputError
from aligner.train import FastTextParams, make_params, train, train_fasttext

from .helpers import small_config

PARAMS = FastTextParams(dim=8, min_count=2, epochs=2, bucket=5000, seed=3)


def test_table_rows_then_subword_rows_equal_gensim_composition(corpus_file: Path) -> None:
    from gensim.models import FastText

    wv = train_fasttext(Corpus(corpus_file), PARAMS, compose=["guitar", "guitarz", "zzq", "zzq"])
    assert wv.n_subword == 2 and wv.keys[-2:] == ["guitarz", "zzq"]
    assert wv.row("guitarz") is None and wv.row_subword("guitarz") == len(wv) - 2
    # the same training through gensim directly composes the same vectors
    sentences = list(Corpus(corpus_file))
    model = FastText(
        sentences, vector_size=8, min_count=2, epochs=2, bucket=5000, seed=3, workers=1,
        window=5, negative=5, sg=1, min_n=3, max_n=6, sample=1e-3,
    )  # fmt: skip
    assert np.array_equal(wv.vectors[wv.row("guitar")], model.wv["guitar"])
    assert np.array_equal(wv.vectors[wv.row_subword("guitarz")], model.wv["guitarz"])
    assert wv.source["method"] == "fasttext" and wv.source["params"]["bucket"] == 5000


def test_same_seed_is_bit_identical(corpus_file: Path) -> None:
    first = train_fasttext(Corpus(corpus_file), PARAMS, compose=["qq"])
    second = train_fasttext(Corpus(corpus_file), PARAMS, compose=["qq"])
    assert np.array_equal(first.vectors, second.vectors)


def test_params_are_checked_and_converted() -> None:
    with pytest.raises(InputError, match="min_n"):
        FastTextParams(min_n=5, max_n=3)
    params = make_params("fasttext", aligner.Word2VecParams(dim=7), seed=9)
    assert isinstance(params, FastTextParams) and params.dim == 7 and params.seed == 9
    assert type(make_params("word2vec", params)) is aligner.Word2VecParams
    with pytest.raises(InputError, match="unknown training method"):
        make_params("lda")


def test_train_dispatch(corpus_file: Path) -> None:
    wv = train(
        Corpus(corpus_file), "fasttext", {"dim": 6, "min_count": 2, "epochs": 1}, compose=["x1"]
    )
    assert wv.dim == 6 and wv.n_subword == 1


def test_build_with_fasttext_gives_subword_rows(corpus_file: Path, vocab_file: Path) -> None:
    out = corpus_file.parent / "ft"
    config = small_config(corpus_file, vocab_file, out, method="fasttext", params=PARAMS)
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
                     params=PARAMS, fallbacks=("exact", "lowercase"))
    )  # fmt: skip
    assert plain.coverage.types_by_kind["fill"] == 2
