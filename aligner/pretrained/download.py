"""Download pretrained vectors into a checksummed cache, resuming interrupted transfers.

A URL's file lands at ``<cache>/downloads/<16 hex of sha256(url)>/<name>``. One
process at a time writes it (a lock on ``<name>.lock``; another waits, then uses
the finished file). While bytes arrive they go to ``<name>.part``; only a file
whose size and checksum (where known) are confirmed, which is not a web page and
whose first bytes match its compression suffix, is renamed to ``<name>``
(atomically), with a ``<name>.sha256`` sidecar (see :mod:`aligner.pretrained.cache`).
A cached file is checked against its sidecar every time it is used; one that
changed is removed and downloaded again. An interrupted transfer leaves its
``.part`` and the next call asks the server for the rest (HTTP ``Range``), but only
of the same file: the first reply's ``ETag`` / ``Last-Modified`` is kept beside the
part (``<name>.part.validator``) and sent as ``If-Range``; with no validator the
download starts over (or, when the sha256 is known, resumes and starts over if
the result does not match). Credentials in a URL never appear in a message.
Slow, endless and overlong transfers are stopped (:mod:`aligner.pretrained.transfer`).
Archives are never extracted: a zip is only checked for member names that would
climb out of it, and read in place later.

Example:
    >>> path, entry = fetch("glove.6B.50d")  # doctest: +SKIP
    >>> path.name, entry.member  # doctest: +SKIP
    ('glove.6B.zip', 'glove.6B.50d.txt')
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
import zipfile
from contextlib import ExitStack
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import platformdirs

from aligner.atomic import fsync_path
from aligner.errors import (
    AlignerError,
    ChecksumError,
    DownloadError,
    InputError,
    UnknownNameError,
    VectorsFormatError,
)
from aligner.pretrained import cache as entries
from aligner.pretrained.archive import check_member_name, compression_of, looks_compressed
from aligner.pretrained.cache import one_line, write_remedy
from aligner.pretrained.registry import Entry, get, unknown_name_message
from aligner.pretrained.transfer import (
    LOCAL_HINT,
    Limits,
    StartOver,
    check_url,
    html_refusal,
    receive,
    redact,
    request,
    without_userinfo,
)
from aligner.progress import SILENT, Progress

__all__ = ["CHUNK_SIZE", "cache_dir", "cached_path", "download", "fetch", "file_sha256"]

CHUNK_SIZE = entries.CHUNK_SIZE
_PATH_SUFFIXES = {".txt", ".vec", ".bin", ".gz", ".zip", ".bz2", ".xz", ".w2v", ".glove"}
_NAME_BYTES = 200  # well under the 255 bytes a file name may have
_log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """The cache root: ``$ALIGNER_CACHE`` if set, else the user cache dir for aligner."""
    env = os.environ.get("ALIGNER_CACHE")
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("aligner"))


def cached_path(url: str, cache: str | os.PathLike[str] | None = None) -> Path:
    """Where ``url``'s file lives once downloaded (whether or not it is there yet).

    The folder is named by a hash of the URL without its ``user:password@``.
    """
    root = Path(cache).expanduser() if cache is not None else cache_dir()
    with contextlib.suppress(ValueError):  # check_url refuses it
        url = without_userinfo(url)[0]
    key = hashlib.sha256(url.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    name = PurePosixPath(unquote(urlsplit(url).path)).name.replace("\\", "_")
    name = re.sub(r"[\x00-\x1f\x7f]", "_", name)
    while len(name.encode("utf-8", "surrogateescape")) > _NAME_BYTES:
        name = name[1:]  # keep the end: the suffixes say what the file is
    return root / "downloads" / key / (name if name not in ("", ".", "..") else "download")


def _part(final: Path) -> Path:
    return final.with_name(final.name + ".part")


def _discard(final: Path) -> None:
    """Remove everything cached for this URL but its lock (file, partial file, sidecars)."""
    entries.forget(final, _part(final), entries.validator_path(_part(final)))


def _drop_part(final: Path) -> None:
    """Remove the partial file and its validator: the next transfer starts from byte 0."""
    _part(final).unlink(missing_ok=True)
    entries.validator_path(_part(final)).unlink(missing_ok=True)


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The sha256 (hex) of a file: the digest recorded beside a cached download when
    the file is unchanged since it was verified, else computed over the file."""
    path = Path(path)
    record = entries.read_record(path)
    if record is not None and entries.problem(path, verify=False) is None:
        return record.digest
    return entries.hash_file(path).hexdigest()


