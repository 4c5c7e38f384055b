"""Encode the text column of a data file into a Parquet file of ids.

The input is read in record batches (never whole): Parquet, Arrow IPC
(file or stream), JSON Lines, CSV/TSV (optionally compressed, as corpus files
are), or plain text, one text per line (a column named ``text``; a
``text_column`` is refused there, as it is for corpora). The output, whose
name must end in ``.parquet``, is a Parquet file with the input's
columns (or none, ``keep_columns=False``) plus ``ids`` (``list<int32>``) and
``length`` (``int32``, the number of ids before padding), one row per input
row, null where the text is null. It is written to a temporary file beside
``out`` and renamed into place, so a failure leaves nothing behind. An error
while writing (a full disk, say) is an ``OSError`` naming ``out``, never the
input; the data must be a regular file (a FIFO or device is refused, never
waited on), and ``out`` may not be a device nor lie inside an artifact.

Example:
    >>> enc = aligner.load("build/demo").encoder(max_length=64)  # doctest: +SKIP
    >>> encode_file(enc, "train.tsv", "train.ids.parquet", text_column="text")  # doctest: +SKIP
    EncodeFileResult(path=PosixPath('train.ids.parquet'), rows=400, tokens=2776, ...)
"""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aligner.atomic import atomic_file, check_file_output
from aligner.corpus import check_regular_file, layout_of, text_lines
from aligner.corpus_io import READ_ERRORS, CorpusFile, Meter, arrow_input, open_file
from aligner.corpus_tables import KINDS, check_column, csv_columns
from aligner.encode import Encoder
from aligner.errors import CorpusError, InputError
from aligner.writable import check_writable

__all__ = ["IDS", "LENGTH", "EncodeFileResult", "encode_file"]

IDS, LENGTH = "ids", "length"
BATCH_ROWS = 65_536


@dataclass(frozen=True)
class EncodeFileResult:
    """What :func:`encode_file` wrote.

    Attributes:
        path: the Parquet file.
        rows: rows written (one per input row).
        tokens: ids written, padding excluded.
        unknown: ids that are the unk row.
        seconds: wall time of the whole call.
    """

    path: Path
    rows: int
    tokens: int
    unknown: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``path`` as a string)."""
        return asdict(self) | {"path": str(self.path)}


def _name(file: CorpusFile, column: str | None) -> tuple[str, bool]:
    """(the column name pyarrow will use, whether the CSV/TSV has no header line)."""
    if file.layout == "text":
        return "text", False
    assert column is not None  # check_column refused None
    if file.layout in ("csv", "tsv") and column.isascii() and column.isdigit():
        return f"f{int(column) - 1}", True
    return column, False


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


def _csv_types(file: CorpusFile, name: str, numbered: bool, keep: bool) -> Any:
    """Read the text column alone, or every column as strings: no type guessed from
    the first rows can fail further down the file, and cells such as 00123 stay intact."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if not keep:
        return pacsv.ConvertOptions(column_types={name: pa.string()}, include_columns=[name])
    header = list(csv_columns(file) or ())
    names = [f"f{i}" for i in range(len(header))] if numbered else header
    return pacsv.ConvertOptions(column_types=dict.fromkeys([*names, name], pa.string()))


def _table_batches(
    file: CorpusFile, stream: Any, name: str, numbered: bool, keep: bool
) -> Iterator[Any]:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.json as pajson

    if file.layout == "jsonl":
        parse = pajson.ParseOptions(
            explicit_schema=pa.schema([(name, pa.string())]),
            unexpected_field_behavior="infer" if keep else "ignore",
        )
        yield from pajson.open_json(stream, parse_options=parse)
        return
    if not stream.peek(1):
        return  # an empty file: no header, no rows
    reader = pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(autogenerate_column_names=numbered),
        parse_options=pacsv.ParseOptions(
            delimiter="\t" if file.layout == "tsv" else ",", newlines_in_values=True
        ),
        convert_options=_csv_types(file, name, numbered, keep),
    )
    yield from reader


