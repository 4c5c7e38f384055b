"""Open corpus files: the low-level file access under the corpus readers.

A corpus file is opened as a decompressed stream with the raw file beside it
(:func:`open_file`), its lines read with bounded memory (:func:`lines_of`), its
read failures turned into a :class:`~aligner.errors.CorpusError` naming the file
(:func:`read_error`), and a Parquet/Arrow or CSV/TSV file handed to pyarrow in a
form it can read (:func:`arrow_input`, :func:`csv_source`). pyarrow is imported
inside the functions that need it, so ``import aligner`` stays fast.

Example:
    >>> with open_file(Path("corpus.txt.gz"), "gzip") as (stream, raw):  # doctest: +SKIP
    ...     next(lines_of(stream, Path("corpus.txt.gz")))
    (1, b'We play guitar\\n')
"""

from __future__ import annotations

import lzma
import os
import shutil
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from aligner.errors import AlignerError, CorpusError
from aligner.pretrained.archive import DECOMPRESSORS

__all__ = [
    "READ_ERRORS",
    "CorpusFile",
    "Meter",
    "arrow_input",
    "brief",
    "csv_source",
    "is_position",
    "lines_of",
    "open_file",
    "position_name",
    "position_names",
    "read_error",
    "size_text",
    "text_lines",
]

# The longest line read (text8, a common corpus, is one line of 100 MB): a file, or a
# small compressed one, without line breaks must not fill the memory.
MAX_LINE = 1 << 28
# What a truncated or corrupt compressed stream (or a failing disk) raises.
READ_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError)


@dataclass(frozen=True)
class CorpusFile:
    """One file of a corpus and how it is read.

    Attributes:
        path: the file.
        layout: ``"text"``, ``"parquet"``, ``"arrow"``, ``"jsonl"``, ``"csv"`` or ``"tsv"``.
        compression: ``"gzip"``, ``"bzip2"``, ``"xz"`` or ``None``.
    """

    path: Path
    layout: str
    compression: str | None


class Meter:
    """Turns positions in a file on disk into byte counts for a progress callback."""

    def __init__(self, report: Callable[[int], None], size: int) -> None:
        self.report = report
        self.size = size
        self.position = 0

    def to(self, position: int) -> None:
        """Report the bytes between the last position and ``position`` (never past the end)."""
        position = min(position, self.size)
        if position > self.position:
            self.report(position - self.position)
            self.position = position

    def finish(self) -> None:
        """Report the rest of the file, so that every pass reports its whole size."""
        self.to(self.size)


def is_position(file: CorpusFile, column: str | None) -> bool:
    """True when ``column`` picks a CSV/TSV column by number (the file has no header line)."""
    numbered = column is not None and column.isascii() and column.isdigit()
    return numbered and file.layout in ("csv", "tsv")


def position_name(column: str) -> str:
    """The name of a column given by number, in a file without a header line: ``"02"`` → ``"2"``."""
    return str(int(column))


def position_names(count: int) -> list[str]:
    """The names of the columns of a file without a header line: ``"1"``, ``"2"``, ..."""
    return [str(n) for n in range(1, count + 1)]


def brief(exc: BaseException) -> str:
    """An exception's message on one short line."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def read_error(path: Path, where: str, compression: str | None, exc: BaseException) -> CorpusError:
    """The CorpusError for a read that failed ``where`` (e.g. ``"after line 3"``)."""
    if compression is None:
        return CorpusError(
            f"{path}, {where}: cannot read ({brief(exc)}); check the disk and the file"
        )
    return CorpusError(
        f"{path}, {where}: cannot decompress ({brief(exc)}); "
        f"the file is truncated, corrupt or not {compression}"
    )


@contextmanager
def open_file(path: Path, compression: str | None) -> Iterator[tuple[Any, IO[bytes]]]:
    """Open a corpus file as (decompressed stream, raw file on disk).

    Raises:
        CorpusError: the file cannot be opened.
    """
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise CorpusError(
            f"{path}: cannot open it ({exc.strerror or brief(exc)}); "
            "check that it exists and is readable"
        ) from None
    with raw:
        if compression is None:
            yield raw, raw
        else:
            with DECOMPRESSORS[compression](raw) as stream:
                yield stream, raw


@contextmanager
def arrow_input(path: Path, *, mapped: bool = False) -> Iterator[Any]:
    """What pyarrow should read a Parquet or Arrow file from: its path (memory-mapped
    when ``mapped``), or, when the path is not UTF-8 (pyarrow takes only UTF-8
    paths), the file opened by Python."""
    import pyarrow as pa

    try:
        name = os.fsencode(path).decode("utf-8")
    except UnicodeDecodeError:
        with path.open("rb") as fh:
            yield fh
        return
    if not mapped:
        yield name
        return
    with pa.memory_map(name) as source:
        yield source


def lines_of(
    stream: Any,
    path: Path,
    *,
    limit: int | None = None,
    error: type[AlignerError] = CorpusError,
    remedy: str = "this is not line-based text: give one sentence, document or record per line",
) -> Iterator[tuple[int, bytes]]:
    """``(line number, line)`` of a binary stream, each line at most ``limit`` bytes.

    Memory stays bounded whatever the stream holds: a line is read at most
    ``limit`` + 1 bytes at a time.

    Args:
        stream: a binary stream (a file, or a decompressor reading one).
        path: the file, for messages.
        limit: the longest line, in bytes (default: :data:`MAX_LINE`).
        error: the class of the error raised for a longer line.
        remedy: what the message tells the user to do.

    Raises:
        CorpusError: (or ``error``) a line is longer; the message names the file and the line.
    """
    limit = MAX_LINE if limit is None else limit
    readline = stream.readline
    lineno = 0
    while data := readline(limit + 1):
        lineno += 1
        if len(data) > limit and not data.endswith(b"\n"):
            raise error(
                f"{path}, line {lineno}: longer than {size_text(limit)} without a line break; "
                f"{remedy}"
            )
        yield lineno, data


def text_lines(
    stream: Any,
    path: Path,
    *,
    limit: int,
    error: type[AlignerError],
    remedy: str,
    reencode: str = "save the file as UTF-8",
) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` of a UTF-8 text file read through :func:`lines_of`: a
    leading byte-order mark and each line's end (``\n``, ``\r\n``) dropped.

    Raises:
        ``error``: a line longer than ``limit`` bytes (``remedy`` says what to do), or
            not valid UTF-8 (``reencode`` says what to do); the message names the line.
    """
    for lineno, data in lines_of(stream, path, limit=limit, error=error, remedy=remedy):
        if lineno == 1:
            data = data.removeprefix(b"\xef\xbb\xbf")
        try:
            line = data.decode("utf-8")
        except UnicodeDecodeError:
            raise error(f"{path}, line {lineno}: not valid UTF-8; {reencode}") from None
        yield lineno, line.removesuffix("\n").removesuffix("\r")


