"""read_vectors and detect_format on real bytes: every format, every quirk, gensim's values."""

from __future__ import annotations

import bz2
import gc
import gzip
import lzma
import random
import warnings
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
from gensim.models import FastText, KeyedVectors
from gensim.models.fasttext import load_facebook_vectors, save_facebook_model

import aligner.pretrained.readers as readers
from aligner.align import align
from aligner.errors import InputError, VectorsFormatError
from aligner.pretrained.formats import FORMATS, ReadResult, detect_format, read_vectors
from aligner.vocab import Vocab

from .helpers import RecordingProgress

# Known float32 values, including the extremes of the type: each must come back bit for bit.
KEYS = ["the", "Guitar", "naïve", "piano", "x"]
MATRIX = np.array(
    [
        [0.1, -0.2, 0.30000001, 1.0, -0.0],
        [1e-45, 1.17549435e-38, 3.4028235e38, -3.4028235e38, 2.5e-7],
        [1 / 3, -123456.789, 9.87654321e-12, 7.0, -1.5],
        [0.5, 0.25, -0.125, 1e10, -1e-10],
        [2.718281828, -3.14159265, 42.0, 1.4142135, 0.0],
    ],
    dtype=np.float32,
)


Writer = Callable[[Sequence[str], np.ndarray], bytes]


# --- writers ------------------------------------------------------------------------------------


_PACKERS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "gz": (".gz", gzip.compress),
    "bz2": (".bz2", bz2.compress),
    "xz": (".xz", lzma.compress),
}


def _write(path: Path, data: str | bytes) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _num(value: float) -> str:
    """A float32 printed so that parsing it as float32 is exact."""
    return repr(float(np.float32(value)))


def _rows(keys: Sequence[str], matrix: np.ndarray, end: str = "\n") -> str:
    return "".join(
        f"{key} {' '.join(_num(v) for v in row)}{end}"
        for key, row in zip(keys, matrix, strict=True)
    )


def glove_bytes(keys: Sequence[str], matrix: np.ndarray) -> bytes:
    return _rows(keys, matrix).encode("utf-8")


def word2vec_text_bytes(keys: Sequence[str], matrix: np.ndarray) -> bytes:
    return f"{len(keys)} {matrix.shape[1]}\n{_rows(keys, matrix)}".encode()


def word2vec_binary_bytes(keys: Sequence[str], matrix: np.ndarray, newline: bool = False) -> bytes:
    """The C tool's layout (``newline=True``: each vector followed by a newline) or gensim's."""
    out = [f"{len(keys)} {matrix.shape[1]}\n".encode()]
    for key, row in zip(keys, matrix, strict=True):
        out.append(key.encode("utf-8") + b" " + row.astype("<f4").tobytes())
        if newline:
            out.append(b"\n")
    return b"".join(out)


def compress(path: Path, data: bytes, kind: str | None, member: str | None = None) -> Path:
    """Write ``data`` to ``path`` + the suffix of ``kind`` (zip: as the member ``member``)."""
    if kind is None:
        return _write(path, data)
    if kind == "zip":
        target = path.with_name(path.name + ".zip")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(member or path.name, data)
        return target
    suffix, pack = _PACKERS[kind]
    return _write(path.with_name(path.name + suffix), pack(data))


def _vocab(*tokens: str) -> Vocab:
    return Vocab(tokens)


def _read(path: Path, *tokens: str, **kwargs: object) -> ReadResult:
    return read_vectors(path, _vocab(*tokens), **kwargs)  # type: ignore[arg-type]


def _format_error(path: Path, tokens: Sequence[str] = ("a", "b"), **kwargs: object) -> str:
    """read_vectors must fail with a one-line VectorsFormatError naming the file."""
    with pytest.raises(VectorsFormatError) as info:
        read_vectors(path, Vocab(tokens), **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert str(path) in message
    assert "\n" not in message
    return message


def _row(result: ReadResult, key: str) -> np.ndarray:
    row = result.vectors.row(key)
    assert row is not None, f"{key!r} was not kept"
    return result.vectors.vectors[row]


# --- every format, plain and compressed, read back exactly ---------------------------------------

_FORMAT_FILES = {
    # case: (file name, detected format, writer)
    "glove": ("glove.txt", "glove", glove_bytes),
    "word2vec": ("vectors.txt", "word2vec", word2vec_text_bytes),
    "fasttext-vec": ("wiki.en.vec", "word2vec", word2vec_text_bytes),
    "word2vec-binary": ("vectors.bin", "word2vec-binary", word2vec_binary_bytes),
}


@pytest.mark.parametrize("kind", [None, "gz", "bz2", "xz", "zip"])
@pytest.mark.parametrize("case", list(_FORMAT_FILES))
def test_each_format_reads_back_exactly(tmp_path: Path, case: str, kind: str | None) -> None:
    name, fmt, writer = _FORMAT_FILES[case]
    path = compress(tmp_path / name, writer(KEYS, MATRIX), kind)
    assert detect_format(path) == fmt
    result = read_vectors(path, Vocab(KEYS))
    assert result.format == fmt and result.dim == 5
    assert result.vectors.keys == KEYS
    assert result.vectors.vectors.dtype == np.float32
    assert np.array_equal(result.vectors.vectors, MATRIX)
    assert np.array_equal(np.signbit(result.vectors.vectors), np.signbit(MATRIX))  # -0.0 stays
    assert result.stats.rows_read == 5 and result.stats.rows_kept == 5
    assert result.stats.header_rows == (None if fmt == "glove" else 5)
    assert result.vectors.source == {"kind": "pretrained", "path": str(path), "format": fmt}


def test_values_written_with_9_significant_digits_are_exact(tmp_path: Path) -> None:
    text = "".join(
        f"{k} {' '.join(format(v, '.9g') for v in row)}\n"
        for k, row in zip(KEYS, MATRIX, strict=True)
    )
    result = read_vectors(_write(tmp_path / "g.txt", text), Vocab(KEYS))
    assert np.array_equal(result.vectors.vectors, MATRIX)


def test_binary_with_a_newline_after_each_vector(tmp_path: Path) -> None:
    # The original C tool ends every vector with "\n"; the next token must not start with it.
    path = _write(tmp_path / "c.bin", word2vec_binary_bytes(KEYS, MATRIX, newline=True))
    result = read_vectors(path, Vocab(KEYS))
    assert result.vectors.keys == KEYS
    assert np.array_equal(result.vectors.vectors, MATRIX)
    assert result.stats.rows_read == 5 and not result.stats.header_mismatch


def test_binary_is_detected_by_content_without_a_bin_name(tmp_path: Path) -> None:
    path = _write(tmp_path / "vectors.w2v", word2vec_binary_bytes(KEYS, MATRIX))
    assert detect_format(path) == "word2vec-binary"
    assert np.array_equal(read_vectors(path, Vocab(KEYS)).vectors.vectors, MATRIX)


@pytest.mark.parametrize("case", list(_FORMAT_FILES))
def test_zip_with_several_members_reads_the_chosen_one(tmp_path: Path, case: str) -> None:
    name, fmt, writer = _FORMAT_FILES[case]
    path = tmp_path / "bundle.zip"
    other = MATRIX[::-1].copy()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"small/{name}", writer(KEYS, other))
        archive.writestr(name, writer(KEYS, MATRIX))
        archive.writestr("README.txt", b"two vector files\n")
    assert detect_format(path, member=name) == fmt
    result = read_vectors(path, Vocab(KEYS), member=name)
    assert result.format == fmt and np.array_equal(result.vectors.vectors, MATRIX)
    small = read_vectors(path, Vocab(KEYS), member=f"small/{name}")
    assert np.array_equal(small.vectors.vectors, other)


