"""Labels for training batches: text labels through a label vocabulary, numbers as they are.

A :class:`LabelVocab` is a list of label names; a name's id is its position.
Built from the labels themselves (:meth:`LabelVocab.of`) the names are sorted,
as ``datasets``' ``class_encode_column`` and ``aligner compare`` number them,
so the ids do not depend on the order of the rows nor on which DataLoader
worker saw a label first. ``aligner encode --label-column`` keeps the names
in the schema metadata of the Parquet file it writes (key ``aligner.labels``,
a JSON list); :func:`read_label_names` reads them back (or a text file with
one name per line), so that every split gets the same ids.

:func:`label_array` turns one batch's labels into numbers: text labels into
their ids (``int64``), integers as ids (``int64``), floats (regression
targets) into ``float32``.

Example:
    >>> vocab = LabelVocab.of(["spam", "ham", "spam"])
    >>> vocab.names, vocab.to_id["spam"]
    (('ham', 'spam'), 1)
    >>> label_array(["spam", "ham"], vocab, "label").tolist()
    [1, 0]
"""

from __future__ import annotations

import json
import math
import numbers
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aligner.corpus_io import text_lines
from aligner.errors import InputError

__all__ = [
    "METADATA_KEY",
    "LabelVocab",
    "column_ids",
    "label_array",
    "read_label_names",
    "scan_labels",
]

#: the Parquet schema metadata key of the label names (a JSON list) in aligner encode's output
METADATA_KEY = "aligner.labels"
MAX_LINE = 1 << 16  # the longest line of a label names file, in bytes


def _shown(names: Sequence[str], most: int = 8) -> str:
    listed = ", ".join(map(repr, names[:most]))
    return listed + (f", ... ({len(names)} in all)" if len(names) > most else "")


class LabelVocab:
    """Label names in id order: ``names[i]`` is the label with id ``i``.

    Args:
        names: the names, each once, all text.
        source: where the names come from, for messages (a file, or
            ``"collate(labels=...)"``).

    Raises:
        InputError: a name is not a string, or appears twice; no names.

    Example:
        >>> LabelVocab(["negative", "positive"]).to_id
        {'negative': 0, 'positive': 1}
    """

    def __init__(self, names: Iterable[str], *, source: str = "the label names") -> None:
        if isinstance(names, str | bytes):
            raise InputError(
                f"{source}: give a list of label names, not one {type(names).__name__}"
            )
        self.names: tuple[str, ...] = tuple(names)
        self.source = source
        self.to_id: dict[str, int] = {}
        for i, name in enumerate(self.names):
            if not isinstance(name, str):
                raise InputError(
                    f"{source}: label name {i} is {type(name).__name__} {name!r}, not text; "
                    "give the names of the labels as strings, in id order"
                )
            if name in self.to_id:
                raise InputError(f"{source}: {name!r} is given twice; give each label once")
            self.to_id[name] = i
        if not self.names:
            raise InputError(f"{source}: no label names; give at least one")

    @classmethod
    def of(cls, values: Iterable[Any], *, source: str = "the labels") -> LabelVocab:
        """The sorted, distinct text labels of ``values`` (a label column).

        Raises:
            InputError: a value is not text (the message names its position).

        Example:
            >>> LabelVocab.of(["sport", "music", "sport"]).names
            ('music', 'sport')
        """
        seen: set[str] = set()
        for i, value in enumerate(values):
            if not isinstance(value, str):
                raise InputError(
                    f"{source}, value {i}: {value!r} is not a text label; "
                    "give every row a label, and only text labels"
                )
            seen.add(value)
        return cls(sorted(seen), source=source)

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        return f"LabelVocab({list(self.names)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LabelVocab) and other.names == self.names

    def __hash__(self) -> int:
        return hash(self.names)

    def unknown(self, label: str, where: str, remedy: str) -> InputError:
        """The error for a label that is not one of the names (``where`` starts the message)."""
        return InputError(
            f"{where}: label {label!r} is not one of the {len(self)} label names of "
            f"{self.source} ({_shown(self.names)}); {remedy}"
        )

    def metadata(self) -> dict[bytes, bytes]:
        """The names as Parquet schema metadata (:data:`METADATA_KEY`: a JSON list)."""
        return {METADATA_KEY.encode(): json.dumps(list(self.names)).encode()}