def size_text(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 and not n % (1 << 20) else f"{n} bytes"


#: compressions pyarrow decompresses itself (its codec names)
_NATIVE = {None: None, "gzip": "gzip", "bzip2": "bz2"}

#: free space left on the temporary folder's disk when an xz CSV/TSV file is decompressed there
MIN_FREE = 1 << 30


def _os_file(path: Path) -> Any:
    """``path`` opened by pyarrow (by its file descriptor when the path is not UTF-8).

    Raises:
        CorpusError: the file cannot be opened.
    """
    import pyarrow as pa

    try:
        try:
            return pa.OSFile(os.fsencode(path).decode("utf-8"))
        except UnicodeDecodeError:
            fd = os.open(path, os.O_RDONLY)
            try:
                return pa.OSFile(f"/dev/fd/{fd}")
            finally:
                os.close(fd)
    except OSError as exc:
        raise CorpusError(
            f"{path}: cannot open it ({exc.strerror or brief(exc)}); "
            "check that it exists and is readable"
        ) from None


@contextmanager
def _decompressed(file: CorpusFile) -> Iterator[Path]:
    """A compressed file decompressed into a temporary file, removed on leaving.

    The copy stops, with an error, before it leaves less than :data:`MIN_FREE`
    bytes free on the temporary folder's disk.

    Raises:
        CorpusError: the file cannot be decompressed, or the disk is too small.
    """
    with tempfile.TemporaryDirectory(prefix="aligner-") as folder:
        target = Path(folder) / "decompressed"
        with open_file(file.path, file.compression) as (stream, _), target.open("wb") as out:
            chunks = 0
            while chunk := _read_chunk(file, stream):
                try:
                    out.write(chunk)
                    chunks += 1
                    if not chunks % 64 and shutil.disk_usage(folder).free < MIN_FREE:
                        raise OSError(0, "the disk is nearly full")
                except OSError as exc:
                    raise CorpusError(
                        f"{file.path}: cannot decompress it into {folder} "
                        f"({exc.strerror or brief(exc)}); free space there, set TMPDIR to a "
                        f"larger disk, or decompress the file yourself"
                    ) from None
        yield target


def _read_chunk(file: CorpusFile, stream: Any) -> bytes:
    try:
        return cast(bytes, stream.read(1 << 20))
    except READ_ERRORS as exc:
        raise read_error(file.path, "while decompressing", file.compression, exc) from None


@contextmanager
def csv_source(file: CorpusFile) -> Iterator[tuple[Any, Callable[[], int]]]:
    """What pyarrow's CSV reader should read, and the position in the file on disk.

    pyarrow reads ahead on a thread of its own. Given a Python stream, that thread
    can outlive an error and hang or abort the interpreter at exit; so pyarrow
    always opens the file itself: plain, gzip and bzip2 files directly, and xz
    files (which pyarrow cannot decompress) once decompressed into a temporary file.

    Raises:
        CorpusError: the file cannot be opened or (xz) decompressed.
    """
    import pyarrow as pa

    codec = _NATIVE.get(file.compression, "")
    if codec == "":
        size = file.path.stat().st_size
        with _decompressed(file) as plain, _os_file(plain) as source:
            total = max(source.size(), 1)
            yield source, lambda: size * source.tell() // total
        return
    with _os_file(file.path) as raw:
        if codec is None:
            yield raw, raw.tell
        else:
            with pa.CompressedInputStream(raw, codec) as stream:
                yield stream, raw.tell