def test_zip_with_several_members_and_no_member_suggests_member(tmp_path: Path) -> None:
    path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("glove.50d.txt", glove_bytes(KEYS, MATRIX))
        archive.writestr("glove.100d.txt", glove_bytes(KEYS, MATRIX))
    message = _format_error(path)
    assert "--member" in message and "glove.50d.txt" in message and "glove.100d.txt" in message
    with pytest.raises(VectorsFormatError, match="--member"):
        detect_format(path)


def test_zip_member_that_does_not_exist(tmp_path: Path) -> None:
    path = compress(tmp_path / "glove.txt", glove_bytes(KEYS, MATRIX), "zip")
    message = _format_error(path, member="glove.300d.txt")
    assert "'glove.300d.txt'" in message and "glove.txt" in message


# --- detection and format= ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (b"the 0.1 0.2\n", "glove"),
        (b"\xef\xbb\xbfthe 0.1 0.2\n", "glove"),
        (b"2017 0.5 0.25\n", "glove"),  # a numeric first token is no header
        (b"1 2\nthe 0.1 0.2\n", "word2vec"),
        (b"1 2\r\nthe 0.1 0.2\r\n", "word2vec"),
        (b"\xef\xbb\xbf1 2\nthe 0.1 0.2\n", "word2vec"),
        (b"  1   2  \nthe 0.1 0.2\n", "word2vec"),
        (b"1 2\nthe \x00\x00\x00\x00\x00\x00\x80\x3f", "word2vec-binary"),
    ],
)
def test_detect_format(tmp_path: Path, data: bytes, fmt: str) -> None:
    assert detect_format(_write(tmp_path / "vectors.dat", data)) == fmt


def test_detect_format_looks_at_the_name_inside_compression(tmp_path: Path) -> None:
    # Text bytes under a .bin name: the name decides for binary, gz or not.
    data = word2vec_text_bytes(KEYS, MATRIX)
    assert detect_format(compress(tmp_path / "v.bin", data, "gz")) == "word2vec-binary"
    assert detect_format(compress(tmp_path / "v.txt", data, "gz")) == "word2vec"


def test_format_overrides_detection(tmp_path: Path) -> None:
    # A word2vec text file under a .bin name is detected as binary; format= reads it as text.
    path = _write(tmp_path / "model.bin", word2vec_text_bytes(KEYS, MATRIX))
    assert detect_format(path) == "word2vec-binary"
    result = read_vectors(path, Vocab(KEYS), format="word2vec")
    assert result.format == "word2vec" and np.array_equal(result.vectors.vectors, MATRIX)


def test_word2vec_text_read_as_glove_takes_the_header_for_a_row(tmp_path: Path) -> None:
    path = _write(tmp_path / "w.txt", word2vec_text_bytes(KEYS, MATRIX))
    result = read_vectors(path, Vocab(KEYS), format="glove")
    assert result.format == "glove" and result.stats.header_rows is None
    assert result.stats.rows_read == 6  # the "5 5" line counts as a row
    assert np.array_equal(result.vectors.vectors, MATRIX)


def test_glove_read_as_word2vec_says_there_is_no_header(tmp_path: Path) -> None:
    path = _write(tmp_path / "g.txt", glove_bytes(KEYS, MATRIX))
    message = _format_error(path, KEYS, format="word2vec")
    assert "line 1" in message and "header" in message and "--format glove" in message
    message = _format_error(path, KEYS, format="word2vec-binary")
    assert "line 1" in message and "--format glove" in message


def test_unknown_format_lists_the_known_ones(tmp_path: Path) -> None:
    path = _write(tmp_path / "g.txt", glove_bytes(KEYS, MATRIX))
    with pytest.raises(VectorsFormatError) as info:
        read_vectors(path, Vocab(KEYS), format="csv")
    assert "'csv'" in str(info.value) and all(f in str(info.value) for f in FORMATS)


def test_missing_file(tmp_path: Path) -> None:
    message = _format_error(tmp_path / "nope.txt")
    assert "does not exist" in message
    with pytest.raises(InputError):  # the CLI catches InputError
        read_vectors(tmp_path / "nope.txt", _vocab("a"))


