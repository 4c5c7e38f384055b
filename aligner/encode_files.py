"""Encode the text column of a data file into a Parquet file of ids.

The input is read in record batches (never whole, :mod:`aligner.encode_read`):
Parquet, Arrow IPC (file or stream), JSON Lines, CSV/TSV (optionally
compressed, as corpus files are), or plain text, one text per line (a column
named ``text``; a ``text_column`` is refused there, as it is for corpora). A CSV/TSV file
without a header line has its columns named ``"1"``, ``"2"``, ... (as
``text_column="2"`` picks them). The output, whose name must end in
``.parquet``, is a Parquet file with the input's columns (or none,
``keep_columns=False``) plus the Hugging Face names: ``input_ids``
(``list<int32>``), ``attention_mask`` (``list<int8>``, 1 for a token and 0 for
padding; only when the encoder pads), ``length`` (``int32``, the ids before
padding) and, with a ``label_column``, ``labels``: ``int64`` ids of text labels
(the label names, sorted or given, are kept in the schema metadata under
``aligner.labels``), integer labels as they are, float labels (regression)
as they are; a CSV/TSV label column is typed by its cells (integers, decimal
numbers, else text: :mod:`aligner.encode_label_columns`). One row per input
row, null where the text is null.

It is written to a temporary file beside ``out`` and renamed into place, so
a failure leaves nothing behind. An error while writing (a full disk, say) is
an ``OSError`` naming ``out``, never the input; the data must be a regular
file (a FIFO or device is refused, never waited on), and ``out`` may not be
a device nor lie inside an artifact.

Example:
    >>> enc = aligner.load("build/demo").encoder(max_length=64)  # doctest: +SKIP
    >>> encode_file(enc, "train.tsv", "train.ids.parquet", text_column="2", label_column="1")
    ... # doctest: +SKIP
    EncodeFileResult(path=PosixPath('train.ids.parquet'), rows=400, tokens=2776, ...)
"""

from __future__ import annotations

import json
import os
import stat
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aligner.atomic import atomic_file, check_file_output
from aligner.corpus import check_regular_file, layout_of
from aligner.corpus_io import READ_ERRORS
from aligner.encode import Encoder
from aligner.encode_adapters import IDS, LABELS, LENGTH, MASK, attention_mask
from aligner.encode_label_columns import column_ids
from aligner.encode_labels import LabelVocab, read_label_names
from aligner.encode_read import Plan, make_plan, read_error, scan_label_column
from aligner.encode_read import batches as read_batches
from aligner.encode_rows import UnknownTokenError
from aligner.errors import InputError
from aligner.writable import check_writable

__all__ = ["IDS", "LABELS", "LENGTH", "MASK", "EncodeFileResult", "encode_file"]


@dataclass(frozen=True)
class EncodeFileResult:
    """What :func:`encode_file` wrote.

    Attributes:
        path: the Parquet file.
        rows: rows written (one per input row).
        tokens: ids written, padding excluded.
        unknown: ids that are the unk row.
        seconds: wall time of the whole call.
        label_type: ``"text"``, ``"integer"`` or ``"float"`` with a label
            column, else ``None``.
        label_names: the names of text labels in id order (also in the
            file's schema metadata, ``aligner.labels``), else ``None``.
    """

    path: Path
    rows: int
    tokens: int
    unknown: int
    seconds: float
    label_type: str | None = None
    label_names: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``path`` as a string, ``label_names`` a list or ``None``)."""
        names = None if self.label_names is None else list(self.label_names)
        return asdict(self) | {"path": str(self.path), "label_names": names}


def _unknown_token(exc: UnknownTokenError, plan: Plan, first_row: int) -> InputError:
    """The error for an unknown token, naming the file's row and the CLI's options."""
    where = plan.where(first_row + exc.row)
    if exc.unknown == "error":
        return InputError(
            f"{where}: token {exc.token!r} is not in the vocabulary (--unknown error); pass "
            "--unknown unk to encode it as the unk row, or --unknown skip to drop it"
        )
    return InputError(
        f"{where}: token {exc.token!r} is not in the vocabulary, and the artifact has no unk "
        "token to encode it as; pass --unknown skip to drop such tokens, or rebuild the "
        "artifact with --unk-token"
    )


def _output(batch: Any, plan: Plan, encoder: Encoder, first_row: int) -> tuple[Any, int, int]:
    """The output batch of one input batch (from row ``first_row``), its tokens and
    unknown ids."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = dict(zip(batch.schema.names, batch.columns, strict=True)) if plan.keep else {}
    if plan.label == LABELS:
        columns.pop(LABELS, None)  # the labels, as numbers, take its place
    clash = next((name for name in plan.outputs if name in columns), None)
    if clash is not None:
        raise InputError(
            f"{plan.file.path}: the data already has a column named {clash!r}, which the "
            "output adds; rename it, or pass --ids-only"
        )
    try:
        ids, lengths = encoder.encode_with_lengths(batch, column=plan.text)
    except UnknownTokenError as exc:
        raise _unknown_token(exc, plan, first_row) from None
    tokens = pc.sum(lengths).as_py() or 0
    unk = encoder.vocab.unk_id
    unknown = 0 if unk is None else pc.sum(pc.equal(ids.flatten(), unk)).as_py() or 0
    new = {IDS: ids, MASK: None, LENGTH: lengths, LABELS: None}
    if MASK in plan.outputs:
        new[MASK] = attention_mask(ids, lengths)
    if plan.label is not None and plan.label_type is not None:
        new[LABELS] = column_ids(batch.column(plan.label), plan.label_type, plan.names)
    added = {name: new[name] for name in plan.outputs}
    return pa.RecordBatch.from_pydict(columns | added), tokens, unknown


