"""Split Arrow string arrays into tokens exactly as :class:`TokenizerSpec` does.

:func:`split_arrow` gives, row by row, what ``spec(text)`` gives (nulls stay
null), with Arrow compute kernels and numpy instead of a Python loop per
token:

* ``normalize="nfkc"`` is ``pc.utf8_normalize(form="NFKC")``; ``lowercase``
  is ``pc.utf8_lower`` (the Python side maps ``İ`` and ``Σ`` the same way);
* ``whitespace``: in numpy, on the array's buffers. When the only
  whitespace in a batch is the byte 0x20 (the common case, checked in a few
  vectorized passes) the bytes are used as they are; otherwise every byte of
  every other whitespace character (``str.isspace``: tab to CR, U+001C-001F,
  U+0085, U+00A0, U+1680, U+2000-200A, U+2028/9, U+202F, U+205F, U+3000) is
  first set to 0x20 in a copy. Then ``pc.binary_join_element_wise`` appends
  one 0x20 to every row, so that every token is followed by one space, the
  token array is built on those bytes (offsets from the positions of the
  spaces, numpy), and the empty tokens of space runs and empty rows are
  dropped after lookup. ``pc.utf8_split_whitespace`` is not used: in
  pyarrow 26 it reads the byte after the last value, and keeps the last
  token's trailing whitespace when that byte is >= 0x80 (arrays made by
  ``utf8_lower`` have such bytes there);
* ``regex``: every character that is neither a word character nor
  whitespace is wrapped in spaces (``pc.replace_substring_regex`` with an
  explicit RE2 class built from :func:`~aligner.tokenize.word_class_ranges`,
  so that Arrow's newer Unicode tables play no part), then the text is split
  on whitespace as above;
* ``sentencepiece``: the prepared texts are encoded by the processor in one
  C++ batch call.

:func:`tokenize_batch` is the lower level the encoder uses: flat tokens plus
row offsets, the whitespace tokens still carrying their space.

Example:
    >>> import pyarrow as pa
    >>> split_arrow(TokenizerSpec(lowercase=True), pa.array(["We  play", None])).to_pylist()
    [['we', 'play'], None]
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from aligner.corpus_tables import is_text_type
from aligner.errors import InputError
from aligner.tokenize import TokenizerSpec, word_class_ranges

__all__ = [
    "TokenBatch",
    "as_strings",
    "blank_whitespace",
    "is_text_type",
    "only_spaces",
    "split_arrow",
    "string_offsets",
    "text_column",
    "tokenize_batch",
]

SPACE = 0x20
# Lead bytes of the UTF-8 forms of the multi-byte Unicode whitespace characters
# (U+0085, U+00A0: C2; U+1680: E1; U+2000-200A, U+2028/9, U+202F, U+205F: E2; U+3000: E3).
_WS_LEADS = (0xC2, 0xE1, 0xE2, 0xE3)


@dataclass
class TokenBatch:
    """The tokens of a batch of texts, flat.

    Attributes:
        tokens: the tokens of all rows, in order (a string array).
        offsets: ``int64`` array of ``rows + 1`` entries: row ``i`` holds
            ``tokens[offsets[i]:offsets[i + 1]]``.
        spaced: every token ends with one 0x20 byte (kinds whitespace and regex).
        drop: tokens to drop after lookup (empty ones), or ``None``.
        valid: the rows that are not null, or ``None`` when none is null.
    """

    tokens: Any
    offsets: np.ndarray
    spaced: bool
    drop: np.ndarray | None
    valid: np.ndarray | None


def as_strings(texts: Any, *, where: str = "the texts") -> Any:
    """One ``pa.string()`` array (not chunked) from a string-like Arrow array.

    ``large_string``, ``string_view``, dictionary-encoded strings and
    all-null arrays are cast to ``string``.

    Raises:
        InputError: the array does not hold text.
    """
    import pyarrow as pa

    kind = getattr(texts, "type", None)
    if not isinstance(kind, pa.DataType):
        raise InputError(f"{where} are {type(texts).__name__}; pass a pyarrow array of strings")
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        raise InputError(
            f"{where} are {kind}, not text; decode them first: "
            "texts.cast(pa.string()) if they are UTF-8"
        )
    if not is_text_type(kind):
        raise InputError(f"{where} are {kind}, not text; pass an array of strings")
    if pa.types.is_dictionary(texts.type):
        texts = texts.dictionary_decode()
    return texts if pa.types.is_string(texts.type) else texts.cast(pa.string())


def text_column(table: Any, name: str) -> Any:
    """The text column ``name`` of a ``pa.Table`` or ``pa.RecordBatch``.

    Raises:
        InputError: no such column (the message lists the columns), or it
            does not hold text (the message lists the text columns).
    """
    import pyarrow as pa

    names = table.schema.names
    kind = "record batch" if isinstance(table, pa.RecordBatch) else "table"
    if name not in names:
        raise InputError(
            f"the {kind} has no column {name!r}; its columns are: "
            f"{', '.join(names) or '(none)'}; pass column=<one of them>"
        )
    values = table.column(name)
    if not is_text_type(values.type):
        texts = [f.name for f in table.schema if is_text_type(f.type)]
        hint = f"its text columns are: {', '.join(texts)}" if texts else "it has no text column"
        raise InputError(
            f"column {name!r} is {values.type}, not text; pass column=<a text column> ({hint})"
        )
    return values


def string_offsets(texts: Any) -> np.ndarray:
    """The ``len(texts) + 1`` offsets (``int64``) of a ``pa.string()`` array, slices honoured."""
    n, start = len(texts), texts.offset
    buffer = texts.buffers()[1]
    if buffer is None:  # an empty array may have no buffers
        return np.zeros(n + 1, dtype=np.int64)
    return np.frombuffer(buffer, dtype=np.int32, count=start + n + 1)[start:].astype(np.int64)


def _parts(texts: Any) -> tuple[np.ndarray, np.ndarray]:
    """(offsets rebased to 0, data bytes) of a string array without nulls, slices honoured."""
    offsets = string_offsets(texts)
    data_buffer = texts.buffers()[2]
    if data_buffer is None or offsets[-1] == offsets[0]:
        return offsets - offsets[0], np.zeros(0, dtype=np.uint8)
    data = np.frombuffer(data_buffer, dtype=np.uint8, count=int(offsets[-1]))[int(offsets[0]) :]
    return offsets - offsets[0], data


def _unicode_spaces(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions and byte lengths of the multi-byte whitespace characters in UTF-8 ``data``."""
    leads = np.flatnonzero((data >= 0xC2) & (data <= 0xE3))  # in UTF-8, always lead bytes
    leads = leads[np.isin(data[leads], _WS_LEADS)]
    last = data.size - 1
    b0 = data[leads]
    b1 = data[np.minimum(leads + 1, last)]
    b2 = data[np.minimum(leads + 2, last)]
    c2 = (b0 == 0xC2) & ((b1 == 0x85) | (b1 == 0xA0))
    e1 = (b0 == 0xE1) & (b1 == 0x9A) & (b2 == 0x80)
    e2_80 = (b1 == 0x80) & ((b2 <= 0x8A) | (b2 == 0xA8) | (b2 == 0xA9) | (b2 == 0xAF))
    e2 = (b0 == 0xE2) & (e2_80 | ((b1 == 0x81) & (b2 == 0x9F)))
    e3 = (b0 == 0xE3) & (b1 == 0x80) & (b2 == 0x80)
    found = c2 | e1 | e2 | e3
    return leads[found], np.where(c2[found], 2, 3)


