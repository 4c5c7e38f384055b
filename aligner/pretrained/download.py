"""Download pretrained vectors into a checksummed cache, resuming interrupted transfers.

The entrances: :func:`download` brings a URL's file into the cache, checked
against what is expected of it; :func:`fetch` turns any ``--pretrained`` source
into a local file. Every source that is downloaded (a URL, a registry name,
``gensim-data:NAME`` from :mod:`aligner.pretrained.gensim_data`, ``hf://...``
from :mod:`aligner.pretrained.hub`) goes through :func:`download` and so
through one path (:mod:`aligner.pretrained.retrieve`: lock, resume, verify,
rename). A URL's file lands at ``<cache>/downloads/<16 hex of sha256(url)>/<name>``.
Credentials in a URL, and a bearer token, never appear in a message.

Example:
    >>> path, entry = fetch("glove.6B.50d")  # doctest: +SKIP
    >>> path.name, entry.member  # doctest: +SKIP
    ('glove.6B.zip', 'glove.6B.50d.txt')
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import platformdirs

from aligner.errors import AlignerError, InputError, UnknownNameError, VectorsFormatError
from aligner.pretrained import cache as entries
from aligner.pretrained import gensim_data, hub
from aligner.pretrained.cache import one_line
from aligner.pretrained.registry import Entry, get, unknown_name_message
from aligner.pretrained.retrieve import Job, fill
from aligner.pretrained.transfer import Limits
from aligner.pretrained.urls import (
    check_url,
    lower_scheme,
    printable,
    redact,
    with_userinfo_of,
    without_userinfo,
)
from aligner.pretrained.verify import Expected
from aligner.progress import SILENT, Progress

__all__ = [
    "CHUNK_SIZE",
    "cache_dir",
    "cache_folder",
    "cached_path",
    "download",
    "fetch",
    "file_sha256",
]

CHUNK_SIZE = entries.CHUNK_SIZE
_PATH_SUFFIXES = {".txt", ".vec", ".bin", ".gz", ".zip", ".bz2", ".xz", ".w2v", ".glove"}
_NAME_BYTES = 200  # well under the 255 bytes a file name may have


def cache_dir() -> Path:
    """The cache root: ``$ALIGNER_CACHE`` if set, else the user cache dir for aligner.

    Raises:
        InputError: ``$ALIGNER_CACHE`` holds bytes that are not UTF-8.
    """
    env = os.environ.get("ALIGNER_CACHE")
    if env:
        return _utf8(Path(env).expanduser(), "ALIGNER_CACHE")
    return Path(platformdirs.user_cache_dir("aligner"))


def _utf8(root: Path, given: str) -> Path:
    """``root``, refused when its name holds bytes that are not UTF-8: the paths of the
    cache are recorded (artifacts, JSON output) as text."""
    text = str(root)
    if re.search(r"[\udc80-\udcff]", text):
        raise InputError(
            f"the cache folder {printable(text)} ({given}) holds bytes that are not UTF-8, "
            "and the cache's paths are recorded as text: give a folder whose name is UTF-8"
        )
    return root


def cache_folder(cache: str | os.PathLike[str] | None = None) -> Path:
    """The cache root: ``cache`` when given (``--cache-dir``), else :func:`cache_dir`.

    Raises:
        InputError: its name holds bytes that are not UTF-8 (the message names
            ``--cache-dir`` or ``ALIGNER_CACHE``, whichever gave it).

    Example:
        >>> cache_folder("~/vectors-cache").name
        'vectors-cache'
    """
    if cache is None:
        return cache_dir()
    return _utf8(Path(cache).expanduser(), "--cache-dir")


def cached_path(url: str, cache: str | os.PathLike[str] | None = None) -> Path:
    """Where ``url``'s file lives once downloaded (whether or not it is there yet).

    The folder is named by a hash of the URL without its ``user:password@``.
    """
    with contextlib.suppress(ValueError):  # check_url refuses it
        url = without_userinfo(url)[0]
    key = hashlib.sha256(url.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    name = PurePosixPath(unquote(urlsplit(url).path)).name.replace("\\", "_")
    name = re.sub(r"[\x00-\x1f\x7f\udc80-\udcff]", "_", name)  # control, not UTF-8
    while len(name.encode("utf-8", "surrogateescape")) > _NAME_BYTES:
        name = name[1:]  # keep the end: the suffixes say what the file is
    name = name if name not in ("", ".", "..") else "download"
    return cache_folder(cache) / "downloads" / key / name


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The sha256 (hex) of a file: the digest recorded beside a cached download when
    the file is unchanged since it was verified, else computed over the file."""
    path = Path(path)
    record = entries.read_record(path)
    if record is not None and entries.problem(path, verify=False) is None:
        return record.digest
    return entries.hash_file(path).hexdigest()


