"""Several files that appear together, or not at all (gensim's ``.kv`` and its ``.npy``).

The files are written into a temporary directory beside their destination
and flushed. Then, holding the lock of the destination folder
(:func:`~aligner.atomic.lock_directory`, released by the system when the
holder dies), the writer

1. rolls back what killed writers left in the folder (below);
2. writes a journal, ``.<main file>.journal``, naming the old files it is
   about to keep aside and the new files it moves in;
3. keeps each old file aside under a temporary name (a hard link);
4. removes the old main file: from here until step 5 ends a reader finds no
   main file (a loud error), never a new matrix beside an old main file;
5. moves the new files in, the main file last;
6. removes the journal (this is the commit), then the old files kept aside.

A writer killed anywhere in steps 2 to 6 leaves its journal, and the next
export into the folder (whatever its name) handles it before anything else:
killed after its last move, the export is completed; before, it is rolled
back (the old files return whole, new files without an old one are removed).
So the pair on disk is always one export's whole pair, or (between a kill
and the next run) no main file. Two writers of one destination move their
files one after the other, so the last one wins whole. The sweep of dead
writers' temporaries (:func:`~aligner.atomic.sweep_temporaries`) leaves the
files a journal still needs.

Example:
    >>> with atomic_files(Path("out"), ["v.kv.vectors.npy", "v.kv"]) as tmp:  # doctest: +SKIP
    ...     kv.save(str(tmp / "v.kv"), separately=["vectors"])
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aligner.atomic import (
    JOURNAL_CAP,
    JOURNAL_NAME,
    NO_LINKS,
    TEMP_NAME,
    exists_error,
    fsync_path,
    lock_directory,
    sweep_temporaries,
    temp_directory,
    temp_path,
)
from aligner.errors import InputError
from aligner.writable import shown

__all__ = ["atomic_files", "recover"]


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
        InputError: a file exists and ``replace`` is false; a journal in
            ``folder`` is damaged.
        FileNotFoundError: the caller did not write one of ``names``.

    Example:
        >>> with atomic_files(Path("out"), ["a.npy", "a.kv"]) as tmp:  # doctest: +SKIP
        ...     write_both(tmp)
    """
    created = [p for p in (folder, *folder.parents) if not p.exists()]
    recover(folder)
    sweep_temporaries(folder)  # what killed writers left, whatever its name
    tmp = temp_directory(folder / names[-1])
    try:
        yield tmp
        for name in names:
            fsync_path(tmp / name)
        with _locked(folder):
            _recover_locked(folder)
            _commit(tmp, folder, names, replace)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for made in created:  # deepest first: the directories made for this output
            try:
                made.rmdir()
            except OSError:
                break
        raise
    shutil.rmtree(tmp, ignore_errors=True)


def recover(folder: str | os.PathLike[str]) -> list[Path]:
    """Roll back what writers killed while moving their files left in ``folder``.

    Each journal left there names the old files its writer kept aside and
    the new files it moves in. When all the new files are in place (the
    writer was killed after its last move), the export is completed: the
    old files kept aside are removed. Otherwise it is rolled back: the old
    files are put back and new ones without an old one removed. Then the
    journal goes. A folder without a journal is not locked or changed.

    Args:
        folder: the folder of an output (a missing one holds nothing).

    Returns:
        The journals handled.

    Raises:
        InputError: a journal is damaged (the message names it).

    Example:
        >>> recover("build")  # doctest: +SKIP
        [PosixPath('build/.e.kv.journal')]
    """
    folder = Path(folder)
    if not _journals(folder):
        return []
    with _locked(folder):
        return _recover_locked(folder)


# what flock on a directory gives where a file system cannot lock one (some network mounts)
_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EBADF, errno.EINVAL}


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s lock; where its file system has no locks, go on without one."""
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(lock_directory(folder))
        except OSError as exc:
            if exc.errno not in _NO_LOCKS:
                raise
        yield


def _journals(folder: Path) -> list[Path]:
    try:
        return [folder / n for n in sorted(os.listdir(folder)) if JOURNAL_NAME.match(n)]
    except OSError:
        return []


def _recover_locked(folder: Path) -> list[Path]:
    """Roll back every journal in ``folder``: with its lock held, each one is a dead writer's."""
    done = []
    for journal in _journals(folder):
        record = _read_journal(journal)
        if all(_is_new(folder, entry) for entry in record["files"]):
            _finish(folder, journal, record)  # killed after its last move: complete it
        else:
            _roll_back(folder, journal, record)
        done.append(journal)
    return done


def _commit(tmp: Path, folder: Path, names: Sequence[str], replace: bool) -> None:
    """Steps 2 to 6 of the module's list, with the folder's lock held."""
    for name in names:
        final = folder / name
        if not replace and os.path.lexists(final):
            raise exists_error(final)
        if os.path.isdir(final) and not os.path.islink(final):
            raise IsADirectoryError(errno.EISDIR, "Is a directory", str(final))
    record: dict[str, Any] = {"staged": tmp.name}
    record["files"] = [_entry(tmp, folder, name) for name in names]
    journal = folder / f".{names[-1]}.journal"
    _write_journal(journal, record)
    try:
        _swap(tmp, folder, record["files"], replace)
    except BaseException:
        _roll_back(folder, journal, record)
        raise
    _finish(folder, journal, record)


