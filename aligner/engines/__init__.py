"""Engines: where aligner's heavy data work runs.

The ``local`` engine is aligner itself, in this process (the default
everywhere). The ``spark`` engine (:mod:`aligner.engines.spark`) runs the
counting, GloVe co-occurrence counting and encoding on Apache Spark, on
``local[*]`` or on a cluster, with the same tokenizer and the same results.
It needs the ``spark`` extra (``pip install 'aligner[spark]'``) and Java;
``import aligner`` never imports pyspark, and neither does importing
:mod:`aligner.engines.spark`: pyspark is imported when a function that needs
it runs.

:mod:`aligner.engines.glove_shards` reads co-occurrence shards written by
the Spark engine (pyarrow only, no Spark needed) and trains GloVe on them.

Example:
    >>> from aligner.engines import spark  # doctest: +SKIP
    >>> session = spark.get_session(master="local[2]")  # doctest: +SKIP
    >>> report = spark.build_vocab_report(session, "data/*.txt", tokenizer=TokenizerSpec())
    ... # doctest: +SKIP
"""

from __future__ import annotations

__all__ = ["ENGINES", "glove_shards", "spark"]

#: the engines a command may run on (``--engine``)
ENGINES = ("local", "spark")


def __getattr__(name: str) -> object:
    # the subpackages are imported when first named: neither imports pyspark
    if name in ("spark", "glove_shards"):
        import importlib

        return importlib.import_module(f"aligner.engines.{name}")
    raise AttributeError(f"module 'aligner.engines' has no attribute {name!r}")
