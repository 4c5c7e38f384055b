"""Read a data file for ``aligner encode`` in record batches: its columns, its labels.

The columns are checked against the file first and named as pyarrow will name
them (:func:`make_plan`): a CSV/TSV file without a header line has its columns
named ``"1"``, ``"2"``, ... (as ``--text-column 2`` picks them). Then the file
is read in record batches, never whole (:func:`batches`): Parquet, Arrow IPC
(file or stream), JSON Lines, CSV/TSV (optionally compressed) or plain text,
one text per line (a column named ``text``). A label column is read alone
first (:func:`scan_label_column`), to learn what it holds and its label names.

Example:
    >>> p = make_plan(layout_of("train.tsv"), "2", "1", pad=False, keep=True)  # doctest: +SKIP
    >>> p.text, p.label, p.numbered  # doctest: +SKIP
    ('2', '1', True)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from aligner.corpus import text_lines
from aligner.corpus_io import (
    READ_ERRORS,
    CorpusFile,
    Meter,
    arrow_input,
    is_position,
    lines_of,
    open_file,
    position_name,
    position_names,
)
from aligner.corpus_tables import KINDS, check_column, columns_of, csv_header
from aligner.encode_adapters import IDS, LABELS, LENGTH, MASK
from aligner.encode_label_columns import scan_labels
from aligner.encode_labels import LabelVocab
from aligner.errors import AlignerError, CorpusError, InputError

__all__ = ["BATCH_ROWS", "Plan", "batches", "make_plan", "read_error", "scan_label_column"]

BATCH_ROWS = 65_536
MAX_JSON_LINE = 1 << 28  # the longest JSONL record looked at to explain a read error


@dataclass
class Plan:
    """How one file is read and written: its columns (as pyarrow names them) and labels."""

    file: CorpusFile
    text: str
    label: str | None = None
    numbered: bool = False  # a CSV/TSV file without a header line
    keep: bool = True
    label_type: str | None = None
    names: LabelVocab | None = None
    outputs: list[str] = field(default_factory=list)

    def where(self, row: int) -> str:
        """Row ``row`` (from 0) of the data, for messages."""
        return f"{self.file.path}, row {row + 1}"


def _column(file: CorpusFile, column: str) -> str:
    """The name pyarrow gives ``column``: a CSV/TSV column number names itself (``"2"``)."""
    return position_name(column) if is_position(file, column) else column


def _check_label(file: CorpusFile, text: str | None, label: str) -> bool:
    """Check the label column against the file (the text column is checked); True when
    the columns go by number."""
    if file.layout == "text":
        raise InputError(
            f"--label-column {label!r} applies to Parquet, Arrow, JSONL and CSV/TSV files, and "
            f"{file.path} is plain text (one text per line); drop --label-column"
        )
    numbered = is_position(file, label)
    if text is not None and is_position(file, text) != numbered:
        raise InputError(
            f"{file.path}: give --text-column and --label-column both by number (a file "
            "without a header line) or both by name (a file with one)"
        )
    if _column(file, label) == _column(file, text or ""):
        raise InputError(f"--text-column and --label-column are both {label!r}; give two columns")
    columns = columns_of(file)
    if columns is None:
        return numbered  # an empty file: reported as having no rows
    count = len(csv_header(file) or ()) if numbered else 0
    if numbered and not 1 <= int(label) <= count:
        raise CorpusError(
            f"{file.path}, line 1: {count} columns, so no column number {label}; "
            f"pass a number from 1 to {count} to --label-column"
        )
    if not numbered and label not in columns:
        raise CorpusError(
            f"{file.path}: no column {label!r}; its columns are: {', '.join(columns)}; "
            "pass one of them to --label-column"
        )
    return numbered


def make_plan(
    file: CorpusFile,
    text_column: str | None,
    label_column: str | None,
    *,
    pad: bool,
    keep: bool,
) -> Plan:
    """Check the columns against the file, and name them as pyarrow will."""
    if file.layout == "text" and text_column is not None:
        raise InputError(
            f"--text-column {text_column!r} applies to Parquet, Arrow, JSONL and CSV/TSV "
            f"files, and {file.path} is plain text (one text per line); drop --text-column"
        )
    if file.layout != "text":
        check_column(file, text_column)
    numbered = is_position(file, text_column)
    if label_column is not None:
        numbered = _check_label(file, text_column, label_column)
    text = "text" if text_column is None else _column(file, text_column)
    label = None if label_column is None else _column(file, label_column)
    outputs = [IDS, *([MASK] if pad else []), LENGTH, *([LABELS] if label else [])]
    return Plan(file, text, label, numbered, keep, outputs=outputs)


def _text_batches(file: CorpusFile, name: str) -> Iterator[Any]:
    """One row per line, split exactly as corpus and vocabulary reading split it."""
    import pyarrow as pa

    lines: list[str] = []
    for line in text_lines(file, Meter(lambda _: None, 0)):
        lines.append(line)
        if len(lines) == BATCH_ROWS:
            yield pa.record_batch({name: pa.array(lines, pa.string())})
            lines = []
    if lines:
        yield pa.record_batch({name: pa.array(lines, pa.string())})


def _csv_types(plan: Plan, columns: list[str] | None) -> Any:
    """Read the chosen columns alone, or every column, as strings: no type guessed from
    the first rows can fail further down the file, and cells such as 00123 stay intact."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if columns is not None:
        return pacsv.ConvertOptions(
            column_types=dict.fromkeys(columns, pa.string()), include_columns=columns
        )
    header = list(csv_header(plan.file) or ())
    names = position_names(len(header)) if plan.numbered else header
    return pacsv.ConvertOptions(column_types=dict.fromkeys([*names, plan.text], pa.string()))


