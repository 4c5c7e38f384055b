"""Labels for training batches: text labels through a label vocabulary, numbers as they are.

A :class:`LabelVocab` is a list of label names; a name's id is its position.
It is built from a list of names in id order, from a Hugging Face mapping
(``label2id``: name → id, or ``id2label``: id → name, ids 0 to n-1 each once),
or from the labels themselves (:meth:`LabelVocab.of`): then the names are
sorted, as ``datasets``' ``class_encode_column`` and ``aligner compare`` number
them, so the ids do not depend on the order of the rows nor on which
DataLoader worker saw a label first. A set has no order from one process to
the next, so it is refused. ``aligner encode --label-column`` keeps the names
in the schema metadata of the Parquet file it writes (key ``aligner.labels``,
a JSON list); :func:`read_label_names` reads them back (or a text file with
one name per line, plain or ``.gz``/``.bz2``/``.xz``), so that every split
gets the same ids. Label columns of data files are read by
:mod:`aligner.encode_label_columns`.

:func:`label_array` turns one batch's labels into numbers: text labels into
their ids (``int64``), integers as ids (``int64``: they must fit it), floats
(regression targets) into ``float32`` (they must be finite and fit it).

Example:
    >>> vocab = LabelVocab.of(["spam", "ham", "spam"])
    >>> vocab.names, vocab.to_id["spam"]
    (('ham', 'spam'), 1)
    >>> LabelVocab({"spam": 1, "ham": 0}).names
    ('ham', 'spam')
    >>> label_array(["spam", "ham"], vocab, "label").tolist()
    [1, 0]
"""

from __future__ import annotations

import json
import math
import numbers
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aligner.corpus_io import text_lines
from aligner.errors import InputError

__all__ = [
    "FLOAT32_MAX",
    "INT64",
    "METADATA_KEY",
    "LabelNames",
    "LabelVocab",
    "float_problem",
    "label_array",
    "read_label_names",
]

#: label names: a list in id order, or a mapping name → id (label2id) or id → name (id2label)
LabelNames = Iterable[str] | Mapping[str, int] | Mapping[int, str]
#: the Parquet schema metadata key of the label names (a JSON list) in aligner encode's output
METADATA_KEY = "aligner.labels"
MAX_LINE = 1 << 16  # the longest line of a label names file, in bytes
#: an int64 holds -INT64 <= n < INT64
INT64 = 1 << 63
#: the largest finite float32: float labels become float32 tensors
FLOAT32_MAX = float(np.finfo(np.float32).max)


def float_problem(value: float) -> str | None:
    """Why a float cannot be a training target (``None``: it can).

    Example:
        >>> float_problem(float("nan")), float_problem(1e39), float_problem(0.5)
        ('not a finite number', 'beyond the float32 range (±3.4e38) of training targets', None)
    """
    if not math.isfinite(value):
        return "not a finite number"
    if abs(value) > FLOAT32_MAX:
        return "beyond the float32 range (±3.4e38) of training targets"
    return None


def _shown(names: Sequence[str], most: int = 8) -> str:
    listed = ", ".join(map(repr, names[:most]))
    return listed + (f", ... ({len(names)} in all)" if len(names) > most else "")


class LabelVocab:
    """Label names in id order: ``names[i]`` is the label with id ``i``.

    Args:
        names: the names in id order, each once, all text; or a mapping
            name → id (Hugging Face ``label2id``) or id → name (``id2label``)
            whose ids are 0 to n-1, each once. Not a set: it has no order.
        source: where the names come from, for messages (a file, or
            ``"collate(labels=...)"``).

    Raises:
        InputError: a name is not a string, or appears twice; no names; a
            set, a string or bytes; a mapping whose ids are not 0 to n-1.

    Example:
        >>> LabelVocab(["negative", "positive"]).to_id
        {'negative': 0, 'positive': 1}
        >>> LabelVocab({1: "positive", 0: "negative"}).names
        ('negative', 'positive')
    """

    def __init__(
        self,
        names: LabelNames,
        *,
        source: str = "the label names",
    ) -> None:
        if isinstance(names, str | bytes):
            raise InputError(
                f"{source}: give a list of label names, not one {type(names).__name__}"
            )
        if isinstance(names, set | frozenset):
            raise InputError(
                f"{source}: a {type(names).__name__} has no order (it changes from one process "
                "to the next), and ids follow the order of the names; give a list in id order, "
                "or LabelVocab.of(labels) for the sorted names"
            )
        if isinstance(names, Mapping):
            names = _by_id(names, source)
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


