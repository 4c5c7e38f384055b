"""Content digests of input files, read once: a small cache keyed by what ``stat`` says.

A build is reused when its inputs have the same *content*, whatever their
paths or modification times (``touch``, a git checkout or a copy changes
those, not the bytes). Hashing a large corpus on every run would cost as
much as reading it, so each digest is remembered in
``<cache>/hashes/<sha256 of the absolute path>.json`` together with the
file's size, modification and change times (ns), inode and device. While
these are the same the file is not read again; any difference (an edit, a
``touch``, a copy over it) hashes it anew.

The cache is only an optimisation: an entry is written to a temporary name
and renamed into place (two processes writing the same entry both write a
whole, correct one), a damaged or foreign entry is ignored, and a cache
directory that cannot be written leaves hashing as it is, uncached. A file
changed in the last :data:`RACY_NS` is hashed but not remembered: a write in
the same tick of the file system's clock could leave its times unchanged.

Example:
    >>> file_digest("data_samples/corpus.txt")  # doctest: +SKIP
    'b1946ac92492d2347c6235b4d2611184...'
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from pathlib import Path
from typing import Any

__all__ = ["cache_root", "file_digest"]

CHUNK = 1 << 20
#: files whose times are this recent are not remembered (file system clocks are coarse)
RACY_NS = 50_000_000


def cache_root(cache: str | os.PathLike[str] | None = None) -> Path:
    """The hash cache directory: ``<cache>/hashes``, the cache being ``cache``, else
    ``$ALIGNER_CACHE``, else the user cache directory (as for downloads)."""
    from aligner.pretrained.download import cache_folder

    return cache_folder(cache) / "hashes"


def _identity(info: os.stat_result) -> dict[str, int]:
    return {
        "size": info.st_size,
        "mtime_ns": info.st_mtime_ns,
        "ctime_ns": info.st_ctime_ns,
        "inode": info.st_ino,
        "device": info.st_dev,
    }


def _entry(root: Path, absolute: str) -> Path:
    return root / f"{hashlib.sha256(absolute.encode('utf-8', 'surrogateescape')).hexdigest()}.json"


def _read_entry(entry: Path, absolute: str, identity: dict[str, int]) -> str | None:
    try:
        data: Any = json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("path") != absolute:
        return None
    if any(data.get(k) != v for k, v in identity.items()):
        return None
    digest = data.get("sha256")
    return digest if isinstance(digest, str) and len(digest) == 64 else None


def _write_entry(entry: Path, record: dict[str, Any]) -> None:
    from aligner.atomic import write_cache_entry

    write_cache_entry(entry, lambda fh: fh.write(json.dumps(record).encode("utf-8")))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_digest(
    path: str | os.PathLike[str], *, cache: str | os.PathLike[str] | None = None
) -> str:
    """The sha256 (hex) of a regular file's bytes, from the cache when the file is unchanged.

    Args:
        path: the file.
        cache: the cache root (default: ``$ALIGNER_CACHE`` or the user cache).

    Raises:
        OSError: the file cannot be read (a non-regular file is refused with
            ``IsADirectoryError``/``OSError``, never read).
    """
    path = Path(path)
    absolute = os.path.abspath(path)
    started = time.time_ns()
    before = os.stat(path)
    if not stat.S_ISREG(before.st_mode):
        raise OSError(f"{path} is not a regular file")
    identity = _identity(before)
    entry = _entry(cache_root(cache), absolute)
    cached = _read_entry(entry, absolute, identity)
    if cached is not None:
        return cached
    digest = _sha256(path)
    settled = started - max(before.st_mtime_ns, before.st_ctime_ns) > RACY_NS
    if settled and _identity(os.stat(path)) == identity:  # else it may change unseen
        _write_entry(entry, {"path": absolute, **identity, "sha256": digest})
    return digest
