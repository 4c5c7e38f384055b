"""A label column of a data file, read in batches: what it holds, its names, its ids.

Parquet, Arrow and JSON Lines columns carry a type: text labels are numbered
through a :class:`~aligner.encode_labels.LabelVocab` (the sorted distinct
labels, or the names given), integer and float labels are kept as they are.

Every CSV/TSV cell is text, so a CSV/TSV label column is typed by its cells,
spaces around a cell ignored (:data:`INTEGER`, :data:`DECIMAL`):

* every cell an integer (``0``, ``-3``, ``+1``; ``007`` is not one: a leading
  zero marks a code, kept as a name) → ``int64``, as written;
* else every cell a decimal number (``0.5``, ``.5``, ``2.``, ``1e3``)
  → ``float64``, as written;
* else text: names, sorted as text (``"10"`` before ``"2"``).

Given label names (``--label-names``), a CSV/TSV column is always text. In a
number column a cell such as ``nan``, ``inf``, ``NA`` or ``null`` is refused
naming its row; so is an empty cell in any column. Numbers must fit what
training uses: integers in ``int64``, floats finite and within ``float32``
(±3.4e38), in every layout.

Example:
    >>> kind, names = scan_labels(lambda: [pa.array(["0", "10", " 2"])], None, str)
    ... # doctest: +SKIP
    >>> kind, column_ids(pa.array(["0", "10", " 2"]), kind, names).to_pylist()  # doctest: +SKIP
    ('integer', [0, 10, 2])
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aligner.encode_labels import INT64, LabelVocab, float_problem
from aligner.errors import InputError

__all__ = ["DECIMAL", "INTEGER", "column_ids", "is_integer_text", "scan_labels"]

#: a CSV/TSV integer label (spaces around it ignored): a sign, then no leading zero
INTEGER = r"^[+-]?(0|[1-9][0-9]*)$"
#: a CSV/TSV decimal label: an integer part without a leading zero, a fraction, an exponent
DECIMAL = r"^[+-]?((0|[1-9][0-9]*)(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
#: cells that are no number, refused in a number column: not finite, or a missing-value mark
_NOT_FINITE = r"^[+-]?(nan|inf|infinity)$"
_MISSING = ("NA", "N/A", "n/a", "#N/A", "NULL", "null", "None", "none")
#: distinct labels remembered while a CSV/TSV column may still be numbers (past: read again)
_MANY_NAMES = 1 << 16
_INTEGER = re.compile(INTEGER)


def is_integer_text(text: str) -> bool:
    """Whether ``text`` (spaces around it ignored) is an integer label of a CSV/TSV file.

    Example:
        >>> [is_integer_text(t) for t in ("10", " +1", "007", "1e3")]
        [True, True, False, False]
    """
    return _INTEGER.match(text.strip()) is not None


def _column_kind(kind: Any) -> str | None:
    """``"text"``, ``"integer"`` or ``"float"``: what an Arrow label column holds."""
    import pyarrow as pa

    from aligner.corpus_tables import is_text_type

    if is_text_type(kind) and not pa.types.is_null(kind):
        return "text"
    if pa.types.is_integer(kind):
        return "integer"
    return "float" if pa.types.is_floating(kind) else None


def _as_string(column: Any) -> Any:
    import pyarrow as pa

    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    return column if column.type == pa.string() else column.cast(pa.string())


def _first(mask: Any) -> int | None:
    """The position of the first true value of a boolean array (nulls false), or None."""
    found = np.flatnonzero(np.asarray(mask.fill_null(False), dtype=bool))
    return int(found[0]) if found.size else None


def _too_big(where: str, value: Any, column: str, typed: bool) -> InputError:
    text = "cast the column to text" if typed else "give --label-names (a file of the names)"
    return InputError(
        f"{where}: label {value!r} of column {column!r} is beyond the int64 range of class "
        f"ids; give ids that fit int64, or {text} to number the labels as names"
    )


def _not_a_number(where: str, value: Any, column: str, reason: str) -> InputError:
    return InputError(
        f"{where}: label {value!r} of column {column!r} is {reason}, and the column holds "
        "numbers; give every row a finite number (floats within ±3.4e38), or drop the row"
    )


@dataclass
class _Cells:
    """What a CSV/TSV label column read so far may be, and what it held."""

    integer: bool = True
    number: bool = True
    seen: set[str] | None = field(default_factory=set)  # None: too many; read again
    most: int | None = _MANY_NAMES  # distinct labels kept (None: all)
    bad: tuple[int, str, str] | None = None  # the first cell no number column may hold
    big: tuple[int, str] | None = None  # the first integer beyond int64

    def kind(self) -> str:
        return "integer" if self.integer else "float" if self.number else "text"

    def add(self, column: Any, row: int) -> None:
        """Take one batch (strings, none missing) starting at row ``row``."""
        import pyarrow.compute as pc

        if self.seen is not None:
            self.seen.update(pc.unique(column).to_pylist())
            if self.most is not None and len(self.seen) > self.most:
                self.seen = None
        if not self.number:
            return
        cells = pc.utf8_trim_whitespace(column)
        odd = pc.or_(
            pc.match_substring_regex(cells, _NOT_FINITE, ignore_case=True),
            pc.is_in(cells, value_set=_missing_set()),
        )
        if self.integer and not pc.all(pc.match_substring_regex(cells, INTEGER)).as_py():
            self.integer = False
        if self.integer:
            self._check_integers(cells, row)
        elif not pc.all(pc.or_(odd, pc.match_substring_regex(cells, DECIMAL))).as_py():
            self.number = False
            return
        if self.bad is None:  # (an integer too long for float32 matters if floats follow)
            self._check_floats(cells, odd, row)

    def _check_integers(self, cells: Any, row: int) -> None:
        import pyarrow as pa

        if self.big is not None:
            return
        try:
            _integers(cells)
        except pa.ArrowInvalid:  # out of range: find the row
            for i, cell in enumerate(cells.to_pylist()):
                if not -INT64 <= int(cell) < INT64:
                    self.big = (row + i, cell)
                    return

    def _check_floats(self, cells: Any, odd: Any, row: int) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        values = np.asarray(pc.cast(pc.if_else(odd, "0", cells), pa.float64()), dtype=float)
        at = _first(odd)
        if at is not None:
            cell = cells[at].as_py()
            finite = re.match(_NOT_FINITE, cell, re.IGNORECASE) is None
            self.bad = (row + at, cell, "not a number" if finite else "not a finite number")
        problems = ~np.isfinite(values) | (np.abs(values) > np.finfo(np.float32).max)
        if problems.any() and (at is None or int(np.argmax(problems)) < at):
            at = int(np.argmax(problems))
            self.bad = (row + at, cells[at].as_py(), float_problem(values[at]) or "")

    def check(self, where: Callable[[int], str], column: str) -> None:
        """Refuse what the column, now that its kind is known, may not hold."""
        kind = self.kind()
        if kind == "integer" and self.big is not None:
            raise _too_big(where(self.big[0]), self.big[1], column, typed=False)
        if kind != "text" and self.bad is not None:
            row, cell, reason = self.bad
            raise _not_a_number(where(row), cell, column, reason)


def _missing_set() -> Any:
    import pyarrow as pa

    return pa.array(_MISSING, pa.string())


def _check_numbers(
    column: Any, kind: str, row: int, where: Callable[[int], str], name: str
) -> None:
    """Refuse typed numbers training cannot take: uint64 ids beyond int64, floats that are
    not finite or beyond float32."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if kind == "integer":
        if column.type == pa.uint64() and len(column):
            at = _first(pc.greater_equal(column, pa.scalar(INT64, pa.uint64())))
            if at is not None:
                raise _too_big(where(row + at), column[at].as_py(), name, typed=True)
        return
    values = np.asarray(column.cast(pa.float64()), dtype=float)
    problems = ~np.isfinite(values) | (np.abs(values) > np.finfo(np.float32).max)
    if problems.any():
        at = int(np.argmax(problems))
        value = float(values[at])
        reason = float_problem(value) or ""
        raise InputError(
            f"{where(row + at)}: label {value!r} of column {name!r} is {reason}; give "
            "every row a finite number within ±3.4e38, or drop the row"
        )


