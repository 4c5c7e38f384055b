"""Read dataset 0 or dataset 1 into a Spark DataFrame of texts, as the local engine reads it.

Each file's layout comes from its name, as for :class:`~aligner.corpus.Corpus`:

* text (plain, ``.gz``, ``.bz2``): one text per line, split on ``\\n`` only,
  trailing ``\\r`` removed, a byte-order mark at the start of a file removed;
  a line that is not valid UTF-8 stops the job naming the file;
* Parquet, JSONL (``.jsonl``/``.ndjson``/``.json``, compressed too), CSV/TSV
  (RFC 4180 quoting, values may span lines; a column given by number reads a
  file without a header line): the values of ``text_column``, which must hold
  text.

Spark cannot read Arrow IPC files nor ``.xz``: those are refused with the
remedy. A file's text column is checked against the schema Spark sees for
its layout (Parquet schemas merged across files, JSON's inferred, which
costs one pass over the JSON files).

The DataFrame has a ``text`` column and a ``first`` column: for the rows of
the first block of a text file, a hash of the file (else null), which tells
the worker which row is a file's first line (see
:func:`aligner.engines.spark.worker.clean_texts`).

Example:
    >>> frame = read_texts(spark, list_files(spark, "data/"), text_column=None)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aligner.corpus import layout_of
from aligner.corpus_io import is_position, position_name
from aligner.corpus_tables import KINDS
from aligner.engines.spark.fs import InputFile
from aligner.engines.spark.session import sql_error
from aligner.errors import CorpusError, InputError

__all__ = [
    "FIRST",
    "ORDER",
    "TEXT",
    "Group",
    "file_path",
    "group_files",
    "ordered_columns",
    "read_table",
    "read_texts",
    "text_lines",
    "text_of",
]

TEXT, FIRST = "text", "first"
#: the columns that give the local engine's row order (file, block, row in the block)
ORDER = ("_aligner_file", "_aligner_block", "_aligner_row")
_SPARK_CODECS = {None, "gzip", "bzip2"}
#: a CSV value that never occurs: no cell becomes null (pyarrow keeps "" as "")
_NO_NULL = "\ufffe\u0000aligner: no null value\u0000\ufffe"


@dataclass(frozen=True)
class Group:
    """Files read by one Spark reader: one layout (``text``, ``parquet``, ``jsonl``,
    ``csv``, ``tsv``), and for CSV/TSV whether line 1 is a header."""

    layout: str
    files: tuple[InputFile, ...]
    header: bool = True

    @property
    def paths(self) -> list[str]:
        return [file.path for file in self.files]

    @property
    def first(self) -> str:
        """The first file, as messages name it, and how many others share its layout."""
        others = len(self.files) - 1
        more = f" (and {others} more {self.layout} files)" if others else ""
        return self.files[0].shown + more


def _layout(file: InputFile) -> tuple[str, str | None]:
    try:
        found = layout_of(Path(file.name))
    except CorpusError as exc:
        raise CorpusError(f"{file.shown}: {str(exc).partition(': ')[2]}") from None
    if found.layout == "arrow":
        raise CorpusError(
            f"{file.shown}: Spark does not read Arrow/Feather files; convert them to Parquet "
            "(pyarrow.parquet.write_table), or use the local engine"
        )
    if found.compression not in _SPARK_CODECS:
        raise CorpusError(
            f"{file.shown}: Spark cannot decompress {found.compression} files; recompress it "
            "as .gz or .bz2, or use the local engine"
        )
    return found.layout, found.compression


def group_files(files: Sequence[InputFile], text_column: str | None) -> list[Group]:
    """The files grouped by layout, in order of first appearance.

    Raises:
        CorpusError: an archive, an Arrow file, an ``.xz`` file.
        InputError: ``text_column`` with plain text only.
    """
    groups: dict[str, list[InputFile]] = {}
    for file in files:
        layout, _ = _layout(file)
        groups.setdefault(layout, []).append(file)
    if text_column is not None and set(groups) == {"text"}:
        raise InputError(
            f"--text-column {text_column!r} applies to Parquet, JSONL and CSV/TSV files, and "
            f"{files[0].shown} holds plain text only; drop --text-column"
        )
    out = []
    for layout, members in groups.items():
        header = True
        if layout in ("csv", "tsv"):
            header = not is_position_column(layout, text_column)
        out.append(Group(layout, tuple(members), header))
    return out


def is_position_column(layout: str, column: str | None) -> bool:
    from aligner.corpus_io import CorpusFile

    return is_position(CorpusFile(Path("x"), layout, None), column)


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def read_table(spark: Any, group: Group) -> Any:
    """All columns of a group of tabular files (CSV/TSV: every column a string)."""
    reader = spark.read.option("mode", "FAILFAST")
    if group.layout == "parquet":
        return reader.option("mergeSchema", "true").parquet(*group.paths)
    if group.layout == "jsonl":
        return reader.json(group.paths)
    return reader.csv(
        group.paths,
        sep="\t" if group.layout == "tsv" else ",",
        header=group.header,
        multiLine=True,
        quote='"',
        escape='"',
        nullValue=_NO_NULL,
        emptyValue="",
        inferSchema=False,
        enforceSchema=False,
    )


def _column_name(group: Group, column: str) -> str:
    """The name Spark gives the text column: ``_c1`` for column 2 of a headerless CSV."""
    return f"_c{int(position_name(column)) - 1}" if not group.header else column


def text_of(group: Group, frame: Any, column: str | None) -> str:
    """The name of the text column in ``frame``, checked to exist and hold text.

    Raises:
        CorpusError: no column was given, it is absent, or it is not text.
    """
    from pyspark.sql.types import NullType, StringType

    kind = KINDS[group.layout]
    fields = {field.name: field.dataType for field in frame.schema.fields}
    names = ", ".join(fields) or "(none)"
    if column is None:
        raise CorpusError(
            f"{group.first}: {kind} file needs --text-column; its columns are: {names}"
        )
    name = _column_name(group, column)
    if name not in fields:
        shown = f"{len(fields)} columns" if not group.header else f"columns {names}"
        raise CorpusError(
            f"{group.first}: no column {column!r}; "
            f"Spark reads {shown}; pass one of them to --text-column"
        )
    if not isinstance(fields[name], StringType | NullType):
        texts = [n for n, t in fields.items() if isinstance(t, StringType)]
        hint = f"its text columns are: {', '.join(texts)}" if texts else "it has no text column"
        raise CorpusError(
            f"{group.first}: column {column!r} is {fields[name].simpleString()}, not text; "
            f"pass a text column to --text-column ({hint})"
        )
    return name


def text_lines(spark: Any, group: Group) -> Any:
    """The lines of text files, checked UTF-8, ``\\r`` trimmed, with the first-block key."""
    from pyspark.sql import functions as F

    frame = spark.read.text(group.paths, lineSep="\n")
    path = F.regexp_replace(file_path(), "^file:", "")
    message = F.concat(F.lit(sql_error(CorpusError, "")), path, F.lit(_NOT_UTF8))
    checked = F.when(F.is_valid_utf8("value"), F.col("value")).otherwise(F.raise_error(message))
    first = F.when(F.col("_metadata.file_block_start") == 0, F.xxhash64("_metadata.file_path"))
    return frame.select(F.rtrim(checked, F.lit("\r")).alias(TEXT), first.alias(FIRST), "_metadata")


_NOT_UTF8 = ": a line is not valid UTF-8; re-encode the file as UTF-8"


def file_path() -> Any:
    """The row's file as :attr:`InputFile.path <aligner.engines.spark.fs.InputFile.path>`
    writes it: Spark's ``_metadata.file_path`` is percent-encoded (``+`` kept as it is)."""
    from pyspark.sql import functions as F

    encoded = F.replace(F.col("_metadata.file_path"), F.lit("+"), F.lit("%2B"))
    return F.url_decode(encoded)


