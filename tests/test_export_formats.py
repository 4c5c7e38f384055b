"""aligner.export.export: every format read back by the library that owns it, values exact."""

from __future__ import annotations

import gc
import json
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest

from aligner import build, load
from aligner.artifact import write_artifact
from aligner.errors import ArtifactError, InputError
from aligner.export import check_export, export, write_vectors
from aligner.export.formats import FOUND_KINDS
from aligner.export.keyed import select_rows
from aligner.pipeline import BuildConfig
from aligner.pretrained.formats import detect_format
from aligner.vectors import WordVectors
from aligner.vocab import Vocab


def found(art_path: Path) -> tuple[list[str], np.ndarray]:
    """The tokens and float32 rows an export leaves in by default (the found ones)."""
    art = load(art_path)
    rows = [i for i, kind in enumerate(art.provenance) if kind in FOUND_KINDS]
    assert 0 < len(rows) < len(art.vocab)  # the fixture has both kinds of row
    return [art.vocab.tokens[i] for i in rows], np.asarray(art.vectors[rows], np.float32)


@pytest.fixture(scope="module")
def half(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A float16 artifact built from pretrained vectors (some words found, some filled)."""
    root = tmp_path_factory.mktemp("half")
    rng = np.random.default_rng(3)
    words = ["guitar", "piano", "drums", "song"]
    write_vectors(root / "pre.txt", WordVectors(words, rng.standard_normal((4, 5), np.float32)))
    (root / "vocab.txt").write_text("guitar\npiano\nzorblax\nsong\n", encoding="utf-8")
    vocab = root / "vocab.txt"
    build(BuildConfig(out=root / "a", pretrained=root / "pre.txt", vocab=vocab, dtype="float16"))
    return root / "a"


@pytest.mark.parametrize(
    ("name", "to", "binary", "header"),
    [("v.txt", "word2vec", False, True), ("v.vec", None, False, True),
     ("v.bin", None, True, True), ("v.bin.bz2", None, True, True),
     ("v.txt", "glove", False, False), ("v.txt.xz", "glove", False, False),
     ("v.vec.gz", None, False, True)],
)  # fmt: skip
def test_tables_read_back_by_gensim_exactly(
    built: Path, tmp_path: Path, name: str, to: str | None, binary: bool, header: bool
) -> None:
    from gensim.models import KeyedVectors

    keys, matrix = found(built)
    result = export(built, tmp_path / name, to=to)
    assert result.files == (tmp_path / name,) and result.rows == len(keys)
    assert result.left_out == len(load(built).vocab) - len(keys)
    with warnings.catch_warnings():
        # gensim's reader of header-less files leaves a file open (gensim 4.4)
        warnings.simplefilter("ignore", ResourceWarning)
        kv = KeyedVectors.load_word2vec_format(
            str(tmp_path / name), binary=binary, no_header=not header
        )
        gc.collect()
    assert detect_format(tmp_path / name) == (to or ("word2vec-binary" if binary else "word2vec"))
    assert kv.index_to_key == keys
    assert np.array_equal(kv.vectors, matrix)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_include_filled_keeps_every_row_in_id_order(built: Path, tmp_path: Path) -> None:
    from gensim.models import KeyedVectors

    art = load(built)
    result = export(built, tmp_path / "all.vec", include_filled=True)
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "all.vec"))
    assert result.left_out == 0 and kv.index_to_key == art.vocab.tokens
    assert np.array_equal(kv.vectors, art.vectors)
    assert not np.any(kv["<pad>"]) and np.any(kv["zorblax"])  # pad is zero, fill is random


@pytest.mark.parametrize("include_filled", [False, True])
def test_gensim_keyed_vectors_load_memory_mapped(
    built: Path, tmp_path: Path, include_filled: bool
) -> None:
    from gensim.models import KeyedVectors

    art = load(built)
    keys, matrix = found(built)
    if include_filled:
        keys, matrix = art.vocab.tokens, np.asarray(art.vectors)
    result = export(built, tmp_path / "emb.kv", include_filled=include_filled)
    assert result.files == (tmp_path / "emb.kv.vectors.npy", tmp_path / "emb.kv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["emb.kv", "emb.kv.vectors.npy"]
    kv = KeyedVectors.load(str(tmp_path / "emb.kv"), mmap="r")
    assert isinstance(kv.vectors, np.memmap)
    assert kv.index_to_key == keys and kv.key_to_index == {k: i for i, k in enumerate(keys)}
    assert kv.vectors.dtype == np.float32 and np.array_equal(kv.vectors, matrix)
    if not include_filled:  # the all-zero pad row has no direction
        assert kv.most_similar("guitar", topn=1)[0][0] in keys


def test_safetensors_holds_every_row_and_the_vocabulary(built: Path, tmp_path: Path) -> None:
    from safetensors import safe_open
    from safetensors.numpy import load_file

    art = load(built)
    result = export(built, tmp_path / "emb.safetensors")
    assert (result.rows, result.left_out, result.dtype) == (len(art.vocab), 0, "float32")
    with safe_open(str(tmp_path / "emb.safetensors"), framework="np") as fh:
        assert list(fh.keys()) == ["weight"]
        meta = fh.metadata()
        weight = fh.get_tensor("weight")
    assert weight.dtype == np.float32 and np.array_equal(weight, art.vectors)
    assert np.array_equal(load_file(str(tmp_path / "emb.safetensors"))["weight"], art.vectors)
    assert json.loads(meta["vocab"]) == art.vocab.tokens
    assert json.loads(meta["provenance"]) == art.provenance
    assert json.loads(meta["tokenizer"]) == art.tokenizer.to_dict()
    assert (meta["pad_token"], meta["unk_token"], meta["format"]) == ("<pad>", "<unk>", "pt")
    assert meta["vectors_sha256"] == art.manifest["vectors"]["sha256"]
    raw = (tmp_path / "emb.safetensors").read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    assert length % 8 == 0 and len(raw) == 8 + length + art.vectors.nbytes


def test_float16_artifact_keeps_its_type_in_safetensors(half: Path, tmp_path: Path) -> None:
    from gensim.models import KeyedVectors
    from safetensors.numpy import load_file

    art = load(half)
    assert art.vectors.dtype == np.float16
    result = export(half, tmp_path / "h.safetensors")
    weight = load_file(str(tmp_path / "h.safetensors"))["weight"]
    assert result.dtype == "float16" and weight.dtype == np.float16
    assert np.array_equal(weight, art.vectors)
    export(half, tmp_path / "h.kv")
    export(half, tmp_path / "h.vec")
    rows = [i for i, kind in enumerate(art.provenance) if kind in FOUND_KINDS]
    expected = art.vectors[rows].astype(np.float32)
    assert np.array_equal(KeyedVectors.load(str(tmp_path / "h.kv")).vectors, expected)
    text = KeyedVectors.load_word2vec_format(str(tmp_path / "h.vec"))
    assert np.array_equal(text.vectors, expected)


def test_select_rows_copies_at_most_once() -> None:
    matrix = np.arange(12, dtype=np.float32).reshape(4, 3)
    assert select_rows(matrix, None) is matrix
    picked = select_rows(matrix, np.array([3, 1]))
    assert np.array_equal(picked, matrix[[3, 1]]) and not np.shares_memory(picked, matrix)
    widened = select_rows(matrix.astype(np.float16), None)
    assert widened.dtype == np.float32 and np.array_equal(widened, matrix)


@pytest.mark.parametrize(
    ("name", "to", "fmt", "compression"),
    [("a.vec", None, "word2vec", None), ("a.TXT.gz", "word2vec", "word2vec", ".gz"),
     ("a.txt.bz2", "glove", "glove", ".bz2"), ("a.bin.xz", None, "word2vec-binary", ".xz"),
     ("a.kv", None, "gensim", None), ("a.safetensors", None, "safetensors", None),
     ("tokenizer.json", None, "tokenizer.json", None)],
)  # fmt: skip
def test_check_export_reads_the_name(
    name: str, to: str | None, fmt: str, compression: str | None
) -> None:
    target = check_export(name, to=to)
    assert (target.format, target.compression) == (fmt, compression)
    assert target.include_filled == (fmt in ("safetensors", "tokenizer.json"))


@pytest.mark.parametrize(
    ("name", "to", "include_filled", "message"),
    [("a.txt", None, None, "may be word2vec text .* or GloVe text .*--to word2vec or --to glove"),
     ("a.npy", None, None, "its name says no export format"),
     ("a.bin", "gensim", None, "does not fit format gensim: name it NAME.kv,"),
     ("a.vec", "glove", None, "does not fit format glove: name it NAME.txt, optionally"),
     ("a.kv.gz", "gensim", None, "does not fit format gensim"),
     ("a.safetensors", None, False, "keeps every row under its id"),
     ("t.json", None, False, "keeps every row under its id"),
     ("a.vec", "fasttext", None, "unknown export format 'fasttext'")],
)  # fmt: skip
def test_check_export_refuses_names_and_options_that_do_not_fit(
    name: str, to: str | None, include_filled: bool | None, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        check_export(name, to=to, include_filled=include_filled)


def test_existing_outputs_need_force(built: Path, tmp_path: Path) -> None:
    from gensim.models import KeyedVectors

    (tmp_path / "e.kv.vectors.npy").write_bytes(b"old half")
    with pytest.raises(InputError, match=r"e\.kv\.vectors\.npy already exists; pass --force"):
        export(built, tmp_path / "e.kv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.kv.vectors.npy"]
    assert (tmp_path / "e.kv.vectors.npy").read_bytes() == b"old half"
    export(built, tmp_path / "e.kv", force=True)
    assert len(KeyedVectors.load(str(tmp_path / "e.kv"), mmap="r").index_to_key) > 0
    before = (tmp_path / "e.kv").read_bytes()
    with pytest.raises(InputError, match=r"e\.kv already exists"):
        export(built, tmp_path / "e.kv", include_filled=True)
    assert (tmp_path / "e.kv").read_bytes() == before


def test_a_token_a_table_cannot_hold_leaves_nothing(tmp_path: Path) -> None:
    vocab = Vocab(["guitar", "two words"])
    write_artifact(
        tmp_path / "a", np.ones((4, 3), np.float32), vocab, ["pad", "special"] + ["exact"] * 2
    )
    out = tmp_path / "out" / "v.vec"
    with pytest.raises(
        InputError, match=r"token 'two words' \(row 3\) is empty or holds whitespace"
    ):
        export(tmp_path / "a", out)
    assert not (tmp_path / "out").exists()  # the directory made for it is gone too
    export(tmp_path / "a", tmp_path / "v.kv")  # gensim keys may hold spaces
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "v.kv", "v.kv.vectors.npy"]


def test_no_found_row_is_an_error_unless_filled_rows_are_asked_for(tmp_path: Path) -> None:
    write_artifact(
        tmp_path / "a", np.ones((3, 2), np.float32), Vocab(["x"]), ["pad", "special", "fill"]
    )
    with pytest.raises(InputError, match="no row has a trained or pretrained vector"):
        export(tmp_path / "a", tmp_path / "v.vec")
    assert export(tmp_path / "a", tmp_path / "v.vec", include_filled=True).rows == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "v.vec"]


def test_not_an_artifact_is_refused_before_writing(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ArtifactError, match="is not an aligner artifact"):
        export(tmp_path / "empty", tmp_path / "v.kv")
    with pytest.raises(ArtifactError, match="does not exist"):
        export(tmp_path / "missing", tmp_path / "v.kv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]


def test_an_opened_artifact_is_exported_as_is(built: Path, tmp_path: Path) -> None:
    art = load(built)
    result = export(art, tmp_path / "t.json")
    document = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert result.rows == len(art.vocab) and list(document["model"]["vocab"]) == art.vocab.tokens
