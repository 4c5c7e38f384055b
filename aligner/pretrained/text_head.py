"""The head of a GloVe or word2vec text file: its header, or the dimension its rows show.

:func:`read_head` reads the first block of the file (more when the lines it
needs run past it), drops a byte-order mark, then takes the word2vec header
(``rows dim``) or, for GloVe, the dimension most of the first rows have. The
reader scans the rest from the bytes it returns.

Example:
    >>> read_head(reader)  # doctest: +SKIP
    (1, b'the 0.1 0.2\\n...')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aligner.errors import VectorsFormatError
from aligner.pretrained import readers
from aligner.pretrained.sanity import count_values, first_rows

if TYPE_CHECKING:
    from aligner.pretrained.readers import TextReader

__all__ = ["read_head"]


def read_head(reader: TextReader) -> tuple[int, bytes]:
    """Read the first block: the header (word2vec) or the dimension (GloVe).

    Returns:
        The lines consumed (1 for a header) and the bytes after them.

    Raises:
        VectorsFormatError: an empty file, a first line too long for a row,
            a header that does not parse, or GloVe rows without values.
    """
    data = reader.read_chunk()
    if not data.strip():
        raise VectorsFormatError(f"vectors file {reader.path} is empty")
    if data.startswith(b"\xef\xbb\xbf"):
        reader.stats.bom = True
        data = data[3:]
    return _start(reader, _first_lines(reader, data))


def _first_lines(reader: TextReader, data: bytes) -> bytes:
    """The first block, read on until it holds the lines :func:`_start` looks at."""
    need = 2 if reader.fmt == "word2vec" else 1  # the header and a row, or a row
    while data.count(b"\n") < need:
        if len(data) > readers.FIRST_LINES_MAX:  # the module's: a test may lower it
            raise reader.too_long(data.count(b"\n") + 1)
        more = reader.read_chunk()
        if not more:
            break
        data += more
    return data


def _start(reader: TextReader, data: bytes) -> tuple[int, bytes]:
    """Handle the header (word2vec) or infer the dimension (GloVe)."""
    end = data.find(b"\n")
    first = data if end < 0 else data[:end]
    reader.stats.crlf = first.endswith(b"\r")
    first = first.rstrip(b"\r")
    rest = data[end + 1 :] if end >= 0 else b""
    if reader.fmt == "word2vec":
        reader.header(first, 1, first_rows(rest))
        return 1, rest
    sample = first_rows(data)
    counts = [n for n in map(count_values, sample) if n]
    if not counts:
        raise VectorsFormatError(f"{reader.path}, line 1: no values after the token")
    reader.set_dim(max(set(counts), key=counts.count), 1, "its rows have", sample)
    return 0, data
