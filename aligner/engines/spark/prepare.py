"""Input for word2vec and fastText, prepared on Spark: tokenized, vocabulary-filtered text.

word2vec and fastText train on one machine, with gensim: Spark MLlib's
Word2Vec keeps the whole model on the driver and refuses a vocabulary times
dimension of 2³¹ or more, so aligner does not train them on Spark. What
Spark can do for them is the reading: :func:`write_token_shards` splits the
texts with the build's tokenizer, keeps the vocabulary's words, and writes
one line per text, tokens joined by one space, as gzip text files. aligner
(or gensim's ``LineSentence``) reads that directory on the training machine
with the plain whitespace tokenizer.

Example:
    >>> shards = write_token_shards(spark, "s3a://corpus/*.parquet", "tokens/",
    ...                             text_column="text", min_count=5)  # doctest: +SKIP
    >>> # then: aligner train --corpus tokens/ --method word2vec --out vectors.bin
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

from aligner.engines.spark.count import Paths, count_vocab, counted, source_name
from aligner.engines.spark.fs import list_files, staged_output
from aligner.engines.spark.inputs import group_files, read_texts
from aligner.engines.spark.session import get_session, map_in_arrow, spark_errors
from aligner.engines.spark.worker import filtered_lines
from aligner.errors import InputError
from aligner.tokenize import TokenizerSpec

__all__ = ["TokenShards", "write_token_shards"]


@dataclass(frozen=True)
class TokenShards:
    """What :func:`write_token_shards` wrote.

    Attributes:
        path: the output directory (as given).
        lines: lines written (texts with at least one kept token).
        vocab_size: the words kept.
        files: input files read.
    """

    path: str
    lines: int
    vocab_size: int
    files: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


def write_token_shards(
    spark: Any,
    data: Paths,
    out: str | os.PathLike[str],
    *,
    tokenizer: TokenizerSpec | None = None,
    text_column: str | None = None,
    words: list[str] | None = None,
    min_count: int = 5,
    max_vocab: int | None = None,
    compression: str | None = "gzip",
    force: bool = False,
) -> TokenShards:
    """Write the texts of ``data`` as tokenized lines of vocabulary words to ``out``.

    Args:
        spark: a ``SparkSession`` (``None``: started or reused).
        data: files, directories, globs Spark reads.
        out: the output directory (text part files).
        tokenizer: how texts are split (the build's tokenizer).
        text_column: the text column of tabular files.
        words: the words to keep; default: counted here, as GloVe's
            vocabulary (``min_count``, ``max_vocab``).
        min_count, max_vocab: the cut when ``words`` is not given.
        compression: ``"gzip"``, ``"bzip2"`` or ``None``.
        force: replace an existing ``out``.

    Returns:
        A :class:`TokenShards`.

    Raises:
        InputError: ``out`` exists without ``force``; an empty ``words``;
            CorpusError, TrainingError: see
            :func:`~aligner.engines.spark.cooccur.cooccurrence_shards`.

    Example:
        >>> write_token_shards(None, "corpus/", "tokens/", min_count=5)  # doctest: +SKIP
        TokenShards(path='tokens/', lines=..., vocab_size=..., files=16)
    """
    import pyarrow as pa

    spec = tokenizer or TokenizerSpec()
    spark = get_session(spark)
    if words is not None and not words:
        raise InputError("words is empty: no token would be kept; pass the vocabulary's words")
    source = source_name(data)
    with staged_output(spark, out, force=force) as tmp:
        if words is None:
            found = counted(spark, data, tokenizer=spec, text_column=text_column)
            try:
                words = count_vocab(found, min_count=min_count, max_vocab=max_vocab).words
            finally:
                found.release()
            files = found.files
        else:
            with spark_errors(f"read {source}"):
                files = list_files(spark, data)
        keep = partial(filtered_lines, spec, pa.array(words, pa.string()))
        with spark_errors(f"write the tokens of {source}"):
            texts = read_texts(spark, group_files(files, text_column), text_column)
            options = {} if compression is None else {"compression": compression}
            map_in_arrow(texts, keep, "text string").write.text(tmp, **options)
            lines = int(spark.read.text(tmp).count())
    return TokenShards(os.fspath(out), lines, len(words), len(files))
