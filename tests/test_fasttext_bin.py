"""aligner.pretrained.fasttext_bin: fastText .bin models read without gensim, equal to gensim."""

from __future__ import annotations

import gzip
import random
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from gensim.models import FastText
from gensim.models.fasttext import load_facebook_model, load_facebook_vectors, save_facebook_model

from aligner.align import FALLBACKS, step_folds
from aligner.pretrained.fasttext_bin import _find_keys, read_fasttext_bin, read_fasttext_table
from aligner.pretrained.fasttext_format import open_model
from aligner.vocab import Vocab

BASE = ["guitar", "piano", "drums", "melody", "song", "football", "goal", "team", "the", "a"]
BASE += ["café", "Élan", "naïve", "über", "straße", "中文", "日本語", "😀ok", "x1984", "Zürich"]
#: (min_n, max_n, bucket): the defaults' shape, many collisions, long n-grams only, no n-grams
SETTINGS = [(3, 6, 3000), (1, 2, 53), (5, 5, 400), (3, 2, 1000)]


def _train(path: Path, minn: int, maxn: int, bucket: int) -> Path:
    rng = random.Random(minn * 100 + maxn)
    sentences = [[rng.choice(BASE) for _ in range(7)] for _ in range(200)]
    model = FastText(
        vector_size=6, min_count=1, bucket=bucket, min_n=minn, max_n=maxn, epochs=1, seed=1,
        workers=1,
    )  # fmt: skip
    model.build_vocab(sentences)
    model.train(sentences, total_examples=len(sentences), epochs=1)
    save_facebook_model(model, str(path))
    return path


