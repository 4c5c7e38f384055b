"""Open plain, gzip, bzip2, xz and zip files as one decompressed byte stream.

Nothing is ever extracted to disk: a zip member is read in place, and member
names that are absolute or climb out with ``..`` are refused outright.

Example:
    >>> with open_stream("glove.6B.zip", member="glove.6B.50d.txt") as opened:  # doctest: +SKIP
    ...     first = opened.stream.readline()
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, cast

from aligner.errors import VectorsFormatError

__all__ = [
    "COMPRESSIONS",
    "DECOMPRESSORS",
    "Opened",
    "check_member_name",
    "compression_of",
    "decompression_errors",
    "inner_name",
    "looks_compressed",
    "open_stream",
    "zip_member",
]

COMPRESSIONS = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zip": "zip"}
#: The first bytes of each compression's files (a zip may also be empty: ``PK\x05\x06``).
MAGIC = {
    "gzip": (b"\x1f\x8b",),
    "bzip2": (b"BZh",),
    "xz": (b"\xfd7zXZ\x00",),
    "zip": (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"),
}


def compression_of(path: str | os.PathLike[str]) -> str | None:
    """``"gzip"``, ``"bzip2"``, ``"xz"``, ``"zip"`` from the file suffix, or ``None``."""
    return COMPRESSIONS.get(Path(path).suffix.lower())


def looks_compressed(head: bytes, kind: str) -> bool:
    """Whether ``head`` (a file's first bytes) starts the way ``kind`` files do."""
    return head.startswith(MAGIC[kind])


def check_member_name(archive: str | os.PathLike[str], name: str) -> None:
    """Refuse archive member names that are absolute or climb out with ``..``.

    Raises:
        VectorsFormatError: the name is unsafe.
    """
    parts = PurePosixPath(name.replace("\\", "/")).parts
    drive = len(name) >= 2 and name[1] == ":" and name[0].isalpha()  # C:x, C:/x
    if name.startswith(("/", "\\")) or ".." in parts or drive:
        raise VectorsFormatError(
            f"{archive}: member {name!r} points outside the archive; refusing it "
            "(the archive is unsafe: get it from a trusted source)"
        )


def zip_member(path: str | os.PathLike[str], member: str | None = None) -> str:
    """The member of a zip to read: ``member`` if given, else its only file.

    Raises:
        VectorsFormatError: not a zip, an unsafe member name, no such member,
            or several members and none chosen.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile:
        raise VectorsFormatError(f"{path} is not a valid zip file; download it again") from None
    for info in infos:
        check_member_name(path, info.filename)
    names = [i.filename for i in infos if not i.is_dir()]
    if not names:
        what = "only folders" if infos else "no files at all"
        raise VectorsFormatError(
            f"{path} is an empty zip archive ({what}): there are no vectors in it; "
            "pass the archive or file that holds them"
        )
    if member is not None:
        if member not in names:
            raise VectorsFormatError(
                f"{path} has no member {member!r}; members: {', '.join(names[:10])}"
            )
        return member
    if len(names) != 1:
        listed = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
        raise VectorsFormatError(
            f"{path} holds {len(names)} files ({listed}); choose one with --member NAME"
        )
    return names[0]


def inner_name(path: str | os.PathLike[str], member: str | None = None) -> str:
    """The name of the data inside: ``a.txt.gz`` → ``a.txt``; a zip → its member."""
    kind = compression_of(path)
    if kind == "zip":
        return zip_member(path, member)
    name = Path(path).name
    return name[: -len(Path(path).suffix)] if kind else name


@contextmanager
def decompression_errors(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn the errors of a truncated or corrupt archive into a VectorsFormatError."""
    try:
        yield
    except (EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
        raise VectorsFormatError(
            f"{path} cannot be decompressed ({exc}): it is truncated or corrupt; download it again"
        ) from None
    except OSError as exc:
        if type(exc) is not OSError:  # FileNotFoundError, PermissionError, ...: not the archive
            raise
        raise VectorsFormatError(f"{path} cannot be read ({exc}); download it again") from None


@dataclass
class Opened:
    """A decompressed byte stream and how far into the file on disk it has read."""

    stream: IO[bytes]
    raw: IO[bytes]
    size: int

    def position(self) -> int:
        """Bytes of the file on disk consumed so far (for progress bars)."""
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return 0


def _gzip(raw: IO[bytes]) -> IO[bytes]:
    return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))


def _bz2(raw: IO[bytes]) -> IO[bytes]:
    return cast(IO[bytes], bz2.BZ2File(raw, "rb"))


def _xz(raw: IO[bytes]) -> IO[bytes]:
    return cast(IO[bytes], lzma.LZMAFile(raw, "rb"))


#: A decompressing reader over an open raw file, per stream compression.
DECOMPRESSORS: dict[str, Callable[[IO[bytes]], IO[bytes]]] = {
    "gzip": _gzip,
    "bzip2": _bz2,
    "xz": _xz,
}


@contextmanager
def open_stream(path: str | os.PathLike[str], *, member: str | None = None) -> Iterator[Opened]:
    """Open ``path`` for reading its decompressed bytes.

    Args:
        path: a plain, ``.gz``, ``.bz2``, ``.xz`` or ``.zip`` file.
        member: the zip member to read (default: the only one).

    Yields:
        An :class:`Opened` stream.

    Raises:
        VectorsFormatError: unreadable archive, unsafe or missing member.
        OSError: the file cannot be opened.
    """
    path = Path(path)
    kind = compression_of(path)
    size = path.stat().st_size
    if kind != "zip" and member is not None:
        raise VectorsFormatError(f"--member applies to zip files only, and {path} is not one")
    with path.open("rb") as raw:
        if kind == "zip":
            name = zip_member(path, member)
            with zipfile.ZipFile(raw) as archive, archive.open(name) as member_stream:
                yield Opened(member_stream, raw, size)
        elif kind is None:
            yield Opened(raw, raw, size)
        else:
            with DECOMPRESSORS[kind](raw) as stream:
                yield Opened(stream, raw, size)
