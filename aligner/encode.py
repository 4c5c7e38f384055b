"""Text to token ids, with exactly the tokenization used at build time.

:func:`encode` is the plain reference: one text at a time, in Python.
:class:`Encoder` (``art.encoder()``) does the same for data pipelines: Python
lists, Arrow arrays, record batches and tables (Parquet, Hugging Face
``datasets``), with truncation and padding, a ``datasets.Dataset.map``
function and a ``torch`` DataLoader ``collate_fn`` (Hugging Face names:
``input_ids``, ``attention_mask``, ``length``, ``labels``). Its Arrow path
(:mod:`aligner.encode_lookup`) splits text with :mod:`aligner.arrow_tokens`
and looks every token up in one ``pc.index_in`` call per batch of rows.

Both take one text (a ``str``: its ids) or many: a list or any iterable of
texts, a numpy array, a pandas Series, a data frame with one column, or (the
Encoder's fast path) pyarrow data: one row of ids per text. Missing values
(``None``, NaN, pandas ``NA``) give ``None`` rows. ``bytes`` are refused:
decode them first, since only the caller knows their encoding.

Example:
    >>> from aligner.tokenize import TokenizerSpec
    >>> from aligner.vocab import Vocab
    >>> encode(["play guitar", ""], Vocab(["play", "guitar"]), TokenizerSpec())
    [[2, 3], []]
    >>> encode("play guitar", Vocab(["play", "guitar"]), TokenizerSpec())
    [2, 3]
    >>> enc = Encoder(Vocab(["play", "guitar"]), TokenizerSpec(), max_length=3, pad=True)
    >>> enc(["play guitar", "drums"])
    [[2, 3, 0], [1, 0, 0]]
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from aligner.encode_rows import (
    Rows,
    check_texts,
    collect,
    pad_rows,
    python_rows,
    text_list,
    to_arrow,
    to_lists,
    truncate,
)
from aligner.errors import InputError
from aligner.tokenize import TokenizerSpec
from aligner.vocab import Vocab

if TYPE_CHECKING:
    from aligner.encode_adapters import Collate, MapFunction
    from aligner.encode_labels import LabelNames, LabelVocab

__all__ = ["UNKNOWN", "Encoder", "encode"]

UNKNOWN = ("unk", "skip", "error")
BATCH_ROWS = 65_536  # index_in rebuilds its hash table per call: look up large batches
FEW_TEXTS = 4096  # at most this many texts may take the Python path (see Encoder._few)


# A str is also an Iterable[str]: the first match wins, as for str in typeshed.
@overload
def encode(  # type: ignore[overload-overlap]
    texts: str, vocab: Vocab, tokenizer: TokenizerSpec
) -> list[int]: ...
@overload
def encode(texts: Iterable[str], vocab: Vocab, tokenizer: TokenizerSpec) -> list[list[int]]: ...
@overload
def encode(texts: Any, vocab: Vocab, tokenizer: TokenizerSpec) -> list[list[int] | None]: ...
def encode(texts: Any, vocab: Vocab, tokenizer: TokenizerSpec) -> Any:
    """Token ids of one text, or of each text; unknown tokens map to the unk row.

    Args:
        texts: one text (``str``), or texts: a list or any iterable, a numpy
            array, a pandas Series or one-column data frame, a pyarrow array.
        vocab: the vocabulary.
        tokenizer: the tokenizer spec.

    Returns:
        The ids of the text for a ``str``; else one list of ids per text, in
        order, ``None`` for a missing text (``None``, NaN, pandas ``NA``).

    Raises:
        InputError: ``texts`` is bytes, a dict, a set, a data frame with
            several columns, or holds an item that is not text.
        KeyError: a token is unknown and the vocabulary has no unk token.

    Example:
        >>> encode("play", Vocab(["play"]), TokenizerSpec())
        [2]
        >>> encode(["play", None], Vocab(["play"]), TokenizerSpec())
        [[2], None]
    """
    if isinstance(texts, str):
        return vocab.lookup(tokenizer(texts))
    return [None if t is None else vocab.lookup(tokenizer(t)) for t in text_list(texts)]


def _positive_int(value: object) -> bool:
    """Whether ``value`` is an integer of at least 1 (a bool or a float is not)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) >= 1


