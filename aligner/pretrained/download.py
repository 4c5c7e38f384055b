"""Download pretrained vectors into a checksummed cache, resuming interrupted transfers.

A URL's file lands at ``<cache>/downloads/<16 hex of sha256(url)>/<name>``. While
bytes arrive they go to ``<name>.part``; only a complete, verified file is renamed
to ``<name>`` (atomically), next to a ``<name>.sha256`` sidecar recording its
digest, so a cached file is returned at once without being hashed again. An
interrupted transfer leaves its ``.part`` and the next call asks the server for
the rest (HTTP ``Range``). Archives are never extracted: a zip is only checked
for member names that would climb out of it, and read in place later.

Example:
    >>> path, entry = fetch("glove.6B.50d")  # doctest: +SKIP
    >>> path.name, entry.member  # doctest: +SKIP
    ('glove.6B.zip', 'glove.6B.50d.txt')
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import zipfile
from http.client import HTTPException, HTTPResponse
from pathlib import Path, PurePosixPath
from urllib.error import HTTPError
from urllib.parse import unquote, urlsplit
from urllib.request import Request, urlopen

import platformdirs

from aligner.errors import ChecksumError, DownloadError, UnknownNameError, VectorsFormatError
from aligner.pretrained.archive import check_member_name
from aligner.pretrained.registry import Entry, get, unknown_name_message
from aligner.progress import SILENT, Progress

__all__ = ["CHUNK_SIZE", "cache_dir", "cached_path", "download", "fetch", "file_sha256"]

CHUNK_SIZE = 1 << 20
_USER_AGENT = "aligner-downloader"
_PATH_SUFFIXES = {".txt", ".vec", ".bin", ".gz", ".zip", ".bz2", ".xz", ".w2v", ".glove"}
_LOCAL_HINT = (
    "or download the file yourself and pass its path instead "
    "(aligner build --pretrained /path/to/vectors.txt ...)"
)


class _StartOver(Exception):
    """The partial file cannot be resumed; discard it and download from the start."""


def cache_dir() -> Path:
    """The cache root: ``$ALIGNER_CACHE`` if set, else the user cache dir for aligner."""
    env = os.environ.get("ALIGNER_CACHE")
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("aligner"))


def cached_path(url: str, cache: str | os.PathLike[str] | None = None) -> Path:
    """Where ``url``'s file lives once downloaded (whether or not it is there yet)."""
    root = Path(cache).expanduser() if cache is not None else cache_dir()
    key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    name = PurePosixPath(unquote(urlsplit(url).path)).name.replace("\\", "_")
    return root / "downloads" / key / (name if name not in ("", ".", "..") else "download")


def _part(final: Path) -> Path:
    return final.with_name(final.name + ".part")


def _sidecar(final: Path) -> Path:
    return final.with_name(final.name + ".sha256")


def _hash_file(path: Path, limit: int | None = None) -> hashlib._Hash:
    """sha256 of ``path`` (its first ``limit`` bytes when given), as a live hasher."""
    hasher = hashlib.sha256()
    left = path.stat().st_size if limit is None else limit
    with path.open("rb") as stream:
        while left > 0:
            chunk = stream.read(min(CHUNK_SIZE, left))
            if not chunk:
                break
            hasher.update(chunk)
            left -= len(chunk)
    return hasher


def _read_sidecar(final: Path) -> str | None:
    try:
        text = _sidecar(final).read_text(encoding="utf-8").split()
    except OSError:
        return None
    return text[0].lower() if text and re.fullmatch(r"[0-9a-fA-F]{64}", text[0]) else None


def _write_sidecar(final: Path, digest: str) -> None:
    tmp = final.with_name(final.name + ".sha256.tmp")
    tmp.write_text(f"{digest}  {final.name}\n", encoding="utf-8")
    os.replace(tmp, _sidecar(final))