def test_detect_word2vec_text_with_an_invalid_utf8_token(tmp_path: Path) -> None:
    path = _write(tmp_path / "w.vec", b"2 2\ncaf\xe9 0.5 0.25\nthe 1.5 2.5\n")
    assert detect_format(path) == "word2vec"


# --- equality with gensim -----------------------------------------------------------------------

_SYLLABLES = ["the", "a", "ka", "ri", "mo", "lé", "tor", "ß", "ün", "zi", "pa", "Ö", "do", "n"]


def _zipf_keys(rng: np.random.Generator, n: int) -> list[str]:
    """Distinct keys, short ones first like a frequency-sorted vocabulary, some in two cases."""
    keys: dict[str, None] = {}
    while len(keys) < n:
        size = min(int(rng.zipf(1.6)), 5)
        key = "".join(_SYLLABLES[int(i)] for i in rng.integers(0, len(_SYLLABLES), size))
        if rng.random() < 0.15:
            key = key.capitalize() if rng.random() < 0.5 else key.upper()
        keys.setdefault(key, None)
    return list(keys)


@pytest.fixture(scope="module")
def big_vectors() -> tuple[list[str], np.ndarray, list[str]]:
    """3000 keys x 25 dims of float32 across many exponents, and a 500-token vocabulary."""
    rng = np.random.default_rng(12)
    keys = _zipf_keys(rng, 3000)
    scale = np.float32(10.0) ** rng.integers(-6, 6, size=(3000, 25)).astype(np.float32)
    matrix = (rng.standard_normal((3000, 25)).astype(np.float32) * scale).astype(np.float32)
    present = set(keys)
    lowers = {k.lower() for k in keys}
    picked = [keys[int(i)] for i in rng.choice(3000, 360, replace=False)]
    by_case = [k.upper() for k in keys if k.upper() not in present and k.upper().lower() in lowers]
    by_case = by_case[:80] + [k.title() for k in keys if k.title() not in present][:10]
    absent = [f"zz{i}q" for i in range(60)]
    vocab = list(dict.fromkeys(picked + by_case + absent))
    assert all(t.lower() in lowers for t in by_case)
    assert 480 <= len(vocab) <= 520
    return keys, matrix, vocab


def _gensim_load(path: Path, binary: bool, header: bool = True) -> KeyedVectors:
    """gensim's reading of ``path``; its no_header path leaves a file open, which is ignored."""
    if header:
        return KeyedVectors.load_word2vec_format(str(path), binary=binary)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        kv = KeyedVectors.load_word2vec_format(str(path), binary=binary, no_header=True)
        gc.collect()
    return kv


def _check_against_gensim(
    result: ReadResult, kv: KeyedVectors, file_keys: list[str], vocab: list[str], lowercase: bool
) -> tuple[int, int]:
    """Compare with gensim's rows; return how many tokens matched exactly and up to case."""
    wanted_lower = {t.lower() for t in vocab}
    kept = result.vectors.keys
    assert len(kept) == len(set(kept))
    assert all(k in vocab or (lowercase and k.lower() in wanted_lower) for k in kept)
    first_by_lower: dict[str, str] = {}
    for key in file_keys:
        first_by_lower.setdefault(key.lower(), key)
    exact = lower = 0
    for token in vocab:
        if token in kv.key_to_index:
            exact += 1
            assert np.array_equal(_row(result, token), kv[token])
        elif lowercase and token.lower() in first_by_lower:
            lower += 1
            row = result.vectors.row_lower(token)
            assert row is not None
            assert result.vectors.keys[row] == first_by_lower[token.lower()]
            assert np.array_equal(result.vectors.vectors[row], kv[result.vectors.keys[row]])
        else:
            assert result.vectors.row(token) is None
            assert not lowercase or result.vectors.row_lower(token) is None
    for key in kept:  # every kept row, not only the ones align will pick
        assert np.array_equal(_row(result, key), kv[key])
    return exact, lower


@pytest.mark.parametrize("lowercase", [True, False])
@pytest.mark.parametrize(
    ("name", "binary", "header"),
    [("big.txt", False, True), ("big.bin", True, True), ("big.glove.txt", False, False)],
)
def test_rows_equal_gensim_on_a_big_random_file(
    tmp_path: Path,
    big_vectors: tuple[list[str], np.ndarray, list[str]],
    name: str,
    binary: bool,
    header: bool,
    lowercase: bool,
) -> None:
    keys, matrix, vocab = big_vectors
    written = KeyedVectors(vector_size=25)
    written.add_vectors(keys, matrix)
    path = tmp_path / name
    written.save_word2vec_format(str(path), binary=binary, write_header=header)
    kv = _gensim_load(path, binary, header)
    assert kv.index_to_key == keys

    result = read_vectors(path, Vocab(vocab), lowercase=lowercase)
    expected_format = "word2vec-binary" if binary else "word2vec" if header else "glove"
    assert result.format == expected_format and result.dim == 25
    assert result.stats.rows_read == 3000
    assert result.stats.header_rows == (3000 if header else None)
    assert not result.stats.header_mismatch
    exact, lower = _check_against_gensim(result, kv, keys, vocab, lowercase)
    assert exact >= 350 and (lower >= 80 if lowercase else lower == 0)


@pytest.mark.parametrize("binary", [False, True])
def test_rows_equal_gensim_on_a_gzipped_file(
    tmp_path: Path, big_vectors: tuple[list[str], np.ndarray, list[str]], binary: bool
) -> None:
    keys, matrix, vocab = big_vectors
    written = KeyedVectors(vector_size=25)
    written.add_vectors(keys[:500], matrix[:500])
    path = tmp_path / ("small.bin.gz" if binary else "small.txt.gz")
    written.save_word2vec_format(str(path), binary=binary)  # gensim compresses by the suffix
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    kv = _gensim_load(path, binary)
    result = read_vectors(path, Vocab(vocab))
    assert result.stats.rows_read == 500
    found = _check_against_gensim(result, kv, keys[:500], vocab, lowercase=True)
    assert found[0] > 20


