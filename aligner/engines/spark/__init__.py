"""The Spark engine: aligner's counting, GloVe co-occurrences and encoding on Apache Spark.

Install it with ``pip install 'aligner[spark]'`` (pyspark; Spark needs Java 17
or later). Importing this package does not import pyspark; each function
does, and says in one line what to install when it is missing.

Every function takes a ``SparkSession`` first (``None``: one is started, or
the running one reused; see :func:`get_session`) and paths Spark reads:
local paths, ``hdfs://``, ``s3a://``, directories and globs.

=============================  =========================================================
:func:`build_vocab_file`       ``aligner vocab``: the same file, byte for byte
:func:`build_vocab_report`     the :class:`~aligner.vocab_build.VocabReport` of the local engine
:func:`count_tokens`           token counts (a ``Counter``, every type: small data)
:func:`cooccurrence_shards`    GloVe co-occurrences as Parquet shards of ``(row, col, value)``
:func:`train_glove`            count on Spark, then train GloVe from the shards
:func:`encode`                 add ``input_ids`` and ``length`` to a DataFrame
:func:`encode_files`           ``aligner encode``: a partitioned Parquet dataset of ids
:func:`write_token_shards`     tokenized, vocabulary-filtered text for word2vec/fastText
:func:`corpus_identity`        the input files' URIs, sizes and times (a build's cache key)
=============================  =========================================================

Example:
    >>> from aligner.engines import spark as engine
    >>> session = engine.get_session(master="local[2]")  # doctest: +SKIP
    >>> engine.encode(df, "build/demo", "text").select("input_ids").show()  # doctest: +SKIP
"""

from __future__ import annotations

from aligner.engines.spark.cooccur import CooccurrenceShards, cooccurrence_shards, train_glove
from aligner.engines.spark.count import (
    build_vocab_file,
    build_vocab_report,
    count_tokens,
    count_vocab,
    counted,
)
from aligner.engines.spark.encode import SparkEncodeResult, encode, encode_files
from aligner.engines.spark.fs import corpus_identity
from aligner.engines.spark.prepare import TokenShards, write_token_shards
from aligner.engines.spark.session import (
    DEFAULT_MASTER,
    MASTER_ENV,
    get_session,
    parse_conf,
    require_pyspark,
    spark_session,
)

__all__ = [
    "DEFAULT_MASTER",
    "MASTER_ENV",
    "CooccurrenceShards",
    "SparkEncodeResult",
    "TokenShards",
    "build_vocab_file",
    "build_vocab_report",
    "cooccurrence_shards",
    "corpus_identity",
    "count_tokens",
    "count_vocab",
    "counted",
    "encode",
    "encode_files",
    "get_session",
    "parse_conf",
    "require_pyspark",
    "spark_session",
    "train_glove",
    "write_token_shards",
]