def _missing(column: Any, kind: str) -> Any:
    """Where a batch has no label: null, or (text) only spaces."""
    import pyarrow.compute as pc

    missing = column.is_null()
    if kind == "text":
        empty = pc.equal(pc.utf8_trim_whitespace(_as_string(column)), "")
        missing = pc.or_kleene(missing, empty)
    return missing


def scan_labels(
    read: Callable[[], Iterable[Any]],
    given: LabelVocab | None,
    where: Callable[[int], str],
    *,
    column: str = "label",
    infer: bool = False,
) -> tuple[str | None, LabelVocab | None]:
    """Check a label column, read in batches: what it holds, and its label names.

    Args:
        read: gives the label column, one Arrow array per batch, in row order;
            called a second time only for a CSV/TSV column of more than
            65,536 distinct text labels.
        given: the names to use for text labels (else they are the sorted
            distinct labels).
        where: row number (from 0) → where it is, for messages (``"f.tsv, row 3"``).
        column: the label column's name, for messages.
        infer: the column is CSV/TSV text: type it by its cells (see the
            module), unless ``given``.

    Returns:
        ``(kind, names)``: kind ``"text"`` (names: ``given`` or the labels'),
        ``"integer"`` or ``"float"`` (names: ``None``), or ``None`` with no rows.

    Raises:
        InputError: a row without a label, a column that is not text nor
            numbers (or changes type), a text label not in ``given``,
            ``given`` with typed numeric labels, an integer beyond ``int64``,
            a float that is not finite or beyond ``float32``, a cell that is
            no number in a CSV/TSV number column. The message names the row.

    Example:
        >>> scan_labels(lambda: [pa.array(["spam", "ham"])], None, str)  # doctest: +SKIP
        ('text', LabelVocab(['ham', 'spam']))
    """
    cells = _Cells() if infer and given is None else None
    kind, seen = _scan(read(), given, where, column, cells)
    if cells is not None and kind is not None:
        cells.check(where, column)
        kind = cells.kind()
        if kind != "text":
            return kind, None
        if cells.seen is None:  # too many names to keep while they looked like numbers
            cells = _Cells(integer=False, number=False, most=None)
            _scan(read(), None, where, column, cells)
        assert cells.seen is not None
        seen = cells.seen
    if kind == "text":
        return kind, given or LabelVocab(sorted(seen), source="the label column")
    if given is not None and kind is not None:
        raise InputError(
            f"{where(0)}: the labels of column {column!r} are {kind} numbers, and label names "
            "number text labels; drop the label names (--label-names)"
        )
    return kind, None