def test_hand_written_quirky_file_equals_gensim(tmp_path: Path) -> None:
    # CRLF, a trailing space per line (as the C tool writes), a missing final newline.
    data = b"3 2\r\nthe 0.1 -0.2 \r\nGuitar 1e-05 3.5 \r\npiano 7 -0.0"
    path = _write(tmp_path / "q.vec", data)
    kv = _gensim_load(path, binary=False)
    result = _read(path, "the", "Guitar", "piano")
    assert result.vectors.keys == kv.index_to_key
    for key in kv.index_to_key:
        assert np.array_equal(_row(result, key), kv[key])


# --- filtering ----------------------------------------------------------------------------------

_CASES = b"the 0.5 1.5\nThe 2.5 3.5\nGuitar 4.5 5.5\npiano 6.5 7.5\ndrum 8.5 9.5\n"


def test_keeps_exact_and_case_insensitive_rows_only(tmp_path: Path) -> None:
    path = _write(tmp_path / "g.txt", _CASES)
    result = _read(path, "The", "guitar", "PIANO", "absent")
    assert result.vectors.keys == ["the", "The", "Guitar", "piano"]
    assert np.array_equal(_row(result, "Guitar"), np.array([4.5, 5.5], dtype=np.float32))
    assert result.stats.rows_read == 5 and result.stats.rows_kept == 4
    kinds = align(Vocab(["The", "guitar", "PIANO", "absent"]), result.vectors).kinds
    assert kinds == ["pad", "special", "exact", "lowercase", "lowercase", "fill"]


def test_lowercase_false_keeps_exact_rows_only(tmp_path: Path) -> None:
    path = _write(tmp_path / "g.txt", _CASES)
    result = _read(path, "The", "guitar", "PIANO", lowercase=False)
    assert result.vectors.keys == ["The"]
    assert np.array_equal(_row(result, "The"), np.array([2.5, 3.5], dtype=np.float32))
    assert result.stats.rows_read == 5 and result.stats.rows_kept == 1


def test_specials_are_not_looked_up(tmp_path: Path) -> None:
    path = _write(tmp_path / "g.txt", b"<unk> 1 2\n<pad> 3 4\nthe 5 6\n")
    assert _read(path, "the").vectors.keys == ["the"]


def test_duplicates_first_row_wins(tmp_path: Path) -> None:
    path = _write(tmp_path / "g.txt", b"a 1 2\nb 3 4\na 5 6\nc 0 0\na 7 8\n")
    result = _read(path, "a", "b")
    assert result.vectors.keys == ["a", "b"]
    assert np.array_equal(_row(result, "a"), np.array([1, 2], dtype=np.float32))
    assert result.stats.duplicates == 2 and result.stats.rows_read == 5


def test_duplicates_in_a_binary_file(tmp_path: Path) -> None:
    keys = ["a", "b", "a"]
    matrix = np.array([[1, 2], [3, 4], [5, 6]], dtype=np.float32)
    result = _read(_write(tmp_path / "d.bin", word2vec_binary_bytes(keys, matrix)), "a")
    assert result.vectors.keys == ["a"] and result.stats.duplicates == 1
    assert np.array_equal(_row(result, "a"), matrix[0])


def test_duplicates_of_a_case_only_match_are_counted(tmp_path: Path) -> None:
    result = _read(_write(tmp_path / "g.txt", b"The 1 2\nThe 3 4\n"), "the")
    assert result.vectors.keys == ["The"]
    assert np.array_equal(_row(result, "The"), np.array([1, 2], dtype=np.float32))
    assert result.stats.duplicates == 1


@pytest.mark.parametrize(("file_key", "token"), [("élan", "Élan"), ("ÉLAN", "élan")])
def test_non_ascii_case_match(tmp_path: Path, file_key: str, token: str) -> None:
    path = _write(tmp_path / "g.txt", f"other 0 0\n{file_key} 0.25 -0.75\n")
    result = _read(path, token)
    assert result.vectors.keys == [file_key]
    assert align(Vocab([token]), result.vectors).kinds[2] == "lowercase"
    assert _read(path, token, lowercase=False).vectors.keys == []


def test_non_ascii_case_match_in_a_binary_file(tmp_path: Path) -> None:
    matrix = np.array([[0.25, -0.75]], dtype=np.float32)
    result = _read(_write(tmp_path / "b.bin", word2vec_binary_bytes(["Élan"], matrix)), "élan")
    assert result.vectors.keys == ["Élan"] and np.array_equal(result.vectors.vectors, matrix)


# --- quirks -------------------------------------------------------------------------------------


def test_token_with_spaces_is_all_but_the_last_d_fields(tmp_path: Path) -> None:
    # glove.840B holds rows such as "at name@domain.com 0.1 0.2 0.3".
    data = b"at 0.5 0.25 0.125\nat name@domain.com 1.5 2.5 3.5\n. . . 4 5 6\n"
    result = _read(_write(tmp_path / "g.txt", data), "at", "at name@domain.com")
    assert result.dim == 3
    assert result.vectors.keys == ["at", "at name@domain.com"]
    assert np.array_equal(_row(result, "at name@domain.com"), np.array([1.5, 2.5, 3.5], "f4"))
    assert np.array_equal(_row(result, "at"), np.array([0.5, 0.25, 0.125], "f4"))
    assert result.stats.spaced_tokens == 1 and result.stats.rows_read == 3


def test_token_with_spaces_is_found_on_its_own(tmp_path: Path) -> None:
    data = b"at 0.5 0.25 0.125\nat name@domain.com 1.5 2.5 3.5\n. . . 4 5 6\n"
    result = _read(_write(tmp_path / "g.txt", data), "at name@domain.com", ". . .")
    assert result.vectors.keys == ["at name@domain.com", ". . ."]
    assert result.stats.spaced_tokens == 2


