"""``gensim-data:NAME`` sources: the published table, md5 + size checks, a local release server.

The table's real files are hundreds of MB, so the downloads here serve a small
model added to the table for the test (its md5 and size computed from its
bytes), from a local server that ALIGNER_GENSIM_DATA_URL points at.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from aligner.errors import ChecksumError, DownloadError, UnknownNameError
from aligner.pretrained import gensim_data
from aligner.pretrained.cache import read_record
from aligner.pretrained.download import cached_path, download, fetch
from aligner.pretrained.formats import detect_format
from aligner.pretrained.gensim_data import BASE_URL, MODELS, Model, get
from aligner_cli.main import cli

from .test_download import FileServer

NAME = "tiny-vectors-4"
TEXT = b"3 4\nguitar 0.1 0.2 0.3 0.4\npiano 0.5 0.6 0.7 0.8\nthe 0.9 1.0 1.1 1.2\n"
PACKED = gzip.compress(TEXT, mtime=0)


def binary_vectors() -> bytes:
    rows = {"guitar": [0.1, 0.2, 0.3, 0.4], "piano": [0.5, 0.6, 0.7, 0.8]}
    body = b"2 4\n" + b"".join(
        word.encode() + b" " + struct.pack("<4f", *values) for word, values in rows.items()
    )
    return gzip.compress(body, mtime=0)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FileServer]:
    running = FileServer()
    monkeypatch.setenv("ALIGNER_GENSIM_DATA_URL", running.url("/releases/"))
    yield running
    running.close()


def publish(
    server: FileServer, monkeypatch: pytest.MonkeyPatch, body: bytes, *, md5: str | None = None
) -> str:
    """Serve ``body`` as the release asset of model NAME, added to the table; its URL."""
    digest = md5 or hashlib.md5(body).hexdigest()
    model = Model(NAME, f"{NAME}.gz", 1, len(body), digest, 3, "test vectors")
    monkeypatch.setitem(MODELS, NAME, model)
    return server.serve(f"/releases/{NAME}/{NAME}.gz", body)


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def downloads(cache: Path) -> list[str]:
    root = cache / "downloads"
    found = root.rglob("*") if root.exists() else iter(())
    return sorted(p.name for p in found if p.is_file() and not p.name.endswith(".lock"))


# --- the table --------------------------------------------------------------------------------


def test_table_holds_the_published_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALIGNER_GENSIM_DATA_URL", raising=False)
    assert len(MODELS) == 12 and all(model.parts == 1 for model in MODELS.values())
    entry = get("gensim-data:glove-wiki-gigaword-100")
    assert entry.url == f"{BASE_URL}/glove-wiki-gigaword-100/glove-wiki-gigaword-100.gz"
    assert (entry.size, entry.md5) == (134300434, "40ec481866001177b8cd4cb0df92924f")
    assert (entry.dim, entry.vocab_size, entry.sha256) == (100, 400000, None)
    assert entry.format is None and entry.verified == "md5+size"
    google = get("word2vec-google-news-300")
    assert (google.size, google.md5) == (1743563840, "a5e5354d40acb95f9ec66d5977d140ef")
    assert [e.name for e in gensim_data.entries()][:2] == [
        "gensim-data:fasttext-wiki-news-subwords-300",
        "gensim-data:conceptnet-numberbatch-17-06-300",
    ]


def test_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIGNER_GENSIM_DATA_URL", "http://mirror.example/gd/")
    assert (
        get("glove-twitter-25").url
        == "http://mirror.example/gd/glove-twitter-25/glove-twitter-25.gz"
    )


def test_unknown_name_suggests_close_ones_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError) as info:
        fetch("gensim-data:glove-wiki-gigaword-500", cache=tmp_path)
    message = str(info.value)
    assert "\n" not in message and "'glove-wiki-gigaword-500'" in message
    assert "did you mean gensim-data:glove-wiki-gigaword-50" in message
    assert "aligner download --list" in message
    code, output = run("download", "gensim-data:text8", "--cache-dir", tmp_path)
    assert code == 1 and len(output.strip().splitlines()) == 1
    assert "corpora are not vectors" in output and not (tmp_path / "downloads").exists()


def test_a_model_in_several_parts_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    split = Model("big-vectors-300", "big-vectors-300.gz", 2, 10, "0" * 32, 1, "test")
    monkeypatch.setitem(MODELS, split.name, split)
    code, output = run("download", "gensim-data:big-vectors-300", "--cache-dir", tmp_path)
    lines = output.strip().splitlines()
    assert code == 1 and len(lines) == 1 and "published in 2 parts" in lines[0]
    assert "pass the file's path" in lines[0] and not (tmp_path / "downloads").exists()
    with pytest.raises(DownloadError, match="2 parts"):
        get(split.name)
    assert split.name not in {e.name for e in gensim_data.entries()}


# --- downloads ------------------------------------------------------------------------------------


def test_download_checks_md5_and_size_and_records_them(
    server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = publish(server, monkeypatch, PACKED)
    path, entry = fetch(f"gensim-data:{NAME}", cache=tmp_path)
    assert entry is not None and entry.url == url and path == cached_path(url, tmp_path)
    assert path.read_bytes() == PACKED
    record = read_record(path)
    assert record is not None and record.digest == hashlib.sha256(PACKED).hexdigest()
    assert record.others == {"md5": hashlib.md5(PACKED).hexdigest()}
    assert detect_format(path) == "word2vec"  # the reader's own finding, not the table's
    assert fetch(f"gensim-data:{NAME}", cache=tmp_path)[0] == path
    assert len(server.requests) == 1


def test_wrong_md5_is_one_line_naming_both_digests_and_keeps_nothing(
    server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "f" * 32
    publish(server, monkeypatch, PACKED, md5=wrong)
    code, output = run("download", f"gensim-data:{NAME}", "--cache-dir", tmp_path)
    lines = output.strip().splitlines()
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith(f"Error: gensim-data:{NAME}: ")
    assert f"md5 mismatch: expected {wrong}, got {hashlib.md5(PACKED).hexdigest()}" in lines[0]
    assert downloads(tmp_path) == []


def test_wrong_size_is_refused(
    server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(server, monkeypatch, PACKED)
    server.files[f"/releases/{NAME}/{NAME}.gz"] = PACKED + b"\0"
    with pytest.raises(ChecksumError, match=f"expected size is {len(PACKED)} bytes") as info:
        fetch(f"gensim-data:{NAME}", cache=tmp_path)
    assert str(info.value).startswith(f"gensim-data:{NAME}: ") and downloads(tmp_path) == []


def test_a_cached_copy_never_checked_by_md5_is_checked_before_use(
    server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = publish(server, monkeypatch, PACKED)
    plain = download(url, cache=tmp_path)  # by its URL: no md5 known, none recorded
    assert read_record(plain) is not None and read_record(plain).others == {}  # type: ignore[union-attr]
    path, _ = fetch(f"gensim-data:{NAME}", cache=tmp_path)
    assert path == plain and len(server.requests) == 1  # verified in place, not fetched again
    assert read_record(path).others == {"md5": hashlib.md5(PACKED).hexdigest()}  # type: ignore[union-attr]

    monkeypatch.setitem(MODELS, NAME, Model(NAME, f"{NAME}.gz", 1, len(PACKED), "0" * 32, 3, "x"))
    with pytest.raises(ChecksumError, match="md5 mismatch"):
        fetch(f"gensim-data:{NAME}", cache=tmp_path)  # the recorded md5 is not this one
    assert downloads(tmp_path) == [] and len(server.requests) == 2


def test_binary_word2vec_is_detected_as_such(
    server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(server, monkeypatch, binary_vectors())
    path, entry = fetch(f"gensim-data:{NAME}", cache=tmp_path)
    assert entry is not None and entry.format is None
    assert detect_format(path) == "word2vec-binary"


def test_build_from_gensim_data_records_the_source(
    server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = publish(server, monkeypatch, PACKED)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("guitar\nPiano\nzorblax\n", encoding="utf-8")
    out = tmp_path / "art"
    args = ["build", "--pretrained", f"gensim-data:{NAME}", "--vocab", vocab, "--out", out]
    code, output = run(*args, "--cache-dir", tmp_path / "cache")
    assert code == 0, output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    source = manifest["source"]
    assert (source["name"], source["url"], source["format"]) == (
        f"gensim-data:{NAME}", url, "word2vec",
    )  # fmt: skip
    vectors = np.load(out / manifest["vectors"]["file"])
    tokens = (out / manifest["vocab"]["file"]).read_text(encoding="utf-8").split()
    assert np.allclose(vectors[tokens.index("guitar")], [0.1, 0.2, 0.3, 0.4])


def test_a_base_url_that_is_no_address_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALIGNER_GENSIM_DATA_URL", "ftp://mirror.example/gd")
    code, output = run("download", "gensim-data:glove-twitter-25", "--cache-dir", tmp_path)
    lines = output.strip().splitlines()
    assert code == 1 and len(lines) == 1 and "ALIGNER_GENSIM_DATA_URL=" in lines[0]
    assert "fix or unset it" in lines[0] and not tmp_path.joinpath("downloads").exists()


# --- credentials and spelling (issue 11) ----------------------------------------------------------

SECRET = "s3cr3t-mirror-pw"


def test_credentials_in_the_base_url_are_sent_and_never_shown(
    server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = publish(server, monkeypatch, PACKED)
    base = server.url("/releases").replace("http://", f"http://mirror:{SECRET}@")
    monkeypatch.setenv("ALIGNER_GENSIM_DATA_URL", base)
    code, output = run("download", f"gensim-data:{NAME}", "--cache-dir", tmp_path, "--json")
    data = json.loads(output)
    assert code == 0 and data["url"] == url and Path(data["path"]).read_bytes() == PACKED
    assert server.auths == ["Basic " + base64.b64encode(f"mirror:{SECRET}".encode()).decode()]
    code, output = run("download", "--list", "--json")
    assert code == 0 and SECRET not in output and "mirror:" not in output

    server.files[f"/releases/{NAME}/{NAME}.gz"] = PACKED + b"\0"  # refused: the message
    code, output = run("download", f"gensim-data:{NAME}", "--cache-dir", tmp_path / "other")
    assert code == 1 and "expected size" in output and SECRET not in output
    assert "mirror:***@" in output and downloads(tmp_path / "other") == []


def test_a_base_url_with_credentials_that_is_refused_hides_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALIGNER_GENSIM_DATA_URL", f"ftp://mirror:{SECRET}@mirror.example/gd")
    code, output = run("download", "gensim-data:glove-twitter-25", "--cache-dir", tmp_path)
    lines = output.strip().splitlines()
    assert code == 1 and len(lines) == 1 and SECRET not in output
    assert "ALIGNER_GENSIM_DATA_URL='ftp://mirror:***@mirror.example/gd'" in lines[0]


@pytest.mark.parametrize("prefix", ["GENSIM-DATA:", "Gensim-Data:"])
def test_the_prefix_in_any_case_names_a_model(
    server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefix: str
) -> None:
    publish(server, monkeypatch, PACKED)
    path, entry = fetch(f"{prefix}{NAME}", cache=tmp_path)
    assert path.read_bytes() == PACKED and entry is not None
    assert entry.name == f"gensim-data:{NAME}"
