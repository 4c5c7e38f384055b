"""Split wanted text rows, and parse the values of kept ones in batches (pyarrow's CSV reader).

:func:`split_fields` tells a row's token from its values (or why it has
none); :class:`~aligner.pretrained.readers.TextReader` queues the values of
the rows it keeps (the text after each token) and hands them over in batches;
:func:`parse_batch` parses a batch at once, and row by row when that fails,
to name the bad line or skip it (``skip_bad_rows``).

Example:
    >>> batch = parse_batch(Path("v.txt"), 2, [b"0.5 1", b"x 2"], [1, 2], True)
    >>> batch.matrix.tolist(), batch.keep.tolist(), batch.bad_rows
    ([[0.5, 1.0]], [True, False], 1)
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aligner.errors import VectorsFormatError

__all__ = [
    "FEW", "LONG", "OK", "SPACED", "Batch", "not_a_number", "parse_at_once", "parse_batch",
    "split_fields",
]  # fmt: skip

#: what :func:`split_fields` finds in a wanted row: the token and D values; a token holding
#: spaces and D values; fewer than D values; a row longer than the dimension allows
OK, SPACED, FEW, LONG = range(4)


def split_fields(row: bytes, dim: int, line_max: int) -> tuple[int, bytes, bytes, int]:
    """Split a text row into its token and values: (outcome, token, values, fields).

    ``fields`` is the number of space-separated fields after the first; the
    token and values are empty unless the outcome is ``OK`` or ``SPACED``.

    Example:
        >>> split_fields(b"new york 0.5 1", 2, 100)
        (1, b'new york', b'0.5 1', 3)
    """
    row = row.rstrip(b"\r ")
    if len(row) > line_max:
        return LONG, b"", b"", 0
    fields = row.count(b" ")
    if fields == dim:
        key, _, values = row.partition(b" ")
        return OK, key, values, fields
    if fields < dim:
        return FEW, b"", b"", fields
    # glove.840B style: the token itself holds spaces; the vector is the last D fields
    key = row.rsplit(b" ", dim)[0]
    return SPACED, key, row[len(key) + 1 :], fields


@dataclass
class Batch:
    """Parsed rows of one batch; ``keep`` is False for rows skipped as bad."""

    matrix: np.ndarray
    keep: np.ndarray
    bad_rows: int = 0


def parse_batch(
    path: Path, dim: int, values: list[bytes], lines: list[int], skip_bad_rows: bool
) -> Batch:
    """Parse rows of D space-separated floats at once (pyarrow), or row by row on error."""
    matrix = parse_at_once(dim, values)
    if matrix is None:
        return _parse_slowly(path, dim, values, lines, skip_bad_rows)
    return Batch(matrix, np.ones(len(values), dtype=bool))


def parse_at_once(dim: int, values: list[bytes]) -> np.ndarray | None:
    """The ``(rows, dim)`` float32 matrix of rows of exactly D numbers separated by single
    spaces, parsed by pyarrow's CSV reader (one call that releases the GIL: other
    threads run on meanwhile); None when a row is anything else."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"v{i}" for i in range(dim)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(b"\n".join(values)),
            read_options=pacsv.ReadOptions(
                column_names=names, block_size=1 << 23, use_threads=False
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=" ", quote_char=False, escape_char=False, double_quote=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.float32()),
                null_values=[],  # no value is a null ("nan" is NaN, "" an error): 12 % faster
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if table.num_rows != len(values) or any(column.null_count for column in table.columns):
        return None
    matrix = np.empty((table.num_rows, dim), dtype=np.float32)
    for i, column in enumerate(table.columns):
        at = 0
        for chunk in column.chunks:
            matrix[at : at + len(chunk), i] = _floats(chunk)
            at += len(chunk)
    return matrix


def _floats(chunk: Any) -> np.ndarray:
    """A float32 Arrow array without nulls, as a numpy view of its data buffer.

    ``Array.to_numpy`` would import pandas when it is installed (0.2 s, in
    every process that parses).
    """
    data = chunk.buffers()[1]
    return np.frombuffer(data, dtype="=f4", count=len(chunk), offset=chunk.offset * 4)


def _parse_slowly(
    path: Path, dim: int, values: list[bytes], lines: list[int], skip_bad_rows: bool
) -> Batch:
    """Row by row, to name the bad line (or skip it with skip_bad_rows)."""
    matrix = np.zeros((len(values), dim), dtype=np.float32)
    keep = np.ones(len(values), dtype=bool)
    for i, (row, lineno) in enumerate(zip(values, lines, strict=True)):
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                # a value beyond float32 becomes inf: counted with the non-finite rows
                matrix[i] = [float(x) for x in row.split(b" ")]
        except ValueError:
            if not skip_bad_rows:
                raise not_a_number(path, lineno) from None
            keep[i] = False
    return Batch(matrix[keep], keep, bad_rows=int((~keep).sum()))


def not_a_number(path: Path, lineno: int) -> VectorsFormatError:
    """The error of a kept row with a value that is not a number."""
    return VectorsFormatError(
        f"{path}, line {lineno}: a value is not a number; fix the file or pass --skip-bad-rows"
    )