@pytest.mark.parametrize(("header", "rows"), [(5, 2), (1, 2)])
def test_header_row_count_disagreeing_with_the_file(tmp_path: Path, header: int, rows: int) -> None:
    data = f"{header} 5\n{_rows(KEYS[:rows], MATRIX[:rows])}".encode()
    for path in (_write(tmp_path / "w.txt", data), _write(tmp_path / "cc.en.vec", data)):
        result = _read(path, *KEYS)
        assert result.stats.header_rows == header and result.stats.rows_read == rows
        assert result.stats.header_mismatch
        assert np.array_equal(result.vectors.vectors, MATRIX[:rows])


def test_header_row_count_disagreeing_in_a_binary_file(tmp_path: Path) -> None:
    data = word2vec_binary_bytes(KEYS, MATRIX).replace(b"5 5\n", b"9 5\n", 1)
    result = _read(_write(tmp_path / "b.bin", data), *KEYS)
    assert (result.stats.header_rows, result.stats.rows_read) == (9, 5)
    assert result.stats.header_mismatch and np.array_equal(result.vectors.vectors, MATRIX)


def test_trailing_blank_line_is_not_a_row(tmp_path: Path) -> None:
    path = _write(tmp_path / "w.txt", word2vec_text_bytes(KEYS, MATRIX) + b"\n")
    result = _read(path, *KEYS)
    assert np.array_equal(result.vectors.vectors, MATRIX)
    assert result.stats.rows_read == 5 and not result.stats.header_mismatch


@pytest.mark.parametrize("writer", [glove_bytes, word2vec_text_bytes])
def test_crlf_line_ends(tmp_path: Path, writer: Writer) -> None:
    data = writer(KEYS, MATRIX).replace(b"\n", b"\r\n")
    result = _read(_write(tmp_path / "crlf.txt", data), *KEYS)
    assert result.stats.crlf and result.dim == 5
    assert result.vectors.keys == KEYS and np.array_equal(result.vectors.vectors, MATRIX)
    plain = _read(_write(tmp_path / "lf.txt", writer(KEYS, MATRIX)), *KEYS)
    assert not plain.stats.crlf


def test_crlf_only_on_a_later_line_is_noticed(tmp_path: Path) -> None:
    result = _read(_write(tmp_path / "g.txt", b"a 0.5 1\nb 2 3\r\n"), "a", "b")
    assert result.stats.crlf and np.array_equal(_row(result, "b"), np.array([2, 3], "f4"))


@pytest.mark.parametrize("writer", [glove_bytes, word2vec_text_bytes])
def test_utf8_bom(tmp_path: Path, writer: Writer) -> None:
    data = b"\xef\xbb\xbf" + writer(KEYS, MATRIX)
    path = _write(tmp_path / "bom.txt", data)
    result = _read(path, *KEYS)
    assert result.stats.bom
    assert result.vectors.keys[0] == "the" and np.array_equal(result.vectors.vectors, MATRIX)
    assert not _read(_write(tmp_path / "plain.txt", data[3:]), *KEYS).stats.bom


@pytest.mark.parametrize("fmt", ["glove", "word2vec"])
def test_invalid_utf8_in_a_token_is_replaced_and_counted(tmp_path: Path, fmt: str) -> None:
    rows = b"caf\xe9 0.5 0.25\nthe 1.5 2.5\n"
    data = rows if fmt == "glove" else b"2 2\n" + rows
    result = _read(_write(tmp_path / "latin1.txt", data), "caf\ufffd", "the", format=fmt)
    assert result.vectors.keys == ["caf\ufffd", "the"]
    assert result.stats.invalid_utf8 == 1
    assert np.array_equal(result.vectors.vectors, np.array([[0.5, 0.25], [1.5, 2.5]], "f4"))


def test_invalid_utf8_in_a_binary_token(tmp_path: Path) -> None:
    matrix = np.array([[0.5, 0.25]], dtype=np.float32)
    data = b"1 2\ncaf\xe9 " + matrix.astype("<f4").tobytes()
    result = _read(_write(tmp_path / "b.bin", data), "caf\ufffd")
    assert result.vectors.keys == ["caf\ufffd"] and result.stats.invalid_utf8 == 1
    assert np.array_equal(result.vectors.vectors, matrix)


def test_nonfinite_rows_are_skipped_and_counted(tmp_path: Path) -> None:
    data = b"a nan 1\nb 1 inf\nc 0.1 2\nd -Inf 2\ne 3 NaN\nf 0.25 -0.5\n"
    result = _read(_write(tmp_path / "g.txt", data), *"abcdef")
    assert result.vectors.keys == ["c", "f"]
    assert result.stats.nonfinite_rows == 4 and result.stats.rows_kept == 2
    assert np.array_equal(result.vectors.vectors, np.array([[0.1, 2], [0.25, -0.5]], "f4"))


def test_nonfinite_rows_in_a_binary_file(tmp_path: Path) -> None:
    matrix = np.array([[np.nan, 1], [2, 3], [np.inf, 0]], dtype=np.float32)
    result = _read(_write(tmp_path / "b.bin", word2vec_binary_bytes(KEYS[:3], matrix)), *KEYS)
    assert result.vectors.keys == [KEYS[1]] and result.stats.nonfinite_rows == 2
    assert np.array_equal(result.vectors.vectors, matrix[1:2])


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"a 1 2 3\nb 4 5 6\nc 7 8\nd 1 1 1\n", 3),  # glove
        (b"4 3\na 1 2 3\nb 4 5 6\nc 7 8\nd 1 1 1\n", 4),  # the header is line 1
    ],
)
def test_row_with_too_few_fields(tmp_path: Path, data: bytes, line: int) -> None:
    path = _write(tmp_path / "v.txt", data)
    message = _format_error(path, ["a", "c", "d"])
    assert f"line {line}:" in message and "expected 3 values" in message and "found 2" in message
    assert "--skip-bad-rows" in message
    result = _read(path, "a", "c", "d", skip_bad_rows=True)
    assert result.vectors.keys == ["a", "d"] and result.stats.bad_rows == 1
    assert np.array_equal(result.vectors.vectors, np.array([[1, 2, 3], [1, 1, 1]], "f4"))


