"""Several files that appear together, or not at all (gensim's ``.kv`` and its ``.npy``).

The files are written into a temporary directory beside their destination,
flushed, then moved into place one by one, the main file last. Should a move
fail (or the writer be interrupted), the files already moved are taken back
and the files they replaced restored, so no half of a new pair is left beside
an old half. What a killed writer leaves (hidden ``.NAME.<pid>.<hex>.tmp``
entries) is removed by the next write of the same name.

Example:
    >>> with atomic_files(Path("out"), ["v.kv.vectors.npy", "v.kv"]) as tmp:  # doctest: +SKIP
    ...     kv.save(str(tmp / "v.kv"), separately=["vectors"])
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from aligner.atomic import (
    NO_LINKS,
    fsync_path,
    place_new,
    sweep_temporaries,
    temp_directory,
    temp_path,
)

__all__ = ["atomic_files"]

# the errors of file systems without hard links (FAT, some network and FUSE mounts)


@contextmanager
def atomic_files(folder: Path, names: Sequence[str], *, replace: bool = False) -> Iterator[Path]:
    """Yield a temporary directory; move the files ``names`` written in it to ``folder``.

    Args:
        folder: where the files go (made when missing; removed again on failure).
        names: the files the caller writes in the temporary directory, in
            the order they are moved (the main file last).
        replace: replace existing files; ``False``: a file that exists (or
            appears meanwhile) is an error and nothing is moved.

    Raises:
        InputError: a file exists and ``replace`` is false.
        FileNotFoundError: the caller did not write one of ``names``.
    """
    created = [p for p in (folder, *folder.parents) if not p.exists()]
    for name in names:
        sweep_temporaries(folder, name)  # what killed writers left (old files set aside)
    tmp = temp_directory(folder / names[-1])
    try:
        yield tmp
        for name in names:
            fsync_path(tmp / name)
        _move_all(tmp, folder, names, replace)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for made in created:  # deepest first: the directories made for this output
            try:
                made.rmdir()
            except OSError:
                break
        raise
    shutil.rmtree(tmp, ignore_errors=True)


def _move_all(tmp: Path, folder: Path, names: Sequence[str], replace: bool) -> None:
    """Move every file, or (on any failure) none: undo the moves already made."""
    moved: list[tuple[Path, Path | None]] = []  # (destination, the old file kept aside)
    try:
        for name in names:
            moved.append(_move(tmp / name, folder / name, replace))
        fsync_path(folder)
    except BaseException:
        for final, aside in reversed(moved):
            if aside is None:
                final.unlink(missing_ok=True)
            else:
                os.replace(aside, final)
        raise
    for _, aside in moved:
        if aside is not None:
            with contextlib.suppress(OSError):  # else swept by the next write of the name
                aside.unlink(missing_ok=True)


def _move(source: Path, final: Path, replace: bool) -> tuple[Path, Path | None]:
    """Move ``source`` to ``final``; keep a replaced file aside (a hard link) to undo."""
    if not replace:
        place_new(source, final)
        return final, None
    aside = None
    if os.path.isdir(final) and not os.path.islink(final):
        raise IsADirectoryError(errno.EISDIR, "Is a directory", str(final))
    if os.path.lexists(final):
        aside = temp_path(final)
        try:
            os.link(final, aside, follow_symlinks=False)
        except OSError as exc:
            if exc.errno not in NO_LINKS:
                raise
            os.rename(final, aside)  # no hard links: a short moment without the old file
    try:
        os.replace(source, final)
    except BaseException:
        if aside is not None:
            os.replace(aside, final)
        raise
    return final, aside
