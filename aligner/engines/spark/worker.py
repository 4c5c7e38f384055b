"""What runs inside Spark's Python workers: functions over Arrow record batches.

Each function takes the iterator of one partition's record batches (as
``DataFrame.mapInArrow`` hands them over) and yields record batches. They
use pyarrow and numpy only, never pyspark, and tokenize with
:func:`aligner.arrow_tokens.split_arrow`: the same tokens as
:class:`~aligner.tokenize.TokenizerSpec` gives the local engine, without a
Python loop per token.

Example:
    >>> batch = pa.record_batch({"text": ["a b a"], "first": pa.array([None], pa.int64())})
    >>> next(count_tokens(TokenizerSpec(), iter([batch]))).to_pylist()  # doctest: +SKIP
    [{'token': 'a', 'count': 2}, {'token': 'b', 'count': 1}, {'token': None, 'count': 1}]
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from aligner.errors import InputError
from aligner.tokenize import TokenizerSpec
from aligner.train.cooccur import distance_weights

__all__ = [
    "clean_texts",
    "cooccur_pairs",
    "count_tokens",
    "distance_weights",
    "encode_rows",
    "filtered_lines",
    "manifest_sha256",
]

BOM = "\ufeff"
#: pending (token, count) rows a worker sums before handing them to Spark
PENDING_ROWS = 1 << 20


def clean_texts(batches: Iterable[Any], text: str = "text", first: str = "first") -> Iterator[Any]:
    """The ``text`` arrays of batches of ``text`` and ``first`` (see
    :mod:`aligner.engines.spark.inputs`), a file's leading byte-order mark removed.

    A row is a file's first line when its ``first`` key is set and differs
    from the row before it (in this partition, across batches): Spark reads
    the blocks of a partition one after another, in order.
    """
    previous: int | None = None
    for batch in batches:
        texts, keys = batch.column(text), batch.column(first)
        if len(texts):
            texts = _without_bom(texts, keys, previous)
            last = keys[len(keys) - 1].as_py()
            previous = None if last is None else int(last)
        yield texts


def _without_bom(texts: Any, keys: Any, previous: int | None) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    marked = np.flatnonzero(np.asarray(pc.starts_with(texts, BOM).fill_null(False)))
    if not marked.size:
        return texts
    valid = np.asarray(keys.is_valid())
    values = np.asarray(keys.fill_null(0))
    before = np.concatenate([[previous is not None], valid[:-1]])
    earlier = np.concatenate([[0 if previous is None else previous], values[:-1]])
    first = valid & (~before | (earlier != values))
    rows = marked[first[marked]]
    if not rows.size:
        return texts
    fixed = pa.array([t[1:] for t in texts.take(rows).to_pylist()], pa.string())
    mask = np.zeros(len(texts), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(texts, pa.array(mask), fixed)


def _tokens(spec: TokenizerSpec, texts: Any) -> tuple[Any, np.ndarray]:
    """Flat tokens of a string array and each row's number of tokens."""
    import pyarrow.compute as pc

    from aligner.arrow_tokens import split_arrow

    lists = split_arrow(spec, texts)
    lengths = np.asarray(pc.list_value_length(lists).fill_null(0), dtype=np.int64)
    return lists.flatten(), lengths


