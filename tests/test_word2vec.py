"""train_word2vec: reproducibility, errors, provenance and progress reporting (real gensim)."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from aligner.corpus import Corpus
from aligner.errors import CorpusError, InputError, TrainingError
from aligner.tokenize import TokenizerSpec
from aligner.train.defaults import word2vec_epochs
from aligner.train.word2vec import Word2VecParams, train_word2vec

from .helpers import RecordingProgress as _RecordingProgress

WORDS = [f"w{i}" for i in range(40)]
PARAMS = Word2VecParams(dim=8, window=3, min_count=1, epochs=2, seed=1)


def _write_corpus(path: Path, lines: int = 300, seed: int = 0, words: list[str] = WORDS) -> Path:
    rng = random.Random(seed)
    # Zipf-like weights so that gensim's frequency order is well defined.
    weights = [1 / (rank + 1) for rank in range(len(words))]
    text = "".join(" ".join(rng.choices(words, weights, k=6)) + "\n" for _ in range(lines))
    path.write_text(text, encoding="utf-8")
    return path


def _params(**overrides: object) -> Word2VecParams:
    values = PARAMS.to_dict() | overrides
    return Word2VecParams(**values)  # type: ignore[arg-type]


def test_same_seed_single_worker_is_bit_identical(tmp_path: Path) -> None:
    path = _write_corpus(tmp_path / "c.txt")
    first = train_word2vec(Corpus(path), PARAMS)
    second = train_word2vec(Corpus(path), PARAMS)
    assert first.keys == second.keys
    assert np.array_equal(first.vectors, second.vectors)


def test_different_seed_gives_different_vectors(tmp_path: Path) -> None:
    path = _write_corpus(tmp_path / "c.txt")
    first = train_word2vec(Corpus(path), PARAMS)
    other = train_word2vec(Corpus(path), _params(seed=2))
    assert first.keys == other.keys  # the vocabulary does not depend on the seed
    assert not np.array_equal(first.vectors, other.vectors)


_SCRIPT = textwrap.dedent(
    """
    import hashlib, json, sys
    from aligner.corpus import Corpus
    from aligner.train.word2vec import Word2VecParams, train_word2vec
    wv = train_word2vec(
        Corpus(sys.argv[1]), Word2VecParams(dim=8, window=3, min_count=1, epochs=2, seed=1)
    )
    print(json.dumps([wv.keys, hashlib.sha256(wv.vectors.tobytes()).hexdigest()]))
    """
)


def test_runs_in_separate_processes_are_bit_identical(tmp_path: Path) -> None:
    # Builds are separate processes; Python's string hashing differs between them unless
    # PYTHONHASHSEED is fixed, and it must not leak into the vectors.
    path = _write_corpus(tmp_path / "c.txt")
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", _SCRIPT, str(path)],
            env=os.environ | {"PYTHONHASHSEED": str(hash_seed)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            text=True,
        )
        for hash_seed in (1, 2)
    ]
    outputs = []
    for run in runs:
        out, err = run.communicate(timeout=60)
        assert run.returncode == 0, err
        outputs.append(out)
    in_process = train_word2vec(Corpus(path), PARAMS)
    expected = [in_process.keys, hashlib.sha256(in_process.vectors.tobytes()).hexdigest()]
    assert json.loads(outputs[0]) == json.loads(outputs[1]) == expected


def test_shape_dtype_and_frequency_order(tmp_path: Path) -> None:
    path = _write_corpus(tmp_path / "c.txt")
    wv = train_word2vec(Corpus(path), PARAMS)
    counts: dict[str, int] = {}
    for token in path.read_text().split():
        counts[token] = counts.get(token, 0) + 1
    assert sorted(wv.keys) == sorted(counts)
    freqs = [counts[k] for k in wv.keys]
    assert freqs == sorted(freqs, reverse=True)  # gensim order: most frequent first
    assert wv.vectors.shape == (len(counts), 8) and wv.dim == 8
    assert wv.vectors.dtype == np.float32 and wv.vectors.flags.c_contiguous
    assert np.isfinite(wv.vectors).all()


def test_min_count_drops_rare_words(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_text("common common common rare\ncommon often often\n", encoding="utf-8")
    wv = train_word2vec(Corpus(path), _params(min_count=2))
    assert sorted(wv.keys) == ["common", "often"]
    assert wv.source["trained_vocab_size"] == 2


def test_source_records_method_params_and_corpus(tmp_path: Path) -> None:
    path = _write_corpus(tmp_path / "c.txt", lines=200)
    path.write_text(path.read_text() + "\n   \n", encoding="utf-8")  # blank lines do not count
    wv = train_word2vec(Corpus(path), PARAMS)
    source = wv.source
    assert source["kind"] == "trained" and source["method"] == "word2vec"
    assert source["params"] == PARAMS.to_dict()
    assert source["params"]["seed"] == 1 and source["params"]["dim"] == 8
    # 200 lines of 6 tokens each, written above.
    assert source["corpus"] == {
        "path": str(path),
        "bytes": path.stat().st_size,
        "compression": None,
        "sentences": 200,
        "tokens": 1200,
    }
    assert source["tokenizer"] == {"kind": "whitespace", "lowercase": False, "normalize": None}
    assert source["trained_vocab_size"] == len(wv.keys)
    assert isinstance(source["gensim_version"], str) and source["gensim_version"]


def test_gzip_corpus_trains_the_same_vectors(tmp_path: Path) -> None:
    path = _write_corpus(tmp_path / "c.txt")
    packed = tmp_path / "c.txt.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    plain, zipped = train_word2vec(Corpus(path), PARAMS), train_word2vec(Corpus(packed), PARAMS)
    assert plain.keys == zipped.keys and np.array_equal(plain.vectors, zipped.vectors)
    assert zipped.source["corpus"]["compression"] == "gzip"


def test_lowercase_tokenizer_lowercases_keys(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_text("The GUITAR the Guitar\nthe band PLAYS\n" * 5, encoding="utf-8")
    corpus = Corpus(path, tokenizer=TokenizerSpec(lowercase=True))
    wv = train_word2vec(corpus, PARAMS)
    assert sorted(wv.keys) == ["band", "guitar", "plays", "the"]
    assert wv.keys[0] == "the"  # 3 per repetition: the most frequent once lowercased
    assert wv.source["tokenizer"] == {"kind": "whitespace", "lowercase": True, "normalize": None}


@pytest.mark.parametrize("text", ["", "\n\n  \t\n"])
def test_empty_corpus(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CorpusError) as info:
        train_word2vec(Corpus(path), PARAMS)
    message = str(info.value)
    assert str(path) in message and "empty" in message


def test_no_token_reaching_min_count(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_text("alpha beta alpha\ngamma alpha beta\n", encoding="utf-8")
    with pytest.raises(TrainingError) as info:
        train_word2vec(Corpus(path), _params(min_count=4))
    message = str(info.value)
    assert str(path) in message and "min_count=4" in message
    assert "lower --min-count" in message
    assert "'alpha' x3" in message and "'beta' x2" in message


def test_unreadable_corpus_during_training_is_a_corpus_error(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_bytes(b"good line here\nbad \xff line\n")
    with pytest.raises(CorpusError, match="line 2"):
        train_word2vec(Corpus(path), PARAMS)


@pytest.mark.parametrize("name", ["dim", "window", "min_count", "epochs", "workers"])
def test_params_below_one_are_input_errors(name: str) -> None:
    with pytest.raises(InputError, match=f"word2vec {name} must be at least 1, got 0"):
        _params(**{name: 0})


@pytest.mark.parametrize("epochs", [1, 3])
def test_progress_receives_the_corpus_bytes_of_every_pass(tmp_path: Path, epochs: int) -> None:
    path = _write_corpus(tmp_path / "c.txt")
    progress = _RecordingProgress()
    corpus = Corpus(path)
    train_word2vec(corpus, _params(epochs=epochs), progress=progress)
    (counting, total, unit, bar), (training, total_2, unit_2, bar_2) = progress.bars
    size = path.stat().st_size
    # One vocabulary pass, then one pass per epoch.
    assert (counting, total, unit, sum(bar.updates)) == ("counting words", size, "B", size)
    assert (training, total_2, unit_2) == ("word2vec", size * epochs, "B")
    assert sum(bar_2.updates) == size * epochs
    assert bar_2.statuses == [f"epoch {e}/{epochs}" for e in range(1, epochs + 1)]
    assert corpus.on_bytes is None  # the callback is removed after training


def test_epochs_default_from_the_corpus_size(tmp_path: Path) -> None:
    path = _write_corpus(tmp_path / "c.txt")
    progress = _RecordingProgress()
    wv = train_word2vec(Corpus(path), _params(epochs=None), progress=progress)
    tokens = wv.source["corpus"]["tokens"]
    assert tokens < 1_000_000 and wv.source["params"]["epochs"] == word2vec_epochs(tokens) == 20
    assert progress.bars[1][1] == 20 * path.stat().st_size
    assert word2vec_epochs(1_000_000) == 20 and word2vec_epochs(2_000_000) == 10
    assert word2vec_epochs(10_000_000) == 5 and word2vec_epochs(10**9) == 5


def test_progress_callback_removed_after_an_error(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_text("a b\n", encoding="utf-8")
    corpus = Corpus(path)
    progress = _RecordingProgress()
    with pytest.raises(TrainingError):
        train_word2vec(corpus, _params(min_count=5), progress=progress)
    assert corpus.on_bytes is None
    assert sum(progress.bars[0][3].updates) == path.stat().st_size
