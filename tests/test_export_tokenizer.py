"""tokenizer.json export: tokenizers encodes every text to the ids aligner gives."""

from __future__ import annotations

import functools
import json
import unicodedata
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from aligner import BuildConfig, TokenizerSpec, build, load
from aligner.artifact import write_artifact
from aligner.encode import FEW_TEXTS
from aligner.errors import InputError
from aligner.export import export, write_vectors
from aligner.export.hf_tokenizer import space_ranges, tokenizer_differences
from aligner.export.unicode_gaps import (
    late_compositions,
    late_lowercase,
    late_marks,
    nfkc_late,
)
from aligner.tokenize import train_sentencepiece, word_class_ranges
from aligner.vectors import WordVectors
from aligner.vocab import Vocab

DATA = [
    "Play the GUITAR, please! We play guitar.",
    "Café crème — naïve façade; cafe CAFÉ",
    "ＦＵＬＬ ｗｉｄｔｈ ｆｏｒｍｓ！ full width",
    "ﬁnal ﬂute ½ ² Ⅻ ㎏ ℃ ™",
    "İstanbul ΣΟΦΙΑ ὈΔΥΣΣΕΎΣ sofia",
    "don't stop—it's 3.14 o'clock... snake_case 123abc",
    "e\u0301 vs é, guitar🎸 🎸",
]
TEXTS = [
    *DATA,
    "",
    "   \t ",
    "PLAY the Guitar!!! unknownword",
    "tabs\tand\u00a0nbsp\u2003em\u2028line\x1cfs\x1dgs\u3000ideographic\u200bzero-width",
    "ＰＬＡＹ　ｔｈｅ　ｇｕｉｔａｒ",
    "<pad> <unk> <PAD> x<pad>y",
    "㋿ 🯱🯲 ꟲ and ΣΑΣ",  # characters tokenizers' NFKC tables lack
    "\u0130I\u0131i \u1e9e\u00df",
]
SPECS = {
    "whitespace": TokenizerSpec(),
    "whitespace-lower": TokenizerSpec(lowercase=True),
    "regex-nfkc": TokenizerSpec(kind="regex", normalize="nfkc"),
    "regex-lower-nfkc": TokenizerSpec(kind="regex", lowercase=True, normalize="nfkc"),
}


def build_with(root: Path, spec: TokenizerSpec, **options: object) -> Path:
    """A real build: pretrained vectors for some words, the vocabulary counted from DATA."""
    words = ["play", "the", "guitar", "café", "full", "final", "!", ",", "'", "istanbul"]
    rng = np.random.default_rng(1)
    write_vectors(root / "pre.vec", WordVectors(words, rng.standard_normal((10, 4), np.float32)))
    (root / "data.txt").write_text("\n".join(DATA) + "\n", encoding="utf-8")
    config = BuildConfig(
        out=root / "art", pretrained=root / "pre.vec", data=root / "data.txt", tokenizer=spec,
        **options,  # type: ignore[arg-type]
    )  # fmt: skip
    build(config)
    return root / "art"


@pytest.fixture(scope="module", params=sorted(SPECS))
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp(request.param)
    art = build_with(root, SPECS[request.param])
    result = export(art, root / "tokenizer.json")
    assert result.warnings == () and result.rows == len(load(art).vocab)
    return root


def tokenizer(path: Path):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(path))


def test_tokenizers_gives_the_ids_aligner_gives(exported: Path) -> None:
    art = load(exported / "art")
    tk = tokenizer(exported / "tokenizer.json")
    assert len(art.vocab) > 20  # the vocabulary was counted from DATA with the spec
    encoder = art.encoder()
    for text in TEXTS:
        assert tk.encode(text).ids == art.encode(text) == encoder(text), repr(text)
    tk.no_padding()
    assert [e.ids for e in tk.encode_batch(TEXTS)] == encoder(TEXTS)


def test_many_texts_take_the_arrow_path_and_still_agree(exported: Path) -> None:
    art = load(exported / "art")
    tk = tokenizer(exported / "tokenizer.json")
    tk.no_padding()
    many = TEXTS * 300  # more than the encoder's FEW_TEXTS: its Arrow path
    assert len(many) > FEW_TEXTS
    assert [e.ids for e in tk.encode_batch(many)] == art.encoder()(many)