def _controls(data: np.ndarray) -> np.ndarray:
    """The bytes that are one-byte whitespace other than 0x20 (tab to CR, U+001C-001F)."""
    return ((data >= 0x09) & (data <= 0x0D)) | ((data >= 0x1C) & (data <= 0x1F))


def only_spaces(data: np.ndarray) -> bool:
    """True when the only whitespace (``str.isspace``) in UTF-8 ``data`` is 0x20.

    Example:
        >>> only_spaces(np.frombuffer(b"a b", dtype=np.uint8))
        True
    """
    if data.size == 0:
        return True
    if data.min() < 0x20 and _controls(data).any():
        return False
    return not (data.max() >= 0x80 and _unicode_spaces(data)[0].size)


def blank_whitespace(data: np.ndarray) -> np.ndarray:
    """A copy of UTF-8 ``data`` with every byte of every whitespace character set to 0x20.

    Splitting the result on runs of 0x20 is ``str.split()`` of the original.

    Example:
        >>> bytes(blank_whitespace(np.frombuffer("a\\tb\\u3000c".encode(), dtype=np.uint8)))
        b'a b   c'
    """
    out = data.copy()
    out[_controls(data)] = SPACE
    if data.size and data.max() >= 0x80:
        starts, lengths = _unicode_spaces(data)
        for k in range(3):
            out[starts[lengths > k] + k] = SPACE
    return out


