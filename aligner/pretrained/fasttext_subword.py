"""fastText's character n-grams and word vectors, computed as gensim computes them.

A fastText model keeps one row per word of its table, then ``bucket`` rows
of hashed character n-grams. gensim (4.4) gives a word of the table the mean
of its own row and its n-grams' rows, and a word outside the table the mean
of its n-grams' rows alone. The n-grams of a word are those of ``<word>``
from ``minn`` to ``maxn`` characters (UTF-8 code points), by start then by
length, leaving out the bare ``<`` and ``>``; each is hashed with 32-bit
FNV-1a over its UTF-8 bytes, every byte sign-extended as a C ``signed char``
(as gensim's ``ft_hash_bytes`` and fastText do), modulo ``bucket``.

Everything here works on whole arrays (no Python loop per n-gram), sums the
rows in gensim's order in float32, and reads only the matrix rows it needs.

Example:
    >>> ids, offsets = ngram_buckets(["ab"], 3, 4, 2_000_000)
    >>> offsets.tolist()  # "<ab", "ab>" and "<ab>"
    [0, 3]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["has_ngrams", "ngram_buckets", "word_vectors"]

_FNV_OFFSET = np.uint32(2166136261)
_FNV_PRIME = np.uint32(16777619)
#: n-grams hashed (and rows summed) per batch of words, bounding the work arrays
NGRAMS_PER_BATCH = 1 << 18
#: bytes of matrix rows a batch of words holds (at most about)
BATCH_BYTES = 96 << 20


def _encode(words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of every ``<word>`` end to end, and where each word starts (plus the end)."""
    encoded = [f"<{w}>".encode("utf-8", "surrogatepass") for w in words]
    lengths = np.fromiter(map(len, encoded), np.int64, len(encoded))
    starts = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum(lengths, out=starts[1:])
    return np.frombuffer(b"".join(encoded), np.uint8), starts