def test_short_row_that_is_not_wanted_is_no_error(tmp_path: Path) -> None:
    result = _read(_write(tmp_path / "g.txt", b"a 1 2 3\nc 7 8\nd 1 1 1\n"), "a", "d")
    assert result.vectors.keys == ["a", "d"] and result.stats.bad_rows == 0


def test_token_without_values(tmp_path: Path) -> None:
    path = _write(tmp_path / "g.txt", b"a 1 2\nb 3 4\nlonely\nc 5 6\n")
    message = _format_error(path, ["a"])
    assert "line 3:" in message and "without values" in message and "--skip-bad-rows" in message
    result = _read(path, "a", "c", skip_bad_rows=True)
    assert result.vectors.keys == ["a", "c"] and result.stats.bad_rows == 1


@pytest.mark.parametrize("bad", [b"x", b"1.2.3", b"0x1p", b"NA", b"--1"])
def test_non_numeric_value(tmp_path: Path, bad: bytes) -> None:
    path = _write(tmp_path / "g.txt", b"a 1 2 3\nb 4 " + bad + b" 6\nc 0.5 0.25 0.125\n")
    message = _format_error(path)
    assert "line 2:" in message and "not a number" in message and "--skip-bad-rows" in message
    result = _read(path, "a", "b", "c", skip_bad_rows=True)
    assert result.vectors.keys == ["a", "c"] and result.stats.bad_rows == 1
    assert np.array_equal(result.vectors.vectors, np.array([[1, 2, 3], [0.5, 0.25, 0.125]], "f4"))


@pytest.mark.parametrize("data", [b"", b"\n\n  \n"])
@pytest.mark.parametrize("fmt", [None, "glove", "word2vec", "word2vec-binary"])
def test_empty_file(tmp_path: Path, data: bytes, fmt: str | None) -> None:
    path = _write(tmp_path / "empty.txt", data)
    assert "empty" in _format_error(path, format=fmt)


def test_empty_file_detection(tmp_path: Path) -> None:
    path = compress(tmp_path / "empty.txt", b"", "gz")
    with pytest.raises(VectorsFormatError, match="empty") as info:
        detect_format(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("writer", [glove_bytes, word2vec_text_bytes, word2vec_binary_bytes])
def test_dimension_other_than_dim(tmp_path: Path, writer: Writer) -> None:
    path = _write(tmp_path / "v.dat", writer(KEYS, MATRIX))
    message = _format_error(path, KEYS, dim=300)
    assert "line 1:" in message and "dimension 5" in message and "--dim is 300" in message
    assert np.array_equal(read_vectors(path, Vocab(KEYS), dim=5).vectors.vectors, MATRIX)


def test_header_dimension_other_than_dim_is_caught_before_the_rows(tmp_path: Path) -> None:
    # The header says 4 while the rows hold 5 values: with dim=5 the header is the culprit.
    path = _write(tmp_path / "w.txt", b"5 4\n" + glove_bytes(KEYS, MATRIX))
    message = _format_error(path, KEYS, dim=5)
    assert "line 1:" in message and "header says dimension 4" in message and "--dim" in message


def test_glove_dimension_is_the_most_common_row_length(tmp_path: Path) -> None:
    # One short row among the first lines must not decide the dimension.
    path = _write(tmp_path / "g.txt", b"a 1 2\n" + glove_bytes(KEYS, MATRIX))
    result = _read(path, *KEYS)
    assert result.dim == 5 and np.array_equal(result.vectors.vectors, MATRIX)


def test_truncated_binary(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.bin", word2vec_binary_bytes(KEYS, MATRIX)[:-7])
    message = _format_error(path, KEYS)
    assert "truncated" in message and "row 5" in message and "--skip-bad-rows" in message
    result = _read(path, *KEYS, skip_bad_rows=True)
    assert result.vectors.keys == KEYS[:4] and result.stats.bad_rows == 1
    assert np.array_equal(result.vectors.vectors, MATRIX[:4])


def test_truncated_binary_inside_gzip(tmp_path: Path) -> None:
    path = compress(tmp_path / "t.bin", word2vec_binary_bytes(KEYS, MATRIX)[:-3], "gz")
    assert "truncated" in _format_error(path, KEYS)


@pytest.mark.parametrize("writer", [glove_bytes, word2vec_text_bytes])
def test_last_line_without_newline(tmp_path: Path, writer: Writer) -> None:
    data = writer(KEYS, MATRIX).rstrip(b"\n")
    result = _read(_write(tmp_path / "v.txt", data), *KEYS)
    assert result.vectors.keys == KEYS and np.array_equal(result.vectors.vectors, MATRIX)
    assert result.stats.rows_read == 5


def _chunky_file(tmp_path: Path, fmt: str) -> tuple[Path, list[str]]:
    """Rows of uneven length, wanted and unwanted, a duplicate, a non-ASCII key."""
    rng = random.Random(3)
    # GloVe's dimension is inferred from the first chunk's lines: keep a few lines in 64 bytes.
    glove = fmt == "glove"
    longest, dim = (2, 3) if glove else (9, 6)
    keys = [f"{'é' if i % 7 == 0 else 'w'}{'x' * rng.randint(0, longest)}{i}" for i in range(120)]
    keys[50] = keys[10]
    choices = [0.5, -1.25, 3.0, 0.125] if glove else [0.5, -1.25, 3.0, 0.1, 1e-20]
    matrix = np.array([[rng.choice(choices) for _ in range(dim)] for _ in keys], "f4")
    writer = {
        "glove": glove_bytes,
        "word2vec": word2vec_text_bytes,
        "word2vec-binary": word2vec_binary_bytes,
    }[fmt]
    wanted = [k.upper() if i % 3 else k for i, k in enumerate(keys[::2]) if i != 25]
    return _write(tmp_path / f"chunky.{fmt}", writer(keys, matrix)), wanted


@pytest.mark.parametrize(
    ("fmt", "chunks"),
    [("glove", [64, 97]), ("word2vec", [16, 64, 65]), ("word2vec-binary", [16, 64, 100])],
)
def test_rows_spanning_the_chunk_boundary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, chunks: list[int]
) -> None:
    path, wanted = _chunky_file(tmp_path, fmt)
    for data in (path.read_bytes(), path.read_bytes().rstrip(b"\n")):
        _write(path, data)
        whole = read_vectors(path, Vocab(wanted), format=fmt)
        assert whole.stats.rows_read == 120 and whole.stats.duplicates == 1
        assert len(whole.vectors) > 40
        for chunk in chunks:
            monkeypatch.setattr(readers, "CHUNK", chunk)
            small = read_vectors(path, Vocab(wanted), format=fmt)
            assert small.vectors.keys == whole.vectors.keys
            assert np.array_equal(small.vectors.vectors, whole.vectors.vectors)
            assert small.stats == whole.stats
            monkeypatch.undo()


def test_bad_row_line_number_is_right_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [f"k{i} 0.5 0.25 0.125" for i in range(100)]
    lines[77] = "k77 0.5 0.25"
    path = _write(tmp_path / "g.txt", "\n".join(lines) + "\n")
    monkeypatch.setattr(readers, "CHUNK", 50)
    assert "line 78:" in _format_error(path, ["k77"])


# --- progress -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "writer"),
    [
        ("p.txt", glove_bytes),
        ("p.vec", word2vec_text_bytes),
        ("p.bin", word2vec_binary_bytes),
    ],
)
def test_progress_counts_the_bytes_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, writer: Writer
) -> None:
    keys = [f"k{i}" for i in range(400)]
    matrix = np.full((400, 5), 0.5, dtype=np.float32)
    path = _write(tmp_path / name, writer(keys, matrix))
    monkeypatch.setattr(readers, "CHUNK", 1000)
    progress = RecordingProgress()
    read_vectors(path, _vocab("k3"), progress=progress)
    [(description, total, unit, bar)] = progress.bars
    size = path.stat().st_size
    assert name in description and total == size and unit == "B"
    assert sum(bar.updates) == size and len(bar.updates) > 5
    assert all(n >= 0 for n in bar.updates)


