"""Through the CLI: files that yield nothing sensible exit 1 with one line, and leave nothing.

``aligner build --pretrained FILE``, ``--vocab FILE``, ``--sp-model FILE``, ``aligner vocab
--sp-model FILE`` and ``aligner eval FILE`` each meet a header without rows, a ``word count``
file, a header whose dimension the rows contradict, every row skipped, a line without end inside
a small archive, pickles and other binary files, and empty or cut sentencepiece models.
"""

from __future__ import annotations

import gzip
import pickle
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import aligner
from aligner.tokenize import train_sentencepiece
from aligner_cli.main import cli

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
GLOVE = SAMPLES / "vectors.glove.txt"
VOCAB = SAMPLES / "vocab.txt"


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


def refused(tmp_path: Path, *args: object) -> str:
    """Run a command that must fail on its input: exit 1, one line, nothing new on disk."""
    before = sorted(p.name for p in tmp_path.iterdir())
    code, output = run(*args)
    lines = [line for line in output.splitlines() if line.strip()]
    assert code == 1, output
    assert len(lines) == 1 and lines[0].startswith("Error: "), output
    assert "Traceback" not in output
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "output left behind"
    return lines[0]


def build_pretrained(tmp_path: Path, vectors: Path, *extra: object) -> str:
    return refused(
        tmp_path, "build", "--pretrained", vectors, "--vocab", VOCAB, "--out", tmp_path / "out",
        *extra,
    )  # fmt: skip


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    if name.endswith(".gz"):
        data = gzip.compress(data)
    elif name.endswith(".zip"):
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(name.removesuffix(".zip"), data)
        return path
    path.write_bytes(data)
    return path


def _glove_rows() -> list[str]:
    return GLOVE.read_text(encoding="utf-8").splitlines()


# --- vectors that yield nothing -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["w.txt", "cc.en.vec", "w.bin", "w.txt.gz", "cc.en.vec.zip"])
def test_build_from_a_header_without_rows(tmp_path: Path, name: str) -> None:
    path = _file(tmp_path, name, b"100 8\n")
    line = build_pretrained(tmp_path, path)
    assert f"{path}: the header says 100 rows, but no row of vectors follows" in line


@pytest.mark.parametrize("name", ["vocab.txt", "vocab.txt.gz"])
def test_build_from_a_word_count_file_says_it_is_a_vocabulary(tmp_path: Path, name: str) -> None:
    counts = "".join(f"{row.split(' ')[0]} {100 - i}\n" for i, row in enumerate(_glove_rows()))
    path = _file(tmp_path, name, counts.encode())
    line = build_pretrained(tmp_path, path)
    assert (
        str(path) in line
        and "looks like a vocabulary with counts, not vectors; pass it to --vocab" in line
    )


def test_build_from_one_value_per_row(tmp_path: Path) -> None:
    rows = "".join(f"{row.split(' ')[0]} 0.5\n" for row in _glove_rows())
    line = build_pretrained(tmp_path, _file(tmp_path, "v.txt", rows.encode()))
    assert "its rows have dimension 1; vectors have at least 2 values" in line


def test_build_from_rows_contradicting_the_header(tmp_path: Path) -> None:
    rows = _glove_rows()
    path = _file(tmp_path, "w.vec.gz", (f"{len(rows)} 300\n" + "\n".join(rows) + "\n").encode())
    line = build_pretrained(tmp_path, path)
    assert "line 1: the header says dimension 300, but the rows below it have 10 values" in line


def test_build_with_every_row_skipped(tmp_path: Path) -> None:
    rows = [r.split(" ")[0] + " x" * 10 for r in _glove_rows()]
    path = _file(tmp_path, "v.txt", ("\n".join(rows) + "\n").encode())
    line = build_pretrained(tmp_path, path, "--skip-bad-rows")
    assert "every row the vocabulary can use was skipped" in line and "malformed" in line


@pytest.mark.parametrize("name", ["v.txt.gz", "v.zip"])
def test_build_from_an_archive_with_a_line_without_end(tmp_path: Path, name: str) -> None:
    path = _file(tmp_path, name, b"0 " * (3 << 20))  # 6 MiB inside, some KB on disk
    started = time.perf_counter()
    line = build_pretrained(tmp_path, path)
    assert f"{path}, line 1: longer than" in line and "without a line end" in line
    assert time.perf_counter() - started < 10


def test_build_from_a_gensim_kv_file(tmp_path: Path) -> None:
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=3)
    kv.add_vectors(["guitar", "piano"], np.ones((2, 3), dtype=np.float32))
    kv.save(str(tmp_path / "w.kv"))
    line = build_pretrained(tmp_path, tmp_path / "w.kv")
    assert "w.kv is a Python pickle" in line and "aligner never loads pickles" in line
    assert 'KeyedVectors.load(path).save_word2vec_format("vectors.bin", binary=True)' in line


def test_build_from_a_numpy_array(tmp_path: Path) -> None:
    np.save(tmp_path / "w.npy", np.ones((3, 4), dtype=np.float32))
    assert "is a numpy array (.npy)" in build_pretrained(tmp_path, tmp_path / "w.npy")


