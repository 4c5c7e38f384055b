"""Atomic outputs: a file or directory appears complete under its name, or not at all.

Everything aligner writes (artifacts, vocabulary files, vectors files, encoded
Parquet) is written beside its final path under a hidden temporary name,
flushed to disk, and renamed into place. An error or an interrupt removes the
temporary file and leaves any older output untouched.

A temporary name carries the writer's process id,
``.<name>.<pid>.<8 hex digits>.tmp``, so what a killed writer (``kill -9``, a
power cut) leaves behind is recognised and removed by the next write into the
same place once that process is gone.

Example:
    >>> with atomic_file(Path("out/vocab.tsv")) as tmp:  # doctest: +SKIP
    ...     tmp.write_text("guitar\\t3\\n", encoding="utf-8")
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from aligner.errors import InputError
from aligner.writable import check_not_artifact_file, shown

__all__ = [
    "JOURNAL_NAME",
    "NO_LINKS",
    "atomic_file",
    "check_file_output",
    "exists_error",
    "fsync_path",
    "journal_needs",
    "lock_directory",
    "pid_alive",
    "place_directory",
    "place_new",
    "sha256_file",
    "sweep_temporaries",
    "temp_directory",
    "temp_path",
    "write_cache_entry",
]

# .<name>.<pid>.<8 hex>.tmp: the name a writer gives what is not finished yet
TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.(?P<pid>[0-9]+)\.[0-9a-f]{8}\.tmp$")
# .<name>.journal: what a writer of several files (aligner.export.place) has set aside
JOURNAL_NAME = re.compile(r"^\.(?P<name>.+)\.journal$")
JOURNAL_CAP = 1 << 16  # a journal names a few files


def write_cache_entry(path: Path, write: Callable[[BinaryIO], object]) -> bool:
    """Write a cache entry whole or not at all, as far as the file system lets it: ``write``
    fills a temporary file beside ``path``, which is renamed into place. A cache is only an
    optimisation, so failing to write (a read-only or full disk) returns False, quietly."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(name, path)
    except BaseException as exc:  # nothing half-written stays behind, whatever stopped it
        Path(name).unlink(missing_ok=True)
        if isinstance(exc, (OSError, MemoryError)):  # no room: the cache is only lost
            return False
        raise
    return True


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def umask() -> int:
    """The process's file mode creation mask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def fsync_path(path: Path) -> None:
    """Flush a file's or a directory's data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_path(path: Path) -> Path:
    """A fresh temporary name beside ``path``: ``.<name>.<pid>.<random>.tmp``."""
    return path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (this process and unknowable ones count as alive)."""
    if pid <= 0 or pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, under another user
        return True
    return True


def sweep_temporaries(folder: Path, name: str | None = None) -> list[Path]:
    """Remove the temporaries in ``folder`` whose writer process is gone.

    Args:
        folder: where to look (a missing folder holds nothing).
        name: only the temporaries of this output name; ``None``: all of them.

    Returns:
        The paths removed. What cannot be removed (permissions) is left alone,
        and so is what a journal still names (see :func:`journal_needs`).
    """
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    needed = journal_needs(folder)
    removed = []
    for entry in entries:
        match = TEMP_NAME.match(entry.name)
        if match is None or (name is not None and match["name"] != name):
            continue
        if entry.name in needed:  # a crashed writer's journal restores it: not ours to remove
            continue
        if pid_alive(int(match["pid"])):
            continue
        path = Path(entry.path)
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def journal_needs(folder: Path) -> set[str]:
    """The names that the journals in ``folder`` still need (their files set aside).

    A writer of several files (:mod:`aligner.export.place`) writes
    ``.<name>.journal`` before it replaces anything, naming the files it sets
    aside; until the journal is gone, those files are the only copy of what it
    replaced, and a sweep must leave them. Journals that cannot be read name
    nothing.
    """
    try:
        names = [n for n in os.listdir(folder) if JOURNAL_NAME.match(n)]
    except OSError:
        return set()
    needed: set[str] = set()
    for name in names:
        needed |= _journal_names(folder / name)
    return needed


def _journal_names(path: Path) -> set[str]:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            raw = os.read(fd, JOURNAL_CAP) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
        finally:
            os.close(fd)
        record = json.loads(raw)
    except (OSError, ValueError, RecursionError):
        return set()
    files = record.get("files") if isinstance(record, dict) else None
    names = {record.get("staged")} if isinstance(record, dict) else set()
    for entry in files if isinstance(files, list) else []:
        if isinstance(entry, dict):
            names.add(entry.get("aside"))
    return {n for n in names if isinstance(n, str)}


def check_file_output(path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Check, before any long work, that a file may be written at ``path``.

    A symbolic link at ``path`` (dangling or not) is replaced itself, never
    the file it points to, and like any existing output only with ``force``.

    Raises:
        InputError: ``path`` is a directory or another non-regular file, is
            one of an artifact's own files (see
            :func:`~aligner.writable.check_not_artifact_file`), or exists (a
            symbolic link too) and ``force`` is false.
    """
    path = Path(path)
    check_not_artifact_file(path)
    if os.path.islink(path):
        if not force:
            raise InputError(f"output {shown(path)} {_link_note(path)}; {_LINK_REMEDY}")
        return path
    if path.is_dir():
        raise InputError(f"output {shown(path)} is a directory; choose a file name for --out")
    if path.exists() and not path.is_file():
        raise InputError(
            f"output {shown(path)} exists and is not a regular file (a device, FIFO or socket); "
            "choose a file name for --out"
        )
    if path.exists() and not force:
        raise InputError(f"output file {shown(path)} already exists; pass --force to replace it")
    return path


