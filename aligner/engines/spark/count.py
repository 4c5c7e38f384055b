"""Token counts and vocabularies on Spark, equal to the local engine's.

Texts are read as the local engine reads them (:mod:`~aligner.engines.spark.inputs`),
split by the same :class:`~aligner.tokenize.TokenizerSpec` inside
``mapInArrow`` (Arrow tokenization, no Python loop per token), counted per
partition and summed by Spark. Only the tokens that make the cut come back to
the driver; the cut itself (``min_count``, ``max_size``, ties in code point
order) is the local code's, so :func:`build_vocab_report` returns the
:class:`~aligner.vocab_build.VocabReport` that
:func:`aligner.vocab_build.build_vocab_file` would, and the file written by
:func:`build_vocab_file` is byte for byte the local one.

Example:
    >>> spark = get_session(master="local[2]")  # doctest: +SKIP
    >>> report = build_vocab_file(spark, "data/", "vocab.tsv", tokenizer=TokenizerSpec())
    ... # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np

from aligner.atomic import check_file_output
from aligner.engines.spark.fs import InputFile, list_files
from aligner.engines.spark.inputs import group_files, read_texts
from aligner.engines.spark.session import (
    get_session,
    map_in_arrow,
    require_pyspark,
    spark_errors,
)
from aligner.engines.spark.worker import count_tokens as count_batches
from aligner.errors import CorpusError, InputError, TrainingError
from aligner.tokenize import TokenizerSpec
from aligner.train.cooccur import GloveVocab
from aligner.vocab import DEFAULT_PAD, DEFAULT_UNK
from aligner.vocab_build import VocabReport, check_options, select_tokens, write_vocab
from aligner.writable import check_writable

__all__ = [
    "Counted",
    "Paths",
    "build_vocab_file",
    "build_vocab_report",
    "count_tokens",
    "count_vocab",
    "counted",
    "source_name",
]

Paths = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
COUNT_SCHEMA = "token string, count long"


def source_name(data: Paths) -> str:
    """The input as messages name it: the path, or the first path and how many more."""
    if isinstance(data, str | os.PathLike):
        return os.fspath(data)
    paths = [os.fspath(p) for p in data]
    return paths[0] if len(paths) == 1 else f"{paths[0]} (and {len(paths) - 1} more paths)"


@dataclass
class Counted:
    """The summed token counts of a dataset, as a Spark DataFrame, and what was read.

    Attributes:
        counts: a DataFrame of ``token`` and ``count`` (cached; one row with a
            null token counts the texts that have tokens).
        files: the files read.
        source: the input, for messages.
    """

    counts: Any
    files: list[InputFile]
    source: str

    def summary(self, specials: tuple[str | None, ...] = (), min_count: int = 1) -> dict[str, Any]:
        """Tokens, types and texts with tokens (``lines``); ``plain``: types other than
        ``specials``, ``reaching``: those seen at least ``min_count`` times; ``seen``:
        the specials that occur, in order."""
        from pyspark.sql import functions as F

        token = F.col("token")
        real = token.isNotNull()
        named = [s for s in specials if s is not None]
        plain = real & ~token.isin(named)
        with spark_errors(f"count the tokens of {self.source}"):
            row = self.counts.agg(
                F.sum(F.when(real, F.col("count"))).alias("tokens"),
                F.count(F.when(real, 1)).alias("types"),
                F.count(F.when(plain, 1)).alias("plain"),
                F.count(F.when(plain & (F.col("count") >= min_count), 1)).alias("reaching"),
                F.sum(F.when(token.isNull(), F.col("count"))).alias("lines"),
                *(F.count(F.when(token == s, 1)).alias(f"special{i}") for i, s in enumerate(named)),
            ).first()
        keys = ("tokens", "types", "plain", "reaching", "lines")
        found: dict[str, Any] = {key: int(row[key] or 0) for key in keys}
        found["seen"] = tuple(s for i, s in enumerate(named) if row[f"special{i}"])
        return found

    def ranked(
        self, min_count: int, limit: int | None, exclude: tuple[str | None, ...] = ()
    ) -> list[tuple[str, int]]:
        """The tokens seen at least ``min_count`` times, most frequent first, ties in
        code point order (Python's), at most ``limit``; ``exclude`` left out."""
        from pyspark.sql import functions as F

        chosen = self.counts.where(F.col("token").isNotNull() & (F.col("count") >= min_count))
        left_out = [s for s in exclude if s is not None]
        if left_out:
            chosen = chosen.where(~F.col("token").isin(left_out))
        if limit is not None:  # Spark's string order is UTF-8 byte order: code point order
            chosen = chosen.orderBy(F.desc("count"), F.asc("token")).limit(limit)
        with spark_errors(f"count the tokens of {self.source}"):
            rows = [(r["token"], int(r["count"])) for r in chosen.collect()]
        rows.sort(key=lambda item: (-item[1], item[0]))
        return rows if limit is None else rows[:limit]

    def release(self) -> None:
        """Drop the cached counts."""
        self.counts.unpersist()


def counted(
    spark: Any, data: Paths, *, tokenizer: TokenizerSpec, text_column: str | None = None
) -> Counted:
    """Count the tokens of ``data`` on Spark (files, directories, globs; see
    :mod:`~aligner.engines.spark.inputs`); the result is cached until released.

    Raises:
        CorpusError: a path matches nothing, a file's layout cannot be read on
            Spark, the text column is missing or not text, a text file is not UTF-8.
        InputError: ``text_column`` with plain text only; pyspark missing.
    """
    spark = get_session(spark)  # first: says what to install when pyspark is missing
    from pyspark.sql import functions as F

    source = source_name(data)
    with spark_errors(f"read {source}"):
        files = list_files(spark, data)
        texts = read_texts(spark, group_files(files, text_column), text_column)
        raw = map_in_arrow(texts, partial(count_batches, tokenizer), COUNT_SCHEMA)
        counts = raw.groupBy("token").agg(F.sum("count").alias("count")).persist()
    return Counted(counts, files, source)


def count_tokens(
    spark: Any, data: Paths, *, tokenizer: TokenizerSpec, text_column: str | None = None
) -> Counter[str]:
    """How often each token occurs: :func:`aligner.vocab_build.count_tokens` on Spark.

    Every distinct token comes back to the driver: for large data, use
    :func:`build_vocab_report` or :func:`count_vocab`, which bring back only the
    tokens kept.

    Raises:
        CorpusError, InputError: see :func:`counted`.

    Example:
        >>> count_tokens(spark, "train.txt", tokenizer=TokenizerSpec())  # doctest: +SKIP
        Counter({'the': 217, 'guitar': 5, ...})
    """
    found = counted(spark, data, tokenizer=tokenizer, text_column=text_column)
    try:
        return Counter(dict(found.ranked(1, None)))
    finally:
        found.release()


def build_vocab_report(
    spark: Any,
    data: Paths,
    *,
    tokenizer: TokenizerSpec,
    text_column: str | None = None,
    min_count: int = 1,
    max_size: int | None = None,
    pad: str | None = DEFAULT_PAD,
    unk: str | None = DEFAULT_UNK,
) -> VocabReport:
    """Count dataset 1 on Spark and cut its vocabulary as the local engine does.

    Args:
        spark: a ``SparkSession``, or ``None`` to start or reuse one
            (:func:`~aligner.engines.spark.session.get_session`).
        data: paths Spark reads: files, directories, globs (or a list of them).
        tokenizer, text_column, min_count, max_size, pad, unk: as for
            :func:`aligner.vocab_build.build_vocab`.

    Returns:
        The :class:`~aligner.vocab_build.VocabReport` the local engine gives (``path`` None).

    Raises:
        InputError: bad limits; CorpusError: see :func:`counted`.
        VocabError: no tokens, or none reaching ``min_count`` (the local messages).

    Example:
        >>> report = build_vocab_report(spark, "train/*.parquet", tokenizer=TokenizerSpec(),
        ...                             text_column="text", min_count=2)  # doctest: +SKIP
    """
    require_pyspark()
    check_options(min_count, max_size, pad, unk)
    found = counted(spark, data, tokenizer=tokenizer, text_column=text_column)
    try:
        return _report(found, min_count, max_size, pad, unk)
    finally:
        found.release()


def _report(
    found: Counted, min_count: int, max_size: int | None, pad: str | None, unk: str | None
) -> VocabReport:
    specials = (pad, unk)
    summary = found.summary(specials, min_count)
    seen = summary["seen"]
    kept = found.ranked(min_count, max_size, exclude=specials)
    cut = partial(select_tokens, source=found.source, min_count=min_count, pad=pad, unk=unk)
    if not kept:  # raises the local engine's error, from what it would have seen
        top = found.ranked(1, 1, exclude=specials)
        cut(Counter(dict(top) or dict.fromkeys(seen, 1)))
    report = cut(Counter(dict(kept)), max_size=max_size)
    return replace(
        report,
        tokens_counted=summary["tokens"],
        types_counted=summary["types"],
        dropped_min_count=summary["plain"] - summary["reaching"],
        dropped_max_size=summary["reaching"] - len(kept),
        dropped_specials=seen,
    )


def build_vocab_file(
    spark: Any,
    data: Paths,
    out: str | os.PathLike[str],
    *,
    tokenizer: TokenizerSpec,
    text_column: str | None = None,
    min_count: int = 1,
    max_size: int | None = None,
    pad: str | None = DEFAULT_PAD,
    unk: str | None = DEFAULT_UNK,
    force: bool = False,
) -> VocabReport:
    """``aligner vocab --engine spark``: count on Spark, write the vocabulary file locally.

    ``out`` is checked before counting, and written with the local engine's
    :func:`~aligner.vocab_build.write_vocab` (atomically): the same bytes as
    :func:`aligner.vocab_build.build_vocab_file` on the same data.

    Returns:
        The :class:`~aligner.vocab_build.VocabReport`, ``path`` set.

    Raises:
        InputError: ``out`` exists without ``force``, cannot be written; bad limits.
        CorpusError, VocabError: see :func:`build_vocab_report`.

    Example:
        >>> build_vocab_file(None, "hdfs:///data/train/", "vocab.tsv",
        ...                  tokenizer=TokenizerSpec(lowercase=True))  # doctest: +SKIP
    """
    require_pyspark()
    path = check_file_output(out, force=force)
    check_writable(path)
    report = build_vocab_report(
        spark, data, tokenizer=tokenizer, text_column=text_column,
        min_count=min_count, max_size=max_size, pad=pad, unk=unk,
    )  # fmt: skip
    return replace(report, path=write_vocab(report.vocab, path, force=force))


def count_vocab(found: Counted, *, min_count: int = 5, max_vocab: int | None = None) -> GloveVocab:
    """GloVe's vocabulary from counts: :func:`aligner.train.cooccur.count_vocab`'s cut.

    Raises:
        InputError: ``min_count`` or ``max_vocab`` below 1.
        CorpusError: no tokens. TrainingError: no token reaches ``min_count``.
    """
    if min_count < 1 or (max_vocab is not None and max_vocab < 1):
        raise InputError(
            f"min_count and max_vocab must be at least 1, got {min_count}, {max_vocab}"
        )
    name = f"corpus {found.source}"
    kept = found.ranked(min_count, max_vocab)
    if not kept:
        top = found.ranked(1, 3)
        if not top:
            raise CorpusError(f"{name} is empty: it has no tokens; pass a text file with text")
        shown = ", ".join(f"{w!r} x{c}" for w, c in top)
        raise TrainingError(
            f"no token of {name} occurs at least min_count={min_count} times "
            f"(most frequent: {shown}); lower --min-count or use a larger corpus"
        )
    return GloveVocab([w for w, _ in kept], np.array([c for _, c in kept], dtype=np.int64))
