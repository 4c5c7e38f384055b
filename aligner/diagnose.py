"""Warnings for a build that succeeds with a result that is likely not what was meant.

A build whose vectors cover under :data:`LOW_COVERAGE` of the vocabulary is
almost always a mismatch of inputs, not a fact about the data: a
sentencepiece tokenizer (vectors for pieces such as ``▁gui``) with a
vocabulary of words, a cased vocabulary with lowercase vectors while the
lowercase fallback is off, or simply the wrong file. :func:`build_warnings`
looks at both sides and names the likely cause and the remedy, one line
each. Some mismatches break encoding whatever the coverage (a lowercasing
or sentencepiece tokenizer with a vocabulary that cannot hold what it
produces), and are named too.

Example:
    >>> import numpy as np
    >>> from aligner.align import align
    >>> from aligner.vectors import WordVectors
    >>> from aligner.vocab import Vocab
    >>> wv = WordVectors(["▁the", "▁gui", "tar"], np.eye(3, dtype=np.float32))
    >>> lines = build_warnings(align(Vocab(["the", "guitar"]), wv), wv)
    >>> lines[0].split(": ")[0]
    'low coverage (0.0% of types)'
    >>> "sentencepiece pieces" in lines[0]
    True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aligner.align import Alignment
from aligner.tokenize import TokenizerSpec
from aligner.vectors import WordVectors

__all__ = ["LOW_COVERAGE", "build_warnings"]

#: coverage (of types, or of tokens when counted) below which a build warns
LOW_COVERAGE = 0.10
PIECE_MARK = "\u2581"  # sentencepiece's word-start mark "▁"
SAMPLE = 20_000  # tokens looked at on each side


def _share(tokens: Sequence[str], test: Callable[[str], bool]) -> float:
    sample = tokens[:SAMPLE]
    return sum(1 for t in sample if test(t)) / len(sample) if sample else 0.0


def _pieces(token: str) -> bool:
    return PIECE_MARK in token


def _cased(token: str) -> bool:
    return token != token.lower()


def _examples(tokens: Sequence[str], n: int = 3) -> str:
    return ", ".join(repr(t) for t in tokens[:n])


def _coverage_head(alignment: Alignment) -> str | None:
    coverage = alignment.coverage
    if not coverage.types:
        return None
    low = []
    if coverage.type_coverage < LOW_COVERAGE:
        low.append(f"{100 * coverage.type_coverage:.1f}% of types")
    token_coverage = coverage.token_coverage
    if token_coverage is not None and token_coverage < LOW_COVERAGE:
        low.append(f"{100 * token_coverage:.1f}% of tokens")
    return f"low coverage ({', '.join(low)})" if low else None


def _case_cause(words: list[str], keys: list[str] | None, vocab: str) -> str | None:
    """The lowercase fallback is off and the two sides are cased differently."""
    cased_words = _share(words, _cased)
    remedy = "drop --no-lowercase-fallback (or add lowercase to --fallbacks)"
    if keys is None:  # pretrained: only the rows the vocabulary wanted were kept
        if cased_words > 0.2:
            return (
                f"{vocab} is cased (e.g. {_examples([w for w in words if _cased(w)])}) and "
                f"the lowercase fallback is off: if the vectors are lowercase, {remedy}"
            )
        return None
    cased_keys = _share(keys, _cased)
    if (cased_words > 0.2 and cased_keys < 0.01) or (cased_words < 0.01 and cased_keys > 0.2):
        which = ("cased", "lowercase") if cased_words > cased_keys else ("lowercase", "cased")
        return (
            f"{vocab} is {which[0]} and the vectors {which[1]} while the lowercase "
            f"fallback is off: {remedy}"
        )
    return None


def _pieces_cause(words: list[str], keys: list[str] | None, vocab: str) -> str | None:
    """Sentencepiece pieces on one side, words on the other."""
    word_pieces, key_pieces = _share(words, _pieces), _share(keys or [], _pieces)
    if keys is not None and key_pieces > 0.3 and word_pieces < 0.05:
        pieces = [k for k in keys if _pieces(k)]
        return (
            f"the vectors are sentencepiece pieces (e.g. {_examples(pieces)}) but {vocab} "
            f"holds words (e.g. {_examples(words)}): use a word-level tokenizer, or a "
            "vocabulary counted with the same tokenizer (--data)"
        )
    if word_pieces > 0.3 and (keys is None or key_pieces < 0.05):
        return (
            f"{vocab} holds sentencepiece pieces (e.g. {_examples(words)}) but the vectors "
            "are words: use a word-level vocabulary, or vectors trained on the same pieces"
        )
    return None


def _causes(
    alignment: Alignment, words: list[str], keys: list[str] | None, names: dict[str, str]
) -> list[str]:
    vocab, vectors = names.get("vocab", "the vocabulary"), names.get("vectors", "the vectors")
    causes = [_pieces_cause(words, keys, vocab)]
    if "exact" not in alignment.fallbacks:
        causes.append(
            f"the fallback chain ({','.join(alignment.fallbacks)}) has no exact step, so no "
            "word is looked up as it is: put exact first in --fallbacks"
        )
    elif "lowercase" not in alignment.fallbacks:
        causes.append(_case_cause(words, keys, vocab))
    if _share(words, lambda t: any(c.isspace() for c in t)) > 0.5:
        causes.append(
            f"most tokens of {vocab} hold a space (e.g. {_examples(words)}): is it a "
            "'token count' file with spaces? use 'token<TAB>count' lines"
        )
    found = [cause for cause in causes if cause is not None]
    if not found:
        coverage = alignment.coverage
        missing = [token for token, _ in coverage.top_missing]
        seen = f" (e.g. {_examples(keys)})" if keys else ""
        found.append(
            f"{coverage.found_types} of {coverage.types} words of {vocab} have a vector in "
            f"{vectors}{seen}, the most frequent missing are {_examples(missing)}: check "
            "that both are the files you meant (language, tokenization, case)"
        )
    return found


def _tokenizer_warnings(words: list[str], tokenizer: TokenizerSpec, vocab: str) -> list[str]:
    found = []
    if tokenizer.kind == "sentencepiece" and words and _share(words, _pieces) < 0.05:
        found.append(
            f"the tokenizer is sentencepiece but {vocab} holds words (e.g. {_examples(words)}): "
            "encoded text becomes pieces that are mostly not in it (<unk>); count the "
            "vocabulary with the same tokenizer (--data) or use a word-level tokenizer"
        )
    if tokenizer.lowercase and _share(words, _cased) > 0.2:
        found.append(
            f"the tokenizer lowercases text but {vocab} is cased (e.g. "
            f"{_examples([w for w in words if _cased(w)])}): its cased tokens never occur in "
            "encoded text; drop --lowercase or use a lowercase vocabulary"
        )
    if tokenizer.kind != "sentencepiece":
        found += _unreachable(words, tokenizer, vocab, cased_said=bool(found))
    return found


def _unreachable(
    words: list[str], tokenizer: TokenizerSpec, vocab: str, *, cased_said: bool
) -> list[str]:
    """Vocabulary tokens the tokenizer splits, or rewrites (NFKC, lowercase)."""
    outputs = {w: tokenizer(w) for w in words}
    split = [w for w, out in outputs.items() if len(out) != 1]
    rewritten = [
        f"{w} -> {out[0]}"
        for w, out in outputs.items()
        if len(out) == 1 and out[0] != w and not (cased_said and out[0] == w.lower())
    ]
    found = []
    if split:
        found.append(
            f"{len(split):,} of the {len(words):,} tokens of {vocab} can never come out of "
            f"the {tokenizer.kind} tokenizer, which splits them (e.g. {_examples(split)}): "
            "their rows are never used; count the vocabulary with the same tokenizer "
            "(--data) or choose the tokenizer it was made with"
        )
    if rewritten:
        steps = " and ".join(
            name
            for name, on in (
                ("NFKC", tokenizer.normalize == "nfkc"),
                ("lowercase", tokenizer.lowercase),
            )
            if on
        )
        found.append(
            f"{len(rewritten):,} of the {len(words):,} tokens of {vocab} can never come out of "
            f"the tokenizer, whose {steps or 'normalisation'} rewrites them (e.g. "
            f"{', '.join(rewritten[:3])}): their rows are never used; normalise the "
            "vocabulary the same way (count it with --data) or drop the option"
        )
    return found


def _header_warnings(vectors: WordVectors, names: dict[str, str]) -> list[str]:
    """A word2vec header whose row count the file does not hold (truncated or repeated)."""
    stats = vectors.source.get("read_stats")
    if not isinstance(stats, dict) or not stats.get("header_mismatch"):
        return []
    declared, found = stats.get("header_rows"), stats.get("rows_read")
    if not isinstance(declared, int) or not isinstance(found, int):
        return []
    path = names.get("vectors") or vectors.source.get("path", "the vectors file")
    if found < declared:
        return [
            f"{path}: the header declares {declared} rows but only {found} follow: the file "
            "is likely truncated (an interrupted download or copy); download or copy it again"
        ]
    cause = "its header line repeated" if found == declared + 1 else "files joined together"
    return [
        f"{path}: the header declares {declared} rows but {found} follow: likely {cause}; "
        "fix the file so the header matches its rows"
    ]


def build_warnings(
    alignment: Alignment,
    vectors: WordVectors,
    *,
    tokenizer: TokenizerSpec | None = None,
    names: dict[str, str] | None = None,
) -> list[str]:
    """One-line warnings about a build's inputs: low coverage and its likely cause,
    and tokenizer/vocabulary mismatches.

    Args:
        alignment: the alignment of the vocabulary to the vectors.
        vectors: the vectors aligned to.
        tokenizer: the build's tokenizer.
        names: how to name the inputs: ``vocab`` and ``vectors`` (e.g. the
            vocabulary file's path, and "vectors trained on corpus.txt").

    Returns:
        The warnings, most telling first; empty when nothing looks wrong.
    """
    names = names or {}
    vocab = alignment.vocab
    words = vocab.tokens[len(vocab.specials) :]
    # pretrained vectors keep only the rows the vocabulary wanted: their keys tell nothing
    table = vectors.keys[: len(vectors.keys) - vectors.n_subword]
    keys = None if "read_stats" in vectors.source else table
    found = _header_warnings(vectors, names)
    head = _coverage_head(alignment)
    if head is not None:
        found += [f"{head}: {cause}" for cause in _causes(alignment, words, keys, names)]
    if tokenizer is not None:
        more = _tokenizer_warnings(words, tokenizer, names.get("vocab", "the vocabulary"))
        said_pieces = any("sentencepiece pieces" in line for line in found)
        found += [w for w in more if not (said_pieces and "sentencepiece" in w)]
    return found