def _table_batches(plan: Plan, stream: Any, columns: list[str] | None) -> Iterator[Any]:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.json as pajson

    if plan.file.layout == "jsonl":
        parse = pajson.ParseOptions(
            explicit_schema=pa.schema([(plan.text, pa.string())]),
            unexpected_field_behavior="ignore" if columns == [plan.text] else "infer",
        )
        for batch in pajson.open_json(stream, parse_options=parse):
            yield batch if columns is None else batch.select(columns)
        return
    if not stream.peek(1):
        return  # an empty file: no header, no rows
    names = position_names(len(csv_header(plan.file) or ())) if plan.numbered else None
    reader = pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(column_names=names),
        parse_options=pacsv.ParseOptions(
            delimiter="\t" if plan.file.layout == "tsv" else ",", newlines_in_values=True
        ),
        convert_options=_csv_types(plan, columns),
    )
    yield from reader


def batches(plan: Plan, columns: list[str] | None, stack: ExitStack) -> Iterator[Any]:
    """Record batches of the whole file, in row order: ``columns`` (None: every column)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    file = plan.file
    if file.layout == "parquet":
        source = stack.enter_context(arrow_input(file.path))
        parquet = stack.enter_context(pq.ParquetFile(source))
        return parquet.iter_batches(batch_size=BATCH_ROWS, columns=columns)
    if file.layout == "arrow":
        source = stack.enter_context(arrow_input(file.path, mapped=True))
        try:
            reader = pa.ipc.open_file(source)
            batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
        except pa.ArrowInvalid:  # not the file format: the stream format
            source.seek(0)
            batches = iter(pa.ipc.open_stream(source))
        return batches if columns is None else (b.select(columns) for b in batches)
    if file.layout == "text":
        return _text_batches(file, plan.text)
    stream, _ = stack.enter_context(open_file(file.path, file.compression))
    return _table_batches(plan, stream, columns)


def read_error(plan: Plan, rows: int, exc: BaseException) -> CorpusError:
    kind = KINDS.get(plan.file.layout, "a text").split()[1]
    detail = " ".join(str(exc).split())[:200] or type(exc).__name__
    remedy = f"the file is truncated, corrupt or not {kind}"
    if plan.keep and plan.label is None and plan.file.layout == "jsonl":
        remedy += "; if a field changes type between records, pass --ids-only"
    return CorpusError(
        f"{plan.file.path}, after row {rows}: cannot read it as {kind} ({detail}); {remedy}"
    )


def scan_label_column(plan: Plan, given: LabelVocab | None) -> None:
    """Read the label column alone, first: what it holds, and its label names."""
    import pyarrow as pa

    label = plan.label
    assert label is not None
    rows = 0

    def read() -> Iterator[Any]:
        nonlocal rows
        rows = 0
        with ExitStack() as stack:
            labels = batches(plan, [label], stack)
            stack.callback(getattr(labels, "close", lambda: None))  # before the file closes
            for batch in labels:
                yield batch.column(0)
                rows += batch.num_rows

    infer = plan.file.layout in ("csv", "tsv")
    try:
        plan.label_type, plan.names = scan_labels(
            read, given, plan.where, column=label, infer=infer
        )
    except (pa.ArrowException, UnicodeDecodeError, *READ_ERRORS) as exc:
        mixed = _mixed_json_labels(plan) if plan.file.layout == "jsonl" else None
        raise (mixed or read_error(plan, rows, exc)) from None


def _json(value: Any) -> str:
    import json

    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "the number"
    return "the text" if isinstance(value, str) else f"a JSON {type(value).__name__}"


def _mixed_json_labels(plan: Plan) -> InputError | None:
    """The error for a JSONL label field that holds text in one record and a number (or a
    boolean) in another, naming both lines; None when the file is not so."""
    import json

    assert plan.label is not None
    first: tuple[int, str, Any] | None = None
    try:
        with open_file(plan.file.path, plan.file.compression) as (stream, _):
            for lineno, data in lines_of(stream, plan.file.path, limit=MAX_JSON_LINE):
                record = json.loads(data) if data.strip() else None
                if not isinstance(record, dict) or record.get(plan.label) is None:
                    continue
                value = record[plan.label]
                if first is None:
                    first = (lineno, _json_kind(value), value)
                elif _json_kind(value) != first[1]:
                    return InputError(
                        f"{plan.file.path}, line {lineno}: label {plan.label!r} is "
                        f"{_json_kind(value)} {_json(value)}, and line {first[0]}'s is "
                        f"{first[1]} {_json(first[2])}; give every record the same kind of "
                        'label: all text (quote the numbers, "1") or all numbers'
                    )
    except (AlignerError, ValueError, RecursionError, *READ_ERRORS):
        return None
    return None
