"""The vectors file, held open: verified once, memory-mapped as often as asked.

An opened artifact keeps the descriptor of the vectors file it verified, so
every later map (``Artifact.embedding()``) reads those very bytes, even after
the directory was rebuilt and the file removed; nothing is re-opened by path.
"""

from __future__ import annotations

import hashlib
import io
import os
import weakref
from typing import Any

import numpy as np

from aligner.artifact.layout import DTYPES, Member, shown
from aligner.errors import ArtifactCorruptError, ArtifactError

__all__ = ["MappedVectors", "sha256_fd"]

HEADER_CAP = 1 << 16  # an .npy header of a 2-d matrix is about 128 bytes


def sha256_fd(fd: int, size: int) -> str:
    """The hex sha256 of the first ``size`` bytes of an open file, read in 4 MiB chunks."""
    digest = hashlib.sha256()
    offset = 0
    while offset < size:
        chunk = os.pread(fd, min(1 << 22, size - offset), offset)
        if not chunk:
            break
        digest.update(chunk)
        offset += len(chunk)
    return digest.hexdigest()


class _Handle:
    """What ``np.memmap`` needs of a file object, over a shared descriptor."""

    def __init__(self, fd: int, name: str) -> None:
        self._fd, self.name, self._pos = fd, name, 0

    def read(self, n: int = -1) -> bytes:  # np.memmap checks for it; never called
        raise io.UnsupportedOperation("read")

    def write(self, data: bytes) -> int:  # a copy-on-write map never writes
        raise io.UnsupportedOperation("write")

    def flush(self) -> None:
        return None

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: os.fstat(self._fd).st_size}[whence]
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def fileno(self) -> int:
        return self._fd


def _header(member: Member) -> tuple[tuple[int, ...], bool, np.dtype[Any], int]:
    head = io.BytesIO(os.pread(member.fd, HEADER_CAP, 0))
    try:
        version = np.lib.format.read_magic(head)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(head)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(head)
        else:
            raise ValueError(f"npy format version {version} is not read")
    except (ValueError, SyntaxError, TypeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ArtifactCorruptError(
            f"{shown(member.path)} ({member.key}) is not an .npy matrix ({reason}); "
            "it was truncated or edited: rebuild the artifact"
        ) from None
    return tuple(shape), bool(fortran), np.dtype(dtype), head.tell()


class MappedVectors:
    """The open vectors file of an artifact, checked against its manifest section.

    Args:
        member: the opened file; this object takes over its descriptor.
        section: the manifest's ``vectors`` section (``shape``, ``dtype``,
            ``sha256``, ``bytes`` in version 2).
        verify: check the sha256 (reads the file once).

    Raises:
        ArtifactError: a dtype this aligner does not read.
        ArtifactCorruptError: the file disagrees with the section.
    """

    def __init__(self, member: Member, section: dict[str, Any], *, verify: bool) -> None:
        shape, dtype = _section_shape(member, section)
        member.check_size(section.get("bytes"), cap=1 << 62)
        found_shape, fortran, found_dtype, offset = _header(member)
        if found_shape != shape or found_dtype != dtype or fortran:
            order = "Fortran" if fortran else "C"
            raise ArtifactCorruptError(
                f"{shown(member.path)} holds {found_dtype.str} {found_shape} ({order} order), the "
                f"manifest says {dtype.str} {shape}; rebuild the artifact"
            )
        if member.size != offset + int(np.prod(shape)) * dtype.itemsize:
            raise ArtifactCorruptError(
                f"{shown(member.path)} holds {member.size} bytes, {dtype.str} {shape} needs "
                f"{offset + int(np.prod(shape)) * dtype.itemsize}: it was truncated; "
                "rebuild the artifact"
            )
        if verify and sha256_fd(member.fd, member.size) != section.get("sha256"):
            raise ArtifactCorruptError(
                f"{shown(member.path)}: sha256 differs from the manifest (the vectors file was "
                "modified or truncated); rebuild the artifact"
            )
        self.fd, self.path = member.fd, member.path
        member.fd = -1  # the descriptor is ours now, closed with this object
        self.shape, self.dtype, self.offset = shape, dtype, offset
        self._closer = weakref.finalize(self, os.close, self.fd)

    def map(self) -> np.memmap:
        """A fresh copy-on-write map of the verified file: writes never reach it."""
        if not self._closer.alive:
            raise ArtifactError(f"{shown(self.path)} was closed; open the artifact again")
        return np.memmap(
            _Handle(self.fd, str(self.path)),
            dtype=self.dtype,
            mode="c",
            offset=self.offset,
            shape=self.shape,
            order="C",
        )

    def close(self) -> None:
        """Close the descriptor now (maps made before stay valid)."""
        self._closer()


def _section_shape(
    member: Member, section: dict[str, Any]
) -> tuple[tuple[int, ...], np.dtype[Any]]:
    shape, dtype_str = section.get("shape"), section.get("dtype")
    if (
        not isinstance(shape, list)
        or len(shape) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
    ):
        raise ArtifactCorruptError(
            f"{shown(member.path.parent / 'manifest.json')}: vectors.shape is {shape!r}, not two "
            "row and column counts; rebuild the artifact"
        )
    try:
        dtype = np.dtype(dtype_str)
    except (TypeError, ValueError):
        dtype = None
    if dtype is None or dtype not in DTYPES.values() or not isinstance(dtype_str, str):
        raise ArtifactError(
            f"{shown(member.path)}: dtype {dtype_str!r} is not supported; upgrade aligner"
        )
    return (shape[0], shape[1]), dtype
