"""Read GloVe co-occurrence shards (written by the Spark engine) and train GloVe on them.

The directory layout is :mod:`aligner.engines.spark.cooccur`'s: Parquet files
of ``(row, col, value)`` sorted by (row, col) across files in name order,
the vocabulary in ``_vocab/`` and the facts in ``_cooccur.json``. Reading
needs pyarrow only (no Spark, no Java): the shards may be counted on a
cluster and trained on a GPU machine.

The pairs are read a record batch at a time into arrays allocated once (12
bytes per pair): in memory when they fit in ``memory_gb``, else in
memory-mapped files that the OS pages (see :func:`read_shards`). Pairs read
in order are passed to :func:`aligner.train.glove.fit_glove` without a copy
or a sort, so the same counts give the same vectors as the local engine's
for the same seed.

Paths may be local, ``file:`` URIs, or URIs pyarrow opens (``s3://``,
``hdfs://``; ``s3a://`` is read as ``s3://``).

Example:
    >>> cooc, vocab, meta = read_shards("cooc/")  # doctest: +SKIP
    >>> wv = train_glove_shards("cooc/", GloveTrainingParams(dim=50))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np

from aligner.errors import CorpusError, InputError
from aligner.progress import SILENT, Progress
from aligner.train.cooccur import Cooccurrences, GloveVocab
from aligner.vectors import WordVectors

__all__ = ["read_shards", "train_glove_shards"]

GIB = 1 << 30
META, VOCAB, FORMAT = "_cooccur.json", "_vocab", "aligner-cooccur"
PAIR_BYTES = 12  # int32 row, int32 col, float32 value
MIN_BATCH_ROWS = 1 << 16


def _filesystem(path: str | os.PathLike[str]) -> tuple[Any, str]:
    """The pyarrow filesystem of ``path`` and the path within it."""
    import pyarrow.fs as pafs

    text = os.fspath(path)
    if text.startswith("file:"):
        return pafs.LocalFileSystem(), unquote(urlparse(text).path)
    if "://" in text:
        if text.startswith("s3a://"):
            text = "s3://" + text[len("s3a://") :]
        try:
            return pafs.FileSystem.from_uri(text)
        except Exception as exc:  # pyarrow: an unknown scheme, no S3/HDFS support
            raise CorpusError(f"{path}: pyarrow cannot open it ({exc}); copy it locally") from None
    return pafs.LocalFileSystem(), os.path.abspath(text)


def _meta(fs: Any, root: str, shown: str) -> dict[str, Any]:
    try:
        with fs.open_input_stream(f"{root}/{META}") as stream:
            meta = json.loads(stream.read(1 << 24))
    except FileNotFoundError:
        raise CorpusError(
            f"{shown} holds no {META}: it is not a directory of co-occurrence shards written by "
            "aligner's Spark engine (or it was not finished); count them again"
        ) from None
    except (OSError, ValueError) as exc:
        raise CorpusError(
            f"{shown}/{META}: cannot read it ({exc}); count the shards again"
        ) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("version") != 1:
        raise CorpusError(f"{shown}/{META} is not aligner's co-occurrence shards description")
    return meta


def _parquet_files(fs: Any, folder: str) -> list[str]:
    import pyarrow.fs as pafs

    infos = fs.get_file_info(pafs.FileSelector(folder, recursive=False))
    names = [i.path for i in infos if i.is_file and i.base_name.endswith(".parquet")]
    return sorted(n for n in names if not os.path.basename(n).startswith(("_", ".")))


def _read_vocab(fs: Any, root: str, shown: str, size: int) -> GloveVocab:
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = _parquet_files(fs, f"{root}/{VOCAB}")
    tables = [pq.read_table(name, filesystem=fs) for name in files]
    table = pa.concat_tables(tables).sort_by("id") if tables else None
    if table is None or table.num_rows != size:
        raise CorpusError(
            f"{shown}/{VOCAB}: the vocabulary does not hold {size} words; count again"
        )
    ids = np.asarray(table.column("id"))
    if not np.array_equal(ids, np.arange(size)):
        raise CorpusError(f"{shown}/{VOCAB}: word ids are not 0..{size - 1}; count again")
    words = table.column("word").to_pylist()
    return GloveVocab(words, np.asarray(table.column("count"), dtype=np.int64))


def _arrays(pairs: int, on_disk: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Room for the pairs: in memory, or memory-mapped files in a directory of ``on_disk``
    (unlinked at once: they live as long as the arrays, and the OS pages them)."""
    kinds = (np.int32, np.int32, np.float32)
    if on_disk is None:
        rows, cols, values = (np.empty(pairs, kind) for kind in kinds)
        return rows, cols, values
    try:
        with tempfile.TemporaryDirectory(prefix="aligner-glove-pairs-", dir=on_disk) as folder:
            maps = [
                np.lib.format.open_memmap(os.path.join(folder, f"{i}.npy"), "w+", kind, (pairs,))
                for i, kind in enumerate(kinds)
            ]
    except OSError as exc:
        raise InputError(
            f"cannot make room for {pairs} pairs in {on_disk} ({exc.strerror}); pass a "
            "writable tmp_dir with space, or raise memory_gb"
        ) from None
    return maps[0], maps[1], maps[2]