def test_build_from_a_gzip_file_without_gz_in_its_name(tmp_path: Path) -> None:
    path = tmp_path / "vectors.txt"
    path.write_bytes(gzip.compress(GLOVE.read_bytes()))
    assert "rename it to end in .gz" in build_pretrained(tmp_path, path)


# --- vocabularies -------------------------------------------------------------------------------


def build_with_vocab(tmp_path: Path, vocab: Path) -> str:
    return refused(
        tmp_path, "build", "--pretrained", GLOVE, "--vocab", vocab, "--out", tmp_path / "out"
    )


def test_a_space_separated_token_count_vocabulary_is_read_as_tokens(tmp_path: Path) -> None:
    vocab = tmp_path / "fvocab.txt"
    vocab.write_text("guitar 12\nmovie 7\nzzyzx 3\n")
    code, output = run("build", "--pretrained", GLOVE, "--vocab", vocab, "--out", tmp_path / "out")
    assert code == 0, output
    art = aligner.load(tmp_path / "out")
    assert art.vocab.tokens[2:] == ["guitar", "movie", "zzyzx"]
    assert art.provenance[2:] == ["exact", "exact", "fill"]


def test_a_gensim_kv_file_as_vocabulary(tmp_path: Path) -> None:
    kv = tmp_path / "w.kv"
    kv.write_bytes(pickle.dumps({"index_to_key": ["guitar"]}, protocol=4))
    line = build_with_vocab(tmp_path, kv)
    assert f"{kv} is a Python pickle" in line and "save_word2vec_format" in line


def test_a_vectors_file_as_vocabulary(tmp_path: Path) -> None:
    line = refused(
        tmp_path, "build", "--pretrained", GLOVE, "--vocab", GLOVE, "--out", tmp_path / "out"
    )
    assert f"{GLOVE} looks like a vectors file" in line and "pass it to --pretrained" in line


def test_a_compressed_vocabulary(tmp_path: Path) -> None:
    vocab = tmp_path / "vocab.txt.gz"
    vocab.write_bytes(gzip.compress(VOCAB.read_bytes()))
    assert "gzip-compressed; decompress it first" in build_with_vocab(tmp_path, vocab)


# --- sentencepiece models -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sp_model() -> bytes:
    texts = (SAMPLES / "corpus.txt").read_text(encoding="utf-8").splitlines()
    model = train_sentencepiece(texts[:3000], vocab_size=120).model
    assert model is not None
    return model


def _models(tmp_path: Path, sp_model: bytes) -> dict[str, tuple[Path, str]]:
    cases = {
        "empty": (b"", "is empty (0 bytes)"),
        "cut": (sp_model[: len(sp_model) // 2], "is not a valid sentencepiece model"),
        "json": (b'{"version": "1.0", "model": {}}', "is JSON"),
        "vocab": ("▁the\t-3.1\n▁a\t-3.5\n".encode(), "is text (a sentencepiece .vocab file?)"),
    }
    out = {}
    for name, (data, says) in cases.items():
        path = tmp_path / f"{name}.model"
        path.write_bytes(data)
        out[name] = (path, says)
    return out


@pytest.mark.parametrize("case", ["empty", "cut", "json", "vocab"])
def test_build_with_a_bad_sp_model(tmp_path: Path, sp_model: bytes, case: str) -> None:
    path, says = _models(tmp_path, sp_model)[case]
    line = build_pretrained(tmp_path, GLOVE, "--tokenizer", "sentencepiece", "--sp-model", path)
    assert f"sentencepiece model {path} {says}" in line


@pytest.mark.parametrize("case", ["empty", "cut"])
def test_vocab_with_a_bad_sp_model(tmp_path: Path, sp_model: bytes, case: str) -> None:
    path, says = _models(tmp_path, sp_model)[case]
    line = refused(
        tmp_path, "vocab", "--data", SAMPLES / "corpus.txt", "--out", tmp_path / "v.tsv",
        "--tokenizer", "sentencepiece", "--sp-model", path,
    )  # fmt: skip
    assert says in line


def test_a_good_sp_model_still_builds(tmp_path: Path, sp_model: bytes) -> None:
    path = tmp_path / "good.model"
    path.write_bytes(sp_model)
    code, output = run(
        "build", "--pretrained", GLOVE, "--vocab", VOCAB, "--out", tmp_path / "out",
        "--tokenizer", "sentencepiece", "--sp-model", path,
    )  # fmt: skip
    assert code == 0, output


# --- aligner eval FILE --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("w.vec", b"100 8\n", "no row of vectors follows"),
        ("counts.txt", b"the 12\nguitar 4\n", "looks like a vocabulary with counts"),
        ("w.kv", pickle.dumps([1], protocol=4), "is a Python pickle"),
        ("w.txt.gz", b"0 " * (3 << 20), "without a line end"),
    ],
)
def test_eval_refuses_files_that_yield_nothing(
    tmp_path: Path, name: str, data: bytes, says: str
) -> None:
    path = _file(tmp_path, name, data)
    assert says in refused(tmp_path, "eval", path, "--set", "wordsim353")