def _scan(
    columns: Iterable[Any],
    given: LabelVocab | None,
    where: Callable[[int], str],
    name: str,
    cells: _Cells | None,
) -> tuple[str | None, set[str]]:
    """One pass over the column: its Arrow kind and distinct text labels (see scan_labels)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind: str | None = None
    seen: set[str] = set()
    known = None if given is None else pa.array(given.names, pa.string())
    row = 0
    try:
        for column in columns:
            this = _column_kind(column.type)
            if this is None or kind not in (None, this):
                raise InputError(
                    f"{where(row)}: the label column {name!r} holds {column.type}, not text, "
                    "integer or float labels; pass the label column to --label-column "
                    "(or cast it first)"
                )
            kind = this
            first = _first(_missing(column, kind))
            if first is not None:
                raise InputError(
                    f"{where(row + first)}: no label in column {name!r}; give every row a "
                    "label, or drop the row"
                )
            if kind != "text":
                _check_numbers(column, kind, row, where, name)
            elif cells is not None:
                cells.add(_as_string(column), row)
            elif known is None:
                seen.update(pc.unique(_as_string(column)).to_pylist())
            else:
                bad = _first(pc.invert(pc.is_in(_as_string(column), value_set=known)))
                if bad is not None and given is not None:
                    remedy = "fix the row, or give label names that include it"
                    raise given.unknown(column[bad].as_py(), where(row + bad), remedy)
            row += len(column)
    finally:
        getattr(columns, "close", lambda: None)()
    return kind, seen


def _integers(cells: Any) -> Any:
    """Integer cells (checked, trimmed) as ``int64``; ArrowInvalid beyond its range."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.replace_substring_regex(cells, r"^\+", "").cast(pa.int64())


def column_ids(column: Any, kind: str, names: LabelVocab | None) -> Any:
    """One batch of a checked label column as numbers: text → ``int64`` ids,
    integers → ``int64``, floats as they are; a CSV/TSV (text) column of
    numbers is parsed: ``int64`` or ``float64`` (see :func:`scan_labels`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if kind != "text" and _column_kind(column.type) == "text":
        cells = pc.utf8_trim_whitespace(_as_string(column))
        return _integers(cells) if kind == "integer" else cells.cast(pa.float64())
    if kind == "float":
        return column
    if kind == "integer":
        return column.cast(pa.int64())
    assert names is not None
    value_set = pa.array(names.names, pa.string())
    return pc.index_in(_as_string(column), value_set=value_set).cast(pa.int64())
