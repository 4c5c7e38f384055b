"""aligner.pretrained.fasttext_format: hostile and broken .bin models, through `aligner build`.

Each broken model stops the build with exit status 1 and one line naming the
file and what is wrong: never a traceback, a MemoryError or a hang, and no
artifact directory left behind.
"""

from __future__ import annotations

import gzip
import random
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from gensim.models import FastText
from gensim.models.fasttext import save_facebook_model

from aligner.errors import VectorsFormatError
from aligner.pretrained.fasttext_extract import check_structure
from aligner.pretrained.fasttext_format import open_model
from aligner_cli.main import cli

WORDS = ["guitar", "piano", "drums", "song", "café", "the"]
DICT = 64  # the dictionary's header follows the 64-byte header
FIRST_WORD = DICT + 28


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    rng = random.Random(2)
    sentences = [[rng.choice(WORDS) for _ in range(5)] for _ in range(50)]
    ft = FastText(vector_size=4, min_count=1, bucket=100, min_n=3, max_n=4, epochs=1, workers=1)
    ft.build_vocab(sentences)
    ft.train(sentences, total_examples=len(sentences), epochs=1)
    path = tmp_path_factory.mktemp("ft") / "model.bin"
    save_facebook_model(ft, str(path))
    return path.read_bytes()


def _matrix_at(data: bytes) -> int:
    """Where the input matrix's header starts: past every word, its NUL, count and type."""
    pos = FIRST_WORD
    for _ in range(struct.unpack_from("<i", data, DICT)[0]):
        pos = data.index(b"\x00", pos) + 10
    return pos


def _patch(fmt: str, offset: Callable[[bytes], int], *values: int) -> Callable[[bytes], bytes]:
    def patch(data: bytes) -> bytes:
        out = bytearray(data)
        struct.pack_into(fmt, out, offset(data), *values)
        return bytes(out)

    return patch


def _both(*patches: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    def patch(data: bytes) -> bytes:
        for one in patches:
            data = one(data)
        return data

    return patch


def _at(n: int) -> Callable[[bytes], int]:
    return lambda data: n


def _matrix(field: int) -> Callable[[bytes], int]:
    return lambda data: _matrix_at(data) + field


CASES: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "cut in the header": (lambda d: d[:40], "ends inside its header: it is truncated"),
    "cut in the word list": (lambda d: d[:110], "ends inside its word list"),
    "cut in the matrix": (lambda d: d[: _matrix_at(d) + 17 + 50], "is truncated or its header"),
    "cut before the matrix": (lambda d: d[: _matrix_at(d) + 5], "input matrix header"),
    "wrong magic": (_patch("<i", _at(0), 1234), "not a fastText .bin model (wrong magic number)"),
    "wrong version": (_patch("<i", _at(4), 99), "format version 99 is not one aligner reads"),
    "dim of 0": (_patch("<i", _at(8), 0), "implausible header (dim 0"),
    "n-grams up to 5000": (_patch("<i", _at(48), 5000), "n-grams of 3 to 5000"),
    "a dim of 100000": (
        _both(_patch("<i", _at(8), 100_000), _patch("<q", _matrix(9), 100_000)),
        "needs 42400000 bytes",  # (6 words + 100 buckets) x 100000 x 4 bytes
    ),
    "2**31 - 1 buckets": (
        _both(_patch("<i", _at(40), 2**31 - 1), _patch("<q", _matrix(1), 2**31 - 1 + len(WORDS))),
        "bytes but only",
    ),
    "1e8 words": (_patch("<2i", _at(DICT), 10**8, 10**8), "cannot hold the 100000000 words"),
    "labels": (_patch("<3i", _at(DICT), len(WORDS) + 2, len(WORDS), 2), "supervised"),
    "a prune index": (_patch("<q", _at(DICT + 20), 3), "quantized fastText model (.ftz)"),
    "a quantized matrix": (_patch("<?", _matrix(0), True), "quantized fastText model (.ftz)"),
    "a label in the word list": (
        lambda d: (
            d[: d.index(b"\x00", FIRST_WORD) + 9] + b"\x01" + d[d.index(b"\x00", FIRST_WORD) + 10 :]
        ),
        "entry 1 of its word list has type 1",
    ),
    "too many matrix rows": (
        _patch("<q", _matrix(1), len(WORDS) + 101),
        f"input matrix is {len(WORDS) + 101} x 4, but its header says {len(WORDS)} words",
    ),
    "an endless word": (
        lambda d: d[:FIRST_WORD] + b"w" * 70_000 + d[FIRST_WORD:],
        "longer than 65536 bytes; the file is corrupt",
    ),
}


