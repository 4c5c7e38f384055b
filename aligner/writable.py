"""Prove, before any long work, that an output can be written where it was asked for.

A read-only directory, or a parent that is a file, is otherwise found only
when the result is written, after minutes of training. :func:`check_writable`
creates and removes one empty temporary file where the output will go: in
the nearest directory that exists on the way to it (the missing ones are
created later, by the writer, with the same permission), and inside the
output itself when it is an existing directory that is about to be replaced.
Nothing is left behind, not even the missing parents.

Example:
    >>> check_writable("build/demo")  # doctest: +SKIP
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from aligner.errors import InputError

__all__ = ["check_writable"]


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