@pytest.fixture(scope="module", params=SETTINGS, ids=lambda s: "minn{}-maxn{}-bucket{}".format(*s))
def model(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    minn, maxn, bucket = request.param
    return _train(tmp_path_factory.mktemp("ft") / "model.bin", minn, maxn, bucket)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype == np.float32 and a.tobytes() == b.tobytes()


def test_every_table_row_equals_gensims_vector(model: Path) -> None:
    wv = load_facebook_vectors(str(model))
    result = read_fasttext_table(model)
    assert result.vectors.keys == wv.index_to_key and result.dim == wv.vector_size == 6
    assert result.stats.rows_read == result.stats.rows_kept == len(wv.index_to_key)
    for key, vector in zip(result.vectors.keys, result.vectors.vectors, strict=True):
        assert _same(vector, wv[key]), key
    # gensim's wv[word] is the word's row averaged with its n-grams, not the row itself
    raw = load_facebook_model(str(model)).wv.vectors_vocab
    averaged = not np.array_equal(result.vectors.vectors, raw)
    assert averaged == (wv.bucket > 0)
    head = read_fasttext_table(model, limit=3)
    assert head.vectors.keys == wv.index_to_key[:3]
    assert _same(head.vectors.vectors, result.vectors.vectors[:3])


def test_missing_words_are_composed_as_gensim_composes_them(model: Path) -> None:
    wv = load_facebook_vectors(str(model))
    tokens = ["guitars", "pianoforte", "cafés", "中文字", "😀", "ab", "q", "straßen", "GUITAR"]
    result = read_fasttext_bin(model, Vocab(["guitar", *tokens]), fallbacks=("exact", "subword"))
    composed = result.vectors.keys[len(result.vectors.keys) - result.vectors.n_subword :]
    assert result.vectors.keys[0] == "guitar" and _same(result.vectors.vectors[0], wv["guitar"])
    if wv.bucket == 0:
        assert result.vectors.n_subword == 0  # gensim cannot compose either (KeyError)
        return
    # a word without any n-gram (shorter than min_n with its < >) is left to fill, where
    # gensim would give zeros
    minn, maxn = wv.min_n, wv.max_n
    expected = [t for t in tokens if any(minn <= n <= maxn for n in range(1, len(t) + 3))]
    assert composed == expected and result.stats.subword_rows == len(expected)
    for token in tokens:
        row = result.vectors.row_subword(token)
        if row is None:
            assert not np.any(wv[token])
        else:
            assert _same(result.vectors.vectors[row], wv[token]), token


def test_a_word_of_invalid_utf8_is_keyed_and_composed_as_gensim_does(tmp_path: Path) -> None:
    path = _train(tmp_path / "m.bin", 3, 5, 500)
    data = path.read_bytes()
    at = data.index(b"guitar\x00")  # the entry "guitar": the same length, invalid UTF-8
    path.write_bytes(data[:at] + b"gui\xfftr" + data[at + 6 :])
    wv = load_facebook_vectors(str(path))
    [odd] = [k for k in wv.index_to_key if "\\x" in k]
    assert odd == "gui\\xfftr"
    result = read_fasttext_table(path)
    assert result.vectors.keys == wv.index_to_key
    assert _same(result.vectors.vectors[result.vectors.keys.index(odd)], wv[odd])
    found = read_fasttext_bin(path, Vocab([odd]), fallbacks=("exact",))
    assert found.vectors.keys == [odd] and _same(found.vectors.vectors[0], wv[odd])


def test_compressed_model_gives_the_plain_models_vectors(tmp_path: Path) -> None:
    plain = _train(tmp_path / "m.bin", 3, 6, 3000)
    packed = tmp_path / "m.bin.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes(), 1))
    vocab = Vocab(["guitar", "guitars", "Café"])
    cache = tmp_path / "cache"
    first = read_fasttext_bin(packed, vocab, cache=cache)
    again = read_fasttext_bin(packed, vocab, cache=cache)  # from the extracted copy
    want = read_fasttext_bin(plain, vocab)
    for got in (first, again):
        assert got.vectors.keys == want.vectors.keys == ["guitar", "café", "guitars"]
        assert _same(got.vectors.vectors, want.vectors.vectors)
    [extracted] = (cache / "extracted").rglob("m.bin")
    assert extracted.read_bytes() == plain.read_bytes()


def _naive_find(token: str, words: list[str], fallbacks: tuple[str, ...]) -> str | None:
    """The lookup the reader had before: each fold applied to every word, first in file order."""
    if token in words:
        return token
    for fold in (f for step in step_folds(fallbacks).values() for f in step):
        for word in words:
            if fold(word) == fold(token):
                return word
    return None


@pytest.mark.parametrize("fallbacks", [FALLBACKS, ("exact", "accents", "digits"), ("exact",)])
def test_fallback_chain_finds_the_keys_a_fold_by_fold_search_finds(
    tmp_path: Path, fallbacks: tuple[str, ...]
) -> None:
    path = _train(tmp_path / "m.bin", 3, 4, 100)
    tokens = ["GUITAR", "Cafe", "cafe", "CAFÉ", "elan", "NAIVE", "x2001", "X1984", "zurich"]
    tokens += ["ZÜRICH", "Strasse", "STRAẞE", "١٩٨٤x", "x١٩٨٤", "nothing", "guitar"]
    with open_model(path) as opened:
        found = _find_keys(tokens, opened, fallbacks)
        assert found == [_naive_find(t, opened.words, fallbacks) for t in tokens]
    assert found[-1] == "guitar"
    if fallbacks == FALLBACKS:
        found_by_folds = ["guitar", "café", "café", "café", "Élan", "naïve", "x1984", "x1984"]
        assert found[:8] == found_by_folds and found[8:10] == ["Zürich", "Zürich"]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM (Linux)")
def test_a_large_model_is_read_in_a_fraction_of_its_size(tmp_path: Path) -> None:
    # 300 words, 2,000,000 buckets of dim 100: an 800 MB input matrix (a sparse file of zeros
    # but for the words' rows); reading 600 words' vectors must not bring it into memory.
    words = [f"w{i}ord" for i in range(300)]
    path = tmp_path / "big.bin"
    with path.open("wb") as fh:
        fh.write(
            struct.pack(
                "<ii12id", 793712314, 12, 100, 5, 1, 1, 5, 1, 2, 2, 2_000_000, 3, 6, 100, 1e-4
            )
        )
        fh.write(struct.pack("<3i2q", len(words), len(words), 0, 1000, -1))
        for word in words:
            fh.write(word.encode() + b"\x00" + struct.pack("<qb", 5, 0))
        fh.write(struct.pack("<?2q", False, len(words) + 2_000_000, 100))
        fh.write(np.full((len(words), 100), 0.5, "<f4").tobytes())
        fh.truncate(fh.tell() + 2_000_000 * 100 * 4)
    code = textwrap.dedent(f"""
        from pathlib import Path
        import numpy as np
        from aligner.pretrained.fasttext_bin import read_fasttext_bin
        from aligner.vocab import Vocab
        def rss(field):
            for line in open("/proc/self/status"):
                if line.startswith(field):
                    return int(line.split()[1]) // 1024
        before = rss("VmRSS:")
        tokens = [f"w{{i}}ord" for i in range(300)] + [f"v{{i}}ords" for i in range(300)]
        chain = ("exact", "subword")
        result = read_fasttext_bin(Path({str(path)!r}), Vocab(tokens), fallbacks=chain)
        assert result.vectors.n_subword == 300 and len(result.vectors.keys) == 600
        row = result.vectors.vectors[0]
        assert np.all(row == np.float32(0.5) / np.float32(1 + 14)), row  # "<w0ord>": 14 n-grams
        print(rss("VmHWM:") - before)
    """)  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) < 100, done.stdout  # megabytes, for an 800 MB matrix (25 seen)
