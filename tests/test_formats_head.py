"""``read_vectors`` without a vocabulary: the first rows of a vectors file, in every format."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from aligner.errors import InputError, VectorsFormatError
from aligner.export import write_vectors
from aligner.pretrained.formats import read_vectors
from aligner.vectors import WordVectors
from aligner.vocab import Vocab


def sample(rows: int = 30, dim: int = 5) -> WordVectors:
    rng = np.random.default_rng(0)
    return WordVectors([f"w{i}" for i in range(rows)], rng.normal(size=(rows, dim)))


@pytest.mark.parametrize("name", ["v.vec", "v.txt.gz", "v.bin", "v.bin.gz"])
def test_first_rows_in_file_order(tmp_path: Path, name: str) -> None:
    vectors = sample()
    path = write_vectors(tmp_path / name, vectors)
    head = read_vectors(path, limit=7)
    assert head.vectors.keys == vectors.keys[:7]
    np.testing.assert_allclose(head.vectors.vectors, vectors.vectors[:7], rtol=1e-7)
    assert head.stats.rows_read == head.stats.rows_kept == 7
    whole = read_vectors(path)
    assert len(whole.vectors) == 30 and whole.stats.header_rows == 30
    # the same rows as the vocabulary-driven reader
    wanted = read_vectors(path, Vocab(vectors.keys[::3]), fallbacks=["exact"])
    picked = whole.vectors.vectors[[whole.vectors.row(k) for k in wanted.vectors.keys]]
    np.testing.assert_array_equal(picked, wanted.vectors.vectors)


def test_glove_text_with_bom_crlf_duplicates_and_spaced_tokens(tmp_path: Path) -> None:
    path = tmp_path / "g.txt"
    path.write_bytes(
        b"\xef\xbb\xbfthe 1 2\r\n, 3 4\r\nthe 5 6\r\n\r\nnew york 7 8\r\nlast 9 10\r\n"
    )
    head = read_vectors(path, limit=3)
    assert head.format == "glove" and head.dim == 2
    assert head.vectors.keys == ["the", ",", "new york"]
    assert head.vectors.vectors.tolist() == [[1, 2], [3, 4], [7, 8]]
    assert (head.stats.duplicates, head.stats.spaced_tokens, head.stats.bom, head.stats.crlf) == (
        1, 1, True, True,
    )  # fmt: skip


def test_bad_rows_name_their_line_or_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "g.txt"
    path.write_text("a 1 2\nb 3\nc x 4\nd 5 6\n")
    with pytest.raises(VectorsFormatError, match=r"g\.txt, line 2: expected 2 values"):
        read_vectors(path)
    assert read_vectors(path, limit=1).vectors.keys == ["a"]  # the bad rows lie past the limit
    skipped = read_vectors(path, skip_bad_rows=True)
    assert skipped.vectors.keys == ["a", "d"] and skipped.stats.bad_rows == 2
    path.write_text("a 1 2\nc x 4\n")
    with pytest.raises(VectorsFormatError, match=r"g\.txt, line 2: a value is not a number"):
        read_vectors(path)


def test_nonfinite_rows_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "g.txt"
    path.write_text("a 1 2\nb nan 3\nc 4 5\n")
    head = read_vectors(path)
    assert head.vectors.keys == ["a", "c"] and head.stats.nonfinite_rows == 1


def test_a_truncated_binary_file_is_an_error_only_when_reached(tmp_path: Path) -> None:
    path = write_vectors(tmp_path / "v.bin", sample(rows=5))
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(VectorsFormatError, match=r"v\.bin, row 5: the file ends inside a row"):
        read_vectors(path)
    assert len(read_vectors(path, limit=4).vectors) == 4
    assert read_vectors(path, skip_bad_rows=True).stats.bad_rows == 1


def test_wrong_arguments_and_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="at least 1"):
        read_vectors(tmp_path / "x.txt", limit=0)
    with pytest.raises(VectorsFormatError, match="does not exist"):
        read_vectors(tmp_path / "x.txt")
    empty = tmp_path / "e.vec.gz"
    empty.write_bytes(gzip.compress(b""))
    with pytest.raises(VectorsFormatError, match="is empty"):
        read_vectors(empty)
    header_only = tmp_path / "h.vec"
    header_only.write_text("no header here\n")
    with pytest.raises(VectorsFormatError, match="expected a 'rows dim' header"):
        read_vectors(header_only, format="word2vec")


def test_fasttext_bin_gives_its_word_table_in_order(tmp_path: Path) -> None:
    from gensim.models import FastText
    from gensim.models.fasttext import save_facebook_model

    sentences = [["guitar", "piano", "drums", "song"], ["goal", "team", "match", "song"]] * 30
    model = FastText(sentences, vector_size=8, min_count=1, epochs=2, workers=1, seed=1,
                     bucket=1000)  # fmt: skip
    path = tmp_path / "m.bin"
    save_facebook_model(model, str(path))
    head = read_vectors(path, limit=3)
    assert head.format == "fasttext-bin"
    assert head.vectors.keys == model.wv.index_to_key[:3]
    np.testing.assert_allclose(head.vectors.vectors, model.wv.vectors[:3], rtol=1e-6)


def test_a_spaced_token_in_the_first_glove_row_does_not_set_the_dimension(tmp_path: Path) -> None:
    # the commonest field count of the first rows is the dimension, as read_vectors decides
    path = tmp_path / "g.txt"
    path.write_text("new york 1 2\nthe 3 4\n, 5 6\nlast 7 8\n")
    head = read_vectors(path)
    assert head.dim == 2 and head.vectors.keys == ["new york", "the", ",", "last"]
    assert head.stats.spaced_tokens == 1
    whole = read_vectors(path, Vocab(["new york", "the", ",", "last"]), fallbacks=["exact"])
    assert whole.dim == head.dim
    np.testing.assert_array_equal(whole.vectors.vectors, head.vectors.vectors)


def test_an_empty_text_file_of_a_named_format(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text("\n\n")
    with pytest.raises(VectorsFormatError, match=r"blank\.txt is empty"):
        read_vectors(path, format="glove")
    path.write_text("a\nb\n")
    with pytest.raises(VectorsFormatError, match=r"blank\.txt, line 1: no values after the token"):
        read_vectors(path, format="glove")


def test_a_limit_needs_no_vocabulary_and_a_chain_needs_one(tmp_path: Path) -> None:
    path = write_vectors(tmp_path / "v.vec", sample())
    with pytest.raises(InputError, match="without a vocabulary"):
        read_vectors(path, Vocab(["w1"]), limit=3)
    with pytest.raises(InputError, match="choose rows for a vocabulary"):
        read_vectors(path, fallbacks=["exact"])
    with pytest.raises(InputError, match="choose rows for a vocabulary"):
        read_vectors(path, lowercase=True)


@pytest.mark.parametrize("name", ["v.vec", "v.bin"])
def test_the_limit_stops_inside_a_chunk_and_across_chunks(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aligner.pretrained.readers as readers

    vectors = sample(rows=200)
    path = write_vectors(tmp_path / name, vectors)
    for chunk in (300, 1 << 22):
        monkeypatch.setattr(readers, "CHUNK", chunk)
        for limit in (1, 57, 200, 500):
            head = read_vectors(path, limit=limit)
            kept = min(limit, 200)
            assert head.vectors.keys == vectors.keys[:kept]
            assert head.stats.rows_read == head.stats.rows_kept == kept


def test_a_wrong_header_count_is_reported_only_when_the_file_was_read_to_its_end(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v.vec"
    path.write_text("9 2\na 1 2\nb 3 4\nc 5 6\n")
    assert read_vectors(path).stats.header_mismatch
    assert not read_vectors(path, limit=2).stats.header_mismatch
