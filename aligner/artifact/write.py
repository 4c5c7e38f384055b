"""Write an artifact directory so that readers and crashes only ever see a whole one.

A new artifact is written into a temporary directory beside ``out`` and
renamed into place. An existing one is replaced inside the directory, which
stays a plain directory (``cp -r`` and ``tar`` work on it):

1. the data files are written under temporary names in ``out``, flushed, and
   renamed to names made of their content (``vectors.<sha256[:16]>.npy``);
   the old artifact's files are untouched;
2. the new manifest is renamed over ``manifest.json`` in one step: a reader
   sees the old artifact or the new one, whole;
3. the files no manifest names any more are removed.

The renames and the clean-up run under a lock on ``out`` (``flock`` on the
directory itself: no lock file to leave behind or copy along, released by the
system when the holder dies), so two writers of one output take turns and the
last one's artifact stands. A writer killed at any point leaves
the old (or the new) artifact loadable; its temporaries carry its process id
and are removed by the next writer, or by :func:`check_output`, once it is gone.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aligner.artifact.layout import (
    DATA_NAME,
    MANIFEST,
    VERSION_1_NAMES,
    file_names,
    parse_manifest,
    shown,
)
from aligner.artifact.stage import manifest as manifest_of
from aligner.artifact.stage import stored_matrix, write_files, write_json
from aligner.atomic import (
    TEMP_NAME,
    fsync_path,
    lock_directory,
    sweep_temporaries,
    temp_directory,
    temp_path,
)
from aligner.errors import ArtifactError, ArtifactExistsError
from aligner.tokenize import TokenizerSpec
from aligner.vocab import Vocab

__all__ = ["check_output", "sweep_output", "write_artifact"]

# what rename() says when ``out`` appeared (or is a link or a mount point) meanwhile
TAKEN = (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR, errno.EISDIR, errno.EBUSY, errno.EXDEV)


def check_output(out: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Check that an artifact may be written at ``out``, before any long work.

    What killed writers left at ``out`` (temporaries, files of an unfinished
    replacement) is removed first, see :func:`sweep_output`.

    Raises:
        ArtifactExistsError: ``out`` exists and ``force`` is false.
        ArtifactError: ``out`` is a file, or a non-empty directory that is
            not an aligner artifact (never replaced, even with ``force``).
    """
    out = Path(out)
    sweep_output(out)
    if not os.path.lexists(out):
        return out
    if not out.is_dir():
        raise ArtifactError(
            f"output {shown(out)} exists and is not a directory; choose another --out"
        )
    if not force:
        raise ArtifactExistsError(
            f"output directory {shown(out)} already exists; pass --force to replace it"
        )
    if not _ours(out):
        raise ArtifactError(
            f"output directory {shown(out)} is not empty and holds no aligner artifact; "
            "refusing to replace it, choose another --out"
        )
    return out


def _ours(out: Path) -> bool:
    """Whether ``out`` holds an artifact, or nothing but what an aligner writer leaves."""
    if (out / MANIFEST).is_file():
        return True
    return all(TEMP_NAME.match(name) or DATA_NAME.match(name) for name in os.listdir(out))


def sweep_output(out: str | os.PathLike[str]) -> None:
    """Remove what killed writers of ``out`` left: temporaries beside and inside it,
    and data files no manifest names. Skipped while another writer holds ``out``."""
    out = Path(out)
    sweep_temporaries(out.parent, out.name)
    if not out.is_dir() or not (out / MANIFEST).is_file():
        return
    try:
        with lock_directory(out, wait=False) as dfd:
            if dfd is not None:
                sweep_temporaries(out)
                _remove_unreferenced(dfd, set())
    except OSError:
        return  # not ours to tidy (permissions): the next writer will


