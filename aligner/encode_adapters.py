"""An :class:`~aligner.encode.Encoder` in other libraries' pipelines.

* :class:`MapFunction`: for ``datasets.Dataset.map(fn, batched=True)``;
* :class:`Collate`: a ``torch.utils.data.DataLoader`` ``collate_fn``.

Both are plain picklable objects (not closures), so that ``datasets`` can
fingerprint them and DataLoader workers and ``num_proc`` can receive them.
Neither library is imported here until a batch needs it (``datasets`` never).

Example:
    >>> loader = DataLoader(rows, batch_size=32, collate_fn=enc.collate())  # doctest: +SKIP
    >>> next(iter(loader))["input_ids"].shape  # doctest: +SKIP
    torch.Size([32, 41])
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from aligner.encode_rows import frame_columns, is_missing
from aligner.errors import InputError

if TYPE_CHECKING:
    import torch

    from aligner.encode import Encoder

__all__ = ["Collate", "MapFunction"]


class MapFunction:
    """``batch → {output: ids}`` for ``datasets.Dataset.map(batched=True)``.

    Made by :meth:`Encoder.map_function <aligner.encode.Encoder.map_function>`.

    Args:
        encoder: the encoder.
        column: the text column.
        output: the name of the ids column.
        length: also return each row's length (before padding) as ``"length"``.
    """

    def __init__(self, encoder: Encoder, column: str, output: str, length: bool) -> None:
        self.encoder, self.column, self.output, self.length = encoder, column, output, length

    def __repr__(self) -> str:
        return f"MapFunction(column={self.column!r}, output={self.output!r}, length={self.length})"

    def __call__(self, batch: Any) -> Any:
        """Encode one batch.

        Args:
            batch: a mapping of column → list of values (or → one text, for
                ``map`` without ``batched``), a ``pa.Table`` /
                ``pa.RecordBatch`` (a dataset formatted as ``"arrow"``), or a
                pandas DataFrame (formatted as ``"pandas"``).

        Returns:
            ``{output: list of id lists}`` (and ``"length"``) for a mapping or
            a DataFrame (``{output: ids}`` of the one text, unbatched); for a
            table, the table with the ``output`` (and ``"length"``) columns
            set, as ``datasets`` expects from an Arrow function.

        Raises:
            InputError: the batch has no such column, or it is not text.
        """
        import pyarrow as pa

        if isinstance(batch, pa.Table | pa.RecordBatch):
            ids, lengths = self.encoder.encode_with_lengths(batch, column=self.column)
            batch = _set_column(batch, self.output, ids)
            return _set_column(batch, "length", lengths) if self.length else batch
        names = frame_columns(batch)
        if names is None and not isinstance(batch, Mapping):
            raise InputError(
                f"a map batch is a dict of columns, a pyarrow Table or a pandas DataFrame, "
                f"not {type(batch).__name__}; use Dataset.map(fn, batched=True)"
            )
        columns = list(batch) if names is None else names
        if self.column not in columns:
            raise InputError(
                f"the batch has no column {self.column!r}; its columns are: "
                f"{', '.join(map(str, columns)) or '(none)'}; pass map_function(column=...)"
            )
        ids, lengths = self.encoder.encode_with_lengths(batch[self.column])
        return {self.output: ids, "length": lengths} if self.length else {self.output: ids}


def _set_column(table: Any, name: str, values: Any) -> Any:
    names = table.schema.names
    if name in names:
        return table.set_column(names.index(name), name, values)
    return table.append_column(name, values)


class Collate:
    """A ``collate_fn``: examples → padded ``input_ids``, ``lengths``, ``labels``.

    Made by :meth:`Encoder.collate <aligner.encode.Encoder.collate>`.

    Args:
        encoder: the encoder (its vocabulary must have a pad token).
        text_key: the text of dict examples.
        label_key: the label of dict examples (optional in the examples, but
            all or none of a batch must have one).
    """

    def __init__(self, encoder: Encoder, text_key: str, label_key: str) -> None:
        self.encoder, self.text_key, self.label_key = encoder, text_key, label_key

    def __repr__(self) -> str:
        return f"Collate(text_key={self.text_key!r}, label_key={self.label_key!r})"

    def _split(self, examples: Sequence[Any]) -> tuple[list[str], list[int | float]]:
        texts: list[str] = []
        labels: list[int | float] = []
        for i, example in enumerate(_examples(examples)):
            if isinstance(example, Mapping):
                if self.text_key not in example:
                    raise InputError(
                        f"example {i} has no {self.text_key!r} key (its keys: "
                        f"{', '.join(map(str, example))}); pass collate(text_key=...)"
                    )
                text = example[self.text_key]
                if self.label_key in example:
                    labels.append(_label(i, self.label_key, example[self.label_key]))
            else:
                text = example
            if not isinstance(text, str):
                raise InputError(f"example {i}: {_not_text(text)}")
            texts.append(text)
        if labels and len(labels) != len(texts):
            raise InputError(
                f"{len(labels)} of {len(texts)} examples have a {self.label_key!r}; "
                "give every example a label, or none"
            )
        return texts, labels

    def __call__(self, examples: Sequence[Any]) -> dict[str, torch.Tensor]:
        """Encode and pad one batch of examples.

        Args:
            examples: a list of examples, each a text or a dict with
                ``text_key`` (and ``label_key``); a lone ``str`` is a batch of
                one. A dict of columns is refused: pass a list of examples.

        Returns:
            ``{"input_ids": (B, T) int64, "lengths": (B,) int64}``, plus
            ``"labels"`` when the examples have them: int64 for integer
            labels, float32 when one of them is a float (regression).

        Raises:
            InputError: a batch that is not a list of examples, an example
                without text, labels on some examples only, or a label that
                is not a number (a string, None: map labels to ids first).
        """
        import torch

        texts, labels = self._split(examples)
        enc = self.encoder
        rows = enc.rows(texts)
        lengths = rows.lengths()
        fixed = enc.pad and enc.max_length is not None
        width = enc.max_length if fixed else int(lengths.max(initial=0))
        assert width is not None and enc.vocab.pad_id is not None  # checked by Encoder.collate
        matrix = np.full((len(texts), width), enc.vocab.pad_id, dtype=np.int64)
        matrix[np.repeat(np.arange(len(texts)), lengths), _positions(lengths)] = rows.ids
        out = {"input_ids": torch.from_numpy(matrix), "lengths": torch.from_numpy(lengths)}
        if labels:
            floats = any(isinstance(label, float) for label in labels)
            out["labels"] = torch.tensor(labels, dtype=torch.float32 if floats else torch.int64)
        return out


def _examples(batch: Any) -> list[Any]:
    """The examples of a batch: a list of them, or one text."""
    if isinstance(batch, str):
        return [batch]
    if isinstance(batch, Mapping):
        raise InputError(
            f"collate got a dict (keys: {', '.join(map(str, list(batch)[:5]))}), not a "
            "batch of examples; pass a list of examples, e.g. [{'text': ..., 'label': ...}, ...]"
        )
    if isinstance(batch, bytes | bytearray) or not isinstance(batch, Iterable):
        raise InputError(
            f"collate got {type(batch).__name__}, not a batch of examples; pass a list of "
            "texts or of dicts with the text (and label)"
        )
    return list(batch)


def _label(index: int, key: str, value: Any) -> int | float:
    """An example's label as a number, or an InputError naming the example."""
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        value = value.item()  # a numpy or torch scalar
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if math.isfinite(value):
            return float(value)
        reason = "not a finite number"
    else:
        reason = "not an integer class id (nor a float, for regression)"
    raise InputError(
        f"example {index}: label {key!r} is {value!r}, {reason}; map labels to ids first "
        "(a label→id mapping, e.g. {'music': 0, 'sport': 1}), and drop examples without one"
    )


def _not_text(value: object) -> str:
    """Why an example's text cannot be batched, and the remedy."""
    kind = type(value).__name__
    if is_missing(value):
        return (
            f"the text is missing ({value!r}), and a batch row needs one; "
            "drop or fill the examples without text before batching"
        )
    if isinstance(value, bytes | bytearray):
        return f"the text is {kind}, not str; decode it first (value.decode('utf-8'))"
    return f"the text is {kind}, not str; give every example a string"


def _positions(lengths: np.ndarray) -> np.ndarray:
    """0, 1, ..., n-1 for every row of length n, flat."""
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(int(lengths.sum())) - starts