def _batches(
    file: CorpusFile, name: str, numbered: bool, keep: bool, stack: ExitStack
) -> Iterator[Any]:
    """Record batches of the whole file, in row order."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if file.layout == "parquet":
        source = stack.enter_context(arrow_input(file.path))
        parquet = stack.enter_context(pq.ParquetFile(source))
        return parquet.iter_batches(batch_size=BATCH_ROWS)
    if file.layout == "arrow":
        source = stack.enter_context(arrow_input(file.path, mapped=True))
        try:
            reader = pa.ipc.open_file(source)
        except pa.ArrowInvalid:  # not the file format: the stream format
            source.seek(0)
            return iter(pa.ipc.open_stream(source))
        return (reader.get_batch(i) for i in range(reader.num_record_batches))
    if file.layout == "text":
        return _text_batches(file, name)
    stream, _ = stack.enter_context(open_file(file.path, file.compression))
    return _table_batches(file, stream, name, numbered, keep)


def _read_error(file: CorpusFile, rows: int, exc: BaseException, keep: bool) -> CorpusError:
    kind = KINDS.get(file.layout, "a text").split()[1]
    detail = " ".join(str(exc).split())[:200] or type(exc).__name__
    remedy = f"the file is truncated, corrupt or not {kind}"
    if keep and file.layout == "jsonl":
        remedy += "; if a field changes type between records, pass --ids-only"
    return CorpusError(
        f"{file.path}, after row {rows}: cannot read it as {kind} ({detail}); {remedy}"
    )


def _output(batch: Any, name: str, encoder: Encoder, keep: bool) -> tuple[Any, int, int]:
    """The output batch of one input batch, its tokens and unknown ids."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if keep and (IDS in batch.schema.names or LENGTH in batch.schema.names):
        raise InputError(
            f"the data already has a column named {IDS!r} or {LENGTH!r}; "
            "rename it, or pass --ids-only"
        )
    ids, lengths = encoder.encode_with_lengths(batch, column=name)
    tokens = pc.sum(lengths).as_py() or 0
    unk = encoder.vocab.unk_id
    unknown = 0 if unk is None else pc.sum(pc.equal(ids.flatten(), unk)).as_py() or 0
    columns = dict(zip(batch.schema.names, batch.columns, strict=True)) if keep else {}
    out = pa.RecordBatch.from_pydict(columns | {IDS: ids, LENGTH: lengths})
    return out, tokens, unknown


class _WriteFailed(Exception):
    """An OSError of the output, carried past the handler of the input's read errors."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error)
        self.error = error


def _write(
    encoder: Encoder, file: CorpusFile, column: str | None, tmp: Path, keep: bool
) -> tuple[int, int, int]:
    """Encode every batch into the Parquet file ``tmp``: (rows, tokens, unknown)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    name, numbered = _name(file, column)
    rows = tokens = unknown = 0
    with ExitStack() as stack:
        writer = None
        try:
            batches = _batches(file, name, numbered, keep, stack)
            stack.callback(getattr(batches, "close", lambda: None))  # before the file closes
            for batch in batches:
                out, n_tokens, n_unknown = _output(batch, name, encoder, keep)
                try:
                    if writer is None:
                        sink = stack.enter_context(tmp.open("wb"))  # any path, UTF-8 or not
                        writer = stack.enter_context(pq.ParquetWriter(sink, out.schema))
                    writer.write_batch(out)
                except OSError as exc:
                    raise _WriteFailed(exc) from None
                rows, tokens, unknown = rows + out.num_rows, tokens + n_tokens, unknown + n_unknown
        except (pa.ArrowException, UnicodeDecodeError, *READ_ERRORS) as exc:
            raise _read_error(file, rows, exc, keep) from None
    return rows, tokens, unknown


def _write_error(error: OSError, out: Path) -> OSError:
    """The error of a failed write, naming the output rather than its temporary file."""
    strerror = error.strerror or " ".join(str(error).split()) or type(error).__name__
    return OSError(error.errno, strerror, str(out))


