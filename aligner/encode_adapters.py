"""An :class:`~aligner.encode.Encoder` in other libraries' pipelines.

* :class:`MapFunction`: for ``datasets.Dataset.map(fn, batched=True)``;
* :class:`Collate`: a ``torch.utils.data.DataLoader`` ``collate_fn``, for raw
  text rows and for rows that ``map`` already encoded.

Both use the Hugging Face names: ``input_ids``, ``attention_mask`` (1 for a
token, 0 for padding), ``length`` (ids before padding) and ``labels``. Both are
plain picklable objects (not closures), so that ``datasets`` can fingerprint
them and DataLoader workers and ``num_proc`` can receive them. Neither library
is imported here until a batch needs it (``datasets`` never).

Example:
    >>> ds = ds.map(enc.map_function("text"), batched=True)  # doctest: +SKIP
    >>> loader = DataLoader(ds, batch_size=32, collate_fn=enc.collate(labels=["ham", "spam"]))
    ... # doctest: +SKIP
    >>> sorted(next(iter(loader)))  # doctest: +SKIP
    ['attention_mask', 'input_ids', 'labels', 'length']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from aligner.encode_given import IDS, LENGTH, MASK, encoded_row
from aligner.encode_labels import LabelNames, LabelVocab, label_array
from aligner.encode_rows import Rows, frame_columns, is_missing, to_arrow
from aligner.errors import InputError

if TYPE_CHECKING:
    import torch

    from aligner.encode import Encoder

__all__ = ["IDS", "LENGTH", "MASK", "Collate", "MapFunction", "attention_mask"]

LABELS = "labels"


class MapFunction:
    """``batch → {output: ids}`` for ``datasets.Dataset.map(batched=True)``.

    Made by :meth:`Encoder.map_function <aligner.encode.Encoder.map_function>`.

    Args:
        encoder: the encoder.
        column: the text column.
        output: the name of the ids column.
        length: also return each row's length (before padding) as ``"length"``.

    When the encoder pads, the result also holds ``"attention_mask"``.
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
            ``{output: list of id lists}`` (and ``"attention_mask"``,
            ``"length"``) for a mapping or a DataFrame (of the one text,
            unbatched); for a table, the table with those columns set, as
            ``datasets`` expects from an Arrow function.

        Raises:
            InputError: the batch has no such column, or it is not text.
        """
        import pyarrow as pa

        if isinstance(batch, pa.Table | pa.RecordBatch):
            ids, lengths = self.encoder.encode_with_lengths(batch, column=self.column)
            for name, values in self._columns(ids, lengths).items():
                batch = _set_column(batch, name, values)
            return batch
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
        return self._columns(ids, lengths)

    def _columns(self, ids: Any, lengths: Any) -> dict[str, Any]:
        out = {self.output: ids}
        if self.encoder.pad:
            out[MASK] = attention_mask(ids, lengths)
        if self.length:
            out[LENGTH] = lengths
        return out


def _set_column(table: Any, name: str, values: Any) -> Any:
    names = table.schema.names
    if name in names:
        return table.set_column(names.index(name), name, values)
    return table.append_column(name, values)


def attention_mask(ids: Any, lengths: Any) -> Any:
    """The attention mask of encoded rows: 1 for each of a row's first ``length`` ids,
    0 for the padding after them; null (``None``) where a row is null.

    Args:
        ids: rows as :meth:`Encoder.encode_with_lengths
            <aligner.encode.Encoder.encode_with_lengths>` gives them: one list
            (a ``str``'s), a list of lists, a ``list<int32>`` array or a
            chunked array of them.
        lengths: each row's length, as it gives them.

    Returns:
        The mask, shaped like ``ids`` (``int8`` values for Arrow input, as
        ``datasets`` stores masks).

    Example:
        >>> attention_mask([[5, 6, 0], None], [2, None])
        [[1, 1, 0], None]
    """
    import pyarrow as pa

    if isinstance(ids, pa.ChunkedArray):
        chunks = zip(ids.chunks, lengths.chunks, strict=True)
        return pa.chunked_array([attention_mask(i, n) for i, n in chunks], pa.list_(pa.int8()))
    if isinstance(ids, pa.Array):
        widths = np.asarray(ids.value_lengths().fill_null(0), dtype=np.int64)
        real = np.asarray(lengths.fill_null(0), dtype=np.int64)
        offsets = np.zeros(widths.size + 1, dtype=np.int64)
        np.cumsum(widths, out=offsets[1:])
        position = np.arange(int(offsets[-1])) - np.repeat(offsets[:-1], widths)
        valid = None if not ids.null_count else ~np.asarray(ids.is_null())
        mask = (position < np.repeat(real, widths)).astype(np.int8)
        return to_arrow(Rows(mask, offsets, valid))
    if isinstance(lengths, int):  # one text's row
        return [1] * lengths + [0] * (len(ids) - lengths)
    return [_mask(row, n) for row, n in zip(ids, lengths, strict=True)]


def _mask(row: list[int] | None, length: int | None) -> list[int] | None:
    return None if row is None or length is None else [1] * length + [0] * (len(row) - length)


class Collate:
    """A ``collate_fn``: examples → ``input_ids``, ``attention_mask``, ``length``, ``labels``.

    Made by :meth:`Encoder.collate <aligner.encode.Encoder.collate>`.

    Args:
        encoder: the encoder (its vocabulary must have a pad token).
        text_key: the text of dict examples.
        label_key: the label of dict examples (all or none of a batch must
            have one; given, a batch without it is an error); ``None``:
            ``"labels"`` when the first example has one, else ``"label"``.
        labels: the label names for text labels: a list in id order, a
            ``label2id`` or ``id2label`` mapping, a
            :class:`~aligner.encode_labels.LabelVocab`, or ``None``.

    Raises:
        InputError: the vocabulary has no pad token, or bad ``labels`` (a
            set, a mapping whose ids are not 0 to n-1, a name twice).
    """

    def __init__(
        self,
        encoder: Encoder,
        text_key: str,
        label_key: str | None,
        labels: LabelNames | LabelVocab | None = None,
    ) -> None:
        if encoder.vocab.pad_id is None:
            raise InputError(
                "batches need a pad token, and this vocabulary has none; "
                "rebuild the artifact with --pad-token"
            )
        if labels is not None and not isinstance(labels, LabelVocab):
            labels = LabelVocab(labels, source="collate(labels=...)")
        self.encoder, self.text_key, self.label_key = encoder, text_key, label_key
        self.labels: LabelVocab | None = labels

    def __repr__(self) -> str:
        names = None if self.labels is None else list(self.labels.names)
        return f"Collate(text_key={self.text_key!r}, label_key={self.label_key!r}, labels={names})"

    @property
    def label_names(self) -> tuple[str, ...] | None:
        """The label names in id order (``None``: text labels are refused)."""
        return None if self.labels is None else self.labels.names

    @property
    def label_to_id(self) -> dict[str, int] | None:
        """Label name → id (``None`` without label names)."""
        return None if self.labels is None else dict(self.labels.to_id)

    def __call__(self, examples: Sequence[Any]) -> dict[str, torch.Tensor]:
        """Encode (or take the ids of) one batch of examples, and pad it.

        Args:
            examples: a list of examples, each a text, a dict with
                ``text_key``, or a dict with ``"input_ids"`` (already encoded:
                a list, numpy array or tensor of ids; its ``"attention_mask"``
                or ``"length"``, when present, says which ids are real), and
                optionally a label (``label_key``). A lone ``str`` is a batch of one. A
                dict of columns is refused: pass a list of examples.

        Returns:
            ``{"input_ids": (B, T) int64, "attention_mask": (B, T) int64,
            "length": (B,) int64}``, plus ``"labels"`` when the examples have
            them: int64 ids for text and integer labels, float32 when one of
            them is a float (regression).

        Raises:
            InputError: a batch that is not a list of examples, an example
                without text, encoded and raw examples in one batch, ids that
                are not one row of integers of this vocabulary, labels on
                some examples only, a label that is not text nor a number, a
                text label not in ``labels`` (or without ``labels``).
        """
        import torch

        batch = _examples(examples)
        ids, lengths = self._ids(batch)
        enc = self.encoder
        fixed = enc.pad and enc.max_length is not None
        width = enc.max_length if fixed else int(lengths.max(initial=0))
        assert width is not None and enc.vocab.pad_id is not None  # checked in __init__
        matrix = np.full((len(batch), width), enc.vocab.pad_id, dtype=np.int64)
        matrix[np.repeat(np.arange(len(batch)), lengths), _positions(lengths)] = ids
        mask = (np.arange(width) < lengths[:, None]).astype(np.int64)
        out = {IDS: matrix, MASK: mask, LENGTH: lengths.astype(np.int64)}
        labels = self._labels(batch)
        if labels is not None:
            out[LABELS] = labels
        return {name: torch.from_numpy(values) for name, values in out.items()}

    def _ids(self, batch: list[Any]) -> tuple[np.ndarray, np.ndarray]:
        """(all ids, flat; each row's length), truncated to the encoder's max_length."""
        encoded = [isinstance(e, Mapping) and IDS in e for e in batch]
        if not any(encoded):
            rows = self.encoder.rows(self._texts(batch))
            return rows.ids.astype(np.int64), rows.lengths()
        if not all(encoded):
            raw, done = encoded.index(False), encoded.index(True)
            raise InputError(
                f"example {done} is encoded (it has {IDS!r}) and example {raw} is not; "
                f"batch one kind of row: map the whole dataset with enc.map_function() first, "
                f"or drop the {IDS!r} column"
            )
        size, limit = len(self.encoder.vocab), self.encoder.max_length
        given = [encoded_row(i, e, size)[:limit] for i, e in enumerate(batch)]
        lengths = np.array([row.size for row in given], dtype=np.int64)
        return np.concatenate([np.zeros(0, np.int64), *given]), lengths

    def _texts(self, batch: list[Any]) -> list[str]:
        texts: list[str] = []
        for i, example in enumerate(batch):
            if isinstance(example, Mapping):
                if self.text_key not in example:
                    raise InputError(
                        f"example {i} has no {self.text_key!r} key (its keys: "
                        f"{', '.join(map(str, example))}); pass collate(text_key=...)"
                    )
                example = example[self.text_key]
            if not isinstance(example, str):
                raise InputError(f"example {i}: {_not_text(example)}")
            texts.append(example)
        return texts

    def _labels(self, batch: list[Any]) -> np.ndarray | None:
        key = self.label_key
        if key is None:  # "labels" (ids, as aligner encode writes them), else "label"
            first = batch[0] if batch and isinstance(batch[0], Mapping) else {}
            key = next((k for k in (LABELS, "label") if k in first), "label")
        have = [isinstance(e, Mapping) and key in e for e in batch]
        if not any(have):
            if self.label_key is not None and batch:
                raise _no_label_key(key, batch[0])
            return None
        if not all(have):
            raise InputError(
                f"{sum(have)} of {len(batch)} examples have a {key!r}; "
                "give every example a label, or none"
            )
        return label_array([e[key] for e in batch], self.labels, key)


def _no_label_key(key: str, first: Any) -> InputError:
    """The error for a label key that was asked for and that no example has."""
    if isinstance(first, Mapping):
        has = f"example 0's keys: {', '.join(map(str, first)) or '(none)'}"
    else:
        has = f"example 0 is a {type(first).__name__}"
    return InputError(
        f"collate(label_key={key!r}): no example has a {key!r} key ({has}); pass the key "
        "that holds the labels, or leave label_key out for batches without labels"
    )


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