def _is_id(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _by_id(mapping: Mapping[Any, Any], source: str) -> list[str]:
    """The names of a ``label2id`` or ``id2label`` mapping, in id order."""
    pairs = list(mapping.items())
    label2id = [isinstance(k, str) and _is_id(v) for k, v in pairs]
    id2label = [_is_id(k) and isinstance(v, str) for k, v in pairs]
    if all(label2id):
        by_id = [(int(v), k) for k, v in pairs]
    elif all(id2label):
        by_id = [(int(k), v) for k, v in pairs]
    else:
        shape = label2id if isinstance(pairs[0][0], str) else id2label
        key, value = pairs[shape.index(False)]
        raise InputError(
            f"{source}: a mapping of label names to ids (label2id, e.g. {{'ham': 0, 'spam': 1}})"
            f" or of ids to names (id2label), and this one maps {key!r} to {value!r}; give "
            "one of those, or a list of the names in id order"
        )
    named: dict[int, str] = {}
    problem = None
    for found, name in by_id:
        if found in named:
            problem = f"{named[found]!r} and {name!r} both have the id {found}"
            break
        named[found] = name
    by_id.sort(key=lambda pair: pair[0])
    for position, (found, name) in enumerate(by_id):
        if problem is None and found != position:
            problem = f"no label has the id {position}"
            if found < position:
                problem = f"{name!r} has the id {found}"
    if problem is not None:
        raise InputError(
            f"{source}: {problem}; give the {len(by_id)} labels the ids 0 to "
            f"{len(by_id) - 1}, each once"
        )
    return [name for _, name in by_id]


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
    return "float" if isinstance(value, numbers.Real) else None


def _not_a_label(index: int, key: str, value: Any) -> InputError:
    return InputError(
        f"example {index}: label {key!r} is {value!r}, not a label; give every example a text "
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
        InputError: a label that is none of these (``None``, a bool, a
            list), text labels without ``vocab`` or not in it, text and
            numbers in one batch, an integer id outside ``vocab`` or beyond
            ``int64``, a float that is not finite (NaN, ±inf) or beyond
            ``float32``; the message names the example.

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
    ids_of = None if "float" in kinds else vocab
    for i, value in enumerate(values):
        _check_number(i, value, ids_of, key)
    return np.array(values, dtype=np.float32 if "float" in kinds else np.int64)


def _check_number(index: int, value: Any, vocab: LabelVocab | None, key: str) -> None:
    """Refuse an id outside ``vocab`` or ``int64``, and a float ``float32`` cannot hold."""
    if isinstance(value, numbers.Integral):
        value = int(value)
        if vocab is not None and not 0 <= value < len(vocab):
            raise InputError(
                f"example {index}: label {key!r} is the id {value}, and there are "
                f"{len(vocab)} label names ({_shown(vocab.names)}); give ids from 0 to "
                f"{len(vocab) - 1}, or the names themselves"
            )
        if not -INT64 <= value < INT64:
            raise InputError(
                f"example {index}: label {key!r} is the integer {value}, beyond the int64 range "
                "of class ids; give ids from 0 to the number of labels - 1, or text labels "
                "with collate(labels=[...])"
            )
        return
    problem = float_problem(float(value))
    if problem is not None:
        raise InputError(
            f"example {index}: label {key!r} is {value!r}, {problem}; give float targets that "
            "are finite and within ±3.4e38, or drop the example"
        )


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
    of a text file with one name per line (line ``i + 1``: id ``i``), plain or compressed
    (``.gz``, ``.bz2``, ``.xz``).

    Raises:
        InputError: the Parquet file has no label names (it was encoded
            without ``--label-column``, or its labels were numbers), or the
            text file is empty, names a label twice, is not UTF-8, or is
            compressed without saying so in its name (or as zip, zstd).
        CorpusError: the file cannot be read (or decompressed).

    Example:
        >>> names = read_label_names("build/train.ids.parquet")  # doctest: +SKIP
        >>> loader = DataLoader(ds, collate_fn=enc.collate(labels=names))  # doctest: +SKIP
    """
    from aligner.corpus import check_regular_file
    from aligner.corpus_io import READ_ERRORS, open_file, read_error
    from aligner.pretrained.archive import compression_of

    path = Path(path)
    check_regular_file(path)  # a FIFO would block the read
    if path.suffix.lower() == ".parquet":
        return _parquet_names(path)
    compression = compression_of(path)
    names: list[str] = []
    remedy = "give one label name per line"
    lineno = 0
    with open_file(path, None if compression == "zip" else compression) as (stream, raw):
        head = raw.read(8) if compression in (None, "zip") else b""
        if head.startswith(b"PAR1"):
            return _parquet_names(path)
        _refuse_compressed(path, head)
        raw.seek(0)
        try:
            for lineno, line in text_lines(
                stream, path, limit=MAX_LINE, error=InputError, remedy=remedy
            ):
                if not line.strip():
                    raise InputError(f"{path}, line {lineno}: an empty label name; {remedy}")
                names.append(line)
        except READ_ERRORS as exc:
            raise read_error(path, f"after line {lineno}", compression, exc) from None
    return LabelVocab(names, source=str(path))


def _refuse_compressed(path: Path, head: bytes) -> None:
    """Refuse a names file that is compressed in a way its name does not say (or a zip)."""
    from aligner.sniff import COMPRESSED_MAGIC

    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise InputError(
            f"{path} is a zip archive; give the label names as plain text, one per line "
            "(.gz, .bz2 and .xz are read too)"
        )
    for magic, name, suffix, command in COMPRESSED_MAGIC:
        if head.startswith(magic):
            rename = f"rename it to end in {suffix}, or " if suffix else ""
            raise InputError(
                f"{path} is {name}-compressed, and its name does not say so; give plain text, "
                f"one label name per line: {rename}decompress it ({command} {path.name})"
            )


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
