"""Read a labelled split of dataset 1: a text column and a label column, row by row.

Any tabular layout ``aligner encode`` reads: CSV/TSV with a header line
(columns by name) or without one (columns by number, from 1), JSON Lines
(JSONL, CSV and TSV may be ``.gz``/``.bz2``/``.xz``), Parquet and Arrow. A
split is small enough to hold in memory, so it is read whole.

Example:
    >>> split = read_labelled("train.tsv", text_column="2", label_column="1")  # doctest: +SKIP
    >>> split.labels[0], split.texts[0]  # doctest: +SKIP
    ('music', 'That melodic trumpet remembered that drummer')
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aligner.corpus import layout_of
from aligner.corpus_io import (
    READ_ERRORS,
    CorpusFile,
    arrow_input,
    csv_source,
    lines_of,
    open_file,
    position_name,
    read_error,
)
from aligner.corpus_tables import KINDS, check_column, columns_of, csv_header, csv_read_options
from aligner.encode_label_columns import is_integer_text
from aligner.errors import CorpusError, InputError

__all__ = ["Labelled", "read_labelled"]

#: the longest JSONL line read, in bytes (that of the corpus reader): longer is an error
MAX_LINE = 1 << 28


@dataclass(frozen=True)
class Labelled:
    """The rows of one labelled file.

    Attributes:
        path: the file.
        texts: the text of each row (``""`` where it is null).
        labels: the label of each row, as text (``1`` and ``"1"`` are one label;
            when every label is an integer, as ``aligner encode`` reads them,
            ``+1`` and ``1`` are one label too, while ``007`` keeps the column
            text).
        layout: ``"csv"``, ``"tsv"``, ``"jsonl"``, ``"parquet"`` or ``"arrow"``.
        header: whether line 1 of a CSV/TSV file is a header (line numbers in
            messages count it).
        text_column: the text column, as given (for messages).
        label_column: the label column, as given (for messages).
    """

    path: Path
    texts: list[str]
    labels: list[str]
    layout: str = "tsv"
    header: bool = True
    text_column: str = "text"
    label_column: str = "label"

    def __len__(self) -> int:
        return len(self.texts)

    def where(self, row: int) -> str:
        """Where row ``row`` (from 0) is, for messages: a line of a CSV/TSV file, else a row."""
        if self.layout in ("csv", "tsv"):
            return f"line {row + 1 + self.header}"
        return f"record {row + 1}" if self.layout == "jsonl" else f"row {row + 1}"


def _numbered(file: CorpusFile, text_column: str, label_column: str) -> bool:
    """Whether the columns are CSV/TSV column numbers (the file has no header line)."""
    if file.layout not in ("csv", "tsv"):
        return False
    digits = [c.isascii() and c.isdigit() for c in (text_column, label_column)]
    if digits[0] != digits[1]:
        raise InputError(
            f"{file.path}: give --text-column and --label-column both by number (a file "
            "without a header line) or both by name (a file with one)"
        )
    return digits[0]


def _check_label_column(file: CorpusFile, column: str, numbered: bool) -> None:
    columns = columns_of(file)
    if columns is None:
        return  # an empty file: reported as an empty split
    if numbered:
        count = len(csv_header(file) or ())  # the cells of line 1, repeated ones too
        if not 1 <= int(column) <= count:
            raise CorpusError(
                f"{file.path}, line 1: {count} columns, so no column number {column}; "
                f"pass a number from 1 to {count} to --label-column"
            )
    elif column not in columns:
        raise CorpusError(
            f"{file.path}: no column {column!r}; its columns are: {', '.join(columns)}; "
            "pass one of them to --label-column"
        )


def _arrow_name(column: str, numbered: bool) -> str:
    return position_name(column) if numbered else column


def _csv_table(file: CorpusFile, names: list[str], numbered: bool) -> Any:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with open_file(file.path, file.compression) as (stream, _):
        if not stream.peek(1):
            return pa.table({name: pa.array([], pa.string()) for name in names})
    with csv_source(file) as (source, _):  # pyarrow must not read a Python stream
        return pacsv.read_csv(
            source,
            read_options=csv_read_options(file, numbered),
            parse_options=pacsv.ParseOptions(
                delimiter="\t" if file.layout == "tsv" else ",", newlines_in_values=True
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=names, column_types=dict.fromkeys(names, pa.string())
            ),
        )


def _arrow_table(file: CorpusFile, names: list[str]) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if file.layout == "parquet":
        with arrow_input(file.path) as source:
            return pq.read_table(source, columns=names)
    with arrow_input(file.path, mapped=True) as source:
        try:
            table = pa.ipc.open_file(source).read_all()
        except pa.ArrowInvalid:  # not the file format: the stream format
            source.seek(0)
            table = pa.ipc.open_stream(source).read_all()
    return table.select(names)


def _record(path: Path, lineno: int, data: bytes, text: str, label: str) -> dict[str, Any] | None:
    """The JSON object on one line of a JSONL file (None for a blank line), checked for keys."""
    if not data.strip():
        return None
    try:
        record = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise CorpusError(
            f"{path}, line {lineno}: not a JSON object in UTF-8; "
            "a JSONL file holds one JSON object per line"
        ) from None
    if not isinstance(record, dict) or text not in record or label not in record:
        raise CorpusError(
            f"{path}, line {lineno}: the record lacks {text!r} or {label!r}; "
            "every record needs both keys"
        )
    return record


def _jsonl_rows(file: CorpusFile, text: str, label: str) -> tuple[list[Any], list[Any]]:
    texts: list[Any] = []
    labels: list[Any] = []
    lineno = 0
    with open_file(file.path, file.compression) as (stream, _):
        try:
            for lineno, data in lines_of(stream, file.path, limit=MAX_LINE):
                record = _record(file.path, lineno, data, text, label)
                if record is not None:
                    texts.append(record[text])
                    labels.append(record[label])
        except READ_ERRORS as exc:
            raise read_error(file.path, f"after line {lineno}", file.compression, exc) from None
    return texts, labels


def _columns(file: CorpusFile, text: str, label: str, numbered: bool) -> tuple[list[Any], ...]:
    """The raw values of both columns (nulls as None)."""
    import pyarrow as pa

    if file.layout == "jsonl":
        return _jsonl_rows(file, text, label)
    names = [_arrow_name(text, numbered), _arrow_name(label, numbered)]
    try:
        if file.layout in ("csv", "tsv"):
            table = _csv_table(file, names, numbered)
        else:
            table = _arrow_table(file, names)
    except (pa.ArrowException, *READ_ERRORS) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise CorpusError(
            f"{file.path}: cannot read it as {KINDS[file.layout].split()[1]} ({detail}); "
            "the file is truncated, corrupt or of another layout (check its quoting and "
            "that every row has as many columns as the first)"
        ) from None
    return table.column(names[0]).to_pylist(), table.column(names[1]).to_pylist()


def _texts(split: Labelled, values: list[Any], column: str) -> list[str]:
    """The texts, checked: strings (or null), and not numbers only."""
    texts: list[str] = []
    for row, value in enumerate(values):
        if value is not None and not isinstance(value, str):
            raise CorpusError(
                f"{split.path}, {split.where(row)}: column {column!r} holds "
                f"{type(value).__name__} {value!r}, not text; pass the text column to --text-column"
            )
        texts.append(value or "")
    filled = [t for t in texts if t.strip()]
    if filled and all(_is_number(t) for t in filled):
        raise CorpusError(
            f"{split.path}: column {column!r} holds only numbers (e.g. {filled[0]!r}), not "
            "text; pass the column holding the text to --text-column"
        )
    return texts


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _labels(split: Labelled, values: list[Any], column: str) -> list[str]:
    labels: list[str] = []
    for row, value in enumerate(values):
        if value is None or (isinstance(value, str) and not value.strip()):
            raise CorpusError(
                f"{split.path}, {split.where(row)}: no label in column {column!r}; "
                "give every row a label, or drop the row"
            )
        if isinstance(value, dict | list):
            raise CorpusError(
                f"{split.path}, {split.where(row)}: the label in column {column!r} is "
                f"{type(value).__name__}, not a value; pass the label column to --label-column"
            )
        labels.append(value.strip() if isinstance(value, str) else str(value))
    if labels and all(map(is_integer_text, labels)):  # as aligner encode numbers them
        labels = [str(int(label)) for label in labels]
    return labels


def read_labelled(path: str | os.PathLike[str], *, text_column: str, label_column: str) -> Labelled:
    """Read the texts and labels of one labelled file.

    Args:
        path: CSV/TSV (with or without a header line), JSONL, Parquet or Arrow.
        text_column: the text column: a name, or for a CSV/TSV file without a
            header line its number from 1.
        label_column: the label column, named the same way.

    Returns:
        A :class:`Labelled`, one entry per row, in file order.

    Raises:
        InputError: the columns are the same, or named one by number and
            one by name.
        CorpusError: the file cannot be read, lacks a column, its text column
            is not text, or a row has no label; the message names the file
            and the line or row.

    Example:
        >>> read_labelled("test.jsonl", text_column="text", label_column="label")  # doctest: +SKIP
    """
    path = Path(path)
    if text_column == label_column:
        raise InputError(f"--text-column and --label-column are both {text_column!r}")
    file = layout_of(path)
    if file.layout == "text":
        raise CorpusError(
            f"{path}: a plain text file has no label column; use TSV/CSV, JSONL or Parquet "
            "with a text column and a label column"
        )
    numbered = _numbered(file, text_column, label_column)
    check_column(file, text_column)
    _check_label_column(file, label_column, numbered)
    raw_texts, raw_labels = _columns(file, text_column, label_column, numbered)
    where = Labelled(path, [], [], file.layout, not numbered, text_column, label_column)
    texts = _texts(where, raw_texts, text_column)
    labels = _labels(where, raw_labels, label_column)
    return Labelled(path, texts, labels, file.layout, not numbered, text_column, label_column)