def _artifact_above(path: Path) -> Path | None:
    """The aligner artifact directory holding ``path`` (at any depth), if any."""
    for folder in path.absolute().parents:
        manifest = folder / "manifest.json"
        try:
            if not manifest.is_file():  # (a FIFO named so must not block)
                continue
            with manifest.open("rb") as fh:
                head = json.loads(fh.read(1 << 20))
        except (OSError, ValueError, RecursionError):
            continue
        if isinstance(head, dict) and "format_version" in head and "vectors" in head:
            return folder
    return None


def _check_out(out: Path) -> None:
    """Refuse an output that is a device or FIFO, or that lies inside an artifact."""
    try:
        mode = out.stat().st_mode
    except OSError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise InputError(
            f"output {out} is not a regular file (a device, FIFO or socket), and writing "
            "replaces it; choose a file path for --out"
        )
    artifact = _artifact_above(out)
    if artifact is not None:
        raise InputError(
            f"output {out} lies inside the artifact {artifact}, which should hold only "
            "what aligner writes there; write it outside the artifact directory"
        )


def encode_file(
    encoder: Encoder,
    data: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    text_column: str | None = None,
    keep_columns: bool = True,
    force: bool = False,
) -> EncodeFileResult:
    """Encode the text column of a data file into a Parquet file of ids.

    Args:
        encoder: the encoder (``art.encoder(max_length=..., pad=...)``); with
            ``pad`` it needs a ``max_length``, so that every row has one width.
        data: Parquet, Arrow, JSONL, CSV/TSV or plain text (one text per line).
        out: the Parquet file to write.
        text_column: the text column (required for tabular files; a number
            picks a column of a CSV/TSV file without a header line).
        keep_columns: copy the input's columns into the output.
        force: replace an existing ``out``.

    Returns:
        An :class:`EncodeFileResult`.

    Raises:
        InputError: ``out`` is not named ``.parquet``, exists (without
            ``force``, or appears meanwhile), is a directory or a device, lies
            inside an artifact, or cannot be created (a parent is a file, a
            read-only folder); ``text_column`` with plain text; the column is
            missing or not text,
            the data has no rows, or a token cannot be encoded. Nothing is
            written then.
        CorpusError: the data file cannot be read, or is not a regular file.
        OSError: ``out`` cannot be written (a full disk, no permission); its
            ``filename`` is ``out``, and nothing is left behind.

    Example:
        >>> encode_file(enc, "docs.parquet", "ids.parquet", text_column="body")  # doctest: +SKIP
    """
    start = time.perf_counter()
    data, out = Path(data), Path(out)
    if encoder.pad and encoder.max_length is None:
        raise InputError("padding a file needs a max length (--max-length), so rows share a width")
    _check_out(out)
    check_file_output(out, force=force)
    check_writable(out)
    check_regular_file(data)
    if out.suffix.lower() != ".parquet":
        raise InputError(
            f"output {out} would hold Parquet, and its name says otherwise; "
            f"name it {out.stem or out.name}.parquet"
        )
    file = layout_of(data)
    if file.layout == "text" and text_column is not None:
        raise InputError(
            f"--text-column {text_column!r} applies to Parquet, Arrow, JSONL and CSV/TSV "
            f"files, and {data} is plain text (one text per line); drop --text-column"
        )
    if file.layout != "text":
        check_column(file, text_column)
    try:
        with atomic_file(out, replace=force) as tmp:
            rows, tokens, unknown = _write(encoder, file, text_column, tmp, keep_columns)
            if rows == 0:
                raise InputError(f"{data} holds no rows to encode; check the file")
    except _WriteFailed as failed:
        raise _write_error(failed.error, out) from failed.error
    except OSError as exc:  # making the temporary file, flushing it, renaming it
        raise _write_error(exc, out) from exc
    return EncodeFileResult(out, rows, tokens, unknown, time.perf_counter() - start)