def _build(model: Path, out: Path, *extra: str) -> tuple[int, list[str]]:
    vocab = out.parent / "vocab.txt"
    vocab.write_text("guitar\nguitars\n", encoding="utf-8")
    args = ["build", "--pretrained", str(model), "--vocab", str(vocab), "--out", str(out), *extra]
    result = CliRunner().invoke(cli, args, env={"ALIGNER_CACHE": str(out.parent / "cache")})
    return result.exit_code, result.output.strip().splitlines()


def test_the_model_itself_builds(tmp_path: Path, model: bytes) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(model)
    code, lines = _build(path, tmp_path / "out")
    assert code == 0, lines
    assert (tmp_path / "out").is_dir()


@pytest.mark.parametrize("case", list(CASES))
def test_broken_model_is_one_line_and_no_artifact(tmp_path: Path, model: bytes, case: str) -> None:
    damage, fragment = CASES[case]
    path = tmp_path / "bad.bin"
    path.write_bytes(damage(model))
    out = tmp_path / "out"
    code, lines = _build(path, out, "--format", "fasttext-bin")
    assert code == 1 and len(lines) == 1, lines
    assert str(path) in lines[0] and fragment in lines[0], lines[0]
    assert "Traceback" not in lines[0] and "MemoryError" not in lines[0]
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.bin", "vocab.txt"]


@pytest.mark.parametrize(
    "case", ["wrong version", "labels", "cut in the word list", "a dim of 100000"]
)
def test_broken_compressed_model_names_the_compressed_file(
    tmp_path: Path, model: bytes, case: str
) -> None:
    damage, fragment = CASES[case]
    path = tmp_path / "bad.bin.gz"
    path.write_bytes(gzip.compress(damage(model), 1))
    out = tmp_path / "out"
    code, lines = _build(path, out)
    assert code == 1 and len(lines) == 1, lines
    assert str(path) in lines[0] and fragment in lines[0], lines[0]
    assert not out.exists()


#: the cases a compressed model's stream check (which stops after the word list) sees too
STREAM_CASES = ["cut in the header", "cut in the word list", "wrong magic", "wrong version"]
STREAM_CASES += ["dim of 0", "n-grams up to 5000", "labels", "a prune index", "an endless word"]


def test_the_reader_and_the_stream_check_agree(tmp_path: Path, model: bytes) -> None:
    for case in STREAM_CASES:
        damage, fragment = CASES[case]
        path = tmp_path / "bad.bin"
        path.write_bytes(damage(model))
        with pytest.raises(VectorsFormatError, match=r"bad\.bin") as plain:
            open_model(path).close()
        with path.open("rb") as fh, pytest.raises(VectorsFormatError) as stream:
            check_structure(fh, str(path))
        assert fragment in str(plain.value) and fragment in str(stream.value), case


def test_unreadable_model_file(tmp_path: Path) -> None:
    with pytest.raises(VectorsFormatError, match=r"cannot read .*missing\.bin"):
        open_model(tmp_path / "missing.bin")


def test_a_word_list_too_large_for_memory_is_a_format_error(
    tmp_path: Path, model: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aligner.pretrained import fasttext_format

    def exhausted(words: list[bytes]) -> list[str]:
        raise MemoryError

    monkeypatch.setattr(fasttext_format, "_decode", exhausted)
    path = tmp_path / "model.bin"
    path.write_bytes(model)
    out = tmp_path / "out"
    code, lines = _build(path, out)
    assert code == 1 and len(lines) == 1 and "does not fit in memory" in lines[0], lines
    assert not out.exists()