def count_tokens(spec: TokenizerSpec, batches: Iterable[Any]) -> Iterator[Any]:
    """``(token, count)`` batches of a partition's texts, summed per token.

    One more row, whose token is null, counts the texts that have tokens.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    pending: list[Any] = []
    rows = lines = 0
    for texts in clean_texts(batches):
        tokens, lengths = _tokens(spec, texts)
        lines += int(np.count_nonzero(lengths))
        counted = pc.value_counts(tokens)
        pending.append(pa.table({"token": counted.field(0), "count": counted.field(1)}))
        rows += len(counted)
        if rows > PENDING_ROWS:
            yield from _summed(pending).to_batches()
            pending, rows = [], 0
    if pending:
        yield from _summed(pending).to_batches()
    yield pa.record_batch({"token": pa.array([None], pa.string()), "count": [lines]})


def _summed(tables: list[Any]) -> Any:
    import pyarrow as pa

    table = pa.concat_tables(tables).group_by("token").aggregate([("count", "sum")])
    return table.select(["token", "count_sum"]).rename_columns(["token", "count"])


def _pairs(
    ids: np.ndarray, pos: np.ndarray, size: int, window: int, symmetric: bool, bits: int
) -> np.ndarray:
    """Keys ``pair << bits | d`` of every pair of ids at most ``window`` apart in a line."""
    keys = []
    for d in range(1, window + 1):
        if d >= len(ids):
            break
        ok = pos[d:] >= d
        later, earlier = ids[d:][ok].astype(np.int64), ids[:-d][ok].astype(np.int64)
        if symmetric:  # each pair once, the smaller id first
            later, earlier = np.minimum(later, earlier), np.maximum(later, earlier)
        pair = later * size + earlier
        keys.append((pair << bits) | d if bits else pair)
    return np.concatenate(keys) if keys else np.empty(0, dtype=np.int64)


def _line_positions(lengths: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Each kept token's position in its line, counted among the kept tokens."""
    line = np.repeat(np.arange(len(lengths)), lengths)[keep]
    index = np.arange(len(line))
    starts = np.ones(len(line), dtype=bool)
    np.not_equal(line[1:], line[:-1], out=starts[1:])
    return index - np.maximum.accumulate(np.where(starts, index, 0))


def cooccur_pairs(
    spec: TokenizerSpec,
    words: Any,
    window: int,
    symmetric: bool,
    weighting: bool,
    batches: Iterable[Any],
) -> Iterator[Any]:
    """``(key, value)`` batches: ``key = row * len(words) + col`` of each pair of
    vocabulary words at most ``window`` apart in a text (words outside the
    vocabulary dropped first), ``value`` the summed weights (see
    :func:`distance_weights`), summed per key over up to PENDING_PAIRS keys at a time."""
    import pyarrow.compute as pc

    weights, _ = distance_weights(window, weighting)
    bits = window.bit_length() if weighting else 0  # the distance, kept in the key's low bits
    size = len(words)
    pending: list[tuple[np.ndarray, np.ndarray]] = []
    entries = 0
    for texts in clean_texts(batches):
        tokens, lengths = _tokens(spec, texts)
        found = pc.index_in(tokens, value_set=words)
        keep = np.asarray(found.is_valid())
        ids = np.asarray(found.fill_null(0), dtype=np.int64)[keep]
        keys = _pairs(ids, _line_positions(lengths, keep), size, window, symmetric, bits)
        if keys.size:
            pending.append(_summed_keys(keys, weights, bits))
            entries += len(pending[-1][0])
        if entries > PENDING_PAIRS:  # hand the partition's sums over, memory stays bounded
            yield _pair_batch(_merged(pending))
            pending, entries = [], 0
    if pending:
        yield _pair_batch(_merged(pending))


#: summed pairs a worker keeps before handing them to Spark (about 16 bytes each)
PENDING_PAIRS = 1 << 22


