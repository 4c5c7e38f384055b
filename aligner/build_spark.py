"""A build whose GloVe co-occurrences are counted on Spark (``BuildConfig(spark=session)``).

The corpus is counted and trained by :func:`aligner.engines.spark.train_glove`:
the same vocabulary cut, the same counts and, for the same seed, the same
vectors as the local engine, so the artifact holds the same vectors file.

What the build's inputs (see :mod:`aligner.reuse`) record of the corpus:

* **local files** (Spark lists them on the local filesystem, ``file:``): their
  content (sha256), named as the local engine names them (relative to the
  directory, or to the folder a glob starts from; a single file by no name).
  A build on Spark and a local build of the same files have the same key: each
  reuses the other's artifact. (In a directory Spark skips names starting with
  ``_``, which the local engine reads: then the files, and the keys, differ.)
* **other filesystems** (``hdfs://``, ``s3a://``, ...): Spark's listing, every
  file's URI, size and modification time
  (:func:`aligner.engines.spark.corpus_identity`), as hashing the files would
  cost a read of the whole corpus. The artifact is reused while the listing is
  unchanged; a file rewritten with the same size and time is not seen (pass
  ``force``).

Example:
    >>> identity, run = spark_training(config, params, progress)  # doctest: +SKIP
    >>> vectors = run(vocab, tokenizer)  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aligner.corpus import layout_of
from aligner.errors import CorpusError
from aligner.filehash import file_digest
from aligner.progress import Progress
from aligner.tokenize import TokenizerSpec
from aligner.vectors import WordVectors
from aligner.vocab import Vocab

if TYPE_CHECKING:
    from aligner.pipeline import BuildConfig

__all__ = ["spark_corpus_identity", "spark_training"]

_GLOB = set("*?[{")


def _glob_root(path: str) -> str:
    """The folder a glob starts from (``data/*/p-*.txt`` → ``data``); ``path`` itself if none."""
    parts = path.split("/")
    for index, part in enumerate(parts):
        if _GLOB & set(part):
            return "/".join(parts[:index]) or ("/" if path.startswith("/") else ".")
    return path


def _local_entry(local: Path, name: str, cache: Any) -> list[Any]:
    """``[name, layout, compression, sha256]``, as :func:`aligner.reuse.corpus_identity` has it."""
    found = layout_of(local)
    try:
        digest = file_digest(local, cache=cache)
    except OSError as exc:
        raise CorpusError(f"{local}: cannot read it ({exc.strerror or exc})") from None
    return [name, found.layout, found.compression, digest]


def spark_corpus_identity(
    spark: Any,
    corpus: str | os.PathLike[str],
    text_column: str | None,
    *,
    cache: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """What decides the content of the corpus Spark reads, for a build's key (see the module).

    Args:
        spark: the ``SparkSession``.
        corpus: a file, directory or glob Spark reads.
        text_column: the text column of tabular files.
        cache: the cache of file digests (see :mod:`aligner.filehash`).

    Returns:
        Local files: the local engine's identity of the same files (content
        digests); other filesystems: Spark's listing (URIs, sizes, times).

    Raises:
        CorpusError: the path matches nothing, cannot be listed or read, or is an archive.

    Example:
        >>> spark_corpus_identity(spark, "data_samples/corpus.txt", None)["files"][0][0]
        ... # doctest: +SKIP
        ''
    """
    from aligner.engines.spark import corpus_identity
    from aligner.engines.spark.fs import list_files, qualified, shown

    given = os.fspath(corpus)
    listed = list_files(spark, given)  # a path Spark cannot list fails here, in one line
    if not all(file.path.startswith("file:") for file in listed):
        return corpus_identity(spark, given, text_column)
    root = Path(shown(qualified(spark, _glob_root(given))))
    single = _glob_root(given) == given and not root.is_dir()
    files = []
    for file in listed:
        local = Path(shown(file.path))
        try:
            name = "" if single else local.relative_to(root).as_posix()
        except ValueError:  # not under the folder it was listed from (a link): its path
            name = local.as_posix()
        files.append(_local_entry(local, name, cache))
    return {"files": files, "text_column": text_column}


def spark_training(
    config: BuildConfig, params: Any, progress: Progress
) -> tuple[dict[str, Any], Callable[[Vocab, TokenizerSpec], WordVectors]]:
    """The corpus's identity and the function that trains GloVe on Spark (counting there).

    Args:
        config: a build configuration with ``spark`` and a ``corpus``.
        params: the GloVe training parameters, seeded.
        progress: receives the training bar.

    Returns:
        ``(identity, run)``; ``run(vocab, tokenizer)`` returns the vectors.

    Raises:
        CorpusError: see :func:`spark_corpus_identity`.
    """
    from aligner.engines.spark import train_glove

    assert config.corpus is not None and config.spark is not None
    corpus, column, spark = os.fspath(config.corpus), config.text_column, config.spark
    identity = spark_corpus_identity(spark, corpus, column, cache=config.cache)

    def run(vocab: Vocab, tokenizer: TokenizerSpec) -> WordVectors:
        return train_glove(
            spark,
            corpus,
            params,
            tokenizer=tokenizer,
            text_column=column,
            progress=progress,
            shards=config.spark_shards,
        )

    return identity, run
