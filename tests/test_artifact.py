"""The artifact directory: atomic writing, golden manifest layout, verified mmap loading."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aligner
from aligner.artifact import FORMAT_VERSION, load_manifest, write_artifact
from aligner.errors import ArtifactCorruptError, ArtifactError, ArtifactExistsError
from aligner.vocab import Vocab


def _write(out: Path, rows: int = 4, dim: int = 3, **kwargs: object) -> tuple[np.ndarray, Vocab]:
    vocab = Vocab([f"w{i}" for i in range(rows - 2)])
    matrix = np.arange(rows * dim, dtype=np.float32).reshape(rows, dim)
    kinds = ["pad", "special"] + ["exact"] * (rows - 2)
    write_artifact(out, matrix, vocab, kinds, **kwargs)  # type: ignore[arg-type]
    return matrix, vocab


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def _file(out: Path, section: str) -> Path:
    """The data file a section of the manifest names (content-addressed in format 2)."""
    return out / load_manifest(out)[section]["file"]


def _names(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir())


def test_round_trip_and_numpy_compatible_file(tmp_path: Path) -> None:
    matrix, vocab = _write(tmp_path / "a", sections={"metadata": {"note": "x"}})
    art = aligner.load(tmp_path / "a")
    assert np.array_equal(art.vectors, matrix)
    assert art.vocab == vocab and art.vocab["w1"] == 3 and art.vocab["nope"] == 1
    assert art.provenance == ["pad", "special", "exact", "exact"]
    assert art.manifest["metadata"] == {"note": "x"}
    plain = np.load(art.files["vectors"], mmap_mode="r")
    assert plain.dtype == np.dtype("<f4") and plain.flags.c_contiguous
    assert art.files["vocab"].read_text() == "<pad>\n<unk>\nw0\nw1\n"
    assert _names(tmp_path / "a") == sorted(
        ["manifest.json", art.files["vectors"].name, art.files["vocab"].name,
         art.files["provenance"].name]
    )  # fmt: skip


def test_manifest_layout_golden(tmp_path: Path) -> None:
    _write(tmp_path / "a", sections={"tokenizer": {"kind": "whitespace", "lowercase": False}})
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert list(manifest) == [
        "format_version",
        "aligner_version",
        "created",
        "vectors",
        "vocab",
        "provenance",
        "tokenizer",
    ]
    assert manifest["format_version"] == FORMAT_VERSION == 2
    sha = manifest["vectors"]["sha256"]
    assert len(sha) == 64
    assert manifest["vectors"] == {
        "file": f"vectors.{sha[:16]}.npy",
        "shape": [4, 3],
        "dtype": "<f4",
        "order": "C",
        "sha256": sha,
        "bytes": 128 + 4 * 3 * 4,
    }
    vocab = manifest["vocab"]
    assert vocab == {
        "file": f"vocab.{vocab['sha256'][:16]}.txt",
        "size": 4,
        "sha256": vocab["sha256"],
        "bytes": len("<pad>\n<unk>\nw0\nw1\n"),
        "pad": "<pad>",
        "unk": "<unk>",
        "pad_id": 0,
        "unk_id": 1,
    }
    provenance = manifest["provenance"]
    assert list(provenance) == ["file", "sha256", "bytes", "kinds"]
    assert provenance["file"] == f"provenance.{provenance['sha256'][:16]}.txt"
    assert provenance["kinds"] == {"pad": 1, "special": 1, "exact": 2}


def test_vectors_are_copy_on_write(tmp_path: Path) -> None:
    matrix, _ = _write(tmp_path / "a")
    art = aligner.load(tmp_path / "a")
    assert isinstance(art.vectors, np.memmap)
    art.vectors[2] = 99.0
    assert art.vectors[2, 0] == 99.0
    assert np.array_equal(aligner.load(tmp_path / "a").vectors, matrix)


def test_existing_output_needs_force(tmp_path: Path) -> None:
    _write(tmp_path / "a")
    before = _names(tmp_path / "a")
    with pytest.raises(ArtifactExistsError, match="--force"):
        _write(tmp_path / "a", rows=5)
    assert _names(tmp_path / "a") == before
    _write(tmp_path / "a", rows=5, force=True)
    art = aligner.load(tmp_path / "a")
    assert art.vectors.shape == (5, 3)
    assert _leftovers(tmp_path) == []
    # the old build's files are gone; only the manifest and what it names are left
    assert _names(tmp_path / "a") == sorted(
        ["manifest.json", *(p.name for p in art.files.values())]
    )


def test_force_never_replaces_a_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(ArtifactError, match="holds no aligner artifact"):
        _write(tmp_path / "mine", force=True)
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"


def test_failed_write_leaves_nothing_and_keeps_old_artifact(tmp_path: Path) -> None:
    _write(tmp_path / "a")
    before = _names(tmp_path / "a")
    bad = Vocab(["ok", "line\nbreak"])
    with pytest.raises(ArtifactError, match="line break"):
        write_artifact(tmp_path / "a", np.zeros((4, 3), np.float32), bad, ["x"] * 4, force=True)
    with pytest.raises(ArtifactError):
        write_artifact(tmp_path / "b", np.zeros((4, 3), np.float32), bad, ["x"] * 4)
    assert not (tmp_path / "b").exists()
    assert _names(tmp_path / "a") == before
    assert _leftovers(tmp_path) == []


def test_shape_mismatch_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="disagree"):
        write_artifact(tmp_path / "a", np.zeros((3, 2), np.float32), Vocab(["x", "y"]), ["x"] * 4)
    assert not (tmp_path / "a").exists()


def test_truncated_vectors_file_is_detected(tmp_path: Path) -> None:
    _write(tmp_path / "a")
    path = _file(tmp_path / "a", "vectors")
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.raises(
        ArtifactCorruptError, match=r"vectors\.[0-9a-f]{16}\.npy.*truncated.*rebuild"
    ):
        aligner.load(tmp_path / "a")
    with pytest.raises(ArtifactCorruptError, match="truncated"):
        aligner.load(tmp_path / "a", verify=False)


def test_edited_vectors_file_is_detected(tmp_path: Path) -> None:
    _write(tmp_path / "a")
    path = _file(tmp_path / "a", "vectors")
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactCorruptError, match="sha256"):
        aligner.load(tmp_path / "a")
    assert aligner.load(tmp_path / "a", verify=False).vectors.shape == (4, 3)


def test_edited_vocab_is_detected_even_without_verify(tmp_path: Path) -> None:
    _write(tmp_path / "a")
    _file(tmp_path / "a", "vocab").write_text("<pad>\n<unk>\nw0\nw9\n")
    with pytest.raises(ArtifactCorruptError, match=r"vocab\.[0-9a-f]{16}\.txt: sha256 differs"):
        aligner.load(tmp_path / "a", verify=False)


def test_not_an_artifact_and_newer_format(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="does not exist"):
        aligner.load(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ArtifactError, match=r"no manifest\.json"):
        aligner.load(tmp_path / "empty")
    _write(tmp_path / "a")
    manifest_path = tmp_path / "a" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="upgrade aligner"):
        aligner.load(tmp_path / "a")
    manifest_path.write_text("{not json")
    with pytest.raises(ArtifactCorruptError, match="not valid JSON"):
        aligner.load(tmp_path / "a")


tokens = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    words=st.lists(tokens, min_size=1, max_size=20, unique=True).filter(
        lambda ws: not {"<pad>", "<unk>"} & set(ws)
    ),
    dim=st.integers(1, 6),
    data=st.data(),
)
def test_write_load_round_trip_property(tmp_path: Path, words: list[str], dim: int, data) -> None:  # type: ignore[no-untyped-def]
    vocab = Vocab(words)
    values = data.draw(
        st.lists(
            st.floats(width=32, allow_nan=False, allow_infinity=False),
            min_size=len(vocab) * dim,
            max_size=len(vocab) * dim,
        )
    )
    matrix = np.array(values, dtype=np.float32).reshape(len(vocab), dim)
    kinds = data.draw(
        st.lists(
            st.sampled_from(["exact", "lowercase", "fill"]),
            min_size=len(vocab),
            max_size=len(vocab),
        )
    )
    out = tmp_path / "prop"
    write_artifact(out, matrix, vocab, kinds, force=True)
    art = aligner.load(out)
    assert art.vocab.tokens == vocab.tokens
    assert art.provenance == kinds
    assert art.vectors.tobytes() == matrix.tobytes()
    assert all(art.vocab[w] == vocab[w] for w in words)
    shutil.rmtree(out)
