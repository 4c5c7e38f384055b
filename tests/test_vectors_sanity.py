"""Files that yield nothing sensible are refused: vectors, vocabularies, sentencepiece models.

Every reader and compression meets the same cases: a header and no rows, a dimension of 1 or a
``word count`` file, a header whose dimension the rows contradict, every usable row skipped,
lines without end (memory stays bounded), and files that are not text at all (pickles, arrays,
archives). The CLI side of each case is in ``test_cli_vectors_sanity.py``.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import lzma
import os
import pickle
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import aligner.pretrained.readers as readers
from aligner.errors import InputError, VectorsFormatError, VocabError
from aligner.pretrained.formats import detect_format, read_vectors
from aligner.tokenize import TokenizerSpec, train_sentencepiece
from aligner.vocab import Vocab, read_vocab, vocab_layout
from aligner.vocab_build import write_vocab

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
VOCAB = Vocab(["the", "guitar", "piano"])
ROWS = np.arange(12, dtype=np.float32).reshape(3, 4) / 8


def _text_rows(
    matrix: np.ndarray = ROWS, keys: tuple[str, ...] = ("the", "guitar", "piano")
) -> str:
    pairs = zip(keys, matrix, strict=True)
    return "".join(f"{k} {' '.join(repr(float(v)) for v in row)}\n" for k, row in pairs)


def _binary(header: str, matrix: np.ndarray = ROWS) -> bytes:
    keys = ("the", "guitar", "piano")
    rows = b"".join(
        k.encode() + b" " + r.astype("<f4").tobytes() for k, r in zip(keys, matrix, strict=True)
    )
    return header.encode() + rows


def _pack(path: Path, data: bytes, kind: str | None) -> Path:
    """Write ``data`` plain or compressed; the suffix is added to ``path``."""
    if kind == "zip":
        target = path.with_name(path.name + ".zip")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(path.name, data)
        return target
    packers: dict[str | None, tuple[str, Callable[[bytes], bytes]]] = {
        None: ("", bytes),
        "gz": (".gz", gzip.compress),
        "bz2": (".bz2", bz2.compress),
        "xz": (".xz", lzma.compress),
    }
    suffix, pack = packers[kind]
    target = path.with_name(path.name + suffix)
    target.write_bytes(pack(data))
    return target


def _refusal(path: Path, vocab: Vocab | None = VOCAB, **options: object) -> str:
    with pytest.raises(VectorsFormatError) as info:
        read_vectors(path, vocab, **options)  # type: ignore[arg-type]
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    return message


COMPRESSIONS = [None, "gz", "bz2", "xz", "zip"]
# (file name, bytes): the formats with a header, each with its header and no rows
HEADERS_ONLY = [("w.txt", b"100 8\n"), ("cc.en.vec", b"100 8\n"), ("w.bin", b"100 8\n")]


# --- a file that yields no vector ---------------------------------------------------------------


@pytest.mark.parametrize("kind", COMPRESSIONS)
@pytest.mark.parametrize(("name", "data"), HEADERS_ONLY)
def test_a_header_and_no_rows_is_an_error(
    tmp_path: Path, name: str, data: bytes, kind: str
) -> None:
    path = _pack(tmp_path / name, data, kind)
    for vocab in (VOCAB, None):
        message = _refusal(path, vocab)
        assert "the header says 100 rows, but no row of vectors follows" in message
        assert "download it again" in message


def test_a_binary_header_and_no_rows_is_an_error_in_that_format(tmp_path: Path) -> None:
    path = _pack(tmp_path / "v.dat", b"3 4\n", None)
    assert "no row of vectors follows" in _refusal(path, format="word2vec-binary")
    assert "no row of vectors follows" in _refusal(path, None, format="word2vec", limit=5)


@pytest.mark.parametrize("kind", COMPRESSIONS)
@pytest.mark.parametrize("fmt", ["glove", "word2vec", "word2vec-binary"])
def test_every_usable_row_skipped_is_an_error(tmp_path: Path, fmt: str, kind: str) -> None:
    bad = ROWS.copy()
    bad[:] = np.nan  # every row not finite: dropped, whatever --skip-bad-rows says
    if fmt == "word2vec-binary":
        data = _binary("3 4\n", bad)
    else:
        data = (("3 4\n" if fmt == "word2vec" else "") + _text_rows(bad)).encode()
    path = _pack(tmp_path / ("v.bin" if fmt == "word2vec-binary" else "v.txt"), data, kind)
    message = _refusal(path, format=fmt)
    assert "every row the vocabulary can use was skipped (0 malformed, 3 not finite)" in message
    assert "yields no vector" in message and "fix or replace" in message
    assert "every row was skipped" in _refusal(path, None, format=fmt)


@pytest.mark.parametrize("header", ["", "3 2\n"])
def test_every_row_malformed_and_skipped_is_an_error(tmp_path: Path, header: str) -> None:
    path = _pack(tmp_path / "v.txt", f"{header}the a b\nguitar c d\npiano e f\n".encode(), "gz")
    message = _refusal(path, skip_bad_rows=True)
    assert "(3 malformed, 0 not finite)" in message


def test_some_rows_skipped_is_still_a_result(tmp_path: Path) -> None:
    path = _pack(tmp_path / "v.txt", b"the a b\nguitar 1 2\npiano nan 3\n", None)
    result = read_vectors(path, VOCAB, skip_bad_rows=True)
    assert result.vectors.keys == ["guitar"]
    assert (result.stats.bad_rows, result.stats.nonfinite_rows) == (1, 1)


def test_rows_the_vocabulary_cannot_use_are_not_an_error_here(tmp_path: Path) -> None:
    # no row matches: that is coverage (reported by the build), not a broken file
    path = _pack(tmp_path / "v.txt", _text_rows(keys=("x", "y", "z")).encode(), None)
    assert read_vectors(path, VOCAB).vectors.keys == []


# --- a dimension of 1, a vocabulary with counts ------------------------------------------------


COUNTS = b"the 217\nguitar 5\npiano 3\n"


@pytest.mark.parametrize("kind", COMPRESSIONS)
def test_a_word_count_file_is_named_a_vocabulary(tmp_path: Path, kind: str) -> None:
    path = _pack(tmp_path / "vocab.txt", COUNTS, kind)
    for vocab in (VOCAB, None):
        message = _refusal(path, vocab)
        assert "looks like a vocabulary with counts" in message and "pass it to --vocab" in message


def test_a_word_count_file_under_a_header_like_first_line(tmp_path: Path) -> None:
    # "2019 15" matches the 'rows dim' header of word2vec text
    path = _pack(tmp_path / "counts.txt", b"2019 15\nthe 217\nguitar 5\n", None)
    assert detect_format(path) == "word2vec"
    assert "looks like a vocabulary with counts" in _refusal(path)


@pytest.mark.parametrize(
    ("data", "fmt", "said"),
    [
        (b"the 0.5\nguitar -0.25\n", "glove", "its rows have dimension 1"),
        (b"2 1\nthe 0.5\nguitar -0.25\n", "word2vec", "the header says dimension 1"),
        (_binary("3 1\n", ROWS[:, :1]), "word2vec-binary", "the header says dimension 1"),
    ],
)
def test_a_dimension_of_1_is_an_error(tmp_path: Path, data: bytes, fmt: str, said: str) -> None:
    path = _pack(tmp_path / "v.dat", data, "gz")
    message = _refusal(path, format=fmt)
    assert said in message and "at least 2 values" in message


# --- a header whose dimension the rows contradict ----------------------------------------------


@pytest.mark.parametrize("kind", COMPRESSIONS)
@pytest.mark.parametrize(("name", "header_dim"), [("w.txt", 8), ("cc.vec", 2), ("w.txt", 3)])
def test_text_rows_contradicting_the_header_dimension(
    tmp_path: Path, name: str, header_dim: int, kind: str
) -> None:
    path = _pack(tmp_path / name, f"3 {header_dim}\n{_text_rows()}".encode(), kind)
    message = _refusal(path, format="word2vec")
    assert (
        f"line 1: the header says dimension {header_dim}, but the rows below it have 4" in message
    )
    assert "fix the header line" in message
    assert "dimension" in _refusal(path, None, limit=1, format="word2vec")


@pytest.mark.parametrize("kind", COMPRESSIONS)
@pytest.mark.parametrize("header_dim", [7, 9, 2])
def test_binary_rows_contradicting_the_header_dimension(
    tmp_path: Path, header_dim: int, kind: str
) -> None:
    rng = np.random.default_rng(0)
    keys = [f"w{i}" for i in range(300)]
    rows = rng.standard_normal((300, 8)).astype("<f4")
    data = f"300 {header_dim}\n".encode() + b"".join(
        k.encode() + b" " + r.tobytes() for k, r in zip(keys, rows, strict=True)
    )
    path = _pack(tmp_path / "w.bin", data, kind)
    message = _refusal(path, Vocab(keys))
    assert f"not {header_dim} float32 values each as the header says" in message
    assert "fix the header" in message


def test_a_text_file_read_as_binary(tmp_path: Path) -> None:
    path = _pack(tmp_path / "w.bin", f"3 4\n{_text_rows()}".encode(), None)
    assert "row 1: the values are printed text" in _refusal(path)
    path = _pack(tmp_path / "w.txt", f"3 4\n{_text_rows()}".encode(), None)
    assert "printed text" in _refusal(path, format="word2vec-binary")
    malformed = _pack(tmp_path / "m.txt", b"3 2\nthe a b\nguitar c d\n", None)
    assert detect_format(malformed) == "word2vec"  # text rows, though not numbers


def test_a_right_header_still_reads(tmp_path: Path) -> None:
    for name, data in [("w.txt", f"3 4\n{_text_rows()}".encode()), ("w.bin", _binary("3 4\n"))]:
        result = read_vectors(_pack(tmp_path / name, data, "gz"), VOCAB)
        assert np.array_equal(result.vectors.vectors, ROWS)


# --- bounded reading: lines without end ---------------------------------------------------------


@pytest.mark.parametrize("kind", COMPRESSIONS)
@pytest.mark.parametrize(
    ("prefix", "fmt", "line"),
    [(b"", None, 1), (b"the 1 2 3\n", None, 2), (b"3 50\nthe ", "word2vec", 2)],
)
def test_a_line_without_end_is_an_error_before_the_whole_file_is_read(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    prefix: bytes,
    fmt: str | None,
    line: int,
    kind: str,
) -> None:
    monkeypatch.setattr(readers, "FIRST_LINES_MAX", 1 << 18)  # the real cap: the memory test
    data = prefix + b"0 " * (1 << 20)  # 2 MiB without a newline; tiny once compressed
    path = _pack(tmp_path / "v.txt", data, kind)
    started = time.perf_counter()
    message = _refusal(path, format=fmt)
    assert f"line {line}: longer than" in message and "without a line end" in message
    assert time.perf_counter() - started < 5


def test_a_wanted_row_longer_than_its_dimension_allows(tmp_path: Path) -> None:
    path = _pack(tmp_path / "v.txt", b"the 1 2 3\nguitar " + b"1 " * 40_000 + b"\n", None)
    assert "line 2: longer than" in _refusal(path)


def test_a_binary_token_without_end_is_an_error(tmp_path: Path) -> None:
    path = _pack(tmp_path / "w.bin", b"1 4\n" + b"x" * (1 << 20), "gz")
    message = _refusal(path)
    assert "row 1: the token b'xxxx" in message and "longer than 65536 bytes" in message


_MEMORY_PROBE = """
import resource, sys
from aligner.pretrained.formats import read_vectors
from aligner.errors import VectorsFormatError
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    read_vectors(sys.argv[1])
except VectorsFormatError as exc:
    print("refused:", exc, file=sys.stderr)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