def _spans(
    data: np.ndarray, word_starts: np.ndarray, minn: int, maxn: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every n-gram as (word, first byte, end byte), in gensim's order."""
    chars = np.flatnonzero((data & 0xC0) != 0x80)  # a byte that starts a code point
    bounds = np.append(chars, len(data))  # code point g is bounds[g]:bounds[g + 1]
    first = np.searchsorted(chars, word_starts[:-1])  # each word's first code point
    counts = np.diff(np.append(first, len(chars)))
    word = np.repeat(np.arange(len(counts)), counts)
    glob = np.arange(len(chars))
    left = first[word] + counts[word] - glob  # code points from g to the word's end
    low = max(minn, 1)
    per = np.clip(np.minimum(left, maxn) - low + 1, 0, None)
    total = int(per.sum())
    origin = np.repeat(glob, per)
    begin = np.zeros(len(per), np.int64)
    np.cumsum(per[:-1], out=begin[1:])
    n = low + np.arange(total) - np.repeat(begin, per)
    keep = (n > 1) | ((origin != first[word[origin]]) & (left[origin] > 1))
    origin, n = origin[keep], n[keep]  # a single character is never the "<" or the ">"
    return word[origin], bounds[origin], bounds[origin + n]


def _fnv1a(data: np.ndarray, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
    """gensim's ``ft_hash_bytes`` of every ``data[begin:end]``, as uint32."""
    signed = data.view(np.int8).astype(np.uint32)  # sign-extended, as a C signed char
    hashes = np.full(len(begin), _FNV_OFFSET, np.uint32)
    length = end - begin
    for step in range(int(length.max(initial=0))):
        live = np.flatnonzero(length > step)
        hashes[live] = (hashes[live] ^ signed[begin[live] + step]) * _FNV_PRIME
    return hashes


def ngram_buckets(
    words: Sequence[str], minn: int, maxn: int, bucket: int
) -> tuple[np.ndarray, np.ndarray]:
    """The n-gram buckets of each word, in the order gensim adds their rows.

    Args:
        words: the words.
        minn: the shortest n-gram, in code points (the model's ``minn``).
        maxn: the longest n-gram (``maxn``).
        bucket: the number of n-gram rows (``bucket``); 0: no n-grams.

    Returns:
        ``(ids, offsets)``: word ``i``'s buckets are ``ids[offsets[i]:offsets[i + 1]]``
        (int64, in ``[0, bucket)``; a bucket repeats when two n-grams share it).

    Example:
        >>> ids, offsets = ngram_buckets(["a", "ab"], 1, 2, 100)
        >>> offsets.tolist()  # "a", "<a", "a>"; then "a", "b", "<a", "ab", "b>"
        [0, 3, 8]
    """
    data, word_starts = _encode(words)
    if bucket <= 0 or maxn < max(minn, 1) or not words:
        return np.zeros(0, np.int64), np.zeros(len(words) + 1, np.int64)
    word, begin, end = _spans(data, word_starts, minn, maxn)
    hashes = _fnv1a(data, begin, end)
    offsets = np.zeros(len(words) + 1, np.int64)
    np.cumsum(np.bincount(word, minlength=len(words)), out=offsets[1:])
    return (hashes % np.uint32(bucket)).astype(np.int64), offsets


def has_ngrams(word: str, minn: int, maxn: int, bucket: int) -> bool:
    """Whether ``word`` has an n-gram (and so a composed vector) in such a model.

    Example:
        >>> has_ngrams("ab", 3, 6, 2_000_000), has_ngrams("ab", 5, 6, 2_000_000)
        (True, False)
    """
    low, top = max(minn, 1), min(maxn, len(word) + 2)
    return bucket > 0 and (top >= max(low, 2) or (low <= 1 <= top and len(word) > 0))


def _batches(words: Sequence[str], span: int, limit: int) -> list[tuple[int, int]]:
    """Ranges of ``words`` with at most about ``limit`` rows to add each."""
    ranges, start, load = [], 0, 0
    for i, word in enumerate(words):
        cost = (len(word) + 2) * span + 1  # at most this many n-grams, and the word's own row
        load += cost
        if load > limit and i > start:
            ranges.append((start, i))
            start, load = i, cost
    ranges.append((start, len(words)))
    return ranges


def _sources(
    words: Sequence[str], rows: np.ndarray, nwords: int, minn: int, maxn: int, bucket: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each word's matrix rows, in the order gensim adds them: its own (if any), its n-grams'."""
    ids, offsets = ngram_buckets(words, minn, maxn, bucket)
    own = rows >= 0
    bounds = np.zeros(len(words) + 1, np.int64)
    np.cumsum(np.diff(offsets) + own, out=bounds[1:])
    sources = np.empty(int(bounds[-1]), np.int64)
    firsts = bounds[:-1][own]
    sources[firsts] = rows[own]
    rest = np.ones(len(sources), bool)
    rest[firsts] = False
    sources[rest] = nwords + ids
    return sources, bounds


def _sum_rows(
    block: np.ndarray, sources: np.ndarray, bounds: np.ndarray, own: np.ndarray
) -> np.ndarray:
    """Per word, the float32 sum of ``block[sources[bounds[i]:bounds[i + 1]]]`` in order.

    A word with its own row (``own``) starts from a copy of it, as gensim does;
    the others start from zeros. The sum runs one position at a time over all
    words (those with the most rows first, so that the words still adding
    are a prefix), so each word's rows are added in its own order.
    """
    order = np.argsort(-np.diff(bounds), kind="stable")
    count, first, own = np.diff(bounds)[order], bounds[:-1][order], own[order]
    out = np.zeros((len(count), block.shape[1]), np.float32)
    live = np.searchsorted(-count, -np.arange(int(count.max(initial=0))), side="left")
    for step, n in enumerate(live.tolist()):
        rows = block[sources[first[:n] + step]]
        if step == 0:
            out[:n][own[:n]] = rows[own[:n]]
            out[:n][~own[:n]] += rows[~own[:n]]
        else:
            out[:n] += rows
    result = np.empty_like(out)
    result[order] = out
    return result


def word_vectors(
    read_rows: Callable[[np.ndarray], np.ndarray],
    words: Sequence[str],
    rows: np.ndarray,
    *,
    dim: int,
    nwords: int,
    minn: int,
    maxn: int,
    bucket: int,
) -> np.ndarray:
    """gensim's ``wv[word]`` for each word, from the rows of a fastText model's input matrix.

    Words are taken in batches: a batch's rows are read (each once), summed,
    and let go, so that at most about :data:`BATCH_BYTES` of rows are held.

    Args:
        read_rows: gives the input matrix's rows for sorted, distinct row ids
            (:meth:`aligner.pretrained.fasttext_format.Model.read_rows`).
        words: the words.
        rows: each word's row in the table, or -1 for a word outside it.
        dim: the vector dimension.
        nwords: the words of the table (where the n-gram rows begin).
        minn: the model's shortest n-gram.
        maxn: its longest n-gram.
        bucket: its n-gram rows.

    Returns:
        A float32 matrix, one row per word: a table word's row averaged with
        its n-grams' rows; another word's n-gram rows averaged (zeros when it
        has none, as gensim gives).

    Example:
        >>> m = np.arange(12, dtype=np.float32).reshape(6, 2)  # 2 words, 4 buckets
        >>> word_vectors(lambda ids: m[ids], ["x"], np.array([1]), dim=2, nwords=2,
        ...              minn=3, maxn=3, bucket=0).tolist()
        [[2.0, 3.0]]
    """
    out = np.empty((len(words), dim), np.float32)
    span = max(maxn - max(minn, 1) + 1, 0) if bucket > 0 else 0
    limit = max(1024, min(NGRAMS_PER_BATCH, BATCH_BYTES // (4 * dim)))
    for start, stop in _batches(words, span, limit):
        batch = rows[start:stop]
        sources, bounds = _sources(words[start:stop], batch, nwords, minn, maxn, bucket)
        needed, where = np.unique(sources, return_inverse=True)
        total = _sum_rows(read_rows(needed), where.reshape(-1), bounds, batch >= 0)
        count = np.diff(bounds)
        nonzero = count > 0
        total[nonzero] /= count[nonzero, None].astype(np.float32)
        out[start:stop] = total
    return out
