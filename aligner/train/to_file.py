"""``aligner train``: train vectors on a corpus and write them as one standalone file.

The destination's name chooses the format:

=========================== ============================================================
``--out``                   written as
=========================== ============================================================
``.txt``, ``.vec``          word2vec text: whole-word vectors only
``.bin``                    fastText's own binary model for ``fasttext`` (words *and*
                            the n-gram buckets, so a later build composes vectors for
                            words outside the table); word2vec binary for the others
=========================== ============================================================

Each may be compressed: ``.gz``, ``.bz2`` or ``.xz`` after it. Any other name
(``.npy``, ``.parquet``, none) is refused before training starts. A fastText
model written as text loses its subwords; the result says so in its
``notes``. The destination is checked (name, exists, writable) before training
starts, and written beside itself and moved into place (never over a file
that appeared meanwhile, unless ``force``).

Example:
    >>> result = train_vectors_file("corpus.txt", "vectors.bin", "fasttext",
    ...                             {"dim": 50})  # doctest: +SKIP
    >>> result.format  # doctest: +SKIP
    'fasttext-bin'
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aligner.atomic import atomic_file, check_file_output
from aligner.corpus import Corpus
from aligner.errors import InputError
from aligner.progress import SILENT, Progress
from aligner.tokenize import TokenizerSpec
from aligner.train import make_params, train
from aligner.train.fasttext import fit_fasttext, save_fasttext_bin, table_vectors
from aligner.vectors import WordVectors
from aligner.writable import check_writable

__all__ = ["TrainedFile", "train_vectors_file"]


@dataclass
class TrainedFile:
    """What ``train_vectors_file`` wrote.

    Attributes:
        path: the written file.
        vectors: the trained table (whole words).
        format: ``"word2vec"`` (text), ``"word2vec-binary"`` or ``"fasttext-bin"``.
        notes: one-line remarks on what the format keeps (e.g. a fastText
            model written as text loses its subwords).
    """

    path: Path
    vectors: WordVectors
    format: str
    notes: list[str] = field(default_factory=list)


def _write_fasttext_bin(path: Path, model: Any, compression: str | None, force: bool) -> None:
    from aligner.export import compressed

    with (
        atomic_file(path, replace=force) as tmp,
        tmp.open("wb") as raw,
        compressed(raw, compression) as fh,
    ):
        save_fasttext_bin(model, fh)


def train_vectors_file(
    corpus: str | os.PathLike[str],
    out: str | os.PathLike[str],
    method: str = "word2vec",
    params: Any = None,
    *,
    tokenizer: TokenizerSpec | None = None,
    text_column: str | None = None,
    force: bool = False,
    progress: Progress = SILENT,
    follow_links: bool = False,
    spark: Any = None,
    spark_shards: str | os.PathLike[str] | None = None,
) -> TrainedFile:
    """Train on ``corpus`` and write the vectors to ``out`` in the format its name chooses.

    Args:
        corpus: the dataset-0 corpus (any layout :class:`~aligner.corpus.Corpus` reads).
        out: the vectors file (see the module table).
        method: ``"word2vec"``, ``"fasttext"`` or ``"glove"``.
        params: the method's parameters (see :func:`aligner.train.make_params`).
        tokenizer: how the corpus is split into tokens.
        text_column: the text column of tabular corpus files.
        force: replace an existing ``out``.
        progress: receives progress bars.
        follow_links: in a corpus directory, also follow links that lead out
            of it (by default an error).
        spark: a ``SparkSession``: GloVe's counting runs on Spark
            (:func:`aligner.engines.spark.train_glove`), ``corpus`` being any
            paths Spark reads; ``method`` must be ``"glove"``.
        spark_shards: with ``spark``, where the co-occurrence shards go and stay (a
            directory the executors share; needed on a cluster).

    Returns:
        A :class:`TrainedFile`.

    Raises:
        InputError: ``out`` exists without ``force`` (or appears while
            training), is a directory, cannot be written, or has a name that
            says no format written here; parameters of another method.
        CorpusError, TrainingError: see :func:`aligner.train.train`.
    """
    from aligner.export import vectors_file_format, write_vectors

    kind, compression = vectors_file_format(out)
    path = check_file_output(out, force=force)
    check_writable(path)
    chosen = make_params(method, params)
    if spark is not None:
        from aligner.engines.spark import train_glove

        if method != "glove":
            raise InputError(f"the Spark engine trains GloVe only, not {method}")
        vectors = train_glove(spark, os.fspath(corpus), chosen, tokenizer=tokenizer,
                              text_column=text_column, progress=progress,
                              shards=spark_shards)  # fmt: skip
        write_vectors(path, vectors, force=force)
        return TrainedFile(path, vectors, "word2vec-binary" if kind == "binary" else "word2vec")
    source = Corpus(corpus, tokenizer=tokenizer, text_column=text_column, follow_links=follow_links)
    binary = kind == "binary"
    if method == "fasttext" and binary:
        model, chosen = fit_fasttext(source, chosen, progress=progress)
        vectors = table_vectors(model, source, chosen)
        _write_fasttext_bin(path, model, compression, force)
        return TrainedFile(path, vectors, "fasttext-bin")
    vectors = train(source, method, chosen, progress=progress)
    write_vectors(path, vectors, force=force)
    notes = []
    if method == "fasttext":
        plain = path.name[: -len(compression)] if compression else path.name
        notes.append(
            f"{path} keeps only whole-word vectors: fastText's subwords (which compose "
            f"vectors for unseen words) are kept only in its .bin format, e.g. --out "
            f"{path.with_name(Path(plain).stem + '.bin')}"
        )
    return TrainedFile(path, vectors, "word2vec-binary" if binary else "word2vec", notes)
