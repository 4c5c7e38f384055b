"""Stream the text column of tabular corpus files.

The tabular layouts are Parquet, Arrow IPC (Feather v2, ``.arrow`` files or
streams), JSON Lines and CSV/TSV. Each reader streams one file, yields the
values of its text column (nulls skipped) and reports the bytes of the file
on disk it has consumed to a :class:`~aligner.corpus_io.Meter`. pyarrow is
imported inside the functions that need it, so ``import aligner`` stays fast.
Opening the files is :mod:`aligner.corpus_io`'s part.

A CSV/TSV file's first line is its header, unless the column is given by
number: a column made of digits (``"2"``) is the 2nd column (counting from 1)
of a file without a header line, whose every line is a data row. Such a
file's columns are named by their numbers, ``"1"``, ``"2"``, ... (the way
``--text-column 2`` names them), wherever they are read or shown.

Example:
    >>> file = CorpusFile(Path("docs.parquet"), "parquet", None)  # doctest: +SKIP
    >>> next(read_column(file, "text", Meter(print, 1000)))  # doctest: +SKIP
    'We play guitar'
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Generator, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, cast

from aligner.corpus_io import (
    READ_ERRORS,
    CorpusFile,
    Meter,
    arrow_input,
    brief,
    csv_source,
    is_position,
    lines_of,
    open_file,
    position_name,
    position_names,
    read_error,
    size_text,
)
from aligner.errors import CorpusError

__all__ = [
    "KINDS",
    "check_column",
    "columns_of",
    "csv_header",
    "csv_read_options",
    "read_column",
]


# The name of each tabular layout, with its article, for messages.
KINDS = {
    "parquet": "a Parquet",
    "arrow": "an Arrow/Feather",
    "jsonl": "a JSONL",
    "csv": "a CSV",
    "tsv": "a TSV",
}
BATCH_ROWS = 1024
# The longest CSV/TSV header read: its column names (a bounded read, whatever the file).
MAX_HEADER = 1 << 20
_JSON_TYPES = {bool: "a boolean", int: "a number", float: "a number", list: "an array"}
_JSON_TYPES |= {dict: "an object", str: "a string", type(None): "null"}

Columns = dict[str, tuple[str, bool]]  # name -> (type, is text)


def csv_read_options(file: CorpusFile, numbered: bool) -> Any:
    """pyarrow's ``ReadOptions`` for a CSV/TSV file: line 1 is the header, or, when
    ``numbered``, data, and the columns are ``"1"``, ``"2"``, ... as many as line 1 has."""
    import pyarrow.csv as pacsv

    if not numbered:
        return pacsv.ReadOptions()
    return pacsv.ReadOptions(column_names=position_names(len(csv_header(file) or ())))


def check_column(file: CorpusFile, column: str | None) -> None:
    """Check that a tabular file has ``column`` and that it holds text.

    Raises:
        CorpusError: no column was chosen, the column is absent, or not text;
            the message lists the file's columns.
    """
    columns = _probe(file)
    names = ", ".join(columns) if columns else "(none: the file is empty)"
    or_number = ""
    if file.layout in ("csv", "tsv"):
        or_number = "; or, if line 1 is data and not a header, a column number (e.g. 2)"
    if column is None:
        raise CorpusError(
            f"{file.path}: {KINDS[file.layout]} file needs --text-column; its columns are: "
            f"{names}{or_number}"
        )
    if columns is None:
        return  # an empty file adds nothing, and has no columns to check
    if is_position(file, column):
        count = len(csv_header(file) or ())  # cells of line 1, repeated ones too
        if not 1 <= int(column) <= count:
            raise CorpusError(
                f"{file.path}, line 1: {count} columns, so no column number {column}; "
                f"pass a number from 1 to {count} to --text-column"
            )
        return
    if column not in columns:
        raise CorpusError(
            f"{file.path}: no column {column!r}; its columns are: {names}; "
            f"pass one of them to --text-column{or_number}"
        )
    kind, is_text = columns[column]
    if not is_text:
        texts = [name for name, (_, ok) in columns.items() if ok]
        hint = f"its text columns are: {', '.join(texts)}" if texts else "it has no text column"
        raise CorpusError(
            f"{file.path}: column {column!r} is {kind}, not text; "
            f"pass a text column to --text-column ({hint})"
        )


def read_column(file: CorpusFile, column: str, meter: Meter) -> Iterator[str]:
    """Yield the non-null values of ``column`` in a tabular file, in row order.

    Raises:
        CorpusError: the file is unreadable, or (JSONL) a line is not a JSON
            object with a text value under ``column``; the message names the
            file and the line or row.
    """
    readers = {"parquet": _parquet, "arrow": _arrow, "jsonl": _jsonl, "csv": _csv, "tsv": _csv}
    return readers[file.layout](file, column, meter)


def columns_of(file: CorpusFile) -> Columns | None:
    """The columns of a tabular file: name → (type, holds text); None when it is empty.

    Raises:
        CorpusError: the file cannot be read.
    """
    return _probe(file)


def _probe(file: CorpusFile) -> Columns | None:
    """The columns of a tabular file, or None when it has no header or record."""
    probes = {"parquet": _parquet_columns, "arrow": _arrow_columns, "jsonl": _jsonl_columns}
    return probes.get(file.layout, csv_columns)(file)


def _table_errors() -> tuple[type[BaseException], ...]:
    import pyarrow as pa

    return (pa.ArrowException, *READ_ERRORS)


def _table_error(file: CorpusFile, rows: int | None, exc: BaseException) -> CorpusError:
    kind = KINDS[file.layout].split()[1]
    where = "" if rows is None else f", after row {rows}"
    remedy = f"the file is truncated, corrupt or not {kind}"
    if file.layout == "arrow":
        remedy += " IPC (Feather v1 is not read: re-save it as Feather v2 or Parquet)"
    elif file.layout in ("csv", "tsv"):
        remedy += " (check its quoting, its encoding (UTF-8) and that rows match the header)"
    return CorpusError(f"{file.path}{where}: cannot read it as {kind} ({brief(exc)}); {remedy}")


def is_text_type(kind: Any) -> bool:
    """True for Arrow string types (any layout, dictionary-encoded too) and the null type."""
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    is_view = getattr(pa.types, "is_string_view", lambda _: False)
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or is_view(kind)
        or pa.types.is_null(kind)
    )


def _schema_columns(schema: Any) -> Columns:
    return {field.name: (str(field.type), is_text_type(field.type)) for field in schema}


def _texts(values: list[Any]) -> Iterator[str]:
    return (value for value in values if value is not None)


def _parquet_columns(file: CorpusFile) -> Columns:
    import pyarrow.parquet as pq

    try:
        with arrow_input(file.path) as source, pq.ParquetFile(source) as parquet:
            return _schema_columns(parquet.schema_arrow)
    except _table_errors() as exc:
        raise _table_error(file, None, exc) from None


def _parquet(file: CorpusFile, column: str, meter: Meter) -> Iterator[str]:
    import pyarrow.parquet as pq

    rows = 0
    try:
        with arrow_input(file.path) as source, pq.ParquetFile(source) as parquet:
            total = max(parquet.metadata.num_rows, 1)
            for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=[column]):
                rows += batch.num_rows
                yield from _texts(batch.column(0).to_pylist())
                meter.to(meter.size * rows // total)
    except _table_errors() as exc:
        raise _table_error(file, rows, exc) from None


@contextmanager
def _ipc(file: CorpusFile) -> Iterator[tuple[Any, Iterator[tuple[Any, int]]]]:
    """An Arrow IPC file or stream: (schema, iterator of (batch, position on disk))."""
    import pyarrow as pa

    with arrow_input(file.path, mapped=True) as source:
        size = file.path.stat().st_size
        try:
            reader = pa.ipc.open_file(source)
        except pa.ArrowInvalid:  # not the file format: try the stream format
            source.seek(0)
            stream = pa.ipc.open_stream(source)
            yield stream.schema, ((batch, source.tell()) for batch in stream)
        else:
            count = reader.num_record_batches
            batches = ((reader.get_batch(i), size * (i + 1) // count) for i in range(count))
            yield reader.schema, batches


def _arrow_columns(file: CorpusFile) -> Columns:
    try:
        with _ipc(file) as (schema, _):
            return _schema_columns(schema)
    except _table_errors() as exc:
        raise _table_error(file, None, exc) from None


def _arrow(file: CorpusFile, column: str, meter: Meter) -> Iterator[str]:
    rows = 0
    try:
        with _ipc(file) as (schema, batches):
            index = schema.get_field_index(column)
            if index < 0:
                check_column(file, column)  # raises, listing the columns
            for batch, position in batches:
                rows += batch.num_rows
                yield from _texts(batch.column(index).to_pylist())
                meter.to(position)
    except _table_errors() as exc:
        raise _table_error(file, rows, exc) from None


def _record(path: Path, lineno: int, data: bytes) -> dict[str, Any] | None:
    """The JSON object on one line of a JSONL file, or None for a blank line."""
    if not data.strip():
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CorpusError(f"{path}, line {lineno}: not valid UTF-8; re-encode the file") from None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CorpusError(
            f"{path}, line {lineno}: not valid JSON ({exc.msg} at column {exc.colno}); "
            "a JSONL file holds one JSON object per line"
        ) from None
    except RecursionError:
        raise CorpusError(
            f"{path}, line {lineno}: not valid JSON (nested too deeply to read); "
            "a JSONL file holds one flat JSON object per line"
        ) from None
    if not isinstance(record, dict):
        raise CorpusError(
            f"{path}, line {lineno}: {_JSON_TYPES.get(type(record), 'a value')}, not an object; "
            "a JSONL file holds one JSON object per line"
        )
    return record


def _jsonl_records(
    file: CorpusFile, meter: Meter | None
) -> Generator[tuple[int, dict[str, Any]], None, None]:
    lineno = 0
    with open_file(file.path, file.compression) as (stream, raw):
        try:
            for lineno, data in lines_of(stream, file.path):
                if meter is not None and not lineno & 255:  # tell() per line costs
                    meter.to(raw.tell())
                record = _record(file.path, lineno, data)
                if record is not None:
                    yield lineno, record
        except READ_ERRORS as exc:
            raise read_error(file.path, f"after line {lineno}", file.compression, exc) from None


def _jsonl_columns(file: CorpusFile) -> Columns | None:
    with closing(_jsonl_records(file, None)) as records:
        for _, record in records:
            kinds = {
                name: _JSON_TYPES.get(type(value), "a value") for name, value in record.items()
            }
            return {name: (kind, kind in ("a string", "null")) for name, kind in kinds.items()}
    return None


def _jsonl(file: CorpusFile, column: str, meter: Meter) -> Iterator[str]:
    for lineno, record in _jsonl_records(file, meter):
        if column not in record:
            raise CorpusError(
                f"{file.path}, line {lineno}: the record has no key {column!r} "
                f"(its keys: {', '.join(record) or 'none'}); every record needs it"
            )
        value = record[column]
        if isinstance(value, str):
            yield value
        elif value is not None:
            raise CorpusError(
                f"{file.path}, line {lineno}: {column!r} is {_JSON_TYPES.get(type(value))}, "
                "not text; every record needs a string (or null) there"
            )


def _delimiter(file: CorpusFile) -> str:
    return "\t" if file.layout == "tsv" else ","


def csv_columns(file: CorpusFile) -> Columns | None:
    """The header names of a CSV/TSV file (all text), or None when it is empty.

    Raises:
        CorpusError: line 1 cannot be read (see :func:`csv_header`).
    """
    header = csv_header(file)
    # CSV cells are all text: the column is read as strings, never inferred.
    return None if header is None else {name: ("string", True) for name in header}


def csv_header(file: CorpusFile) -> list[str] | None:
    """The cells of line 1 of a CSV/TSV file, in order, or None when it is empty.

    At most :data:`MAX_HEADER` bytes are read: a first line that does not end
    within them is an error naming the file (memory stays bounded).
    """
    with open_file(file.path, file.compression) as (stream, _):
        try:
            head = stream.read(MAX_HEADER + 1)
        except READ_ERRORS as exc:
            raise read_error(file.path, "in the header", file.compression, exc) from None
    if len(head) > MAX_HEADER and b"\n" not in head and b"\r" not in head:
        raise CorpusError(
            f"{file.path}, line 1: longer than {size_text(MAX_HEADER)} without a line break; "
            "this is not CSV/TSV text with one record per line"
        )
    # Bad bytes past the header are pyarrow's to report, with the data rows.
    text = io.StringIO(head.decode("utf-8-sig", errors="replace"), newline="")
    try:
        return next(csv.reader(text, delimiter=_delimiter(file)), None)
    except csv.Error as exc:
        raise CorpusError(
            f"{file.path}, line 1: not a valid {KINDS[file.layout][2:]} header line ({exc}); "
            "fix the first line or check the file's format"
        ) from None


def _csv(file: CorpusFile, column: str, meter: Meter) -> Iterator[str]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    parse = pacsv.ParseOptions(delimiter=_delimiter(file), newlines_in_values=True)
    numbered = is_position(file, column)  # no header: the columns are named "1", "2", ...
    name = position_name(column) if numbered else column
    convert = pacsv.ConvertOptions(include_columns=[name], column_types={name: pa.string()})
    rows = 0
    with open_file(file.path, file.compression) as (stream, _):
        if not cast(io.BufferedReader, stream).peek(1):
            return  # an empty file: no header, no rows
    read = csv_read_options(file, numbered)
    with csv_source(file) as (source, tell):
        try:
            with pacsv.open_csv(
                source, read_options=read, parse_options=parse, convert_options=convert
            ) as reader:
                for batch in reader:
                    rows += batch.num_rows
                    yield from _texts(batch.column(0).to_pylist())
                    meter.to(tell())
        except pa.ArrowException as exc:
            if file.compression and _decompression_failed(exc):
                raise read_error(file.path, f"after row {rows}", file.compression, exc) from None
            raise _table_error(file, rows, exc) from None
        except READ_ERRORS as exc:  # raised by the decompressor that pyarrow reads from
            raise read_error(file.path, f"after row {rows}", file.compression, exc) from None


def _decompression_failed(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(word in text for word in ("gzip", "zlib", "bz2", "inflate", "decompress"))