def test_batches_pad_with_the_pad_token_like_the_encoder(exported: Path) -> None:
    art = load(exported / "art")
    tk = tokenizer(exported / "tokenizer.json")
    assert tk.padding["pad_token"] == "<pad>" and tk.padding["pad_id"] == art.vocab.pad_id
    batch = tk.encode_batch(TEXTS)
    ids, lengths = art.encoder(pad=True).encode_with_lengths(TEXTS)
    assert [e.ids for e in batch] == ids
    assert [sum(e.attention_mask) for e in batch] == lengths
    assert tk.token_to_id("<unk>") == art.vocab.unk_id


def test_the_document_names_the_vocabulary_and_its_steps(exported: Path) -> None:
    art = load(exported / "art")
    document = json.loads((exported / "tokenizer.json").read_text(encoding="utf-8"))
    model = document["model"]
    assert model["type"] == "WordLevel" and model["unk_token"] == "<unk>"
    assert model["vocab"] == {token: i for i, token in enumerate(art.vocab.tokens)}
    assert document["added_tokens"] == [] and document["pre_tokenizer"]["type"] == "Split"
    steps = json.dumps(document["normalizer"])
    assert ('"NFKC"' in steps) == (art.tokenizer.normalize == "nfkc")
    assert ('"Lowercase"' in steps) == art.tokenizer.lowercase


def boundary_texts() -> list[str]:
    """Texts around every edge of the word and space classes, and the gaps the export fills.

    The characters newer than Python's Unicode that Rust lowercases are left out: that
    difference cannot be expressed (see the warning tests).
    """
    edges = {c for a, b in (*word_class_ranges(), *space_ranges()) for c in (a - 1, a, b, b + 1)}
    edges |= {ord(c) for c in (*nfkc_late(), "\u0130", "\u03a3")}
    edges |= {ord(c) for c in "".join(late_compositions())}
    edges -= {ord(c) for c in late_lowercase()}
    chars = [chr(c) for c in sorted(edges) if 0 <= c < 0x110000 and not 0xD800 <= c < 0xE000]
    return [f"a{c}b {c} Z{c}{c}" for c in chars] + ["\U00011935\U00011930 x\U00011935\U00011930y"]


@pytest.mark.parametrize("name", ["whitespace", "regex-lower-nfkc"])
def test_normalizing_and_splitting_agree_at_every_class_edge(tmp_path: Path, name: str) -> None:
    from tokenizers import Tokenizer

    from aligner.export.hf_tokenizer import tokenizer_json

    spec = SPECS[name]
    tk = Tokenizer.from_str(json.dumps(tokenizer_json(Vocab(["a"]), spec)))
    norm, split = tk.normalizer, tk.pre_tokenizer
    for text in boundary_texts():
        normal = norm.normalize_str(text) if norm is not None else text
        assert [p for p, _ in split.pre_tokenize_str(normal)] == spec(text), repr(text)


def changed_by(function: Callable[[str], str]) -> list[str]:
    """The characters ``function`` changes, tried a block of code points at a time."""
    codes = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    found = []
    for start in range(0, len(codes), 4096):
        block = "".join(map(chr, codes[start : start + 4096]))
        if function(block) != block:
            found += [c for c in block if function(c) != c]
    return found


def test_the_unicode_gap_tables_are_what_tokenizers_does() -> None:
    """Measure again, on the installed tokenizers, where its Unicode differs from Python's."""
    from tokenizers.normalizers import NFKC, Lowercase

    nfkc, lower = NFKC().normalize_str, Lowercase().normalize_str
    python = functools.partial(unicodedata.normalize, "NFKC")
    late = {c for c in changed_by(python) if nfkc(c) == c}
    assert late == set(nfkc_late())
    canonical = functools.partial(unicodedata.normalize, "NFD")
    decomposed = [canonical(c) for c in changed_by(canonical)]
    assert {d for d in decomposed if nfkc(d) != python(d)} == set(late_compositions())
    marks = [chr(c) for c in range(0x20000) if unicodedata.combining(chr(c))]
    unordered = {m for m in marks if nfkc(f"a{m}\u0334") != python(f"a{m}\u0334")}
    assert {ord(m) for m in unordered} == set(late_marks())
    rust = {c for c in changed_by(lower) if c.lower() == c}
    assert rust == set(late_lowercase())