def _finish(folder: Path, journal: Path, record: dict[str, Any]) -> None:
    """Remove the journal (the commit), then the old files kept aside."""
    _remove(journal)
    for entry in record["files"]:
        if entry["aside"] is not None:
            with contextlib.suppress(OSError):  # else swept by a later write into the folder
                os.unlink(folder / entry["aside"])
    shutil.rmtree(folder / record["staged"], ignore_errors=True)


def _entry(tmp: Path, folder: Path, name: str) -> dict[str, Any]:
    """One file's journal entry: its name, where its old file goes aside, the new file's inode."""
    final = folder / name
    new = os.stat(tmp / name)
    aside = temp_path(final).name if os.path.lexists(final) else None
    return {"name": name, "aside": aside, "dev": new.st_dev, "ino": new.st_ino}


def _swap(tmp: Path, folder: Path, files: list[dict[str, Any]], replace: bool) -> None:
    for entry in files:
        if entry["aside"] is not None:
            _keep_aside(folder / entry["name"], folder / entry["aside"])
    main = folder / files[-1]["name"]
    if os.path.lexists(main):
        os.unlink(main)  # no main file rather than one beside the other export's matrix
    for entry in files:
        _move(tmp / entry["name"], folder / entry["name"], replace)
    fsync_path(folder)


def _move(source: Path, final: Path, replace: bool) -> None:
    """Give ``source`` the name ``final``; without ``replace``, only if that name is free."""
    if replace:
        os.replace(source, final)
        return
    try:
        os.link(source, final)  # fails when the name exists
    except FileExistsError:
        raise exists_error(final) from None
    except OSError as exc:
        if exc.errno not in NO_LINKS:
            raise
        if os.path.lexists(final):
            raise exists_error(final) from None
        os.rename(source, final)


def _keep_aside(final: Path, aside: Path) -> None:
    """Give the old file ``final`` a second name, ``aside`` (a hard link; else a rename)."""
    try:
        os.link(final, aside, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in NO_LINKS:
            raise
        os.rename(final, aside)


def _is_new(folder: Path, entry: dict[str, Any]) -> bool:
    """Whether the file at ``entry``'s name is the new one its writer moved in."""
    now = _lstat(folder / entry["name"])
    return now is not None and (now.st_dev, now.st_ino) == (entry["dev"], entry["ino"])


def _roll_back(folder: Path, journal: Path, record: dict[str, Any]) -> None:
    """Put the old files back, remove the new ones that replaced nothing, then the journal."""
    for entry in reversed(record["files"]):
        final = folder / entry["name"]
        now = _lstat(final)
        if entry["aside"] is None:
            if _is_new(folder, entry):
                os.unlink(final)
            continue
        kept = folder / entry["aside"]
        old = _lstat(kept)
        if old is None:
            continue  # never set aside, or already put back: ``final`` is the old file
        if now is not None and (now.st_dev, now.st_ino) == (old.st_dev, old.st_ino):
            os.unlink(kept)  # ``final`` is still the old file: drop the second name
        else:
            os.replace(kept, final)
    fsync_path(folder)
    shutil.rmtree(folder / record["staged"], ignore_errors=True)
    _remove(journal)


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _write_journal(journal: Path, record: dict[str, Any]) -> None:
    """Write ``journal`` whole (a temporary file, flushed, renamed) and flush the folder."""
    tmp = temp_path(journal)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        try:
            os.write(fd, json.dumps(record).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, journal)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_path(journal.parent)


def _remove(journal: Path) -> None:
    os.unlink(journal)
    fsync_path(journal.parent)


def _read_journal(journal: Path) -> dict[str, Any]:
    """The record in ``journal``, checked to name only files beside it."""
    try:
        with journal.open("rb") as fh:
            record = json.loads(fh.read(JOURNAL_CAP))
    except (OSError, ValueError, RecursionError):
        record = None
    main = JOURNAL_NAME.match(journal.name)
    name = main["name"] if main else journal.name
    if not _valid(record) or record["files"][-1]["name"] != name:
        raise InputError(
            f"{shown(journal)}: an export's journal that aligner cannot read (damaged or "
            f"edited); remove it, then export {shown(journal.parent / name)} again with --force"
        )
    assert isinstance(record, dict)
    return record


def _valid(record: object) -> bool:
    if not isinstance(record, dict) or not isinstance(record.get("files"), list):
        return False
    staged = record.get("staged")
    if not isinstance(staged, str) or TEMP_NAME.match(staged) is None or "/" in staged:
        return False
    return bool(record["files"]) and all(_valid_entry(e) for e in record["files"])


def _valid_entry(entry: object) -> bool:
    if not isinstance(entry, dict):
        return False
    name, aside = entry.get("name"), entry.get("aside")
    if not isinstance(name, str) or name in ("", ".", "..") or "/" in name or "\0" in name:
        return False
    if not all(isinstance(entry.get(k), int) for k in ("dev", "ino")):
        return False
    if aside is None:
        return True
    match = TEMP_NAME.match(aside) if isinstance(aside, str) else None
    return match is not None and match["name"] == name and "/" not in aside
