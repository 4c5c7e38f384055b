"""Cache entries: one writer at a time, whole files only, checked every time they are used.

An entry of the cache (a downloaded file, a decompressed model) is written
while its writer holds a lock on ``<entry>.lock``: a second process that needs
the same entry waits, then finds it made. The writer fills a temporary name and
renames it into place whole, so no reader ever sees half a file; temporaries a
crashed writer left are removed by the next one. Beside the entry a sidecar
``<entry>.sha256`` records the file's digest and when it was verified::

    <sha256>  <name>
    # verified size=<bytes> mtime_ns=<ns> ctime_ns=<ns> inode=<n>
    # also md5=<hex> git-sha1=<hex>

(the first line is ``sha256sum``'s format; the third, present when the source
published another digest, lists those checked too). On every use the size is compared
with the record; the file is hashed again only when its identity (size, times,
inode) changed since it was last verified, so a multi-GB file is not re-read on
every use, and a file changed in place is caught.

Environment:
    ALIGNER_LOCK_TIMEOUT: seconds to wait while another process writes an
    entry (default 10800, three hours: long enough for a large download).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from aligner.atomic import atomic_file
from aligner.errors import DownloadError, InputError
from aligner.pretrained.verify import Digests
from aligner.progress import SILENT, Progress

__all__ = [
    "ABSENT",
    "CHUNK_SIZE",
    "Record",
    "env_number",
    "forget",
    "hash_file",
    "lock_timeout",
    "locked",
    "one_line",
    "problem",
    "read_record",
    "read_validator",
    "sweep",
    "validator_path",
    "write_record",
    "write_remedy",
    "write_validator",
]

CHUNK_SIZE = 1 << 20
DEFAULT_LOCK_TIMEOUT = 3 * 3600.0
ABSENT = "absent"
_STAMP = re.compile(r"#\s*verified\s+size=(\d+)\s+mtime_ns=(\d+)\s+ctime_ns=(\d+)\s+inode=(\d+)")
_ALSO = re.compile(r"([a-z0-9-]+)=([0-9a-f]+)")

Stamp = tuple[int, int, int, int]


def env_number(name: str, default: float | None) -> float | None:
    """A positive number from environment variable ``name``, else ``default``.

    Raises:
        InputError: the variable is set to something other than a positive number.
    """
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise InputError(f"{name}={text!r} is not a positive number; fix or unset it")
    return value


def one_line(text: object) -> str:
    """``text`` with every run of whitespace (newlines included) made one space."""
    return " ".join(str(text).split())


_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_DENIED = (errno.EACCES, errno.EPERM, errno.EROFS)


def write_remedy(exc: OSError) -> str:
    """``<what went wrong>: <what to do>`` for an error writing into the cache, by errno."""
    if exc.errno in _FULL:
        return (
            "no space left: free some space or set ALIGNER_CACHE (or --cache-dir) "
            "to a folder on a bigger disk"
        )
    what = one_line(exc.strerror or exc)
    if exc.errno in _DENIED:
        return (
            f"{what}: make the folder writable or set ALIGNER_CACHE (or --cache-dir) "
            "to a writable folder"
        )
    return f"{what}: check the folder or set ALIGNER_CACHE (or --cache-dir) to another folder"


def validator_path(part: Path) -> Path:
    """The sidecar of a partial download: what identified the file it is the start of."""
    return part.with_name(part.name + ".validator")


def read_validator(part: Path) -> dict[str, str | int] | None:
    """The ``ETag`` / ``Last-Modified`` / total size recorded beside ``part``, or None."""
    try:
        data = json.loads(validator_path(part).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("if_range"), str):
        return None
    return {k: v for k, v in data.items() if isinstance(v, (str, int))}


def write_validator(part: Path, data: dict[str, str | int] | None) -> None:
    """Record (atomically) what identifies the file ``part`` is the start of; None removes it."""
    if data is None:
        validator_path(part).unlink(missing_ok=True)
        return
    with atomic_file(validator_path(part)) as tmp:
        tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")


def sidecar(final: Path) -> Path:
    return final.with_name(final.name + ".sha256")


def lock_path(final: Path) -> Path:
    return final.with_name(final.name + ".lock")


def hash_file(
    path: Path, limit: int | None = None, kinds: Iterable[str] = (), size: int | None = None
) -> Digests:
    """The digests of ``path`` (its first ``limit`` bytes when given), still open to more.

    Args:
        kinds: the digests besides sha256 (``md5``, ``git-sha1``).
        size: the whole file's size, when ``limit`` stops short of it (``git-sha1``).
    """
    return Digests.of_file(path, kinds, size, limit)


def _stamp(st: os.stat_result) -> Stamp:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


@dataclass(frozen=True)
class Record:
    """What a sidecar says: the file's sha256, its identity when that was verified,
    and the other digests (``md5``, ``git-sha1``) checked then."""

    digest: str
    stamp: Stamp | None
    others: Mapping[str, str] = field(default_factory=dict)


def read_record(final: Path) -> Record | None:
    """The sidecar's record, or None when there is none (or it is unreadable)."""
    try:
        lines = sidecar(final).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    words = lines[0].split() if lines else []
    if not words or not re.fullmatch(r"[0-9a-fA-F]{64}", words[0]):
        return None
    match = _STAMP.fullmatch(lines[1].strip()) if len(lines) > 1 else None
    stamp = tuple(int(g) for g in match.groups()) if match else None
    also = lines[2].strip() if len(lines) > 2 and lines[2].startswith("# also ") else ""
    others = dict(_ALSO.findall(also))
    return Record(words[0].lower(), stamp, others)  # type: ignore[arg-type]