def test_a_vocabulary_with_a_late_mark_is_warned_and_really_differs(tmp_path: Path) -> None:
    from tokenizers import Tokenizer

    spec = TokenizerSpec(normalize="nfkc")
    token = unicodedata.normalize("NFKC", "a\u1ac1\u0316")  # Python puts U+0316 first
    vocab = Vocab(["guitar", token])
    write_artifact(
        tmp_path / "a",
        np.ones((4, 2), np.float32),
        vocab,
        ["pad", "special", "exact", "exact"],
        tokenizer=spec,
    )
    result = export(tmp_path / "a", tmp_path / "tokenizer.json")
    (line,) = result.warnings
    assert line.startswith(f"{tmp_path / 'tokenizer.json'}: tokenizers' NFKC does not know the")
    assert "U+1AC1" in line and "may get other ids" in line and "\n" not in line
    tk = Tokenizer.from_file(str(tmp_path / "tokenizer.json"))
    assert load(tmp_path / "a").encode("a\u1ac1\u0316") == [3]
    assert tk.encode("a\u1ac1\u0316").ids == [1]  # the difference the warning names


def test_a_vocabulary_with_a_late_lowercase_is_warned(tmp_path: Path) -> None:
    from tokenizers import Tokenizer

    spec = TokenizerSpec(lowercase=True)
    write_artifact(
        tmp_path / "a",
        np.ones((4, 2), np.float32),
        Vocab(["guitar", "\u0264"]),
        ["pad", "special", "exact", "exact"],
        tokenizer=spec,
    )
    result = export(tmp_path / "a", tmp_path / "t.json")
    (line,) = result.warnings
    assert "tokenizers lowercases characters newer than Python's Unicode" in line
    assert "U+0264" in line
    tk = Tokenizer.from_file(str(tmp_path / "t.json"))
    assert load(tmp_path / "a").encode("\ua7cb") == [1]
    assert tk.encode("\ua7cb").ids == [3]
    assert tokenizer_differences(Vocab(["guitar"]), spec) == []


def test_without_an_unknown_token_both_refuse_an_unknown_word(tmp_path: Path) -> None:
    from tokenizers import Tokenizer

    write_artifact(
        tmp_path / "a",
        np.ones((3, 2), np.float32),
        Vocab(["<unk>", "guitar"], unk=None),
        ["pad", "exact", "exact"],
    )
    export(tmp_path / "a", tmp_path / "t.json")
    tk = Tokenizer.from_file(str(tmp_path / "t.json"))
    art = load(tmp_path / "a")
    assert tk.encode("guitar <unk>").ids == art.encode("guitar <unk>") == [2, 1]
    assert tk.model.unk_token not in art.vocab
    with pytest.raises(KeyError):
        art.encode("piano")
    with pytest.raises(Exception, match=r"WordLevel error: Missing \[UNK\] token"):
        tk.encode("piano")


def test_sentencepiece_cannot_be_exported_and_nothing_is_written(tmp_path: Path) -> None:
    spec = train_sentencepiece(["we play the guitar and the piano"] * 50, vocab_size=20)
    vocab = Vocab(spec("we play guitar")[:3])
    write_artifact(
        tmp_path / "a",
        np.ones((5, 2), np.float32),
        vocab,
        ["pad", "special"] + ["exact"] * 3,
        tokenizer=spec,
    )
    with pytest.raises(
        InputError, match=r"splits text with a sentencepiece model, which a tokenizer\.json"
    ):
        export(tmp_path / "a", tmp_path / "t.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]
    assert export(tmp_path / "a", tmp_path / "e.safetensors").rows == 5  # the vectors still go
