"""GloVe co-occurrence counts on Spark, written as Parquet shards, and GloVe trained on them.

The counts are the local engine's (:func:`aligner.train.cooccur.count_cooccurrences`):
within each text (a line, or a row of a table), every pair of vocabulary
words at most ``window`` apart (words outside the vocabulary dropped first)
adds ``1/distance`` (or 1), symmetrically by default, a word paired with
itself counting for both orders. With a window up to 18 the weights are
summed exactly, as integer multiples of ``1/lcm(1..window)``, so the values
equal the local engine's bit for bit whatever the partitioning; beyond,
they are float64 sums, equal to float32 rounding.

The output directory holds::

    part-*.parquet     row (int32), col (int32), value (float32): sorted by (row, col),
                       across files in name order too
    _vocab/            the vocabulary: id, word, count (Parquet), word ``id`` is row ``id``
    _cooccur.json      what was counted: vocabulary size, pairs, window, tokenizer, ...

(Spark and pyarrow skip names starting with ``_`` when reading the pairs.) It
is written under a temporary name and renamed into place when complete.
:mod:`aligner.engines.glove_shards` reads it back and trains.

Example:
    >>> shards = cooccurrence_shards(spark, "corpus/*.txt.gz", "cooc/", min_count=5)
    ... # doctest: +SKIP
    >>> shards.vocab_size, shards.pairs  # doctest: +SKIP
    (52342, 31007869)
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

from aligner.engines.spark.count import Counted, Paths, count_vocab, counted
from aligner.engines.spark.fs import staged_output, write_bytes
from aligner.engines.spark.inputs import group_files, read_texts
from aligner.engines.spark.session import get_session, map_in_arrow, quiet, spark_errors
from aligner.engines.spark.worker import cooccur_pairs, distance_weights
from aligner.errors import InputError
from aligner.progress import SILENT, Progress
from aligner.tokenize import TokenizerSpec
from aligner.train.cooccur import GloveVocab
from aligner.vectors import WordVectors

__all__ = ["FORMAT", "CooccurrenceShards", "cooccurrence_shards", "train_glove"]

FORMAT = "aligner-cooccur"
META, VOCAB = "_cooccur.json", "_vocab"


@dataclass(frozen=True)
class CooccurrenceShards:
    """What :func:`cooccurrence_shards` wrote.

    Attributes:
        path: the output directory (as given).
        vocab_size: words counted (rows and columns run below it).
        pairs: non-zero ``(row, col)`` entries written.
        tokens: tokens of the corpus (out-of-vocabulary ones included).
        lines: texts that have tokens.
        files: input files read.
        window, symmetric, distance_weighting: how pairs were counted.
    """

    path: str
    vocab_size: int
    pairs: int
    tokens: int
    lines: int
    files: int
    window: int
    symmetric: bool
    distance_weighting: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


def _check_size(size: int, window: int, weighting: bool) -> None:
    bits = window.bit_length() if weighting else 0
    if size * size << bits >= 1 << 63:
        raise InputError(
            f"{size} words with window {window} overflow 63-bit pair keys; "
            "lower --max-vocab or --window"
        )


def _pairs_frame(
    texts: Any, words: list[str], spec: TokenizerSpec, window: int, symmetric: bool, weighting: bool
) -> Any:
    """(row, col, value) of the summed counts, both orders when symmetric."""
    import pyarrow as pa
    from pyspark.sql import functions as F

    weights, scale = distance_weights(window, weighting)
    kind = "long" if weights.dtype.kind == "i" else "double"
    count = partial(cooccur_pairs, spec, pa.array(words, pa.string()), window, symmetric, weighting)
    summed = (
        map_in_arrow(texts, count, f"key long, value {kind}")
        .groupBy("key")
        .agg(F.sum("value").alias("value"))
    )
    size = len(words)
    row, col = F.expr(f"CAST(key DIV {size} AS INT)"), F.pmod("key", F.lit(size)).cast("int")
    value = (F.col("value").cast("double") / F.lit(scale)).cast("float")
    frame = summed.select(row.alias("row"), col.alias("col"), value.alias("value"))
    if not symmetric:
        return frame
    pair = F.struct(F.col("row"), F.col("col"), F.col("value"))
    diagonal = F.struct(F.col("row"), F.col("col"), (F.col("value") * 2).alias("value"))
    other = F.struct(F.col("col").alias("row"), F.col("row").alias("col"), F.col("value"))
    both = F.when(F.col("row") == F.col("col"), F.array(diagonal)).otherwise(F.array(pair, other))
    return frame.select(F.explode(both).alias("p")).select("p.row", "p.col", "p.value")


def _write_vocab(spark: Any, vocab: GloveVocab, uri: str) -> None:
    import pyarrow as pa

    table = pa.table(
        {
            "id": pa.array(range(len(vocab)), pa.int32()),
            "word": pa.array(vocab.words, pa.string()),
            "count": pa.array(vocab.counts, pa.int64()),
        }
    )
    with quiet():
        spark.createDataFrame(table).coalesce(1).write.parquet(uri)


def cooccurrence_shards(
    spark: Any,
    data: Paths,
    out: str | os.PathLike[str],
    *,
    tokenizer: TokenizerSpec | None = None,
    text_column: str | None = None,
    min_count: int = 5,
    max_vocab: int | None = None,
    window: int = 15,
    symmetric: bool = True,
    distance_weighting: bool = True,
    shards: int | None = None,
    force: bool = False,
) -> CooccurrenceShards:
    """Count GloVe's vocabulary and co-occurrences of ``data`` on Spark; write them to ``out``.

    Two passes over the data, as the local engine makes: the vocabulary
    (:func:`aligner.train.cooccur.count_vocab`'s cut: at least ``min_count``,
    at most ``max_vocab``, most frequent first, ties in code point order),
    then the pairs.

    Args:
        spark: a ``SparkSession`` (``None``: started or reused).
        data: files, directories, globs Spark reads (text, Parquet, JSONL, CSV/TSV).
        out: the directory to write (any path Spark writes).
        tokenizer: how texts are split (default: whitespace).
        text_column: the text column of tabular files.
        min_count, max_vocab: the vocabulary cut.
        window, symmetric, distance_weighting: as
            :func:`~aligner.train.cooccur.count_cooccurrences`.
        shards: the number of Parquet files (default: Spark's shuffle partitions).
        force: replace an existing ``out``.

    Returns:
        A :class:`CooccurrenceShards`.

    Raises:
        InputError: ``out`` exists without ``force``; ``window`` below 1; too
            many words for 63-bit keys. CorpusError: see
            :func:`~aligner.engines.spark.count.counted`; no tokens.
        TrainingError: no word reaches ``min_count``.
    """
    if window < 1:
        raise InputError(f"window must be at least 1, got {window}")
    spec = tokenizer or TokenizerSpec()
    spark = get_session(spark)
    with staged_output(spark, out, force=force) as tmp:
        found = counted(spark, data, tokenizer=spec, text_column=text_column)
        try:
            vocab = count_vocab(found, min_count=min_count, max_vocab=max_vocab)
            summary = found.summary()
        finally:
            found.release()
        _check_size(len(vocab), window, distance_weighting)
        pairs = _write_pairs(spark, found, vocab, spec, text_column, tmp, window, symmetric,
                             distance_weighting, shards)  # fmt: skip
        result = CooccurrenceShards(
            os.fspath(out), len(vocab), pairs, summary["tokens"], summary["lines"],
            len(found.files), window, symmetric, distance_weighting,
        )  # fmt: skip
        with spark_errors(f"write {os.fspath(out)}"):
            _write_vocab(spark, vocab, f"{tmp}/{VOCAB}")
            meta = result.to_dict() | {"format": FORMAT, "version": 1}
            meta |= {"tokenizer": spec.to_dict(), "min_count": min_count, "max_vocab": max_vocab}
            write_bytes(spark, f"{tmp}/{META}", json.dumps(meta, indent=1).encode())
    return result


def _write_pairs(
    spark: Any,
    found: Counted,
    vocab: GloveVocab,
    spec: TokenizerSpec,
    text_column: str | None,
    tmp: str,
    window: int,
    symmetric: bool,
    weighting: bool,
    shards: int | None,
) -> int:
    with spark_errors(f"count the co-occurrences of {found.source}"):
        texts = read_texts(spark, group_files(found.files, text_column), text_column)
        frame = _pairs_frame(texts, vocab.words, spec, window, symmetric, weighting)
        ranged = (
            frame.repartitionByRange(shards, "row", "col")
            if shards
            else frame.orderBy("row", "col")
        )
        ranged.sortWithinPartitions("row", "col").write.parquet(tmp)
        return int(spark.read.parquet(tmp).count())


def train_glove(
    spark: Any,
    corpus: Paths,
    params: Any = None,
    *,
    tokenizer: TokenizerSpec | None = None,
    text_column: str | None = None,
    shards: str | os.PathLike[str] | None = None,
    progress: Progress = SILENT,
) -> WordVectors:
    """GloVe with the counting on Spark: :func:`aligner.train.glove_corpus.train_glove_corpus`'s
    result, counted by :func:`cooccurrence_shards` and trained (here, in torch) from the shards.

    Args:
        spark: a ``SparkSession`` (``None``: started or reused).
        corpus: the dataset-0 paths.
        params: :class:`~aligner.train.glove_corpus.GloveTrainingParams` (or a mapping).
        tokenizer, text_column: as for counting.
        shards: where the shards go and stay; default a temporary directory,
            removed afterwards (a local master only: on a cluster pass a
            directory the executors and this process both reach).
        progress: receives the training bar.

    Returns:
        WordVectors; ``source`` as the local engine's, its corpus marked ``"engine": "spark"``.

    Raises:
        InputError, CorpusError, TrainingError: see :func:`cooccurrence_shards`
            and :func:`~aligner.engines.glove_shards.train_glove_shards`.
    """
    from aligner.engines.glove_shards import train_glove_shards
    from aligner.train import make_params
    from aligner.train.glove import resolve_device

    chosen = make_params("glove", params)
    resolve_device(chosen.device)  # fail before counting, not after
    spark = get_session(spark)
    if shards is None and not str(spark.sparkContext.master).startswith("local"):
        raise InputError(
            f"GloVe on Spark master {spark.sparkContext.master!r} needs a directory for the "
            "co-occurrence shards that the executors and this process both reach; pass shards="
        )
    work = tempfile.mkdtemp(prefix="aligner-spark-glove-") if shards is None else None
    where = os.path.join(work, "cooc") if work else os.fspath(shards or "")
    try:
        counts = cooccurrence_shards(
            spark, corpus, where, tokenizer=tokenizer, text_column=text_column,
            min_count=chosen.min_count, max_vocab=chosen.max_vocab, window=chosen.window,
        )  # fmt: skip
        vectors = train_glove_shards(where, chosen, progress=progress)
    finally:
        if work:
            shutil.rmtree(work, ignore_errors=True)
    vectors.source["corpus"] = _described(corpus, counts)
    vectors.source["tokenizer"] = (tokenizer or TokenizerSpec()).to_dict()
    return vectors


def _described(corpus: Paths, counts: CooccurrenceShards) -> dict[str, Any]:
    """The corpus as the local engine's ``source["corpus"]`` describes it, on Spark."""
    paths = os.fspath(corpus) if isinstance(corpus, str | os.PathLike) else list(map(str, corpus))
    return {
        "path": paths,
        "files": counts.files,
        "engine": "spark",
        "sentences": counts.lines,
        "tokens": counts.tokens,
    }
