"""The artifact format: file names, the manifest, and how its members are read safely.

Layout (``format_version`` 2)::

    DIR/
      manifest.json                 the one file that says which others make the artifact
      vectors.<sha256[:16]>.npy     float32 (or float16), little-endian, C order
      vocab.<sha256[:16]>.txt       UTF-8, row i of the matrix = line i ("\\n" line ends)
      provenance.<sha256[:16]>.txt  the match kind of row i on line i
      tokenizer.<sha256[:16]>.model the sentencepiece model, when the tokenizer has one

The data files are named by their content and never change once written;
``manifest.json`` is replaced in one rename, so it is the single pointer that
makes a replacement visible at once, whole. Version 1 artifacts (fixed names
``vectors.npy``, ``vocab.txt``, ``provenance.txt``, ``tokenizer.model``) are
still read.

A manifest is data, not instructions: every file it names must be a bare name
inside the directory, is opened without following a symbolic link and without
blocking, must be a regular file, and is read only up to the size the
manifest records (and never beyond a cap: a vocabulary or model file is under 1 GiB).
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import numpy as np

from aligner.errors import ArtifactCorruptError, ArtifactError

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def shown(path: object) -> str:
    """``path`` for a one-line message: as is, or escaped when it holds control characters."""
    text = str(path)
    if _CONTROL.search(text) is None:
        return text
    return repr(text)[1:-1]


__all__ = [
    "DATA_NAME",
    "DTYPES",
    "FORMAT_VERSION",
    "MANIFEST",
    "Member",
    "data_name",
    "file_names",
    "load_manifest",
    "open_member",
    "read_manifest",
    "shown",
]

FORMAT_VERSION = 2
MANIFEST = "manifest.json"
DTYPES: dict[str, np.dtype[Any]] = {"float32": np.dtype("<f4"), "float16": np.dtype("<f2")}
SUFFIXES = {"vectors": ".npy", "vocab": ".txt", "provenance": ".txt", "tokenizer": ".model"}
VERSION_1_NAMES = frozenset({"vectors.npy", "vocab.txt", "provenance.txt", "tokenizer.model"})
DATA_NAME = re.compile(r"^(vectors|vocab|provenance|tokenizer)\.[0-9a-f]{16}\.(npy|txt|model)$")
# the file entries of a manifest, as (section, key)
FILE_KEYS = (
    ("vectors", "file"),
    ("vocab", "file"),
    ("provenance", "file"),
    ("tokenizer", "model_file"),
)
MANIFEST_CAP = 64 << 20  # a manifest is a few kilobytes
MEMBER_CAP = 1 << 30  # what a vocabulary, provenance or model file may be at most


def data_name(kind: str, sha256: str) -> str:
    """The content-addressed name of a data file: ``vectors.<sha256[:16]>.npy``."""
    return f"{kind}.{sha256[:16]}{SUFFIXES[kind]}"


def file_names(manifest: dict[str, Any]) -> set[str]:
    """The file names a manifest refers to (whatever their form; for clean-up)."""
    names = set()
    for section, key in FILE_KEYS:
        entry = manifest.get(section)
        if isinstance(entry, dict) and isinstance(entry.get(key), str):
            names.add(entry[key])
    return names


class Member:
    """A file of the artifact, opened safely: descriptor, path and size.

    Close it with :meth:`close` (or use it as a context manager).
    """

    def __init__(self, fd: int, path: Path, key: str) -> None:
        self.fd, self.path, self.key = fd, path, key
        self.size = os.fstat(fd).st_size

    def __enter__(self) -> Member:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the descriptor (once)."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def read(self, *, expected: int | None, cap: int = MEMBER_CAP) -> bytes:
        """All the bytes, after checking the size against ``expected`` and ``cap``."""
        self.check_size(expected, cap=cap)
        chunks, offset = [], 0
        while offset < self.size:
            chunk = os.pread(self.fd, min(1 << 24, self.size - offset), offset)
            if not chunk:
                break
            chunks.append(chunk)
            offset += len(chunk)
        return b"".join(chunks)

    def check_size(self, expected: int | None, *, cap: int = MEMBER_CAP) -> None:
        """Raise unless the file holds ``expected`` bytes (when known) and at most ``cap``."""
        if expected is not None and self.size != expected:
            raise ArtifactCorruptError(
                f"{shown(self.path)} ({self.key}) holds {self.size} bytes, the manifest says "
                f"{expected}: it was truncated or edited; rebuild the artifact"
            )
        if self.size > cap:
            raise ArtifactCorruptError(
                f"{shown(self.path)} ({self.key}) is {self.size} bytes, more than such a file can "
                f"be ({cap}); rebuild the artifact"
            )


class Vanished(Exception):
    """A file the manifest names is not there (a replacement may have removed it)."""

    def __init__(self, path: Path, key: str) -> None:
        super().__init__(f"{shown(path)} ({key}) is missing; rebuild the artifact")
        self.path, self.key = path, key


def check_name(name: object, where: Path, key: str) -> str:
    """``name`` when it is a bare file name; else a one-line error naming ``key``."""
    if (
        not isinstance(name, str)
        or name in ("", ".", "..")
        or "/" in name
        or "\\" in name
        or _CONTROL.search(name) is not None
    ):
        raise ArtifactCorruptError(
            f"{shown(where / MANIFEST)}: {key} is {name!r}, not the name of a file inside the "
            "artifact; rebuild the artifact (a manifest may name only files beside it)"
        )
    return name


def open_member(dfd: int, where: Path, name: object, key: str) -> Member:
    """Open the file ``name`` of the directory ``dfd`` for reading, safely.

    No symbolic link is followed, a FIFO or device does not block, and
    anything but a regular file is refused.

    Raises:
        Vanished: the file does not exist.
        ArtifactCorruptError: a bad name, a link, not a regular file, unreadable.
    """
    name = check_name(name, where, key)
    path = where / name
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
    try:
        fd = os.open(name, flags, dir_fd=dfd)
    except FileNotFoundError:
        raise Vanished(path, key) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ArtifactCorruptError(
                f"{shown(path)} ({key}) is a symbolic link, and an artifact is read only through "
                "its own regular files; put a copy of the file in its place (cp -L) or rebuild"
            ) from None
        raise ArtifactError(
            f"cannot read {shown(path)} ({key}): {exc.strerror}; check its permissions"
        ) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ArtifactCorruptError(
            f"{shown(path)} ({key}) is not a regular file; rebuild the artifact"
        )
    return Member(fd, path, key)


def read_manifest(dfd: int, where: Path) -> tuple[dict[str, Any], os.stat_result]:
    """The parsed, version-checked manifest of the directory ``dfd``, and its stat."""
    try:
        member = open_member(dfd, where, MANIFEST, MANIFEST)
    except Vanished:
        raise ArtifactError(
            f"{shown(where)} is not an aligner artifact: it has no {MANIFEST}"
        ) from None
    with member:
        raw = member.read(expected=None, cap=MANIFEST_CAP)
        st = os.fstat(member.fd)
    return parse_manifest(raw, where / MANIFEST), st


def parse_manifest(raw: bytes, path: Path) -> dict[str, Any]:
    """The manifest in ``raw``: a JSON object of a format this aligner reads."""
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0]
        raise ArtifactCorruptError(
            f"{shown(path)} is not valid JSON ({reason}); rebuild it"
        ) from None
    except RecursionError:
        raise ArtifactCorruptError(
            f"{shown(path)} is not valid JSON (nested too deeply to read); rebuild it"
        ) from None
    if not isinstance(manifest, dict):
        raise ArtifactCorruptError(f"{shown(path)} is not a JSON object; rebuild the artifact")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        what = "has no format_version" if version is None else f"has format_version {version!r}"
        raise ArtifactCorruptError(
            f"{shown(path)} {what}: it is damaged, or not the manifest of an aligner "
            "artifact; rebuild the artifact"
        )
    if version > FORMAT_VERSION:
        raise ArtifactError(
            f"{shown(path)}: format_version {version} is newer than this aligner reads "
            f"(up to {FORMAT_VERSION}); upgrade aligner"
        )
    return manifest


def open_directory(path: Path) -> int:
    """A descriptor of the artifact directory ``path``, or a one-line error."""
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ArtifactError(f"artifact directory {shown(path)} does not exist") from None
    except NotADirectoryError:
        raise ArtifactError(f"{shown(path)} is not an artifact directory (it is a file)") from None
    except OSError as exc:
        raise ArtifactError(
            f"cannot open artifact directory {shown(path)}: {exc.strerror}; check its permissions"
        ) from None


def load_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed manifest of an artifact directory (checked for format_version).

    Raises:
        ArtifactError: not an artifact directory, or a newer format.
        ArtifactCorruptError: the manifest is not valid JSON.
    """
    path = Path(path)
    dfd = open_directory(path)
    try:
        return read_manifest(dfd, path)[0]
    finally:
        os.close(dfd)
