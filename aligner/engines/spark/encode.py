"""Encoding on Spark: the artifact's Arrow encoder inside ``mapInArrow``.

:func:`encode` adds the Hugging Face columns to a DataFrame, in the local
``aligner encode``'s order: ``input_ids`` (``array<int>``), ``attention_mask``
(``array<tinyint>``, 1 for a token, 0 for padding; only when padding) and
``length`` (``int``, ids before padding). Each Python worker process opens the
artifact once (memory-mapped, cached by path and manifest sha256) and reuses
its encoder for every batch. The artifact's directory must be readable at the
same path on every executor (any path on a local master; a shared filesystem
on a cluster); a worker that finds another artifact there refuses it.

:func:`encode_files` is ``aligner encode --engine spark``: it reads files as
the local engine does, writes a Parquet dataset (a directory of part files)
with the local command's columns, rows in the input's order, and renames it
into place when complete.

Example:
    >>> out = encode(spark.read.parquet("train/"), "build/demo", "text", max_length=64)
    ... # doctest: +SKIP
    >>> out.select("input_ids", "length").first()  # doctest: +SKIP
    Row(input_ids=[17, 4, 52], length=3)
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

from aligner.encode_adapters import IDS, LENGTH, MASK
from aligner.engines.spark.count import Paths, source_name
from aligner.engines.spark.fs import list_files, staged_output
from aligner.engines.spark.inputs import (
    FIRST,
    ORDER,
    TEXT,
    Group,
    group_files,
    ordered_columns,
    read_table,
    text_lines,
    text_of,
)
from aligner.engines.spark.session import (
    get_session,
    map_in_arrow,
    require_pyspark,
    spark_errors,
)
from aligner.engines.spark.worker import encode_rows, manifest_sha256
from aligner.errors import InputError

__all__ = ["SparkEncodeResult", "encode", "encode_files"]

_FIRST = "_aligner_first"


@dataclass(frozen=True)
class SparkEncodeResult:
    """What :func:`encode_files` wrote.

    Attributes:
        path: the output directory (as given).
        rows: rows written (one per input row).
        tokens: ids written, padding excluded.
        unknown: ids that are the unk row.
        files: input files read.
        seconds: wall time of the whole call.
    """

    path: str
    rows: int
    tokens: int
    unknown: int
    files: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


def _artifact(
    artifact: str | os.PathLike[str], max_length: int | None, pad: bool, unknown: str
) -> tuple[str, str, Any]:
    """The artifact's absolute path, manifest sha256, and an encoder made here (checks)."""
    from aligner.artifact import open_artifact

    if pad and max_length is None:
        raise InputError("padding on Spark needs max_length, so that every row has one width")
    path = os.path.abspath(os.fspath(artifact))
    encoder = open_artifact(path, verify=False).encoder(
        max_length=max_length, pad=pad, unknown=unknown
    )
    return path, manifest_sha256(path), encoder


def _check_column(frame: Any, column: str, outputs: tuple[str, ...]) -> None:
    from pyspark.sql.types import StringType

    fields = {f.name: f.dataType for f in frame.schema.fields}
    if column not in fields:
        raise InputError(
            f"the DataFrame has no column {column!r}; its columns are: "
            f"{', '.join(fields) or '(none)'}; pass column=<one of them>"
        )
    if not isinstance(fields[column], StringType):
        texts = [n for n, t in fields.items() if isinstance(t, StringType)]
        hint = f"its text columns are: {', '.join(texts)}" if texts else "it has no text column"
        raise InputError(
            f"column {column!r} is {fields[column].simpleString()}, not text; "
            f"pass column=<a text column> ({hint})"
        )
    taken = [name for name in outputs if name in fields]
    if taken:
        raise InputError(
            f"the data already has a column named {taken[0]!r}; rename it, or pass --ids-only"
        )


def _encoded(frame: Any, artifact: tuple[str, str, Any], column: str, first: str | None) -> Any:
    from pyspark.sql.types import ArrayType, ByteType, IntegerType, StructType

    path, sha256, encoder = artifact
    names = (IDS, MASK, LENGTH) if encoder.pad else (IDS, LENGTH)  # the local command's order
    _check_column(frame, column, names)
    types = {IDS: ArrayType(IntegerType()), MASK: ArrayType(ByteType()), LENGTH: IntegerType()}
    schema = StructType(list(frame.schema.fields))
    for name in names:
        schema = schema.add(name, types[name])
    options = (encoder.max_length, encoder.pad, encoder.unknown)
    return map_in_arrow(
        frame, partial(encode_rows, path, sha256, options, column, first, names), schema
    )


def encode(
    df: Any,
    artifact: str | os.PathLike[str],
    column: str = "text",
    *,
    max_length: int | None = None,
    pad: bool = False,
    unknown: str = "unk",
) -> Any:
    """Add ``input_ids`` (``attention_mask`` when padding) and ``length`` to a DataFrame.

    The ids are the artifact encoder's (``art.encoder(...)``), row by row;
    null where the text is null. Lazy: Spark runs it when the result is used.

    Args:
        df: a ``pyspark.sql.DataFrame``.
        artifact: the artifact directory, at a path every executor reads.
        column: the text column.
        max_length: keep at most the first ``max_length`` ids of each text.
        pad: pad every row to ``max_length`` with the pad row.
        unknown: ``"unk"``, ``"skip"`` or ``"error"`` (see :class:`~aligner.encode.Encoder`).

    Returns:
        A DataFrame: ``df``'s columns, then the new ones.

    Raises:
        InputError: the column is missing or not text, the output names are
            taken, ``pad`` without ``max_length``, a bad option.
        ArtifactError: the artifact cannot be opened.

    Example:
        >>> encode(df, "build/demo", "text", max_length=32, pad=True).columns  # doctest: +SKIP
        ['text', 'input_ids', 'attention_mask', 'length']
    """
    require_pyspark()
    return _encoded(df, _artifact(artifact, max_length, pad, unknown), column, None)