class Encoder:
    """Text → token ids for data pipelines, with the artifact's tokenizer.

    Call it on one text (a ``str``), a list or iterable of texts, a numpy
    array, a pandas Series or one-column DataFrame, an Arrow array or chunked
    array of strings, or a record batch or table (its ``column``). The
    results equal :func:`encode`'s, row by row, then truncated and padded as
    asked.

    Args:
        vocab: the vocabulary (row ``i`` = token ``i``).
        tokenizer: the tokenizer spec used at build time.
        max_length: keep at most the first ``max_length`` ids of each text.
        pad: pad every row with the pad row to ``max_length`` (to the longest
            row of the call when ``max_length`` is ``None``).
        column: the text column of record batches, tables and ``datasets``
            batches.
        unknown: what unknown tokens become: ``"unk"`` (the unk row; an
            error when the vocabulary has none), ``"skip"`` (dropped) or
            ``"error"`` (an :class:`~aligner.errors.InputError`).
        batch_rows: at most this many rows (and 64 MiB of text) are looked up
            per ``pc.index_in`` call, which builds its hash table of the
            vocabulary each time; default: 65,536 or 4 × the vocabulary size.

    Raises:
        InputError: a bad option, or ``pad`` with a vocabulary without a pad
            token.

    Example:
        >>> enc = aligner.load("build/demo").encoder(max_length=64)  # doctest: +SKIP
        >>> enc(["we play guitar", None])  # doctest: +SKIP
        [[17, 4, 52], None]
        >>> enc(pa.table({"text": ["we play"]})).to_pylist()  # doctest: +SKIP
        [[17, 4]]
    """

    def __init__(
        self,
        vocab: Vocab,
        tokenizer: TokenizerSpec,
        *,
        max_length: int | None = None,
        pad: bool = False,
        column: str = "text",
        unknown: str = "unk",
        batch_rows: int | None = None,
    ) -> None:
        if max_length is not None and not _positive_int(max_length):
            raise InputError(f"max_length must be a positive integer or None, not {max_length!r}")
        if not isinstance(pad, bool | np.bool_):
            raise InputError(f"pad must be True or False, not {pad!r}; the width is max_length")
        if unknown not in UNKNOWN:
            raise InputError(f"unknown={unknown!r} is not one of: {', '.join(UNKNOWN)}")
        if pad and vocab.pad_id is None:
            raise InputError(
                "pad=True needs a pad token, and this vocabulary has none; "
                "rebuild the artifact with --pad-token, or pass pad=False"
            )
        if batch_rows is None:
            batch_rows = max(BATCH_ROWS, 4 * len(vocab))
        if not _positive_int(batch_rows):
            raise InputError(
                f"batch_rows must be positive: an integer of at least 1, not {batch_rows!r}"
            )
        self.vocab, self.tokenizer = vocab, tokenizer
        max_length = None if max_length is None else int(max_length)
        self.max_length, self.pad, self.column = max_length, bool(pad), column
        self.unknown, self.batch_rows = unknown, int(batch_rows)
        self._value_sets: dict[bool, Any] = {}

    def __repr__(self) -> str:
        return (
            f"Encoder({len(self.vocab)} tokens, {self.tokenizer.kind}, "
            f"max_length={self.max_length}, pad={self.pad})"
        )

    def __getstate__(self) -> dict[str, Any]:
        return self.__dict__ | {"_value_sets": {}}  # rebuilt on demand, after unpickling too

    @overload
    def __call__(self, data: str, *, column: str | None = None) -> list[int]: ...
    @overload
    def __call__(self, data: Any, *, column: str | None = None) -> Any: ...
    def __call__(self, data: Any, *, column: str | None = None) -> Any:
        """Token ids of one text, or of every text of ``data``.

        Args:
            data: one text (``str``); texts: a list or iterable (``None``,
                NaN and pandas ``NA`` are missing), a numpy array, a pandas
                Series or one-column DataFrame; a ``pa.Array`` or
                ``pa.ChunkedArray`` of strings, or a ``pa.RecordBatch`` or
                ``pa.Table``.
            column: the text column of a batch or table (default: the
                encoder's ``column``).

        Returns:
            ``list[int]`` for a ``str``; ``list[list[int] | None]`` for Python
            and pandas input (``None`` where the text is missing); a
            ``list<int32>`` array for Arrow input (chunked for chunked arrays
            and tables).

        Raises:
            InputError: the column is missing or not text, an item is not a
                string, the input is bytes, a dict, a set or a data frame
                with several columns, or an unknown token cannot be mapped
                (see ``unknown``).

        Example:
            >>> enc("we play")  # doctest: +SKIP
            [17, 4]
            >>> enc(pa.array(["we play", None]))  # doctest: +SKIP
            [[17, 4], null]
        """
        return self.encode_with_lengths(data, column=column)[0]

    def encode_with_lengths(self, data: Any, *, column: str | None = None) -> tuple[Any, Any]:
        """Token ids, as :meth:`__call__`, and each row's length before padding.

        Returns:
            ``(ids, lengths)``: lengths are an ``int`` for a ``str``, a list of
            ``int | None`` for a list, an ``int32`` array (chunked like the
            ids) for Arrow input.

        Example:
            >>> enc.encode_with_lengths(["we play"])  # doctest: +SKIP
            ([[17, 4, 0, 0]], [2])
        """
        import pyarrow as pa

        from aligner.arrow_tokens import text_column

        if isinstance(data, str):
            one_ids, one_length = self.encode_with_lengths([data])
            return one_ids[0], one_length[0]
        if isinstance(data, pa.RecordBatch | pa.Table):
            data = text_column(data, column or self.column)
        if isinstance(data, pa.ChunkedArray):
            parts = [self.rows(chunk) for chunk in data.chunks]
            ids = [to_arrow(p) for p in self._padded(parts)]
            return (
                pa.chunked_array(ids, type=pa.list_(pa.int32())),
                pa.chunked_array([p.lengths_arrow() for p in parts], type=pa.int32()),
            )
        if isinstance(data, pa.Array):
            rows = self.rows(data)
            (padded,) = self._padded([rows])
            return to_arrow(padded), rows.lengths_arrow()
        rows = self.rows(data)
        lengths: list[int | None] = rows.lengths().tolist()
        if rows.valid is not None:
            lengths = [
                n if ok else None for n, ok in zip(lengths, rows.valid.tolist(), strict=True)
            ]
        (padded,) = self._padded([rows])
        return to_lists(padded), lengths

    def map_function(
        self, column: str | None = None, output: str = "input_ids", *, length: bool = False
    ) -> MapFunction:
        """A function for ``datasets.Dataset.map(fn, batched=True)``.

        It takes a batch (a dict of column → list, or a ``pa.Table`` when the
        dataset is formatted as ``"arrow"``) and returns ``{output: ids}``,
        plus ``"attention_mask"`` (1 for a token, 0 for padding) when the
        encoder pads and ``"length"`` when ``length`` is true: a dict for a
        dict, the table with the new columns for a table. It pickles, so
        ``num_proc`` works.

        Example:
            >>> ds = ds.map(enc.map_function("text"), batched=True)  # doctest: +SKIP
        """
        from aligner.encode_adapters import MapFunction

        return MapFunction(self, column or self.column, output, length)

    def collate(
        self,
        text_key: str = "text",
        label_key: str | None = None,
        *,
        labels: LabelNames | LabelVocab | None = None,
    ) -> Collate:
        """A ``torch.utils.data.DataLoader`` ``collate_fn``.

        It takes a list of examples: texts, dicts with ``text_key``, or rows
        already encoded (dicts with ``"input_ids"``, e.g. from
        ``dataset.map(enc.map_function())``: lists, numpy arrays or tensors),
        each optionally with ``label_key``. It returns ``{"input_ids": (B, T),
        "attention_mask": (B, T), "length": (B,), "labels": (B,)}`` tensors
        (labels only when the examples have them). ``T`` is the longest row
        of the batch capped by ``max_length`` (exactly ``max_length`` with
        ``pad=True``); padding is the pad row, with mask 0.

        Args:
            text_key: the text of dict examples.
            label_key: the label of dict examples; default: ``"labels"`` (as
                ``aligner encode --label-column`` writes them) when the batch's
                first example has one, else ``"label"`` (as ``datasets`` has it).
                Given, a batch whose examples lack it is an error.
            labels: the label names for text labels: a list in id order
                (``"spam"`` → its position), or a Hugging Face ``label2id``
                (``{"ham": 0, "spam": 1}``) or ``id2label`` mapping whose ids
                are 0 to n-1, each once; not a set (it has no order). Integer
                labels are ids (within ``int64``) and float labels
                (regression) stay floats (finite, within ``float32``). Build
                them with
                :meth:`LabelVocab.of(values) <aligner.encode_labels.LabelVocab.of>`
                (sorted names) or read them with
                :func:`~aligner.encode_labels.read_label_names`.

        Raises:
            InputError: the vocabulary has no pad token, or ``labels`` names
                a label twice, holds something other than text, is a set, or
                is a mapping whose ids are not 0 to n-1.

        Example:
            >>> collate = enc.collate(labels=["ham", "spam"])  # doctest: +SKIP
            >>> loader = DataLoader(rows, batch_size=32, collate_fn=collate)  # doctest: +SKIP
        """
        from aligner.encode_adapters import Collate

        return Collate(self, text_key, label_key, labels)

    def rows(self, texts: Any) -> Rows:
        """The ids of texts (a ``str`` is one text) or an Arrow array, flat,
        truncated, not padded.

        The low level under :meth:`__call__`: one ``int32`` array of all ids
        and the row offsets (:class:`~aligner.encode_rows.Rows`).

        Raises:
            InputError: as :meth:`__call__`.

        Example:
            >>> enc.rows(["we play", "guitar"]).offsets  # doctest: +SKIP
            array([0, 2, 3])
        """
        import pyarrow as pa

        from aligner.arrow_tokens import as_strings

        if isinstance(texts, pa.Array):
            texts = as_strings(texts)
            if self._few(len(texts), texts.nbytes):
                texts = texts.to_pylist()
            else:
                return self._array_rows(texts)
        texts = text_list(texts)
        if self._few(len(texts), sum(len(t) for t in texts if isinstance(t, str))):
            rows = python_rows(texts, self.vocab, self.tokenizer, self.unknown)
            return truncate(rows, self.max_length)
        return self._array_rows(self._python_texts(texts))

    # ------------------------------------------------------------------ internals

    def _few(self, texts: int, chars: int) -> bool:
        """True when text by text in Python beats the Arrow path's cost per call.

        Measured (one core, 50k and 5k tokens): an Arrow call costs about
        0.4 ms plus 34 ns per vocabulary token (index_in builds its hash
        table), 2.1 ms more for a regex tokenizer (RE2 compiles the class);
        Python costs about 30 ns (230 ns for regex) more per character.
        """
        if texts > FEW_TEXTS:
            return False
        regex = self.tokenizer.kind == "regex"
        fixed_ns = 400_000 + 34 * len(self.vocab) + (2_100_000 if regex else 0)
        return chars * (230 if regex else 30) < fixed_ns

    def _python_texts(self, texts: Sequence[Any]) -> Any:
        import pyarrow as pa

        try:
            return pa.array(texts, type=pa.string())
        except (pa.ArrowTypeError, pa.ArrowInvalid, TypeError, UnicodeEncodeError):
            check_texts(texts)  # names the item
            raise

    def _array_rows(self, texts: Any) -> Rows:
        """Encode one (unchunked) array: lookups in batches, truncated, not padded."""
        from aligner.arrow_tokens import as_strings
        from aligner.encode_lookup import batch_bounds, lookup

        texts = as_strings(texts)
        parts = [
            lookup(
                texts.slice(start, stop - start),
                start,
                self.vocab,
                self.tokenizer,
                self.unknown,
                self._value_sets,
            )
            for start, stop in batch_bounds(texts, self.batch_rows)
        ]
        return truncate(collect(parts), self.max_length)

    def _padded(self, parts: list[Rows]) -> list[Rows]:
        if not self.pad:
            return parts
        width = self.max_length
        if width is None:
            width = max((int(p.lengths().max(initial=0)) for p in parts), default=0)
        pad_id = self.vocab.pad_id
        assert pad_id is not None  # checked in __init__
        return [pad_rows(p, width, pad_id) for p in parts]