def _summed_keys(keys: np.ndarray, weights: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique pair keys and their summed weights, from keys ``pair << bits | d``."""
    keys.sort()
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    counts = np.diff(starts, append=len(keys))
    firsts = keys[starts]
    values = counts * weights[firsts & ((1 << bits) - 1)]
    pairs = firsts >> bits
    runs = np.flatnonzero(np.concatenate([[True], pairs[1:] != pairs[:-1]]))
    return pairs[runs], np.add.reduceat(values, runs)


def _merged(runs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """One sorted run of unique keys from several, values of equal keys summed."""
    if len(runs) == 1:
        return runs[0]
    keys = np.concatenate([k for k, _ in runs])
    values = np.concatenate([v for _, v in runs])
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], values[order]
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    return keys[starts], np.add.reduceat(values, starts)


def _pair_batch(run: tuple[np.ndarray, np.ndarray]) -> Any:
    import pyarrow as pa

    return pa.record_batch({"key": run[0], "value": run[1]})


def filtered_lines(spec: TokenizerSpec, words: Any, batches: Iterable[Any]) -> Iterator[Any]:
    """``text`` batches: each text's tokens that are in ``words``, joined by one space;
    texts left without a token are dropped."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for texts in clean_texts(batches):
        tokens, lengths = _tokens(spec, texts)
        keep = np.asarray(pc.is_in(tokens, value_set=words).fill_null(False))
        ends = np.cumsum(lengths)
        kept_before = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
        kept = kept_before[ends] - kept_before[ends - lengths]  # kept tokens per row
        offsets = np.zeros(len(lengths) + 1, dtype=np.int32)
        np.cumsum(kept, out=offsets[1:])
        lists = pa.ListArray.from_arrays(pa.array(offsets), pc.filter(tokens, pa.array(keep)))
        joined = pc.binary_join(lists, " ")
        yield pa.record_batch({"text": pc.filter(joined, pa.array(kept > 0))})


# ------------------------------------------------------------------ encoding

#: encoders opened in this worker process: (artifact path, manifest sha256, options) → Encoder
_ENCODERS: dict[tuple[str, str, tuple[Any, ...]], Any] = {}


def manifest_sha256(path: str | Path) -> str:
    """The sha256 of an artifact's ``manifest.json``: which artifact a path holds now."""
    return hashlib.sha256((Path(path) / "manifest.json").read_bytes()).hexdigest()


def _encoder(path: str, sha256: str, options: tuple[Any, ...]) -> Any:
    key = (path, sha256, options)
    encoder = _ENCODERS.get(key)
    if encoder is None:
        from aligner.artifact import open_artifact

        try:
            found = manifest_sha256(path)
        except OSError as exc:
            raise InputError(
                f"artifact {path} cannot be read on a Spark executor ({exc.strerror}); put it "
                "on storage every executor reads (a shared filesystem), at the same path"
            ) from None
        if found != sha256:
            raise InputError(
                f"artifact {path} on a Spark executor differs from the driver's (manifest "
                "sha256); give every executor the same artifact"
            )
        max_length, pad, unknown = options
        artifact = open_artifact(path, verify=False)  # vectors memory-mapped, never read
        encoder = artifact.encoder(max_length=max_length, pad=pad, unknown=unknown)
        _ENCODERS[key] = encoder
    return encoder


def encode_rows(
    path: str,
    sha256: str,
    options: tuple[Any, ...],
    column: str,
    first: str | None,
    names: tuple[str, ...],
    batches: Iterable[Any],
) -> Iterator[Any]:
    """Each batch with the ids of its ``column`` appended as ``names`` (``input_ids``,
    ``attention_mask``, ``length``, in the order given). With ``first`` (text files:
    the first-line key column, see :func:`clean_texts`), a file's byte-order mark is
    removed first."""
    import pyarrow as pa

    from aligner.encode_adapters import IDS, LENGTH, MASK, attention_mask

    encoder = _encoder(path, sha256, options)
    previous: int | None = None
    for batch in batches:
        texts = batch.column(column)
        if first is not None and len(texts):
            keys = batch.column(first)
            texts = _without_bom(texts, keys, previous)
            last = keys[len(keys) - 1].as_py()
            previous = None if last is None else int(last)
            batch = batch.set_column(batch.schema.get_field_index(column), column, texts)
        ids, lengths = encoder.encode_with_lengths(texts)
        made = {IDS: ids, LENGTH: lengths}
        if MASK in names:
            made[MASK] = attention_mask(ids, lengths)
        arrays = batch.columns + [made[name] for name in names]
        yield pa.RecordBatch.from_arrays(arrays, names=[*batch.schema.names, *names])
