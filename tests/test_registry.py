"""The registry of well-known pretrained vectors: names, patterns, suggestions."""

from __future__ import annotations

import re

import pytest

from aligner.errors import UnknownNameError
from aligner.pretrained.registry import CC_LANGUAGES, FORMATS, Entry, entries, get


def test_glove_name_points_into_the_shared_zip() -> None:
    entry = get("glove.6B.100d")
    assert entry.url == "https://nlp.stanford.edu/data/glove.6B.zip"
    assert (entry.format, entry.dim, entry.member) == ("glove", 100, "glove.6B.100d.txt")
    assert entry.size == 862_182_613 and entry.vocab_size == 400_000
    assert entry.licence == "PDDL-1.0" and entry.sha256 is None and not entry.subword
    assert {get(f"glove.6B.{d}d").url for d in (50, 100, 200, 300)} == {entry.url}


def test_lookup_falls_back_to_any_case() -> None:
    assert get("GLOVE.840B.300D") is get("glove.840B.300d")


def test_common_crawl_pattern_resolves_text_and_binary() -> None:
    text, binary = get("cc.fr.300"), get("cc.fr.300.bin")
    assert text.url == "https://dl.fbaipublicfiles.com/fasttext/vectors-crawl/cc.fr.300.vec.gz"
    assert (text.format, text.dim, text.subword, text.member) == ("word2vec", 300, False, None)
    assert binary.url.endswith("/cc.fr.300.bin.gz")
    assert (binary.name, binary.format, binary.subword) == ("cc.fr.300.bin", "fasttext-bin", True)
    assert "French" in text.description and text.licence == "CC-BY-SA-3.0"


def test_common_crawl_needs_a_known_language() -> None:
    with pytest.raises(UnknownNameError, match="did you mean"):
        get("cc.xx.300")
    assert len(CC_LANGUAGES) == 158 and {"en", "fr", "zh", "vec"} <= set(CC_LANGUAGES)


def test_unknown_name_suggests_close_matches_in_one_line() -> None:
    with pytest.raises(UnknownNameError) as info:
        get("glove.6B.50")
    message = str(info.value)
    assert "\n" not in message
    assert "'glove.6B.50'" in message and "did you mean glove.6B.50d" in message
    assert "aligner build --pretrained /path/to/vectors.txt" in message


def test_fasttext_subword_zip_reads_the_binary_member() -> None:
    entry = get("crawl-300d-2M-subword")
    assert entry.url.endswith("/vectors-english/crawl-300d-2M-subword.zip")
    assert (entry.member, entry.format, entry.subword) == (
        "crawl-300d-2M-subword.bin",
        "fasttext-bin",
        True,
    )
    assert get("wiki-news-300d-1M").member == "wiki-news-300d-1M.vec"
    assert get("word2vec-google-news-300").format == "word2vec-binary"


def test_entries_are_consistent() -> None:
    listed = entries()
    names = [e.name for e in listed]
    assert len(names) == len(set(names)) >= 15
    for entry in listed:
        assert get(entry.name) is entry
        assert entry.format in FORMATS and entry.url.startswith("https://")
        assert (entry.member is not None) == entry.url.endswith(".zip")
        assert entry.subword == (entry.format == "fasttext-bin")
        assert entry.size is None or entry.size > 0
        assert entry.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", entry.sha256)


def test_entry_rejects_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="format"):
        Entry("x", "https://x/y", "npy", 3, None, None, None, None, None, "x")


def test_every_registry_url_is_one_the_downloader_accepts() -> None:
    from aligner.pretrained.download import cached_path
    from aligner.pretrained.transfer import check_url

    for entry in [*entries(), get("cc.fr.300"), get("cc.zh.300.bin")]:
        check_url(entry.url)
        assert cached_path(entry.url, "/c").name == entry.url.rsplit("/", 1)[1]


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("url", "ftp://example.org/v.txt", "http(s) URL"),
        ("url", "https://example.org/a b.txt", "http(s) URL"),
        ("sha256", "abc", "64 lowercase hex"),
        ("size", 0, "positive"),
    ],
)
def test_entry_refuses_what_the_downloader_could_not_use(
    field: str, value: object, fragment: str
) -> None:
    fields: dict[str, object] = {
        "name": "x", "url": "https://example.org/v.txt", "format": "glove", "dim": 3,
        "vocab_size": None, "size": None, "sha256": None, "licence": None, "member": None,
        "description": "test",
    }  # fmt: skip
    with pytest.raises(ValueError, match=re.escape(fragment)):
        Entry(**(fields | {field: value}))  # type: ignore[arg-type]


def test_what_is_verified_follows_what_is_published() -> None:
    assert get("glove.6B.50d").verified == "size"  # a published size, no published digest
    assert get("cc.fr.300").verified == "none"  # neither
    for entry in entries():
        assert entry.verified == ("size" if entry.size is not None else "none")
    fields = {
        "name": "x", "url": "https://example.org/v.txt", "format": None, "dim": None,
        "vocab_size": None, "size": 10, "sha256": None, "licence": None, "member": None,
        "description": "test",
    }  # fmt: skip
    assert Entry(**(fields | {"md5": "a" * 32})).verified == "md5+size"  # type: ignore[arg-type]
    assert Entry(**(fields | {"sha256": "b" * 64})).verified == "sha256+size"  # type: ignore[arg-type]
    assert Entry(**(fields | {"size": None})).verified == "none"  # type: ignore[arg-type]


def test_provenance_says_what_was_checked() -> None:
    assert get("glove.6B.50d").provenance() == {
        "name": "glove.6B.50d",
        "url": "https://nlp.stanford.edu/data/glove.6B.zip",
        "licence": "PDDL-1.0",
        "verified": {"size": 862_182_613},
    }
    hub_file = Entry(
        name="hf://me/v/x.txt", url="https://hub/me/v/resolve/abc/x.txt", format=None, dim=None,
        vocab_size=None, size=5, sha256=None, licence=None, member=None, description="t",
        git_sha1="c" * 40, revision="abc",
    )  # fmt: skip
    found = hub_file.provenance()
    assert found["revision"] == "abc" and found["verified"] == {"git-sha1": "c" * 40, "size": 5}


@pytest.mark.parametrize(("field", "value"), [("md5", "abc"), ("git_sha1", "A" * 40)])
def test_entry_refuses_a_digest_of_the_wrong_form(field: str, value: str) -> None:
    with pytest.raises(ValueError, match="lowercase hex"):
        Entry("x", "https://x/y", None, None, None, None, None, None, None, "x", **{field: value})