def _scalar(value: Any) -> Any:
    """A numpy or torch scalar (0-d) as a Python value; anything else as it is."""
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        return value.item()
    return value


def _kind(value: Any) -> str | None:
    """``"text"``, ``"int"`` or ``"float"``: what a label is (None: not a label)."""
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return "int"
    if isinstance(value, numbers.Real) and math.isfinite(value):
        return "float"
    return None


def _not_a_label(index: int, key: str, value: Any) -> InputError:
    reason = "not a finite number" if isinstance(value, float) else "not a label"
    return InputError(
        f"example {index}: label {key!r} is {value!r}, {reason}; give every example a text "
        "label (with collate(labels=[...])), an integer class id or a float target, and drop "
        "examples without one"
    )


def label_array(values: Sequence[Any], vocab: LabelVocab | None, key: str) -> np.ndarray:
    """One batch's labels as numbers: ``int64`` ids, or ``float32`` targets.

    Args:
        values: one label per example: text (mapped through ``vocab``), an
            integer (an id, below ``len(vocab)`` when there is one) or a float
            (regression); numpy and torch scalars are unwrapped.
        vocab: the label names, needed for text labels.
        key: the examples' label key, for messages.

    Raises:
        InputError: a label that is none of these (``None``, a bool, NaN, a
            list), text labels without ``vocab`` or not in it, text and
            numbers in one batch, an integer id outside ``vocab``; the
            message names the example.

    Example:
        >>> label_array([0, 2.5], None, "label").dtype
        dtype('float32')
    """
    values = [_scalar(v) for v in values]
    kinds = [_kind(v) for v in values]
    for i, kind in enumerate(kinds):
        if kind is None:
            raise _not_a_label(i, key, values[i])
    if "text" in kinds and len(set(kinds)) > 1:
        text, number = kinds.index("text"), next(i for i, k in enumerate(kinds) if k != "text")
        raise InputError(
            f"example {number}: label {key!r} is the number {values[number]!r}, and example "
            f"{text}'s is the text {values[text]!r}; give every example the same kind of label"
        )
    if "text" in kinds:
        return _text_ids(values, vocab, key)
    if "float" in kinds:
        return np.array(values, dtype=np.float32)
    ids = np.array(values, dtype=np.int64)
    if vocab is not None and ids.size and not (ids.min() >= 0 and ids.max() < len(vocab)):
        bad = int(np.flatnonzero((ids < 0) | (ids >= len(vocab)))[0])
        raise InputError(
            f"example {bad}: label {key!r} is the id {values[bad]}, and there are "
            f"{len(vocab)} label names ({_shown(vocab.names)}); give ids from 0 to "
            f"{len(vocab) - 1}, or the names themselves"
        )
    return ids


def _text_ids(values: list[Any], vocab: LabelVocab | None, key: str) -> np.ndarray:
    if vocab is None:
        raise InputError(
            f"example 0: label {key!r} is the text {values[0]!r}, and collate has no label "
            "names to number it; pass enc.collate(labels=[...]) with every label in id order "
            "(e.g. LabelVocab.of(dataset['label']), or read_label_names('train.ids.parquet'))"
        )
    ids = np.empty(len(values), dtype=np.int64)
    for i, value in enumerate(values):
        found = vocab.to_id.get(value)
        if found is None:
            remedy = "fix the label, or add it to the label names (and retrain)"
            raise vocab.unknown(value, f"example {i}", remedy)
        ids[i] = found
    return ids


def read_label_names(path: str | os.PathLike[str]) -> LabelVocab:
    """The label names of a Parquet file written by ``aligner encode --label-column``, or
    of a text file with one name per line (line ``i + 1``: id ``i``).

    Raises:
        InputError: the Parquet file has no label names (it was encoded
            without ``--label-column``, or its labels were numbers), or the
            text file is empty, names a label twice or is not UTF-8.
        CorpusError: the file cannot be read.

    Example:
        >>> names = read_label_names("build/train.ids.parquet")  # doctest: +SKIP
        >>> loader = DataLoader(ds, collate_fn=enc.collate(labels=names))  # doctest: +SKIP
    """
    from aligner.corpus import check_regular_file

    path = Path(path)
    check_regular_file(path)  # a FIFO would block the read
    if path.suffix.lower() == ".parquet":
        return _parquet_names(path)
    from aligner.corpus_io import open_file

    names: list[str] = []
    remedy = "give one label name per line"
    with open_file(path, None) as (stream, _):
        for lineno, line in text_lines(
            stream, path, limit=MAX_LINE, error=InputError, remedy=remedy
        ):
            if not line.strip():
                raise InputError(f"{path}, line {lineno}: an empty label name; {remedy}")
            names.append(line)
    return LabelVocab(names, source=str(path))