def read_texts(spark: Any, groups: Sequence[Group], text_column: str | None) -> Any:
    """One DataFrame of ``text`` and ``first`` over every group.

    Raises:
        CorpusError: a group's text column is missing or not text.
    """
    from pyspark.sql import functions as F

    frames = []
    for group in groups:
        if group.layout == "text":
            frame = text_lines(spark, group)
        else:
            table = read_table(spark, group)
            name = text_of(group, table, text_column)
            frame = table.select(
                F.col(_quoted(name)).cast("string").alias(TEXT),
                F.lit(None).cast("long").alias(FIRST),
                "_metadata",
            )
        frames.append(frame.drop("_metadata"))
    result = frames[0]
    for frame in frames[1:]:
        result = result.unionByName(frame)
    return result


def ordered_columns(spark: Any, frame: Any, groups: Sequence[Group]) -> Any:
    """``frame`` (read from ``groups``, with its ``_metadata``) plus the :data:`ORDER`
    columns, ``_metadata`` dropped: sorting by them gives the local engine's row order
    (files as listed, then blocks, then rows as Spark read them within a block)."""
    from pyspark.sql import functions as F

    ranks = [(file.path, rank) for rank, file in enumerate(f for g in groups for f in g.files)]
    table = spark.createDataFrame(ranks, "_aligner_uri string, _aligner_file int")
    marked = frame.select(
        "*",
        file_path().alias("_aligner_uri"),
        F.col("_metadata.file_block_start").alias(ORDER[1]),
        F.monotonically_increasing_id().alias(ORDER[2]),
    ).drop("_metadata")
    joined = marked.join(F.broadcast(table), on="_aligner_uri", how="left")
    return joined.drop("_aligner_uri")