@pytest.mark.parametrize("kind", ["gz", "zip"])
def test_memory_stays_bounded_on_a_hostile_archive(tmp_path: Path, kind: str) -> None:
    """~100 KB on disk, 96 MiB without a newline inside: the read stops at the line cap."""
    data = b"the " + b"0 " * (48 << 20)
    path = tmp_path / f"v.txt.{kind}"
    if kind == "gz":
        path.write_bytes(gzip.compress(data, compresslevel=1))
    else:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            archive.writestr("v.txt", data)
    assert path.stat().st_size < 1 << 20
    probe = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "refused:" in probe.stderr and "without a line end" in probe.stderr
    assert int(probe.stdout) < 48, f"memory grew by {probe.stdout.strip()} MiB"


# --- files that are not text: vectors -----------------------------------------------------------


def _not_text(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Files of other kinds, each with what the refusal must say."""
    files: dict[str, tuple[Path, str]] = {}
    kv = tmp_path / "w.kv"
    kv.write_bytes(pickle.dumps({"vectors": [1.0]}, protocol=4))
    files["pickle"] = (kv, 'save_word2vec_format("vectors.bin", binary=True)')
    npy = tmp_path / "w.kv.vectors.npy"
    np.save(npy, ROWS)
    files["npy"] = (npy, "a numpy array (.npy)")
    npz = tmp_path / "w.npz"
    np.savez(npz, vectors=ROWS)
    files["npz"] = (npz, "a numpy .npz archive")
    torch_like = tmp_path / "model.pt"
    with zipfile.ZipFile(torch_like, "w") as archive:
        archive.writestr("model/data.pkl", pickle.dumps(1))
    files["torch"] = (torch_like, "a PyTorch checkpoint")
    other_zip = tmp_path / "vectors.txt.zipped"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("v.txt", _text_rows())
    files["zip"] = (other_zip, "rename it to end in .zip")
    header = json.dumps({"v": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 48]}})
    safetensors = tmp_path / "v.safetensors"
    safetensors.write_bytes(len(header).to_bytes(8, "little") + header.encode() + ROWS.tobytes())
    files["safetensors"] = (safetensors, "a safetensors file")
    h5 = tmp_path / "v.h5"
    h5.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    files["hdf5"] = (h5, "an HDF5 file")
    parquet = tmp_path / "texts.parquet"
    pq.write_table(pa.table({"text": ["a b"]}), parquet)
    files["parquet"] = (parquet, "a Parquet file")
    gz_named_txt = tmp_path / "vectors.txt"
    gz_named_txt.write_bytes(gzip.compress(_text_rows().encode()))
    files["gzip"] = (gz_named_txt, "gzip-compressed but its name does not end in .gz")
    zst = tmp_path / "vectors.txt.zst"
    zst.write_bytes(b"(\xb5/\xfd" + bytes(20))
    files["zstd"] = (zst, "zstd-compressed; decompress it first")
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes(_text_rows().encode("utf-16"))
    files["utf16"] = (utf16, "UTF-16 text; re-encode it as UTF-8")
    return files


NOT_TEXT = ["pickle", "npy", "npz", "torch", "zip", "safetensors", "hdf5", "parquet", "gzip"]


@pytest.mark.parametrize("kind", [*NOT_TEXT, "zstd", "utf16"])
def test_files_that_are_not_vectors_say_what_they_are(tmp_path: Path, kind: str) -> None:
    path, says = _not_text(tmp_path)[kind]
    message = _refusal(path)
    assert says in message
    with pytest.raises(VectorsFormatError, match="is "):
        detect_format(path)


def test_a_real_gensim_kv_file_is_refused_with_the_conversion(tmp_path: Path) -> None:
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=4)
    kv.add_vectors(["the", "guitar"], ROWS[:2])
    kv.save(str(tmp_path / "w.kv"))
    message = _refusal(tmp_path / "w.kv")
    assert "is a Python pickle" in message and "never loads pickles" in message
    assert "KeyedVectors.load(path).save_word2vec_format" in message


@pytest.mark.parametrize("kind", ["gz", "zip"])
def test_a_pickle_inside_an_archive_is_refused_too(tmp_path: Path, kind: str) -> None:
    path = _pack(tmp_path / "w.kv", pickle.dumps([1, 2], protocol=4), kind)
    assert "is a Python pickle" in _refusal(path)


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz", ".zip"])
def test_a_text_file_named_as_compressed(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"v.txt{suffix}"
    path.write_text(_text_rows())
    message = _refusal(path)
    assert "is not a valid" in message and f"rename it without {suffix}" in message


def test_binary_bytes_read_as_text_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "v.txt"
    path.write_bytes(b"the \x00\x00\x80\xff\x01\x02 x\n" * 3)
    assert "is binary (it holds NUL bytes), not glove text" in _refusal(path)
    assert "is binary" in _refusal(path, format="word2vec")


def test_a_device_or_directory_is_not_a_vectors_file(tmp_path: Path) -> None:
    assert "not a regular file" in _refusal(tmp_path)
    with pytest.raises(VectorsFormatError, match="not a regular file"):
        read_vectors("/dev/zero", VOCAB)


# --- vocabularies -------------------------------------------------------------------------------


def _vocab_refusal(path: Path) -> str:
    with pytest.raises(VocabError) as info:
        read_vocab(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    return message


def test_space_separated_token_count_is_read_as_token_and_count(tmp_path: Path) -> None:
    path = tmp_path / "v.txt"
    path.write_bytes(COUNTS)
    vocab = read_vocab(path)
    assert vocab.tokens[2:] == ["the", "guitar", "piano"] and vocab.counts == [0, 0, 217, 5, 3]
    assert vocab.layout == "token count"


def test_gensim_fvocab_file_is_read_with_its_counts(tmp_path: Path) -> None:
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=4)
    kv.add_vectors(["the", "guitar", "piano"], ROWS)
    for word, count in (("the", 9), ("guitar", 4), ("piano", 2)):
        kv.set_vecattr(word, "count", count)
    kv.save_word2vec_format(str(tmp_path / "v.txt"), fvocab=str(tmp_path / "fvocab.txt"))
    vocab = read_vocab(tmp_path / "fvocab.txt")
    assert vocab.layout == "token count" and vocab.tokens[2:] == ["the", "guitar", "piano"]
    assert vocab.counts == [0, 0, 9, 4, 2]


def test_uniq_c_output_is_read_as_count_and_token(tmp_path: Path) -> None:
    path = tmp_path / "v.txt"
    path.write_text("    217 the\n      5 guitar\n      3 piano\n")
    vocab = read_vocab(path)
    assert vocab.layout == "count token" and vocab.counts == [0, 0, 217, 5, 3]
    assert vocab.tokens[2:] == ["the", "guitar", "piano"]


@pytest.mark.parametrize(
    ("content", "layout"),
    [
        ("the\t217\nguitar\t5\n", "token<TAB>count"),
        ("the\nguitar\n", "token"),
        ("New York 3\nguitar\nthe piano\n", "token"),  # spaced tokens: too few fit to guess
    ],
)
def test_other_layouts_are_named(tmp_path: Path, content: str, layout: str) -> None:
    path = tmp_path / "v.txt"
    path.write_text(content)
    assert read_vocab(path).layout == layout


def test_a_token_count_file_with_one_stray_line_names_it(tmp_path: Path) -> None:
    lines = [f"w{i} {100 - i}" for i in range(20)]
    lines[13] = "New York 12"
    path = tmp_path / "v.txt"
    path.write_text("\n".join(lines) + "\n")
    message = _vocab_refusal(path)
    assert "line 14: 'New York 12' does not fit the 'token count' layout" in message


@pytest.mark.parametrize(
    "content",
    [_text_rows(), f"3 4\n{_text_rows()}", "the 0.1 -2e-3 nan\nguitar 1 2 3\n"],
)
def test_a_vectors_file_passed_as_vocabulary(tmp_path: Path, content: str) -> None:
    path = tmp_path / "v.txt"
    path.write_text(content)
    message = _vocab_refusal(path)
    assert "looks like a vectors file" in message and "pass it to --pretrained" in message


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("pickle", "is a Python pickle"),
        ("npy", "a numpy array"),
        ("npz", "a numpy .npz archive"),
        ("zip", "a zip archive; unzip it"),
        ("parquet", "pass it to --data"),
        ("gzip", "gzip-compressed; decompress it first (gunzip FILE)"),
        ("utf16", "UTF-16"),
    ],
)
def test_files_that_are_not_a_vocabulary_say_what_they_are(
    tmp_path: Path, kind: str, says: str
) -> None:
    path = _not_text(tmp_path)[kind][0]
    assert says in _vocab_refusal(path)


def test_binary_vectors_and_fasttext_models_as_vocabulary(tmp_path: Path) -> None:
    path = tmp_path / "w.bin"
    path.write_bytes(_binary("3 4\n"))
    assert "is a binary file (NUL bytes, not UTF-8)" in _vocab_refusal(path)
    path.write_bytes((793712314).to_bytes(4, "little") + bytes(40))
    assert "a fastText model (.bin); pass it to --pretrained" in _vocab_refusal(path)


def test_text_that_starts_like_a_magic_number_is_still_text(tmp_path: Path) -> None:
    path = tmp_path / "v.txt"
    path.write_bytes(b"a\x00b\nc\n")
    assert read_vocab(path).tokens[2:] == ["a\x00b", "c"]
    for first in ("BZh91AY&SY", "PAR1", "ARROW1", "PK"):
        path.write_text(f"{first}\nguitar\n")
        assert read_vocab(path).tokens[2:] == [first, "guitar"]


def test_a_vocabulary_line_without_end(tmp_path: Path) -> None:
    path = tmp_path / "v.txt"
    path.write_bytes(b"the\n" + b"x" * (1 << 17))
    assert "line 2: longer than 65536 characters" in _vocab_refusal(path)


def test_a_pipe_or_device_is_not_read_as_a_vocabulary(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert "not a regular file" in _vocab_refusal(fifo)  # and does not wait for a writer
    with pytest.raises(VocabError, match="not a regular file"):
        read_vocab("/dev/zero")


def test_write_vocab_refuses_tokens_that_would_read_back_as_counts(tmp_path: Path) -> None:
    with pytest.raises(VocabError, match="would not read back the same"):
        write_vocab(Vocab(["a 1", "b 2"]), tmp_path / "v.txt")
    assert not (tmp_path / "v.txt").exists()
    write_vocab(Vocab(["a 1", "b 2"], counts=[3, 4]), tmp_path / "v.txt")
    assert read_vocab(tmp_path / "v.txt") == Vocab(["a 1", "b 2"], counts=[3, 4])
    assert vocab_layout(["a 1", "b"]) == "token"


# --- sentencepiece models -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sp_model() -> bytes:
    texts = (SAMPLES / "corpus.txt").read_text(encoding="utf-8").splitlines()
    model = train_sentencepiece(texts[:3000], vocab_size=120).model
    assert model is not None
    return model


def _field_ends(model: bytes) -> list[int]:
    """The offsets where each top-level field of the ModelProto ends."""
    ends, pos = [], 0
    while pos < len(model):
        for step in (0, 1):  # the key, then the length, both varints
            value = shift = 0
            while True:
                byte = model[pos]
                pos += 1
                value |= (byte & 0x7F) << shift
                shift += 7
                if byte < 0x80:
                    break
            if step:
                pos += value
        ends.append(pos)
    return ends


def _sp_refusal(path: Path) -> str:
    with pytest.raises(InputError) as info:
        TokenizerSpec.sentencepiece(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    return message


def test_an_empty_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.model"
    path.write_bytes(b"")
    assert "is empty (0 bytes)" in _sp_refusal(path)
    with pytest.raises(InputError, match="corrupt"):
        TokenizerSpec("sentencepiece", model=b"")


def test_a_model_cut_at_a_field_boundary_is_refused(tmp_path: Path, sp_model: bytes) -> None:
    ends = _field_ends(sp_model)
    path = tmp_path / "cut.model"
    for end in (ends[0], ends[len(ends) // 2], ends[-2]):  # parse, but are not whole
        path.write_bytes(sp_model[:end])
        assert "not a valid sentencepiece model" in _sp_refusal(path)
    path.write_bytes(sp_model)
    assert TokenizerSpec.sentencepiece(path).model == sp_model


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b'{"model": {"type": "BPE"}}', "is JSON"),
        ("▁the\t-3.1\n▁a\t-3.5\n".encode(), "a sentencepiece .vocab file?"),
        (b"\x0a\x05hello garbage", "not a valid sentencepiece model"),
    ],
)
def test_other_files_as_a_model(tmp_path: Path, data: bytes, says: str) -> None:
    path = tmp_path / "m.model"
    path.write_bytes(data)
    assert says in _sp_refusal(path)


def test_a_pipe_device_or_directory_as_a_model(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.model"
    os.mkfifo(fifo)
    assert "not a regular file" in _sp_refusal(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        TokenizerSpec.sentencepiece("/dev/zero")
    assert "is a directory" in _sp_refusal(tmp_path)


def test_a_saved_spec_with_an_empty_or_cut_model_does_not_load(sp_model: bytes) -> None:
    for model in (b"", sp_model[: _field_ends(sp_model)[3]]):
        data = {"kind": "sentencepiece", "lowercase": False, "normalize": None}
        data["model_sha256"] = hashlib.sha256(model).hexdigest()
        with pytest.raises(InputError, match="sentencepiece model is corrupt"):
            TokenizerSpec.from_dict(data, model=model)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"kind": "sentencepiece"}, "records no model sha256"),
        ({"kind": "regex", "lowercase": "no"}, "wrong type"),
        ({"kind": 3}, "wrong type"),
        ({"kind": "whitespace", "normalize": 1}, "wrong type"),
        ({"kind": "bpe"}, "unknown tokenizer kind 'bpe'"),
        (["whitespace"], "not an object"),
    ],
)
def test_a_saved_spec_of_the_wrong_shape(data: object, says: str) -> None:
    with pytest.raises(InputError, match=says):
        TokenizerSpec.from_dict(data)  # type: ignore[arg-type]
