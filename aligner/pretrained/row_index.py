"""Where each line of a text vectors file starts and what its token is, kept in the cache.

To find the few lines a task vocabulary wants, a GloVe or word2vec text
file is read whole, and every line's token is looked at in Python. The first
such pass over a file also records each line's length and token; the record
is kept as ``<cache>/rows/<sha256 of the file>.npz`` (about 27 bytes per
line: 11 MB for a 400,000-line, 1 GB file). A later read of the same content, with
any vocabulary or options, looks its vocabulary up in the recorded tokens
(:class:`~aligner.pretrained.key_filter.KeyFilter`) and reads only the
wanted lines (one ``pread`` each); the rows, counts and errors are
those of the full pass (:func:`aligner.pretrained.indexed_read.read_indexed`).

The record is keyed by content, so an edited file is never read through an
old one. It is only an optimisation: a damaged, foreign or mismatching
record is ignored (and written anew), it is written to a temporary name and
renamed into place, a cache that cannot be written leaves reads as they are,
and it is loaded without pickles.

Example:
    >>> recorder = Recorder()
    >>> recorder.add(b"the 1 2\\n,x\\n", 0, 11)
    >>> index = recorder.index(first_offset=0, first_line=0)
    >>> assert index is not None
    >>> index.starts().tolist(), index.spaces.tolist(), bytes(index.keys)
    ([0, 8], [3, -1], b'the')
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from aligner.pretrained.key_filter import token_hashes

__all__ = ["Recorder", "RowIndex", "index_file", "load_index", "row_reader", "save_index"]

#: the layout of the arrays in a record; a record of another layout is ignored (1: flags
#: that missed a token's last byte after an empty token; 2: and the whitespace tail)
LAYOUT = 2


@dataclass
class RowIndex:
    """The lines of a text vectors file after its head (the header, a byte-order mark).

    ``lengths[i]`` is line ``i``'s length without its ``\n``, ``spaces[i]`` the
    offset of its first space (-1: none); the tokens (the bytes before the
    first space) of the lines that have one are ``keys``, concatenated, and
    ``raw_hash``, ``lower_hash`` and ``flags`` are what
    :func:`~aligner.pretrained.key_filter.token_hashes` gives for each line's.
    """

    first_offset: int  # the file offset of the first recorded line
    first_line: int  # the lines before it
    lengths: np.ndarray  # int32
    spaces: np.ndarray  # int32
    keys: np.ndarray  # uint8
    raw_hash: np.ndarray  # uint32
    lower_hash: np.ndarray  # uint32
    flags: np.ndarray  # uint8
    tail: int = 0  # bytes of whitespace after the last line, without a line end (not a row)
    released: bool = False  # the arrays were let go (:meth:`release`)

    def release(self) -> None:
        """Let the arrays go (a read that has decided its rows needs them no more: 51 MB for
        a 2 M-line file); a read that needs them again loads the index again."""
        for name in _FIELDS:
            setattr(self, name, np.empty(0, dtype=getattr(self, name).dtype))
        self.released = True

    def starts(self) -> np.ndarray:
        """Each line's file offset."""
        starts = np.empty(len(self.lengths), dtype=np.int64)
        if len(starts):
            starts[0] = self.first_offset
            np.cumsum(self.lengths[:-1].astype(np.int64) + 1, out=starts[1:])
            starts[1:] += self.first_offset
        return starts

    def key_offsets(self) -> np.ndarray:
        """Line ``i``'s token is ``keys[offsets[i]:offsets[i + 1]]`` (empty without a space)."""
        offsets = np.zeros(len(self.spaces) + 1, dtype=np.int64)
        np.cumsum(np.maximum(self.spaces, 0), out=offsets[1:])
        return offsets

    def end(self) -> int:
        """The offset after the last line's ``\n`` (the size, plus one if it has none)."""
        return self.first_offset + int(self.lengths.sum(dtype=np.int64)) + len(self.lengths)

    def longest(self) -> int:
        return int(self.lengths.max()) if len(self.lengths) else 0


