"""The artifact's tokenizer as a Hugging Face ``tokenizer.json``.

A ``WordLevel`` model over the artifact's vocabulary (token ``i`` has id
``i``; unknown words map to the artifact's unknown token), the artifact's
normalization and splitting expressed in tokenizers' own steps, so that
``tokenizers.Tokenizer.from_file(path).encode(text).ids`` gives the ids
aligner gives:

================ ==========================================================
aligner          tokenizer.json
================ ==========================================================
``normalize``    ``NFKC``, after ``Replace`` rules for the compatibility
                 characters tokenizers' tables lack, and before ``Replace``
                 rules making the compositions they lack (see
                 :mod:`aligner.export.unicode_gaps`)
``lowercase``    ``Replace`` ``İ`` → ``i`` (aligner's per-character lowercase),
                 then ``Lowercase``
``whitespace``   ``Split`` keeping runs of non-space characters
``regex``        ``Split`` keeping runs of word characters or one other
                 non-space character
================ ==========================================================

Both splitting patterns list the exact character classes of Python's
Unicode database (``str.isspace``; letters, marks, numbers and ``_``), so
they split as aligner does whatever Unicode version Oniguruma knows. The pad
token (when the artifact has one) is the padding token, padding to the
longest text of a batch. The special tokens are plain vocabulary entries,
not added tokens, so a text holding ``<pad>`` is split exactly as aligner
splits it. Without an unknown token, an unknown word is an error in both.

Sentencepiece artifacts cannot be exported: a WordLevel model cannot
reproduce the pieces of a sentencepiece model.

Example:
    >>> from tokenizers import Tokenizer  # doctest: +SKIP
    >>> Tokenizer.from_file("tokenizer.json").encode("we play guitar").ids  # doctest: +SKIP
    [17, 4, 52]
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache
from typing import Any

from aligner.errors import InputError
from aligner.export.unicode_gaps import (
    late_compositions,
    late_lowercase,
    late_marks,
    nfkc_late,
)
from aligner.tokenize import TokenizerSpec, word_class_ranges
from aligner.vocab import Vocab

__all__ = ["tokenizer_differences", "tokenizer_json"]

#: the unknown token named when the artifact has none (absent from the vocabulary: an error)
NO_UNK = "<unk>"


@cache
def space_ranges() -> tuple[tuple[int, int], ...]:
    """Code point ranges of ``str.isspace`` (what ``str.split()`` and ``re``'s ``\\s`` split on)."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x110000):
        if chr(code).isspace():
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return tuple(ranges)


def _class(ranges: Iterable[tuple[int, int]]) -> str:
    """The inside of an Oniguruma character class for ``ranges`` (``\\x{HEX}`` escapes)."""
    return "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)


def _split(pattern: str) -> dict[str, Any]:
    # Removed + invert: keep what the pattern matches, drop the rest (the whitespace)
    return {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Removed", "invert": True}


def pre_tokenizer(kind: str) -> dict[str, Any]:
    """tokenizers' pre-tokenizer splitting as ``TokenizerSpec(kind)`` does."""
    space = _class(space_ranges())
    if kind == "whitespace":
        return _split(f"[^{space}]+")
    word = _class(word_class_ranges())
    return _split(f"[{word}]+|[^{space}{word}]")


def _replace(old: str, new: str) -> dict[str, Any]:
    return {"type": "Replace", "pattern": {"String": old}, "content": new}


def normalizer(spec: TokenizerSpec) -> dict[str, Any] | None:
    """tokenizers' normalizer doing what ``spec.prepare`` does (``None``: nothing)."""
    steps: list[dict[str, Any]] = []
    if spec.normalize == "nfkc":
        steps += [_replace(old, new) for old, new in nfkc_late().items()]
        steps.append({"type": "NFKC"})
        steps += [_replace(old, new) for old, new in late_compositions().items()]
    if spec.lowercase:
        steps += [_replace("\u0130", "i"), {"type": "Lowercase"}]
    if not steps:
        return None
    return steps[0] if len(steps) == 1 else {"type": "Sequence", "normalizers": steps}


def _padding(vocab: Vocab) -> dict[str, Any] | None:
    if vocab.pad_id is None:
        return None
    return {
        "strategy": "BatchLongest",
        "direction": "Right",
        "pad_to_multiple_of": None,
        "pad_id": vocab.pad_id,
        "pad_type_id": 0,
        "pad_token": vocab.tokens[vocab.pad_id],
    }


def _unk_token(vocab: Vocab) -> str:
    if vocab.unk_id is not None:
        return vocab.tokens[vocab.unk_id]
    name = NO_UNK
    while name in vocab:  # a token of that name that is not the unknown token
        name = f"<{name}>"
    return name


def tokenizer_json(
    vocab: Vocab, spec: TokenizerSpec, *, where: str = "the artifact"
) -> dict[str, Any]:
    """The ``tokenizer.json`` document for ``vocab`` split by ``spec``.

    Args:
        vocab: the vocabulary (token ``i`` → id ``i``).
        spec: the tokenizer spec the artifact was built with.
        where: names the artifact in the error.

    Returns:
        The JSON document (a dict); see the module for what it holds.

    Raises:
        InputError: a sentencepiece spec.

    Example:
        >>> tokenizer_json(Vocab(["a"]), TokenizerSpec())["model"]["vocab"]
        {'<pad>': 0, '<unk>': 1, 'a': 2}
    """
    if spec.kind == "sentencepiece":
        raise InputError(
            f"{where} splits text with a sentencepiece model, which a tokenizer.json WordLevel "
            "model cannot reproduce; export the vectors (--to safetensors) and encode with "
            "aligner, or rebuild with --tokenizer whitespace or regex"
        )
    return {
        "version": "1.0",
        "truncation": None,
        "padding": _padding(vocab),
        "added_tokens": [],
        "normalizer": normalizer(spec),
        "pre_tokenizer": pre_tokenizer(spec.kind),
        "post_processor": None,
        "decoder": None,
        "model": {
            "type": "WordLevel",
            "vocab": {token: i for i, token in enumerate(vocab.tokens)},
            "unk_token": _unk_token(vocab),
        },
    }


def _named(chars: Iterable[str]) -> str:
    shown = sorted(set(chars))
    text = ", ".join(f"U+{ord(c):04X}" for c in shown[:5])
    return text + (f" and {len(shown) - 5} more" if len(shown) > 5 else "")


def tokenizer_differences(vocab: Vocab, spec: TokenizerSpec) -> list[str]:
    """One line per way the exported tokenizer may give other ids than aligner, for this vocab.

    Empty when the ids agree on every text (see :mod:`aligner.export.unicode_gaps`).

    Example:
        >>> tokenizer_differences(Vocab(["a"]), TokenizerSpec(normalize="nfkc"))
        []
    """
    text = "".join(vocab.tokens)
    lines = []
    if spec.normalize == "nfkc":
        marks = [c for c in set(text) if ord(c) in late_marks()]
        if marks:
            lines.append(
                f"tokenizers' NFKC does not know the combining marks {_named(marks)} that "
                f"the vocabulary holds (Python's Unicode {unicodedata.unidata_version} does) "
                "and leaves them unordered: a text where one follows another mark may get "
                "other ids than aligner gives"
            )
    if spec.lowercase:
        late = late_lowercase()
        chars = set(late) | set(late.values())
        held = [c for c in set(text) if c in chars]
        if held:
            lines.append(
                f"tokenizers lowercases characters newer than Python's Unicode "
                f"{unicodedata.unidata_version} that aligner leaves as they are, and the "
                f"vocabulary holds {_named(held)} among them or their lowercase: texts with "
                "them may get other ids than aligner gives"
            )
    return lines
