"""Prove, before any long work, that an output can be written where it was asked for.

A read-only directory, or a parent that is a file, is otherwise found only
when the result is written, after minutes of training. :func:`check_writable`
creates and removes one empty temporary file where the output will go: in
the nearest directory that exists on the way to it (the missing ones are
created later, by the writer, with the same permission), and inside the
output itself when it is an existing directory that is about to be replaced.
Nothing is left behind, not even the missing parents.

:func:`check_not_artifact_file` refuses an output file that is one of an
artifact's own files (its ``manifest.json``, a file the manifest names, or a
name the artifact keeps for its data files): replacing it would break the
artifact. :func:`shown` prints a path in a one-line message.

Example:
    >>> check_writable("build/demo")  # doctest: +SKIP
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any

from aligner.errors import InputError

__all__ = ["check_not_artifact_file", "check_writable", "shown"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MANIFEST_READ = 1 << 20  # a manifest is a few kilobytes: read no more to recognise one


def shown(path: str | bytes | os.PathLike[Any]) -> str:
    """A path for a one-line message: bytes that are not UTF-8 as ``\\xNN``, and
    control characters (a line break in a name) as ``\\xNN`` too.

    Example:
        >>> shown(os.fsdecode(b"out/caf\\xe9\\n.vec"))
        'out/caf\\\\xe9\\\\x0a.vec'
    """
    name = path if isinstance(path, bytes) else os.fspath(path)
    if isinstance(name, bytes):
        raw = name
    else:
        try:
            raw = name.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a lone surrogate that stands for no byte
            raw = name.encode("utf-8", "backslashreplace")
    text = raw.decode("utf-8", "backslashreplace")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _existing_ancestor(path: Path) -> Path:
    """The nearest of ``path``'s parents that exists (as anything)."""
    for folder in path.parents:
        if os.path.lexists(folder):
            return folder
    return Path(path.anchor or ".")


def _probe(folder: Path, target: Path, option: str) -> None:
    """Create and remove an empty file in ``folder``, or raise a one-line InputError."""
    try:
        fd, name = tempfile.mkstemp(prefix=".aligner-probe-", dir=folder)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            reason = "read-only file system" if exc.errno == errno.EROFS else "permission denied"
        raise InputError(
            f"cannot write {option} {target}: nothing can be created in {folder} ({reason}); "
            f"choose another {option} or make {folder} writable"
        ) from None
    os.close(fd)
    os.unlink(name)


def check_writable(path: str | os.PathLike[str], *, option: str = "--out") -> Path:
    """Check that a file or directory can be created (or replaced) at ``path``.

    Args:
        path: the output about to be written.
        option: how the message names the output's option.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        InputError: a parent of ``path`` is not a directory, or nothing can be
            created where ``path`` goes (permissions, a read-only file system).
    """
    target = Path(path)
    absolute = Path(os.path.abspath(target))
    folder = _existing_ancestor(absolute)
    if not folder.is_dir():
        raise InputError(
            f"cannot write {option} {target}: {folder} is a file, not a directory; "
            f"choose another {option}"
        )
    _probe(folder, target, option)
    if absolute.is_dir() and folder == absolute.parent:
        _probe(absolute, target, option)
    return target


def _manifest_of(folder: str) -> dict[str, Any] | None:
    """The JSON object in ``folder/manifest.json`` when it is a regular file, else ``None``
    (``{}`` when it is there but is not JSON: a damaged manifest)."""
    path = os.path.join(folder, "manifest.json")
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO so named must not block
            return None
        with open(path, "rb") as fh:
            head = fh.read(MANIFEST_READ)
    except OSError:
        return None
    try:
        manifest = json.loads(head)
    except (ValueError, RecursionError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _artifact_role(folder: str, name: str) -> str | None:
    """What the file ``name`` is to the artifact in ``folder``, or ``None`` if nothing."""
    from aligner.artifact.layout import DATA_NAME, MANIFEST, file_names

    manifest = _manifest_of(folder)
    if manifest is None:
        return None
    ours = "format_version" in manifest or "vectors" in manifest
    if not ours and not any(DATA_NAME.match(n) for n in _names(folder)):
        return None  # another program's manifest.json, in a folder without artifact files
    where = shown(folder)
    if name == MANIFEST:
        return f"the manifest of the artifact {where}"
    if name in file_names(manifest):
        return f"a data file of the artifact {where} (its manifest names it)"
    if DATA_NAME.match(name):
        return f"named like the data files of the artifact {where} (a rebuild replaces those)"
    return None


def _names(folder: str) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def check_not_artifact_file(path: str | os.PathLike[str], *, option: str = "--out") -> Path:
    """Refuse an output file that is one of an artifact directory's own files.

    The folder of ``path`` (its symbolic links resolved) is an artifact when
    it holds aligner's ``manifest.json``; its own files are the manifest, the
    files the manifest names, and the names of its data files
    (``vectors.<hash>.npy``, ...). Writing any of them would break the
    artifact, whichever command writes it.

    Args:
        path: the output file about to be written.
        option: how the message names the output's option.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        InputError: ``path`` is one of an artifact's own files.

    Example:
        >>> check_not_artifact_file("build/demo/manifest.json")  # doctest: +SKIP
        Traceback (most recent call last):
        aligner.errors.InputError: output build/demo/manifest.json is the manifest of the ...
    """
    target = Path(path)
    folder = os.path.realpath(os.path.dirname(os.path.abspath(target)))
    role = _artifact_role(folder, target.name)
    if role is not None:
        raise InputError(
            f"output {shown(target)} is {role}, and writing it would break the artifact; "
            f"choose an {option} outside the artifact directory"
        )
    return target