def _content_problem(final: Path, path: Path) -> str | None:
    """Why the bytes of ``path`` (to become ``final``) are not a vectors file or archive."""
    with path.open("rb") as stream:
        head = stream.read(1024)
    if not head:
        return "it is empty"
    if re.match(rb"(?:\xef\xbb\xbf)?\s*<(?:!doctype\s+html|html)[\s>]", head[:512], re.I):
        return "it is a web page (HTML)"
    kind = compression_of(final)
    if kind not in (None, "zip") and not looks_compressed(head, kind):  # zip: checked whole
        return f"it is not {kind} data, as its name says (it starts with {head[:12]!r})"
    return None


def _transfer(
    url: str, part: Path, size: int | None, sha256: str | None, limits: Limits, progress: Progress
) -> tuple[str, bool]:
    """Bring ``part`` up to the whole file; return its sha256 (hex) and whether it was resumed.

    A part is resumed only when the validator of the file it began is known (or
    the final sha256 is: a splice is caught then); else it starts over.
    """
    have = part.stat().st_size if part.is_file() else 0
    validator = entries.read_validator(part) if have else None
    if have and validator is None and sha256 is None:
        _log.info("%s: nothing identifies the file %s began; starting over", redact(url), part)
        have = 0
    reply = request(url, have, limits, validator)
    if reply.response is None:  # 416: nothing after `have`; whole only if a size confirms it
        if (reply.total if reply.total is not None else size) != have:
            raise StartOver
        return entries.hash_file(part).hexdigest(), True
    with reply.response:
        if not reply.start:  # the file's validator first: a part always knows its origin
            entries.write_validator(part, reply.validator)
        if size is not None and reply.total is not None and reply.total != size:
            raise ChecksumError(
                f"{redact(url)}: the server offers {reply.total} bytes but the expected size "
                f"is {size} bytes; nothing was kept: check the URL, {LOCAL_HINT}"
            )
        expect = size if size is not None else reply.total
        start = reply.start
        hasher = entries.hash_file(part, start) if start else hashlib.sha256()
        got = receive(
            url, reply, part, expect=expect, hasher=hasher, limits=limits, progress=progress
        )
    if expect is not None and got < expect:
        raise DownloadError(
            f"download of {redact(url)} was interrupted after {got} of {expect} bytes; "
            f"run the same command again to resume, {LOCAL_HINT}"
        )
    return hasher.hexdigest(), bool(start)


def _check_zip(url: str, part: Path) -> None:
    try:
        with zipfile.ZipFile(part) as archive:
            for info in archive.infolist():
                check_member_name(url, info.filename)
    except zipfile.BadZipFile:
        raise VectorsFormatError(
            f"{redact(url)} did not give a valid zip file; it was removed from the cache"
        ) from None


def _finish(url: str, final: Path, digest: str, sha256: str | None, size: int | None) -> None:
    """Verify the complete ``.part`` and give it its final name; discard it if it fails."""
    part = _part(final)
    actual = part.stat().st_size
    try:
        if size is not None and actual != size:
            raise ChecksumError(
                f"{redact(url)}: expected {size} bytes, got {actual}; the download was removed, "
                "run the command again to download it afresh"
            )
        if sha256 is not None and digest != sha256.lower():
            raise ChecksumError(
                f"{redact(url)}: sha256 mismatch: expected {sha256.lower()}, got {digest}; "
                "the download was removed (a corrupted or changed file): try again or check "
                "the source"
            )
        why = _content_problem(final, part)
        if why == "it is a web page (HTML)":
            raise html_refusal(url, "an HTML body")
        if why is not None:
            raise VectorsFormatError(
                f"{redact(url)} is not a vectors file or archive: {why}; nothing was kept: "
                f"check the URL, {LOCAL_HINT}"
            )
        if compression_of(final) == "zip":
            _check_zip(url, part)
    except (DownloadError, VectorsFormatError):
        _discard(final)
        raise
    fsync_path(part)
    os.replace(part, final)
    entries.validator_path(part).unlink(missing_ok=True)
    entries.write_record(final, digest)