def test_progress_on_a_gzip_file_counts_compressed_bytes(tmp_path: Path) -> None:
    data = glove_bytes([f"k{i}" for i in range(300)], np.full((300, 5), 0.5, "f4"))
    path = compress(tmp_path / "p.txt", data, "gz")
    progress = RecordingProgress()
    read_vectors(path, _vocab("k3"), progress=progress)
    [(_, total, _, bar)] = progress.bars
    assert total == sum(bar.updates) == path.stat().st_size < len(data)


def test_progress_on_a_zip_file_reaches_its_total(tmp_path: Path) -> None:
    data = glove_bytes([f"k{i}" for i in range(300)], np.full((300, 5), 0.5, "f4"))
    path = compress(tmp_path / "p.txt", data, "zip")
    progress = RecordingProgress()
    read_vectors(path, _vocab("k3"), progress=progress)
    [(_, total, _, bar)] = progress.bars
    assert sum(bar.updates) == total == path.stat().st_size


# --- fastText .bin ------------------------------------------------------------------------------

_FT_WORDS = ["guitar", "piano", "drums", "melody", "song", "football", "goal", "team", "the"]
_FT_WORDS += ["Élan", "coach"]


@pytest.fixture(scope="module")
def fasttext_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny fastText model saved in Facebook's .bin format."""
    rng = random.Random(5)
    sentences = [[rng.choice(_FT_WORDS) for _ in range(6)] for _ in range(300)]
    model = FastText(
        vector_size=8, min_count=1, bucket=2000, min_n=3, max_n=4, epochs=2, seed=1, workers=1
    )
    model.build_vocab(sentences)
    model.train(sentences, total_examples=len(sentences), epochs=2)
    path = tmp_path_factory.mktemp("fasttext") / "tiny.bin"
    save_facebook_model(model, str(path))
    return path


def test_fasttext_bin_is_detected_by_its_magic_number(tmp_path: Path, fasttext_bin: Path) -> None:
    assert detect_format(fasttext_bin) == "fasttext-bin"
    renamed = _write(tmp_path / "model.dat", fasttext_bin.read_bytes())
    assert detect_format(renamed) == "fasttext-bin"


def test_fasttext_bin_table_rows_equal_gensim(fasttext_bin: Path) -> None:
    wv = load_facebook_vectors(str(fasttext_bin))
    result = _read(fasttext_bin, "guitar", "The", "élan", "piano")
    assert result.format == "fasttext-bin" and result.dim == 8
    assert result.vectors.keys == ["guitar", "the", "Élan", "piano"]
    for key in result.vectors.keys:
        assert np.array_equal(_row(result, key), wv[key])
    assert result.stats.rows_read == len(wv.key_to_index) and result.stats.subword_rows == 0


def test_fasttext_bin_composes_subword_rows_for_missing_words(fasttext_bin: Path) -> None:
    wv = load_facebook_vectors(str(fasttext_bin))
    vocab = Vocab(["guitars", "guitar", "footbal", "zq"])
    result = read_vectors(fasttext_bin, vocab)
    assert result.vectors.n_subword == 3 and result.stats.subword_rows == 3
    assert result.vectors.row("guitars") is None  # only row_subword finds them
    for token in ("guitars", "footbal", "zq"):
        row = result.vectors.row_subword(token)
        assert row is not None
        assert np.array_equal(result.vectors.vectors[row], wv[token])
    assert not np.array_equal(wv["guitars"], np.zeros(8, "f4"))
    kinds = align(vocab, result.vectors).kinds
    assert kinds == ["pad", "special", "subword", "exact", "subword", "subword"]