class _WriteFailed(Exception):
    """An OSError of the output, carried past the handler of the input's read errors."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error)
        self.error = error


def _write(encoder: Encoder, plan: Plan, tmp: Path) -> tuple[int, int, int]:
    """Encode every batch into the Parquet file ``tmp``: (rows, tokens, unknown)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    read = None if plan.keep else [plan.text, *([plan.label] if plan.label else [])]
    rows = tokens = unknown = 0
    with ExitStack() as stack:
        writer = None
        try:
            batches = read_batches(plan, read, stack)
            stack.callback(getattr(batches, "close", lambda: None))  # before the file closes
            for batch in batches:
                out, n_tokens, n_unknown = _output(batch, plan, encoder, rows)
                try:
                    if writer is None:
                        schema = out.schema
                        if plan.names is not None:
                            schema = schema.with_metadata(plan.names.metadata())
                        sink = stack.enter_context(tmp.open("wb"))  # any path, UTF-8 or not
                        writer = stack.enter_context(pq.ParquetWriter(sink, schema))
                    writer.write_batch(out)
                except OSError as exc:
                    raise _WriteFailed(exc) from None
                rows, tokens, unknown = rows + out.num_rows, tokens + n_tokens, unknown + n_unknown
        except (pa.ArrowException, UnicodeDecodeError, *READ_ERRORS) as exc:
            raise read_error(plan, rows, exc) from None
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
    label_column: str | None = None,
    label_names: LabelVocab | str | os.PathLike[str] | None = None,
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
        label_column: a label column, written as ``labels`` (named the same
            way as ``text_column``): text labels become ids (see
            ``label_names``), integer and float labels are kept (``int64``;
            floats as their column has them, ``float64`` for CSV/TSV, whose
            label column is typed by its cells: see
            :mod:`aligner.encode_label_columns`).
        label_names: the label names to number text labels with (a
            :class:`~aligner.encode_labels.LabelVocab`, the Parquet file of
            an earlier run, or a text file with one name per line), so that
            several splits share ids; default: the sorted distinct labels.
        keep_columns: copy the input's columns into the output.
        force: replace an existing ``out``.

    Returns:
        An :class:`EncodeFileResult`.

    Raises:
        InputError: ``out`` is not named ``.parquet``, exists (without
            ``force``, or appears meanwhile), is a directory or a device, lies
            inside an artifact, or cannot be created (a parent is a file, a
            read-only folder); ``text_column`` or ``label_column`` with plain
            text; the column is missing or not text, the data has no rows, a
            token cannot be encoded (not in the vocabulary, and the encoder
            has ``unknown="error"`` or no unk row: the message names the
            file's row, from 1), a row has no label or a label not in
            ``label_names``, a label no training batch can hold (see
            :mod:`aligner.encode_label_columns`), the data already has an
            output column. Nothing is written then.
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
    if label_names is not None and label_column is None:
        raise InputError("label names apply to a label column; give --label-column too")
    _check_out(out)
    check_file_output(out, force=force)
    check_writable(out)
    check_regular_file(data)
    if out.suffix.lower() != ".parquet":
        raise InputError(
            f"output {out} would hold Parquet, and its name says otherwise; "
            f"name it {out.stem or out.name}.parquet"
        )
    plan = make_plan(layout_of(data), text_column, label_column, pad=encoder.pad, keep=keep_columns)
    if label_column is not None:
        given = label_names
        if given is not None and not isinstance(given, LabelVocab):
            given = read_label_names(given)
        scan_label_column(plan, given)
    try:
        with atomic_file(out, replace=force) as tmp:
            rows, tokens, unknown = _write(encoder, plan, tmp)
            if rows == 0:
                raise InputError(f"{data} holds no rows to encode; check the file")
    except _WriteFailed as failed:
        raise _write_error(failed.error, out) from failed.error
    except OSError as exc:  # making the temporary file, flushing it, renaming it
        raise _write_error(exc, out) from exc
    seconds = time.perf_counter() - start
    names = None if plan.names is None else plan.names.names
    return EncodeFileResult(out, rows, tokens, unknown, seconds, plan.label_type, names)