def _usable(final: Path, sha256: str | None, size: int | None) -> str | None:
    """Why the cached ``final`` cannot be used (None: it can); a bad one is removed."""
    why = entries.problem(final, sha256=sha256, size=size)
    if why is None:
        why = _content_problem(final, final)
    if why not in (None, entries.ABSENT):
        _discard(final)
        _log.warning("the cached %s was removed (%s); downloading it again", final, why)
    return why


def download(
    url: str,
    *,
    sha256: str | None = None,
    size: int | None = None,
    cache: str | os.PathLike[str] | None = None,
    progress: Progress = SILENT,
    timeout: float = 30.0,
    deadline: float | None = None,
    low_speed_bytes: int | None = None,
    low_speed_time: float | None = None,
    max_bytes: int | None = None,
) -> Path:
    """Download ``url`` into the cache (or find it there, checked) and return the file's path.

    Args:
        url: an ``http(s)://`` URL.
        sha256: the expected sha256 (hex); checked when given.
        size: the expected size in bytes; checked when given, and while streaming.
        cache: the cache root (default :func:`cache_dir`).
        progress: receives a ``download <name>`` bar counted in bytes.
        timeout: seconds to wait on the connection before giving up.
        deadline: seconds the whole transfer may take (default
            ``$ALIGNER_DOWNLOAD_DEADLINE``, else no deadline).
        low_speed_bytes, low_speed_time: stop when fewer than ``low_speed_bytes``
            arrived in ``low_speed_time`` seconds (defaults 1024 and 60, or
            ``$ALIGNER_DOWNLOAD_LOW_SPEED_BYTES`` / ``_TIME``).
        max_bytes: the most bytes accepted when no size is known (default
            32 GiB, or ``$ALIGNER_DOWNLOAD_MAX_BYTES``).

    Returns:
        The path of the complete, verified file (``.zip`` files are not extracted).

    Raises:
        InputError: ``sha256`` is not 64 hex digits, or ``size`` is negative.
        DownloadError: an invalid URL, an HTTP error, a web page, offline /
            unreachable / interrupted / too slow (the partial file is kept and
            the next call resumes it), or another process kept the entry locked.
        ChecksumError: the size or sha256 is not the expected one (nothing is kept).
        VectorsFormatError: not the kind of file its name says, or a zip that is
            invalid or has unsafe member names (removed).

    Example:
        >>> download("https://example.org/vectors.txt.gz", size=1234)  # doctest: +SKIP
        PosixPath('/home/me/.cache/aligner/downloads/3f2a.../vectors.txt.gz')
    """
    try:
        return _download_url(
            url, sha256, size, cache, progress,
            Limits.resolve(
                timeout=timeout, low_speed_bytes=low_speed_bytes, low_speed_time=low_speed_time,
                deadline=deadline, max_bytes=max_bytes,
            ),
        )  # fmt: skip
    except AlignerError as exc:  # one line, and no credential of the URL in it
        message = one_line(exc).replace(url, redact(url))
        userinfo = urlsplit(url).netloc.rpartition("@")[0] if "@" in url else ""
        if userinfo:
            message = message.replace(userinfo + "@", redact(f"//{userinfo}@")[2:])
        if message == str(exc):
            raise
        raise type(exc)(message) from None


def _download_url(
    url: str,
    sha256: str | None,
    size: int | None,
    cache: str | os.PathLike[str] | None,
    progress: Progress,
    limits: Limits,
) -> Path:
    check_url(url)
    if sha256 is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", sha256):
        raise InputError(f"expected sha256 {sha256!r} for {redact(url)} is not 64 hex digits")
    if size is not None and size < 0:
        raise InputError(f"expected size {size} for {redact(url)} is negative")
    final = cached_path(url, cache)
    if entries.problem(final, sha256=sha256, size=size, verify=False) is None:
        return final  # verified before, unchanged since: no lock, no read
    with ExitStack() as stack:
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            stack.enter_context(entries.locked(final, progress=progress))
        except OSError as exc:
            if entries.problem(final, sha256=sha256, size=size) is None:
                return final  # a read-only cache holding a good copy
            raise DownloadError(
                f"cannot write to the cache folder {final.parent} ({write_remedy(exc)})"
            ) from None
        try:
            return _locked_download(url, final, sha256, size, limits, progress)
        except OSError as exc:  # the cache's own files: a full disk, an I/O error
            where = exc.filename or final.parent
            raise DownloadError(
                f"cannot write the cache at {where} ({write_remedy(exc)})"
            ) from None
    raise AssertionError("unreachable")