def test_fasttext_bin_without_lowercase_composes_case_variants(fasttext_bin: Path) -> None:
    wv = load_facebook_vectors(str(fasttext_bin))
    result = _read(fasttext_bin, "The", lowercase=False)
    assert result.vectors.keys == ["The"] and result.vectors.n_subword == 1
    assert np.array_equal(result.vectors.vectors[0], wv["The"])
    assert align(Vocab(["The"]), result.vectors).kinds[2] == "subword"


def test_fasttext_bin_dimension_other_than_dim(fasttext_bin: Path) -> None:
    message = _format_error(fasttext_bin, dim=300)
    assert "dimension 8" in message and "--dim is 300" in message


def test_garbage_fasttext_bin(tmp_path: Path) -> None:
    path = _write(tmp_path / "garbage.bin", bytes(range(256)) * 8)
    assert "fastText" in _format_error(path, format="fasttext-bin")


@pytest.mark.parametrize("cut", [12, 60, 200, 2000, -1000])
def test_truncated_fasttext_bin(tmp_path: Path, fasttext_bin: Path, cut: int) -> None:
    # Cut in the header, in the word list (where gensim alone would loop forever), in the matrix.
    path = _write(tmp_path / "cut.bin", fasttext_bin.read_bytes()[:cut])
    assert detect_format(path) == "fasttext-bin"
    message = _format_error(path)
    assert "truncated" in message or "not a readable fastText" in message


def test_fasttext_bin_with_a_wrong_magic_number(tmp_path: Path, fasttext_bin: Path) -> None:
    path = _write(tmp_path / "m.bin", b"\x00\x00\x00\x00" + fasttext_bin.read_bytes()[4:])
    with pytest.raises(VectorsFormatError, match="is binary"):
        detect_format(path)  # not a fastText model, and not text either
    assert "magic" in _format_error(path, format="fasttext-bin")


@pytest.mark.parametrize("kind", ["gz", "zip"])
def test_compressed_fasttext_bin_is_extracted_into_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fasttext_bin: Path, kind: str
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("ALIGNER_CACHE", str(cache))
    path = compress(tmp_path / "cc.bin", fasttext_bin.read_bytes(), kind)
    assert detect_format(path) == "fasttext-bin"
    plain = _read(fasttext_bin, "guitar", "guitars")
    for _ in range(2):  # the second read reuses the extracted copy
        result = _read(path, "guitar", "guitars")
        assert result.vectors.keys == plain.vectors.keys
        assert np.array_equal(result.vectors.vectors, plain.vectors.vectors)
    files = [p.name for p in cache.rglob("*") if p.is_file()]
    sidecars = (".lock", ".sha256")  # the cache entry's lock and checksum
    assert [name for name in files if not name.endswith(sidecars)] == ["cc.bin"]


def test_cache_argument_decides_where_a_compressed_model_is_extracted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fasttext_bin: Path
) -> None:
    monkeypatch.setenv("ALIGNER_CACHE", str(tmp_path / "env-cache"))
    path = compress(tmp_path / "cc.bin", fasttext_bin.read_bytes(), "gz")
    chosen = tmp_path / "chosen"
    read_vectors(path, _vocab("guitar"), cache=chosen)
    assert [p.name for p in chosen.rglob("cc.bin")] == ["cc.bin"]
    assert not (tmp_path / "env-cache").exists()


# --- batches of kept rows -----------------------------------------------------------------------


def test_rows_parsed_in_many_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [f"k{i} {i}.5 -{i}.25 0.125" for i in range(300)]
    lines[20] = "k20 nan 1 2"
    lines[150] = "k150 1 oops 2"
    lines[299] = "k299 1 2"
    path = _write(tmp_path / "g.txt", "\n".join(lines) + "\n")
    tokens = [f"k{i}" for i in range(0, 300, 2)] + ["k299"]
    whole = _read(path, *tokens, skip_bad_rows=True)
    assert whole.stats.bad_rows == 2 and whole.stats.nonfinite_rows == 1
    assert whole.vectors.keys == [t for t in tokens if t not in ("k20", "k150", "k299")]
    assert np.array_equal(_row(whole, "k298"), np.array([298.5, -298.25, 0.125], "f4"))
    for batch in (1, 50, 400):
        monkeypatch.setattr(readers, "BATCH", batch)
        monkeypatch.setattr(readers, "CHUNK", 333)
        small = _read(path, *tokens, skip_bad_rows=True)
        assert small.vectors.keys == whole.vectors.keys and small.stats == whole.stats
        assert np.array_equal(small.vectors.vectors, whole.vectors.vectors)
        assert "line 151:" in _format_error(path, tokens)
        monkeypatch.undo()


def test_fasttext_bin_table_rows_through_the_accents_fold(fasttext_bin: Path) -> None:
    wv = load_facebook_vectors(str(fasttext_bin))
    vocab = Vocab(["elan", "guitar"])
    result = read_vectors(fasttext_bin, vocab)
    assert result.vectors.keys == ["Élan", "guitar"] and result.vectors.n_subword == 0
    assert np.array_equal(_row(result, "Élan"), wv["Élan"])
    assert align(vocab, result.vectors).kinds[2:] == ["accents", "exact"]
    chain = ("exact", "lowercase", "subword")
    without = read_vectors(fasttext_bin, vocab, fallbacks=chain)
    assert without.vectors.keys == ["guitar", "elan"] and without.vectors.n_subword == 1
    assert align(vocab, without.vectors, fallbacks=chain).kinds[2:] == ["subword", "exact"]
    bare = read_vectors(fasttext_bin, vocab, fallbacks=("exact",))
    assert bare.vectors.keys == ["guitar"] and bare.stats.subword_rows == 0