def write_artifact(
    out: str | os.PathLike[str],
    matrix: np.ndarray,
    vocab: Vocab,
    provenance: Sequence[str],
    *,
    sections: dict[str, Any] | None = None,
    tokenizer: TokenizerSpec | None = None,
    force: bool = False,
    dtype: str = "float32",
) -> Path:
    """Write an artifact directory atomically.

    Args:
        out: the directory to create (or replace, with ``force``).
        matrix: ``(len(vocab), dim)`` float32 embedding matrix.
        vocab: the vocabulary, row i = token i.
        provenance: the match kind of every row.
        sections: further manifest sections (source, fill, coverage,
            metadata, ...), stored as given.
        tokenizer: the tokenizer spec, stored in the manifest; a
            sentencepiece model is written beside it.
        force: replace an existing artifact at ``out``.
        dtype: storage type, ``"float32"`` or ``"float16"`` (half the size;
            layers still come out float32).

    Returns:
        The artifact path.

    Raises:
        ArtifactExistsError: ``out`` exists and ``force`` is false.
        ArtifactError: shapes disagree, a token cannot be stored, values
            overflow float16, or the disk refuses the write (full, read-only).

    Example:
        >>> write_artifact("build/a", matrix, vocab, kinds, force=True)  # doctest: +SKIP
    """
    matrix = stored_matrix(matrix, vocab, provenance, dtype)
    out = check_output(out, force=force)
    written: list[Path] = []  # temporaries to remove, whatever happens
    staging: Path | None = None
    try:
        if not out.is_dir():
            staging = temp_directory(out)
        files = write_files(staging or out, matrix, vocab, provenance, tokenizer, written)
        manifest = manifest_of(files, sections or {})
        if staging is None:
            manifest_tmp = temp_path(out / MANIFEST)
            written.append(manifest_tmp)
            write_json(manifest_tmp, manifest)
            _install(out, files.moves, manifest_tmp, force=force)
            return out
        for tmp, name in files.moves:
            os.rename(tmp, staging / name)
        write_json(staging / MANIFEST, manifest)
        fsync_path(staging)
        if not _place_new(staging, out):  # ``out`` appeared meanwhile: replace it in place
            moves = [(staging / name, name) for _, name in files.moves]
            _install(out, moves, staging / MANIFEST, force=force)
        return out
    except OSError as exc:
        raise _write_error(out, exc) from None
    finally:
        for tmp in written:
            tmp.unlink(missing_ok=True)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _write_error(out: Path, exc: OSError) -> ArtifactError:
    where = exc.filename or out
    if exc.errno == errno.ENOSPC:
        remedy = "free some space or choose another --out"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        remedy = "make it writable or choose another --out"
    else:
        remedy = "check the output location and run again"
    return ArtifactError(
        f"cannot write artifact {shown(out)}: {exc.strerror or exc} ({shown(where)}); {remedy}"
    )


def _place_new(staging: Path, out: Path) -> bool:
    """Rename the finished ``staging`` to ``out``; ``False`` when ``out`` appeared meanwhile."""
    try:
        os.rename(staging, out)
    except OSError as exc:
        if exc.errno in TAKEN:
            return False
        raise
    fsync_path(out.parent)
    return True


def _install(out: Path, moves: list[tuple[Path, str]], manifest_tmp: Path, *, force: bool) -> None:
    """Move the data files, then the manifest, into ``out`` under its lock; tidy after."""
    with contextlib.ExitStack() as stack:
        try:
            dfd = stack.enter_context(lock_directory(out))
        except (FileNotFoundError, NotADirectoryError):
            raise ArtifactError(
                f"output {shown(out)} changed while this build was writing it (it is now missing "
                "or not a directory); run the build again"
            ) from None
        assert dfd is not None
        _check_replaceable(out, dfd, force=force)
        previous = _current_names(dfd) or set()
        sweep_temporaries(out)
        try:
            for tmp, name in moves:
                os.rename(tmp, name, dst_dir_fd=dfd)
            os.fsync(dfd)
            os.rename(manifest_tmp, MANIFEST, dst_dir_fd=dfd)
            os.fsync(dfd)
        except BaseException:
            _remove_unreferenced(dfd, set())  # what this writer moved in, unless named
            raise
        _remove_unreferenced(dfd, previous)


def _check_replaceable(out: Path, dfd: int, *, force: bool) -> None:
    names = os.listdir(dfd)
    if MANIFEST not in names and not all(TEMP_NAME.match(n) or DATA_NAME.match(n) for n in names):
        raise ArtifactError(
            f"output directory {shown(out)} is not empty and holds no aligner artifact; "
            "refusing to replace it, choose another --out"
        )
    if MANIFEST in names and not force:
        raise ArtifactExistsError(
            f"output directory {shown(out)} was written by another process during this build; "
            "pass --force to replace it"
        )


def _current_names(dfd: int) -> set[str] | None:
    """The file names the manifest in ``dfd`` refers to; ``None`` when it cannot be read."""
    try:
        fd = os.open(MANIFEST, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dfd)
    except FileNotFoundError:
        return set()
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as fh:
            return file_names(parse_manifest(fh.read(64 << 20), Path(MANIFEST)))
    except Exception:
        return None


def _remove_unreferenced(dfd: int, previous: set[str]) -> None:
    """Remove data files the current manifest does not name: content-named ones, and
    the fixed names of format 1 when the ``previous`` manifest named them.

    Nothing is removed when the current manifest cannot be read: then nobody
    can tell which files are the artifact.
    """
    current = _current_names(dfd)
    if current is None:
        return
    for name in os.listdir(dfd):
        if name in current or name == MANIFEST:
            continue
        if not (DATA_NAME.match(name) or (name in previous and name in VERSION_1_NAMES)):
            continue
        try:
            os.unlink(name, dir_fd=dfd)
        except OSError:
            continue