def _locked_download(
    url: str, final: Path, sha256: str | None, size: int | None, limits: Limits, progress: Progress
) -> Path:
    """Under the entry's lock: the verified cached file, or a fresh download."""
    entries.sweep(final)
    removed = _usable(final, sha256, size)
    if removed is None:
        return final
    if removed == entries.ABSENT:  # a sidecar whose file was deleted: not this file's record
        entries.forget(final)
    try:
        return _download(url, final, sha256, size, limits, progress)
    except DownloadError as exc:
        if removed == entries.ABSENT:
            raise
        raise type(exc)(f"{exc} (the cached copy was removed: {removed})") from None


def _download(
    url: str, final: Path, sha256: str | None, size: int | None, limits: Limits, progress: Progress
) -> Path:
    for _attempt in range(2):
        try:
            digest, resumed = _transfer(url, _part(final), size, sha256, limits, progress)
        except StartOver:
            _drop_part(final)
            continue
        except ChecksumError:
            _discard(final)
            raise
        if resumed and sha256 is not None and digest != sha256.lower():
            _log.warning("%s: the resumed file is not the expected one; starting over", redact(url))
            _drop_part(final)
            continue
        _finish(url, final, digest, sha256, size)
        return final
    raise DownloadError(
        f"{redact(url)}: the server does not resume downloads consistently; {LOCAL_HINT}"
    )


def _looks_like_path(text: str) -> bool:
    return (
        "/" in text
        or os.sep in text
        or text.startswith(("~", "."))
        or Path(text).suffix.lower() in _PATH_SUFFIXES
    )


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return False
        raise VectorsFormatError(f"cannot read {path} ({exc.strerror or exc})") from None


def _local(path: Path) -> Path:
    if path.is_dir():
        raise VectorsFormatError(f"{path} is a folder; pass the vectors file inside it")
    if not path.is_file():
        raise VectorsFormatError(
            f"{path} is not a regular file (a device, FIFO or socket); pass a vectors file"
        )
    return path


def fetch(
    source: str | os.PathLike[str],
    *,
    cache: str | os.PathLike[str] | None = None,
    progress: Progress = SILENT,
) -> tuple[Path, Entry | None]:
    """Resolve a pretrained-vectors source to a local file.

    Args:
        source: an existing local path; an ``http(s)://`` URL; or a registry name
            (see :func:`aligner.pretrained.registry.entries`).
        cache: the cache root (default :func:`cache_dir`).
        progress: receives the download's progress bar.

    Returns:
        ``(path, entry)``: the file, and its registry entry when ``source`` was a name.

    Raises:
        UnknownNameError: neither an existing file, a URL nor a known name.
        VectorsFormatError: a local path that is a folder, a device or a FIFO.
        DownloadError, ChecksumError, VectorsFormatError: see :func:`download`.

    Example:
        >>> fetch("cc.fr.300")  # doctest: +SKIP
        (PosixPath('.../cc.fr.300.vec.gz'), Entry(name='cc.fr.300', ...))
    """
    text = os.fspath(source)
    if "\x00" in text:
        raise UnknownNameError(f"{text!r} contains a NUL character: pass a file, URL or name")
    path = Path(text).expanduser()
    if _exists(path):
        return _local(path), None
    if re.match(r"[a-z][a-z0-9+.-]*://", text, re.I):
        return download(text, cache=cache, progress=progress), None
    try:
        entry = get(text)
    except UnknownNameError:
        if _looks_like_path(text):
            raise UnknownNameError(unknown_name_message(text, looks_like_path=True)) from None
        raise
    found = download(
        entry.url, sha256=entry.sha256, size=entry.size, cache=cache, progress=progress
    )
    return found, entry
