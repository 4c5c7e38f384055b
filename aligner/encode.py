"""Text to token ids, with exactly the tokenization used at build time.

Example:
    >>> from aligner.tokenize import TokenizerSpec
    >>> from aligner.vocab import Vocab
    >>> encode(["play guitar", ""], Vocab(["play", "guitar"]), TokenizerSpec())
    [[2, 3], []]
"""

from __future__ import annotations

from collections.abc import Iterable

from aligner.tokenize import TokenizerSpec
from aligner.vocab import Vocab

__all__ = ["encode"]


def encode(texts: Iterable[str], vocab: Vocab, tokenizer: TokenizerSpec) -> list[list[int]]:
    """Token ids of each text; unknown tokens map to the unk row.

    Raises:
        KeyError: a token is unknown and the vocabulary has no unk token.
    """
    return [vocab.lookup(tokenizer(text)) for text in texts]