def _discard(final: Path) -> None:
    """Remove everything cached for this URL (file, partial file, sidecar, folder)."""
    for path in (final, _part(final), _sidecar(final)):
        path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not empty: other files of this URL's folder
        final.parent.rmdir()


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The sha256 (hex) of a file: the verified digest recorded beside a cached
    download when there is one, else computed over the file."""
    path = Path(path)
    return _read_sidecar(path) or _hash_file(path).hexdigest()


def _cached(final: Path, sha256: str | None, size: int | None) -> bool:
    """Whether ``final`` is a usable cached download; a stale one is removed."""
    if not final.is_file():
        return False
    recorded = _read_sidecar(final)
    if recorded is None:  # renamed but sidecar lost: verify once, then record
        recorded = _hash_file(final).hexdigest()
        _write_sidecar(final, recorded)
    wrong_hash = sha256 is not None and recorded != sha256.lower()
    if wrong_hash or (size is not None and final.stat().st_size != size):
        _discard(final)
        return False
    return True


def _offline(url: str, exc: BaseException) -> DownloadError:
    reason = " ".join(str(getattr(exc, "reason", None) or exc).split()) or type(exc).__name__
    return DownloadError(
        f"cannot download {url} ({reason}): offline, unreachable or interrupted; "
        f"run the same command again to resume, {_LOCAL_HINT}"
    )


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """``bytes 100-199/1000`` → (100, 1000); ``bytes */1000`` → (None, 1000)."""
    match = re.fullmatch(r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*", value or "")
    if not match:
        return None, None
    return _int(match.group(1)), _int(match.group(2))


def _open(url: str, have: int, timeout: float) -> HTTPResponse | None:
    """The server's response, or None when it says a resumed file is already whole."""
    headers = {"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        response: HTTPResponse = urlopen(Request(url, headers=headers), timeout=timeout)
    except HTTPError as exc:
        exc.close()
        if exc.code == 416 and have:
            total = _content_range(exc.headers.get("Content-Range"))[1]
            if total is not None and total != have:
                raise _StartOver from None
            return None
        raise DownloadError(
            f"HTTP {exc.code} ({exc.reason}) for {url}: check the URL or name "
            "(`aligner download --list` shows known names)"
        ) from None
    except (OSError, HTTPException) as exc:
        raise _offline(url, exc) from exc
    return response


def _transfer(url: str, part: Path, size: int | None, progress: Progress, timeout: float) -> str:
    """Bring ``part`` up to the whole file; return its sha256 (hex)."""
    have = part.stat().st_size if part.exists() else 0
    response = _open(url, have, timeout)
    if response is None:
        return _hash_file(part).hexdigest()
    with response:
        length = _int(response.headers.get("Content-Length"))
        if response.status == 206:
            start, total = _content_range(response.headers.get("Content-Range"))
            if start != have:
                raise _StartOver
        else:
            have, total = 0, None
        if total is None and length is not None:
            total = have + length
        if size is not None and total is not None and total != size:
            raise ChecksumError(
                f"{url}: the server offers {total} bytes but the expected size is {size} bytes; "
                f"nothing was kept: check the URL, {_LOCAL_HINT}"
            )
        hasher = _hash_file(part, have) if have else hashlib.sha256()
        got = _stream(url, response, part, have, total, hasher, progress)
    if length is not None and got < length:
        raise DownloadError(
            f"download of {url} was interrupted after {have + got} of {total} bytes; "
            f"run the same command again to resume, {_LOCAL_HINT}"
        )
    return hasher.hexdigest()


def _stream(
    url: str,
    response: HTTPResponse,
    part: Path,
    have: int,
    total: int | None,
    hasher: hashlib._Hash,
    progress: Progress,
) -> int:
    """Append the response body to ``part``; return how many bytes arrived."""
    got = 0
    name = part.name.removesuffix(".part")
    with (
        part.open("ab" if have else "wb") as out,
        progress.bar(f"download {name}", total=total, unit="B") as bar,
    ):
        if have:
            bar.update(have)
        while True:
            try:
                chunk = response.read(CHUNK_SIZE)
            except (OSError, HTTPException) as exc:
                raise _offline(url, exc) from exc
            if not chunk:
                return got
            out.write(chunk)
            hasher.update(chunk)
            bar.update(len(chunk))
            got += len(chunk)


def _check_zip(url: str, part: Path, final: Path) -> None:
    try:
        with zipfile.ZipFile(part) as archive:
            for info in archive.infolist():
                check_member_name(url, info.filename)
    except zipfile.BadZipFile:
        _discard(final)
        raise VectorsFormatError(
            f"{url} did not give a valid zip file; it was removed from the cache"
        ) from None
    except VectorsFormatError:
        _discard(final)
        raise


def _finish(url: str, final: Path, digest: str, sha256: str | None, size: int | None) -> None:
    """Verify the complete ``.part`` and give it its final name."""
    part = _part(final)
    actual = part.stat().st_size
    if size is not None and actual != size:
        _discard(final)
        raise ChecksumError(
            f"{url}: expected {size} bytes, got {actual}; the download was removed, "
            "run the command again to download it afresh"
        )
    if sha256 is not None and digest != sha256.lower():
        _discard(final)
        raise ChecksumError(
            f"{url}: sha256 mismatch: expected {sha256.lower()}, got {digest}; "
            "the download was removed (a corrupted or changed file): try again or check the source"
        )
    if final.name.lower().endswith(".zip"):
        _check_zip(url, part, final)
    _write_sidecar(final, digest)
    os.replace(part, final)


def download(
    url: str,
    *,
    sha256: str | None = None,
    size: int | None = None,
    cache: str | os.PathLike[str] | None = None,
    progress: Progress = SILENT,
    timeout: float = 30.0,
) -> Path:
    """Download ``url`` into the cache (or find it there) and return the file's path.

    Args:
        url: an ``http(s)://`` URL.
        sha256: the expected sha256 (hex); checked when given.
        size: the expected size in bytes; checked when given.
        cache: the cache root (default :func:`cache_dir`).
        progress: receives a ``download <name>`` bar counted in bytes.
        timeout: seconds to wait on the connection before giving up.

    Returns:
        The path of the complete, verified file (``.zip`` files are not extracted).

    Raises:
        DownloadError: an HTTP error, or offline / unreachable / interrupted
            (the partial file is kept and the next call resumes it).
        ChecksumError: the size or sha256 is not the expected one (nothing is kept).
        VectorsFormatError: a zip that is invalid or has unsafe member names (removed).

    Example:
        >>> download("https://example.org/vectors.txt.gz", size=1234)  # doctest: +SKIP
        PosixPath('/home/me/.cache/aligner/downloads/3f2a.../vectors.txt.gz')
    """
    final = cached_path(url, cache)
    if _cached(final, sha256, size):
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    for _attempt in range(2):
        try:
            digest = _transfer(url, _part(final), size, progress, timeout)
        except _StartOver:
            _part(final).unlink(missing_ok=True)
            continue
        except ChecksumError:
            _discard(final)
            raise
        _finish(url, final, digest, sha256, size)
        return final
    raise DownloadError(f"{url}: the server does not resume downloads consistently; {_LOCAL_HINT}")


def _looks_like_path(text: str) -> bool:
    return (
        "/" in text
        or os.sep in text
        or text.startswith(("~", "."))
        or Path(text).suffix.lower() in _PATH_SUFFIXES
    )


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
        DownloadError, ChecksumError, VectorsFormatError: see :func:`download`.

    Example:
        >>> fetch("cc.fr.300")  # doctest: +SKIP
        (PosixPath('.../cc.fr.300.vec.gz'), Entry(name='cc.fr.300', ...))
    """
    text = os.fspath(source)
    path = Path(text).expanduser()
    if path.exists():
        return path, None
    if text.lower().startswith(("http://", "https://")):
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