_LINK_REMEDY = (
    "pass --force to replace the link itself (what it points to is left alone), "
    "or choose another --out"
)


def _link_note(path: Path) -> str:
    """``is a symbolic link to X`` (``, which does not exist`` when it dangles)."""
    try:
        target = os.readlink(path)
    except OSError:
        return "is a symbolic link"
    dangling = "" if os.path.exists(path) else ", which does not exist"
    return f"is a symbolic link to {shown(target)}{dangling}"


@contextmanager
def atomic_file(path: Path, *, replace: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it to ``path`` when the block ends.

    The caller writes the temporary file in any way it likes. When the block
    completes, the file is flushed to disk and moved to ``path`` (with the
    usual permissions, ``0o666`` less the umask); when it raises, the file is
    removed, and so are the directories made for it. Temporaries left beside
    ``path`` by writers that were killed are removed first.

    Args:
        path: the final file.
        replace: rename over an existing ``path``; ``False``: the last step
            creates ``path`` only if it is still absent (a hard link, which
            fails when the name exists), so of two writers racing for one
            name without ``--force`` the second fails instead of silently
            replacing the first one's output.

    Raises:
        InputError: ``replace`` is false and ``path`` appeared meanwhile (the
            temporary file is removed).
    """
    created = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_temporaries(path.parent, path.name)
    tmp = temp_path(path)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666))
    try:
        yield tmp
        fsync_path(tmp)
        if replace:
            os.replace(tmp, path)
        else:
            place_new(tmp, path)
        fsync_path(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        for folder in created:  # deepest first: the directories made for this output
            try:
                folder.rmdir()
            except OSError:
                break
        raise


def place_new(tmp: Path, path: Path) -> None:
    """Give ``tmp`` the name ``path`` only if no file holds that name (atomically).

    A hard link fails with ``EEXIST`` when the name exists; where the file
    system has no hard links, a rename after a last check (a narrow window).

    Raises:
        InputError: ``path`` exists.
    """
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise exists_error(path) from None
    except OSError as exc:
        if exc.errno not in NO_LINKS:
            raise
        if os.path.lexists(path):
            raise exists_error(path) from None
        os.rename(tmp, path)
        return
    tmp.unlink()


# the errors of file systems without hard links (FAT, some network and FUSE mounts)
NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.EXDEV, errno.ENOSYS}


def exists_error(path: Path) -> InputError:
    """The error of an output that exists (another run wrote it meanwhile)."""
    if os.path.islink(path):
        return InputError(f"output {shown(path)} {_link_note(path)}; {_LINK_REMEDY}")
    return InputError(
        f"output file {shown(path)} already exists (another run wrote it meanwhile); "
        "pass --force to replace it"
    )


def temp_directory(out: Path) -> Path:
    """Make a fresh temporary directory beside ``out`` (usual permissions), after
    removing the ones that killed writers left there; see :func:`place_directory`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    sweep_temporaries(out.parent, out.name)
    tmp = temp_path(out)
    tmp.mkdir()  # 0o777 less the umask
    return tmp


def place_directory(tmp: Path, out: Path) -> None:
    """Rename the finished directory ``tmp`` to ``out``, replacing an old one last.

    Replacing takes two renames (the old one aside, the new one in); the old one
    is set aside under a temporary name, so a writer killed in between leaves
    it for :func:`sweep_temporaries` (artifacts do better: see
    :mod:`aligner.artifact.write`).
    """
    if out.exists():
        old = temp_path(out)
        os.rename(out, old)
        os.rename(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, out)
    fsync_path(out.parent)


@contextmanager
def lock_directory(path: Path, *, wait: bool = True) -> Iterator[int | None]:
    """Hold an exclusive lock on the directory ``path``; yield its descriptor.

    The lock is ``flock`` on the directory itself, so no lock file is left in
    it, and the system releases it when the holder dies. When the directory is
    replaced while this waits, the new one is locked instead.

    Args:
        path: an existing directory.
        wait: wait for the holder; ``False``: yield ``None`` when it is held.

    Raises:
        OSError: ``path`` is missing or not a directory.
    """
    while True:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            yield None
            return
        except BaseException:
            os.close(fd)
            raise
        held, now = os.fstat(fd), _stat_or_none(path)
        if now is not None and (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino):
            break
        os.close(fd)  # the directory was replaced while we waited: lock the new one
        if now is None:
            raise FileNotFoundError(2, "directory removed while waiting for its lock", str(path))
    try:
        yield fd
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _stat_or_none(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None
