"""Atomic outputs: a file or directory appears complete under its name, or not at all.

Everything aligner writes (artifacts, vocabulary files, vectors files, encoded
Parquet) is written beside its final path under a hidden temporary name,
flushed to disk, and renamed into place. An error or an interrupt removes the
temporary file and leaves any older output untouched.

Example:
    >>> with atomic_file(Path("out/vocab.tsv")) as tmp:  # doctest: +SKIP
    ...     tmp.write_text("guitar\\t3\\n", encoding="utf-8")
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aligner.errors import InputError

__all__ = ["atomic_file", "check_file_output", "fsync_path", "place_directory", "sha256_file"]


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


def check_file_output(path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Check, before any long work, that a file may be written at ``path``.

    Raises:
        InputError: ``path`` is a directory, or exists and ``force`` is false.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"output {path} is a directory; choose a file name for --out")
    if path.exists() and not force:
        raise InputError(f"output file {path} already exists; pass --force to replace it")
    return path


@contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` when the block ends.

    The caller writes the temporary file in any way it likes. When the block
    completes, the file is flushed to disk, given the usual permissions
    (``0o666`` less the umask) and renamed to ``path``; when it raises, the
    file is removed, and so are the directories made for it.
    """
    created = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        fsync_path(tmp)
        os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes it private; an output is not
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        for folder in created:  # deepest first: the directories made for this output
            try:
                folder.rmdir()
            except OSError:
                break
        raise


def place_directory(tmp: Path, out: Path) -> None:
    """Rename the finished directory ``tmp`` to ``out``, replacing an old one last."""
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
        old.rmdir()
        os.rename(out, old)
        os.rename(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, out)
    fsync_path(out.parent)