def _group_frame(
    spark: Any, group: Group, text_column: str | None, keep: bool
) -> tuple[Any, str, str | None]:
    """One group's DataFrame (with ``_metadata``), its text column and first-line key column."""
    from pyspark.sql import functions as F

    if group.layout == "text":
        frame = text_lines(spark, group).withColumnRenamed(FIRST, _FIRST)
        return frame, TEXT, _FIRST
    table = read_table(spark, group)
    name = text_of(group, table, text_column)
    if not group.header:  # columns "1", "2", ... as the local command names them
        renamed = {f"_c{i}": str(i + 1) for i in range(len(table.columns))}
        table, name = table.withColumnsRenamed(renamed), renamed[name]
    columns = table.columns if keep else [name]
    quoted = [F.col("`" + c.replace("`", "``") + "`") for c in columns]
    return table.select(*quoted, "_metadata"), name, None


def encode_files(
    spark: Any,
    data: Paths,
    artifact: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    text_column: str | None = None,
    max_length: int | None = None,
    pad: bool = False,
    unknown: str = "unk",
    keep_columns: bool = True,
    force: bool = False,
) -> SparkEncodeResult:
    """``aligner encode --engine spark``: encode files into a Parquet dataset at ``out``.

    One output row per input row, in the input's order (files in the order
    listed, then rows): the input's columns (unless ``keep_columns`` is
    false; a text file's column is ``text``), then ``input_ids``,
    ``attention_mask`` (with ``pad``) and ``length``.

    Args:
        spark: a ``SparkSession`` (``None``: started or reused).
        data: files, directories, globs Spark reads.
        artifact: the artifact directory, at a path every executor reads.
        out: the output directory (any path Spark writes).
        text_column: the text column of tabular files.
        max_length, pad, unknown: as :func:`encode`.
        keep_columns: copy the input's columns.
        force: replace an existing ``out``.

    Returns:
        A :class:`SparkEncodeResult`.

    Raises:
        InputError: ``out`` exists without ``force``; the data has no rows;
            files of several layouts with ``keep_columns``; see :func:`encode`.
        CorpusError: a path matches nothing, cannot be read, or its text
            column is missing or not text.

    Example:
        >>> encode_files(None, "data/*.parquet", "build/demo", "ids/", text_column="text")
        ... # doctest: +SKIP
    """
    start = time.perf_counter()
    spark = get_session(spark)
    chosen = _artifact(artifact, max_length, pad, unknown)
    source = source_name(data)
    with staged_output(spark, out, force=force) as tmp, spark_errors(f"encode {source}"):
        files = list_files(spark, data)
        groups = group_files(files, text_column)
        if keep_columns and len(groups) > 1:
            raise InputError(
                f"{source} mixes layouts ({', '.join(g.layout for g in groups)}) whose columns "
                "differ; pass --ids-only (keep_columns=False), or encode each layout apart"
            )
        result = _encoded_groups(spark, groups, chosen, text_column, keep_columns)
        result.orderBy(*ORDER).drop(*ORDER).write.parquet(tmp)
        rows, tokens, unknown_ids = _totals(spark, tmp, chosen[2])
        if rows == 0:
            raise InputError(f"{source} holds no rows to encode; check the files")
    seconds = time.perf_counter() - start
    return SparkEncodeResult(os.fspath(out), rows, tokens, unknown_ids, len(files), seconds)


def _encoded_groups(
    spark: Any,
    groups: list[Group],
    chosen: tuple[str, str, Any],
    text_column: str | None,
    keep: bool,
) -> Any:
    """The encoded rows of every group, one DataFrame, with the :data:`ORDER` columns."""
    frames = []
    for group in groups:
        frame, name, first = _group_frame(spark, group, text_column, keep)
        encoded = _encoded(ordered_columns(spark, frame, groups), chosen, name, first)
        drop = [c for c in (_FIRST,) if c in encoded.columns] + ([] if keep else [name])
        frames.append(encoded.drop(*drop))
    result = frames[0]
    for frame in frames[1:]:
        result = result.unionByName(frame)
    return result


def _totals(spark: Any, uri: str, encoder: Any) -> tuple[int, int, int]:
    from pyspark.sql import functions as F

    unk = encoder.vocab.unk_id
    written = spark.read.parquet(uri)
    unknown = F.lit(0) if unk is None else F.size(F.filter(IDS, lambda x: x == F.lit(unk)))
    row = written.agg(
        F.count(F.lit(1)).alias("rows"),
        F.sum(LENGTH).alias("tokens"),
        F.sum(F.when(F.col(IDS).isNotNull(), unknown)).alias("unknown"),
    ).first()
    return int(row["rows"]), int(row["tokens"] or 0), int(row["unknown"] or 0)