def write_record(final: Path, digest: str, others: Mapping[str, str] | None = None) -> None:
    """Record ``final``'s sha256 (and ``others``, other digests), verified now, in its
    sidecar (atomically)."""
    size, mtime, ctime, inode = _stamp(final.stat())
    text = (
        f"{digest}  {final.name}\n"
        f"# verified size={size} mtime_ns={mtime} ctime_ns={ctime} inode={inode}\n"
    )
    if others:
        text += "# also " + " ".join(f"{k}={v}" for k, v in sorted(others.items())) + "\n"
    with atomic_file(sidecar(final)) as tmp:
        tmp.write_text(text, encoding="utf-8")


def problem(
    final: Path,
    *,
    sha256: str | None = None,
    size: int | None = None,
    verify: bool = True,
    others: Mapping[str, str] | None = None,
) -> str | None:
    """Why the entry ``final`` cannot be used as it is, or None when it can.

    Args:
        final: the entry's path.
        sha256: the digest it must have, when known.
        size: the size it must have, when known.
        verify: hash the file when its identity changed since its record, or a
            digest of ``others`` is not recorded (and record the result); when
            false, such a file is reported as needing it, and nothing is read
            or written besides the sidecar.
        others: other digests it must have (``{"md5": hex}``, ``{"git-sha1": hex}``).

    Returns:
        None (usable), :data:`ABSENT`, or a short reason ("its size ... ").
    """
    try:
        st = final.stat()
    except OSError:
        return ABSENT
    if not final.is_file():
        return "it is not a regular file"
    if size is not None and st.st_size != size:
        return f"its size is {st.st_size} bytes, not the expected {size}"
    record = read_record(final)
    if record is not None and record.stamp is not None and record.stamp[0] != st.st_size:
        return f"its size is {st.st_size} bytes, but {record.stamp[0]} were recorded"
    wanted = dict(others or {})
    if record is None or record.stamp != _stamp(st) or not wanted.keys() <= record.others.keys():
        if not verify:
            return "it needs verifying"
        kinds = {*wanted, *(record.others if record is not None else ())}
        digests = hash_file(final, kinds=kinds)
        if record is not None and digests.hexdigest() != record.digest:
            return "its sha256 differs from the one recorded when it was written"
        record = Record(digests.hexdigest(), _stamp(st), digests.others())
        with contextlib.suppress(OSError):  # a read-only cache: verified, not recorded
            write_record(final, record.digest, record.others)
    expected = {"sha256": sha256} if sha256 is not None else {}
    for kind, value in (expected | wanted).items():
        have = record.digest if kind == "sha256" else record.others.get(kind)
        if have != value.lower():
            return f"its {kind} is {have}, not the expected {value.lower()}"
    return None


def forget(final: Path, *also: Path) -> None:
    """Remove the entry, its sidecar and the given companions (the lock stays)."""
    for path in (final, sidecar(final), *also):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def sweep(final: Path) -> None:
    """Remove temporaries that crashed writers of ``final`` left; call it holding the lock."""
    prefix = f".{final.name}."
    with contextlib.suppress(OSError):
        for path in final.parent.iterdir():
            if path.name.startswith(prefix) and path.name.endswith(".tmp"):
                path.unlink(missing_ok=True)


def lock_timeout() -> float:
    """Seconds to wait for another writer: ``$ALIGNER_LOCK_TIMEOUT``, else three hours.

    Raises:
        InputError: the variable is set to something other than a positive number.
    """
    value = env_number("ALIGNER_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT)
    return DEFAULT_LOCK_TIMEOUT if value is None else value


@contextmanager
def locked(final: Path, *, progress: Progress = SILENT) -> Iterator[None]:
    """Hold the lock of the entry ``final``, waiting (with a progress bar) while another has it.

    Raises:
        DownloadError: another process kept it past ``ALIGNER_LOCK_TIMEOUT`` seconds.
        OSError: the lock file cannot be created (a read-only cache).
    """
    path, limit = lock_path(final), lock_timeout()  # a wrong setting is refused at once
    lock = FileLock(str(path), thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        with progress.bar(f"waiting for another aligner process: {final.name}") as bar:
            bar.status(str(path))
            try:
                lock.acquire(timeout=limit)
            except Timeout:
                raise DownloadError(
                    f"{final}: another process has been writing it for over {limit:g} s "
                    f"(lock {path}); wait for it to finish or stop it, or raise "
                    "ALIGNER_LOCK_TIMEOUT"
                ) from None
    try:
        yield
    finally:
        lock.release()