def _parquet_names(path: Path) -> LabelVocab:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from aligner.corpus_io import arrow_input, brief
    from aligner.errors import CorpusError

    try:
        with arrow_input(path) as source:
            metadata = pq.read_schema(source).metadata or {}
    except (pa.ArrowException, OSError) as exc:
        raise CorpusError(
            f"{path}: cannot read it as Parquet ({brief(exc)}); give the Parquet file written "
            "by aligner encode --label-column, or a text file with one label per line"
        ) from None
    raw = metadata.get(METADATA_KEY.encode())
    if raw is None:
        raise InputError(
            f"{path} holds no label names (no {METADATA_KEY!r} in its metadata); encode it "
            "with aligner encode --label-column (text labels), or give a text file with one "
            "label per line"
        )
    try:
        names = json.loads(raw)
    except ValueError:
        names = None
    if not isinstance(names, list):
        raise InputError(f"{path}: its {METADATA_KEY!r} metadata is not a JSON list of names")
    return LabelVocab(names, source=str(path))


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


def scan_labels(
    columns: Iterable[Any], given: LabelVocab | None, where: Callable[[int], str]
) -> tuple[str | None, LabelVocab | None]:
    """Check a label column, read in batches: what it holds, and its label names.

    Args:
        columns: the label column, one Arrow array per batch, in row order.
        given: the names to use for text labels (else they are the sorted
            distinct labels).
        where: row number (from 0) → where it is, for messages (``"f.tsv, row 3"``).

    Returns:
        ``(kind, names)``: kind ``"text"`` (names: ``given`` or the labels'),
        ``"integer"`` or ``"float"`` (names: ``None``), or ``None`` with no rows.

    Raises:
        InputError: a row without a label, a column that is not text nor
            numbers (or changes type), a text label not in ``given``, or
            ``given`` with numeric labels.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    kind: str | None = None
    seen: set[str] = set()
    known = None if given is None else pa.array(given.names, pa.string())
    row = 0
    for column in columns:
        this = _column_kind(column.type)
        if this is None or kind not in (None, this):
            raise InputError(
                f"{where(row)}: the label column holds {column.type}, not text, integer or "
                "float labels; pass the label column to --label-column (or cast it first)"
            )
        kind = this
        missing = column.is_null()
        if kind == "text":
            column = _as_string(column)
            missing = pc.or_kleene(missing, pc.equal(pc.utf8_trim_whitespace(column), ""))
        if pc.any(missing).as_py():
            first = row + int(np.flatnonzero(np.asarray(missing.fill_null(True)))[0])
            raise InputError(f"{where(first)}: no label; give every row a label, or drop the row")
        if kind == "text":
            if known is None:
                seen.update(pc.unique(column).to_pylist())
            else:
                unknown = np.flatnonzero(~np.asarray(pc.is_in(column, value_set=known)))
                if unknown.size and given is not None:
                    remedy = "fix the row, or give label names that include it"
                    bad = int(unknown[0])
                    raise given.unknown(column[bad].as_py(), where(row + bad), remedy)
        row += len(column)
    if kind == "text":
        return kind, given or LabelVocab(sorted(seen), source="the label column")
    if given is not None and kind is not None:
        raise InputError(
            f"{where(0)}: the labels are {kind} numbers, and label names number text labels; "
            "drop the label names (--label-names)"
        )
    return kind, None


def column_ids(column: Any, kind: str, names: LabelVocab | None) -> Any:
    """One batch of a checked label column as numbers: text → ``int64`` ids,
    integers → ``int64``, floats as they are (see :func:`scan_labels`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if kind == "float":
        return column
    if kind == "integer":
        return column.cast(pa.int64())
    assert names is not None
    value_set = pa.array(names.names, pa.string())
    return pc.index_in(_as_string(column), value_set=value_set).cast(pa.int64())
