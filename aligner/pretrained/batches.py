"""Parse the values of kept text rows in batches, with pyarrow's CSV reader.

:class:`~aligner.pretrained.readers.TextReader` queues the values of the rows
it keeps (the text after each token) and hands them over in batches;
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

import numpy as np

from aligner.errors import VectorsFormatError

__all__ = ["Batch", "parse_batch"]


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
                column_types=dict.fromkeys(names, pa.float32()), quoted_strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return _parse_slowly(path, dim, values, lines, skip_bad_rows)
    if table.num_rows != len(values) or any(column.null_count for column in table.columns):
        return _parse_slowly(path, dim, values, lines, skip_bad_rows)
    matrix = np.empty((table.num_rows, dim), dtype=np.float32)
    for i, column in enumerate(table.columns):
        matrix[:, i] = column.to_numpy()
    return Batch(matrix, np.ones(len(values), dtype=bool))


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
                raise VectorsFormatError(
                    f"{path}, line {lineno}: a value is not a number; "
                    "fix the file or pass --skip-bad-rows"
                ) from None
            keep[i] = False
    return Batch(matrix[keep], keep, bad_rows=int((~keep).sum()))