def _spaced(texts: Any) -> tuple[Any, np.ndarray, np.ndarray | None]:
    """Tokens of texts whose only whitespace is 0x20, each ending in one space.

    Returns:
        (tokens, row offsets, the empty tokens to drop or None).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    joined = pc.binary_join_element_wise(texts, " ", "")  # a space after every row
    offsets, data = _parts(joined)
    ends = np.flatnonzero(data == SPACE)
    starts = np.empty(ends.size + 1, dtype=np.int32)
    starts[0] = 0
    np.add(ends, 1, out=starts[1:], casting="unsafe")
    rows = np.zeros(offsets.size, dtype=np.int64)
    rows[1:] = np.searchsorted(ends, offsets[1:])
    drop = np.diff(starts) == 1  # a lone space: an empty row, a double, leading or trailing space
    data_buffer = joined.buffers()[2] if data.size else pa.py_buffer(b"")
    tokens = pa.StringArray.from_buffers(ends.size, pa.py_buffer(starts), data_buffer)
    return tokens, rows, drop if drop.any() else None


@cache
def _punctuation_pattern() -> str:
    """RE2: one character that is neither a word character nor whitespace."""

    def char(code: int) -> str:
        return f"\\x{{{code:X}}}"

    words = "".join(char(a) if a == b else f"{char(a)}-{char(b)}" for a, b in word_class_ranges())
    spaces = "".join(char(c) for c in range(0x3001) if chr(c).isspace())
    return f"([^{words}{spaces}])"


@cache
def _unassigned() -> tuple[np.ndarray, np.ndarray]:
    """Code points unassigned in Python's Unicode database (``Cn``): one bool per
    code point, and one per two-byte UTF-8 prefix that may start such a character."""
    table = np.zeros(0x110000, dtype=bool)
    table[[c for c in range(0x110000) if unicodedata.category(chr(c)) == "Cn"]] = True
    table[0xD800:0xE000] = False  # surrogates: never in UTF-8 text
    codes = np.flatnonzero(table)  # none below 0x80
    first = np.where(
        codes < 0x800,
        0xC0 | codes >> 6,
        np.where(codes < 0x10000, 0xE0 | codes >> 12, 0xF0 | codes >> 18),
    )
    shift = np.where(codes < 0x800, 0, np.where(codes < 0x10000, 6, 12))
    second = 0x80 | ((codes >> shift) & 0x3F)
    prefixes = np.zeros(1 << 16, dtype=bool)
    prefixes[first << 8 | second] = True
    return table, prefixes


def _rows_unknown_to_python(texts: Any) -> np.ndarray:
    """Rows holding a character Python's Unicode database does not assign (sorted)."""
    offsets, data = _parts(texts)
    if data.size == 0 or data.max() < 0xC0:
        return np.zeros(0, dtype=np.int64)
    table, prefixes = _unassigned()
    leads = np.flatnonzero(data >= 0xC0)  # the first byte of every non-ASCII character
    last = data.size - 1
    pairs = (data[leads].astype(np.int64) << 8) | data[np.minimum(leads + 1, last)]
    leads = leads[prefixes[pairs]]  # most scripts' blocks are fully assigned: few remain
    if leads.size == 0:
        return np.zeros(0, dtype=np.int64)
    b0 = data[leads].astype(np.int64)
    b1, b2, b3 = (data[np.minimum(leads + k, last)].astype(np.int64) & 0x3F for k in (1, 2, 3))
    two = ((b0 & 0x1F) << 6) | b1
    three = ((b0 & 0x0F) << 12) | (b1 << 6) | b2
    four = ((b0 & 0x07) << 18) | (b1 << 12) | (b2 << 6) | b3
    codes = np.where(b0 < 0xE0, two, np.where(b0 < 0xF0, three, four))
    found = leads[table[codes]]
    return np.unique(np.searchsorted(offsets, found, side="right") - 1)