def download(
    url: str,
    *,
    sha256: str | None = None,
    size: int | None = None,
    md5: str | None = None,
    git_sha1: str | None = None,
    bearer: str | None = None,
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
        url: an ``http(s)://`` URL (the scheme in any case); a ``user:password@``
            in it is sent as HTTP Basic authentication, to its host only.
        sha256: the expected sha256 (hex); checked when given.
        size: the expected size in bytes; checked when given, and while streaming.
        md5: the expected md5 (hex); checked when given.
        git_sha1: the expected git blob id (hex: sha1 of ``blob <size>\\0`` and
            the content, as the Hugging Face Hub reports for a file not in LFS);
            checked when given, with ``size``.
        bearer: a token sent as ``Authorization: Bearer`` to ``url``'s host
            (never after a redirect; never shown).
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
        InputError: a digest of the wrong length, a negative ``size``, or
            ``git_sha1`` without ``size``; an ``ALIGNER_DOWNLOAD_*`` or
            ``ALIGNER_LOCK_TIMEOUT`` variable that is not a positive number; a
            cache folder whose name is not UTF-8 (all refused before any request).
        DownloadError: an invalid URL, an HTTP error, a web page, offline /
            unreachable / interrupted / too slow (the partial file is kept and
            the next call resumes it), or another process kept the entry locked.
        ChecksumError: the size or a digest is not the expected one (nothing is kept).
        VectorsFormatError: not the kind of file its name says, or a zip that is
            invalid or has unsafe member names (removed).

    Example:
        >>> download("https://example.org/vectors.txt.gz", size=1234)  # doctest: +SKIP
        PosixPath('/home/me/.cache/aligner/downloads/3f2a.../vectors.txt.gz')
    """
    url = lower_scheme(url)
    job = Job(url, Expected(sha256=sha256, md5=md5, git_sha1=git_sha1, size=size), bearer)
    try:
        check_url(url)
        job.expected.check(url)
        limits = _limits(
            timeout=timeout, low_speed_bytes=low_speed_bytes, low_speed_time=low_speed_time,
            deadline=deadline, max_bytes=max_bytes,
        )  # fmt: skip
        return fill(job, cached_path(url, cache), limits, progress)
    except AlignerError as exc:  # one line, and no credential of the URL in it
        message = one_line(exc).replace(url, redact(url))
        userinfo = urlsplit(url).netloc.rpartition("@")[0] if "@" in url else ""
        if userinfo:
            message = message.replace(userinfo + "@", redact(f"//{userinfo}@")[2:])
        if bearer:
            message = message.replace(bearer, "***")
        if message == str(exc):
            raise
        raise type(exc)(message) from None


def _limits(
    timeout: float = 30.0,
    *,
    low_speed_bytes: int | None = None,
    low_speed_time: float | None = None,
    deadline: float | None = None,
    max_bytes: int | None = None,
) -> Limits:
    """The transfer's limits (arguments, else the environment), and the lock's timeout
    checked: a variable set wrong is refused before anything is asked of a server."""
    limits = Limits.resolve(
        timeout=timeout, low_speed_bytes=low_speed_bytes, low_speed_time=low_speed_time,
        deadline=deadline, max_bytes=max_bytes,
    )  # fmt: skip
    entries.lock_timeout()
    return limits


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
        source: an existing local path; an ``http(s)://`` URL; a registry name
            (see :func:`aligner.pretrained.registry.entries`); ``gensim-data:NAME``
            (:mod:`aligner.pretrained.gensim_data`); or
            ``hf://[datasets/]OWNER/REPO[@REVISION]/PATH`` (:mod:`aligner.pretrained.hub`).
        cache: the cache root (default :func:`cache_dir`).
        progress: receives the download's progress bar.

    Returns:
        ``(path, entry)``: the file, and what is known of it when ``source`` was
        a name, a ``gensim-data:`` or an ``hf://`` source (None for a file or URL).

    Raises:
        UnknownNameError: neither an existing file, a URL nor a known name.
        VectorsFormatError: a local path that is a folder, a device or a FIFO.
        DownloadError, ChecksumError, VectorsFormatError: see :func:`download`;
            for ``gensim-data:`` and ``hf://`` sources the message starts with it.

    Example:
        >>> fetch("gensim-data:glove-wiki-gigaword-50")  # doctest: +SKIP
        (PosixPath('.../glove-wiki-gigaword-50.gz'), Entry(name='gensim-data:...', ...))
    """
    text = os.fspath(source)
    if "\x00" in text:
        raise UnknownNameError(f"{text!r} contains a NUL character: pass a file, URL or name")
    path = Path(text).expanduser()
    if _exists(path):
        return _local(path), None
    if hub.is_source(text) or gensim_data.is_source(text):
        return _fetch_published(text, cache, progress)
    if re.match(r"[a-z][a-z0-9+.-]*://", text, re.I):
        return download(text, cache=cache, progress=progress), None
    try:
        entry = get(text)
    except UnknownNameError:
        if _looks_like_path(text):
            raise UnknownNameError(unknown_name_message(text, looks_like_path=True)) from None
        raise
    return _download_entry(entry, entry.url, cache, progress), entry


def _download_entry(
    entry: Entry,
    url: str,
    cache: str | os.PathLike[str] | None,
    progress: Progress,
    bearer: str | None = None,
) -> Path:
    return download(
        url, sha256=entry.sha256, md5=entry.md5, git_sha1=entry.git_sha1, size=entry.size,
        bearer=bearer, cache=cache, progress=progress,
    )  # fmt: skip


def _fetch_published(
    text: str, cache: str | os.PathLike[str] | None, progress: Progress
) -> tuple[Path, Entry]:
    """A ``gensim-data:`` or ``hf://`` source: what its publisher states, then the file.

    The entry's ``url`` holds no credentials; those of ``HF_ENDPOINT`` or
    ``ALIGNER_GENSIM_DATA_URL`` are added for the download (to that host only).
    """
    root = cache_folder(cache)
    _limits()  # the environment's settings, checked before the Hub is asked
    if hub.is_source(text):
        entry, base, bearer = hub.resolve(text, cache=root), hub.endpoint(), hub.token()
    else:
        entry, base, bearer = gensim_data.get(text), gensim_data.base_url(), None
    try:
        url = with_userinfo_of(entry.url, base)
        return _download_entry(entry, url, root, progress, bearer), entry
    except AlignerError as exc:
        raise type(exc)(f"{text}: {exc}") from None