class Recorder:
    """Records the lines a full pass scans (:meth:`add` for each block of whole lines).

    Lengths and token offsets go to typed arrays, tokens to one buffer: about
    17 bytes a line while the pass runs. A scan that finds each line's end and
    first space anyway hands them over a block at a time (:meth:`block`).
    """

    def __init__(self) -> None:
        self.lengths = array("q")
        self.spaces = array("q")
        self.keys = bytearray()
        self.tail = 0

    def add(self, buf: bytes, pos: int, end: int) -> None:
        """Record the lines of ``buf[pos:end]``, which ends with ``\\n``."""
        find, ends, spaces = buf.find, [], []
        at = pos
        while at < end:
            nl = find(b"\n", at, end)
            if nl < 0:  # not a whole line (never given one): as if it ended the block
                nl = end
            ends.append(nl)
            spaces.append(find(b" ", at, nl))
            at = nl + 1
        self.block(buf, pos, ends, spaces)

    def block(self, buf: bytes, pos: int, ends: list[int], spaces: list[int]) -> None:
        """Record lines of ``buf`` from ``pos`` on, given where each ends (its ``\\n``) and
        its first space (-1: none) as offsets in ``buf``: what a scan finds anyway."""
        if not ends:
            return
        stops, firsts = np.array(ends, dtype=np.int64), np.array(spaces, dtype=np.int64)
        starts = np.empty_like(stops)
        starts[0], starts[1:] = pos, stops[:-1] + 1
        within = np.where(firsts >= 0, firsts - starts, -1)
        lengths = np.maximum(within, 0)
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        where = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1], dtype=np.int64)
        self.lengths.frombytes((stops - starts).tobytes())
        self.spaces.frombytes(within.tobytes())
        self.keys += np.frombuffer(buf, dtype=np.uint8)[where].tobytes()

    def parts(self) -> tuple[bytes, bytes, bytes, int]:
        """What was recorded, to send to another process (:meth:`extend` there)."""
        return self.lengths.tobytes(), self.spaces.tobytes(), bytes(self.keys), self.tail

    def extend(self, lengths: bytes, spaces: bytes, keys: bytes, tail: int) -> None:
        """Append the lines another recorder recorded after these (its :meth:`parts`)."""
        self.lengths.frombytes(lengths)
        self.spaces.frombytes(spaces)
        self.keys += keys
        self.tail = tail

    def index(self, *, first_offset: int, first_line: int) -> RowIndex | None:
        """The index of the lines recorded; None when a line is too long for one (2 GiB)."""
        lengths = np.frombuffer(self.lengths, dtype=np.int64)
        if len(lengths) and int(lengths.max()) >= _INT32:
            return None
        spaces = np.frombuffer(self.spaces, dtype=np.int64)
        keys = np.frombuffer(self.keys, dtype=np.uint8)
        offsets = np.zeros(len(spaces) + 1, dtype=np.int64)
        np.cumsum(np.maximum(spaces, 0), out=offsets[1:])
        hashes = token_hashes(keys, offsets)
        narrow = lengths.astype(np.int32), spaces.astype(np.int32)
        return RowIndex(first_offset, first_line, *narrow, keys.copy(), *hashes, self.tail)


def row_reader(fh: BinaryIO) -> Callable[[int, int], bytes]:
    """``read_at(offset, size)``: that many bytes of the open file from that offset.

    Rows are read one by one (``os.pread``, where there is one): a memory map
    of the file would count every page near a touched row as the process's
    memory (the kernel maps pages around each fault).
    """
    if hasattr(os, "pread"):
        fd = fh.fileno()
        return lambda offset, size: os.pread(fd, size, offset)

    def read_at(offset: int, size: int) -> bytes:
        fh.seek(offset)
        return fh.read(size)

    return read_at


def index_file(cache: Path, digest: str) -> Path:
    """Where the record of the file with this sha256 lives."""
    return cache / "rows" / f"{digest}.npz"


_FIELDS = {
    "lengths": np.int32, "spaces": np.int32, "keys": np.uint8,
    "raw_hash": np.uint32, "lower_hash": np.uint32, "flags": np.uint8,
}  # fmt: skip
_INT32 = 1 << 31


def load_index(cache: Path, digest: str, size: int) -> RowIndex | None:
    """The record of a file of ``size`` bytes with this sha256, or None (absent, damaged,
    of another layout, or not matching the size)."""
    try:
        with index_file(cache, digest).open("rb") as fh, np.load(fh, allow_pickle=False) as data:
            head = data["head"]
            arrays = {name: data[name] for name in _FIELDS}
    except Exception:  # absent, or damaged in any way (a bad zip, header, array): not used
        return None
    if head.shape != (4,) or int(head[0]) != LAYOUT or int(head[3]) < 0:
        return None
    if any(
        arrays[name].dtype != dtype or arrays[name].ndim != 1 for name, dtype in _FIELDS.items()
    ):
        return None
    index = RowIndex(int(head[1]), int(head[2]), **arrays, tail=int(head[3]))
    if not _consistent(index):
        return None
    return index if index.end() + index.tail in (size, size + 1) else None


def _consistent(index: RowIndex) -> bool:
    lengths, spaces = index.lengths, index.spaces
    lines = len(lengths)
    if any(len(a) != lines for a in (spaces, index.raw_hash, index.lower_hash, index.flags)):
        return False
    if index.first_offset < 0 or index.first_line < 0 or (lengths < 0).any():
        return False
    if ((spaces < -1) | ((spaces >= 0) & (spaces >= lengths))).any():
        return False
    return int(np.maximum(spaces, 0).sum(dtype=np.int64)) == len(index.keys)


def save_index(cache: Path, digest: str, index: RowIndex) -> None:
    """Keep ``index`` for the file with this sha256 (nothing when the cache cannot be written)."""
    from aligner.atomic import write_cache_entry

    head = np.array([LAYOUT, index.first_offset, index.first_line, index.tail], dtype=np.int64)
    arrays = {name: getattr(index, name) for name in _FIELDS}
    write_cache_entry(index_file(cache, digest), lambda fh: np.savez(fh, head=head, **arrays))