def prepare(spec: TokenizerSpec, texts: Any) -> Any:
    """Normalize and lowercase a null-free string array as ``spec.prepare`` does each text.

    pyarrow's kernels do it, except for the rows holding a character that
    Python's (older) Unicode database does not know: those go through
    ``spec.prepare`` itself, so that both encoders agree on every text.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if spec.normalize is None and not spec.lowercase:
        return texts
    prepared = texts
    if spec.normalize == "nfkc":
        prepared = pc.utf8_normalize(prepared, form="NFKC")
    if spec.lowercase:
        prepared = pc.utf8_lower(prepared)
    rows = _rows_unknown_to_python(texts)
    if rows.size:
        fixed = pa.array([spec.prepare(t) for t in texts.take(rows).to_pylist()], pa.string())
        mask = np.zeros(len(texts), dtype=bool)
        mask[rows] = True
        prepared = pc.replace_with_mask(prepared, pa.array(mask), fixed)
    return prepared


def _split_whitespace(texts: Any) -> TokenBatch:
    """Whitespace split of a null-free ``string`` array (at most 2 GiB of text)."""
    import pyarrow as pa

    offsets, data = _parts(texts)
    if not only_spaces(data):
        blanked = pa.py_buffer(blank_whitespace(data))
        starts = pa.py_buffer(offsets.astype(np.int32))
        texts = pa.StringArray.from_buffers(len(texts), starts, blanked)
    tokens, rows, drop = _spaced(texts)
    return TokenBatch(tokens, rows, True, drop, None)


def _sentencepiece(spec: TokenizerSpec, texts: Any) -> TokenBatch:
    import pyarrow as pa

    pieces = spec.processor.encode(texts.to_pylist(), out_type=str)
    lists = pa.array(pieces, type=pa.list_(pa.string()))
    rows = np.asarray(lists.offsets, dtype=np.int64)
    return TokenBatch(lists.flatten(), rows - rows[0], False, None, None)


def tokenize_batch(spec: TokenizerSpec, texts: Any) -> TokenBatch:
    """The tokens of one string array (not chunked), flat, with row offsets.

    Null rows have no tokens and are marked in ``valid``; the bytes Arrow may
    keep under null slots are ignored.

    Args:
        spec: the tokenizer.
        texts: a ``pa.string()`` array (see :func:`as_strings`).

    Returns:
        A :class:`TokenBatch`.

    Example:
        >>> batch = tokenize_batch(TokenizerSpec(), pa.array(["a b", "c"]))  # doctest: +SKIP
        >>> batch.tokens.to_pylist(), batch.offsets.tolist()  # doctest: +SKIP
        (['a ', 'b ', 'c '], [0, 2, 3])
    """
    import pyarrow.compute as pc

    valid = None
    if texts.null_count:
        valid = np.asarray(texts.is_valid(), dtype=bool)
        texts = pc.fill_null(texts, "")
    texts = prepare(spec, texts)
    if spec.kind == "sentencepiece":
        batch = _sentencepiece(spec, texts)
    else:
        if spec.kind == "regex":
            texts = pc.replace_substring_regex(
                texts, pattern=_punctuation_pattern(), replacement=r" \1 "
            )
        batch = _split_whitespace(texts)
    batch.valid = valid
    return batch


def _unspaced(batch: TokenBatch) -> tuple[Any, np.ndarray]:
    """Tokens without their trailing space and without the dropped ones; row offsets."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = batch.offsets
    if batch.drop is not None:
        kept = np.zeros(batch.drop.size + 1, dtype=np.int64)
        np.cumsum(~batch.drop, out=kept[1:])
        rows = kept[rows]
    if not batch.spaced:
        tokens = batch.tokens if batch.drop is None else pc.filter(batch.tokens, ~batch.drop)
        return tokens, rows
    starts = string_offsets(batch.tokens)
    lengths = np.diff(starts) - 1
    if batch.drop is not None:
        lengths = lengths[~batch.drop]
    data = np.frombuffer(batch.tokens.buffers()[2], dtype=np.uint8, count=int(starts[-1]))
    compact = data[data != SPACE]
    offsets = np.zeros(lengths.size + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    tokens = pa.StringArray.from_buffers(lengths.size, pa.py_buffer(offsets), pa.py_buffer(compact))
    return tokens, rows


def _split_array(spec: TokenizerSpec, texts: Any) -> Any:
    import pyarrow as pa

    batch = tokenize_batch(spec, as_strings(texts))
    tokens, rows = _unspaced(batch)
    mask = None if batch.valid is None else pa.array(~batch.valid)
    return pa.ListArray.from_arrays(pa.array(rows, type=pa.int32()), tokens, mask=mask)


def split_arrow(spec: TokenizerSpec, texts: Any) -> Any:
    """The tokens of every text of an Arrow array, as ``spec(text)`` gives them.

    Args:
        spec: the tokenizer.
        texts: a ``pa.Array`` or ``pa.ChunkedArray`` of strings (``string``,
            ``large_string``, ``string_view`` or dictionary-encoded), at most
            2 GiB of text per array or chunk.

    Returns:
        A ``list<string>`` array (chunked for a chunked input), null where
        the text is null.

    Raises:
        InputError: ``texts`` does not hold strings.

    Example:
        >>> import pyarrow as pa
        >>> split_arrow(TokenizerSpec(kind="regex"), pa.array(["Don't!"])).to_pylist()
        [['Don', "'", 't', '!']]
    """
    import pyarrow as pa

    if isinstance(texts, pa.ChunkedArray):
        chunks = [_split_array(spec, chunk) for chunk in texts.chunks]
        return pa.chunked_array(chunks, type=pa.list_(pa.string()) if not chunks else None)
    return _split_array(spec, texts)