def _read_pairs(
    fs: Any, files: list[str], pairs: int, batch_rows: int, shown: str, on_disk: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import pyarrow.parquet as pq

    rows, cols, values = _arrays(pairs, on_disk)
    at = 0
    for name in files:
        with fs.open_input_file(name) as source, pq.ParquetFile(source) as parquet:
            for batch in parquet.iter_batches(
                batch_size=batch_rows, columns=["row", "col", "value"]
            ):
                n = batch.num_rows
                if at + n > pairs:
                    raise CorpusError(
                        f"{shown}: more pairs than {META} says ({pairs}); count again"
                    )
                for target, column in zip((rows, cols, values), batch.columns, strict=True):
                    target[at : at + n] = np.asarray(column)
                at += n
    if at != pairs:
        raise CorpusError(f"{shown}: {at} pairs where {META} says {pairs}; count again")
    return rows, cols, values


def read_shards(
    path: str | os.PathLike[str],
    *,
    memory_gb: float = 1.0,
    tmp_dir: str | os.PathLike[str] | None = None,
) -> tuple[Cooccurrences, GloveVocab, dict[str, Any]]:
    """The co-occurrences, vocabulary and description of a shards directory.

    Pairs that fit in ``memory_gb`` (12 bytes each) are read into memory;
    more are read into memory-mapped files in ``tmp_dir`` (default: the
    system's temporary directory), which the OS pages in and out as training
    visits them (slower, but the process stays within the memory it has).

    Args:
        path: the directory :func:`~aligner.engines.spark.cooccur.cooccurrence_shards` wrote.
        memory_gb: memory for the pairs and the reading.
        tmp_dir: where pairs beyond ``memory_gb`` go.

    Returns:
        ``(cooccurrences, vocab, meta)``: the pairs in file order (sorted by
        (row, col) when the shards are), the words in id order with their
        counts, and the ``_cooccur.json`` description.

    Raises:
        CorpusError: not a shards directory, or one whose files disagree with
            its description (a missing or extra file).
        InputError: ``memory_gb`` is not positive.

    Example:
        >>> cooc, vocab, meta = read_shards("cooc/")  # doctest: +SKIP
        >>> cooc.vocab_size == len(vocab.words)  # doctest: +SKIP
        True
    """
    if not memory_gb > 0:
        raise InputError(f"--memory-gb must be positive, got {memory_gb}")
    shown = os.fspath(path)
    fs, root = _filesystem(path)
    meta = _meta(fs, root, shown)
    size, pairs = int(meta["vocab_size"]), int(meta["pairs"])
    vocab = _read_vocab(fs, root, shown, size)
    budget = int(memory_gb * GIB)
    batch_rows = max(MIN_BATCH_ROWS, budget // (16 * PAIR_BYTES))
    on_disk = None
    if pairs * PAIR_BYTES > budget:
        on_disk = os.fspath(tmp_dir) if tmp_dir is not None else tempfile.gettempdir()
    files = _parquet_files(fs, root)
    rows, cols, values = _read_pairs(fs, files, pairs, batch_rows, shown, on_disk)
    if pairs and (rows.min() < 0 or cols.min() < 0 or max(rows.max(), cols.max()) >= size):
        raise CorpusError(f"{shown}: pair ids outside the vocabulary of {size} words; count again")
    return Cooccurrences(rows, cols, values, vocab_size=size), vocab, meta


def train_glove_shards(
    path: str | os.PathLike[str],
    params: Any = None,
    *,
    memory_gb: float | None = None,
    tmp_dir: str | os.PathLike[str] | None = None,
    progress: Progress = SILENT,
) -> WordVectors:
    """Train GloVe on a shards directory, as the local engine trains on its own counts.

    Args:
        path: the shards directory.
        params: :class:`~aligner.train.glove_corpus.GloveTrainingParams`,
            :class:`~aligner.train.glove.GloveParams` or a mapping of their fields.
        memory_gb: memory for the pairs (default: ``params.memory_gb``, else 1);
            more are memory-mapped from ``tmp_dir`` (see :func:`read_shards`).
        tmp_dir: where pairs beyond ``memory_gb`` go.
        progress: receives the training bar.

    Returns:
        WordVectors keyed by the shards' vocabulary; ``source`` holds the
        method, parameters and losses, and ``cooccurrences`` the description.

    Raises:
        CorpusError: see :func:`read_shards`; InputError, TrainingError: see
            :func:`aligner.train.glove.train_glove`.

    Example:
        >>> wv = train_glove_shards("cooc/", {"dim": 50, "epochs": 15})  # doctest: +SKIP
    """
    from aligner.train import make_params
    from aligner.train.glove import GloveParams, train_glove

    chosen = params if isinstance(params, GloveParams) else make_params("glove", params)
    budget = memory_gb if memory_gb is not None else getattr(chosen, "memory_gb", 1.0)
    cooc, vocab, meta = read_shards(path, memory_gb=budget, tmp_dir=tmp_dir)
    vectors = train_glove(cooc, vocab, chosen, progress=progress)
    vectors.source["cooccurrences"] = {"path": os.fspath(path)} | {
        key: meta[key] for key in ("vocab_size", "pairs", "window", "symmetric") if key in meta
    }
    return vectors
