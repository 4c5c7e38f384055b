"""One HTTP transfer of the download cache: a GET (resumed with ``Range``), streamed under limits.

A transfer never trusts the server's word alone: a web page (``Content-Type:
text/html``) is refused before a byte is written, the size the server or the
registry announces is enforced while the body streams (more bytes stop the
transfer at once), and a slow or endless server is cut off:

==================================  =========  ==============================================
environment variable                default    meaning
==================================  =========  ==============================================
``ALIGNER_DOWNLOAD_LOW_SPEED_BYTES``  1024       stop when fewer bytes than this arrived ...
``ALIGNER_DOWNLOAD_LOW_SPEED_TIME``   60         ... in this many seconds
``ALIGNER_DOWNLOAD_DEADLINE``         none       stop a transfer running longer (seconds)
``ALIGNER_DOWNLOAD_MAX_BYTES``        32 GiB     the most bytes taken when no size is known
==================================  =========  ==============================================

Each is also a keyword of :func:`aligner.pretrained.download.download`, which wins.
A transfer that is stopped keeps what arrived for the next run to resume, with the
server's validator of the file (a strong ``ETag``, else ``Last-Modified``) beside it:
a resumed request carries it as ``If-Range``, so a file that changed on the server
is sent whole again instead of being spliced onto the old start.

A URL's ``user:password@`` is sent as HTTP Basic authentication, and a bearer
token (``HF_TOKEN`` for ``hf://`` sources) as ``Authorization: Bearer``; neither
is sent on after a redirect, and neither appears in a message. A redirect is
followed only to an http(s) address, and a failed TLS handshake is told as such
rather than as a network that is down (see :mod:`aligner.pretrained.urls`).
"""

from __future__ import annotations

import errno
import re
import shutil
import time
from dataclasses import dataclass
from http.client import HTTPException, HTTPResponse
from pathlib import Path
from typing import Protocol
from urllib.error import HTTPError
from urllib.request import Request, build_opener

from aligner.errors import ChecksumError, DownloadError
from aligner.pretrained.cache import CHUNK_SIZE, env_number, one_line, write_remedy
from aligner.pretrained.urls import (
    LOCAL_HINT,
    HttpRedirectsOnly,
    check_url,
    redact,
    tls_failure,
    wire,
    without_userinfo,
)
from aligner.progress import Progress

__all__ = [
    "LOCAL_HINT",
    "Hasher",
    "Limits",
    "Reply",
    "StartOver",
    "check_url",
    "content_range",
    "html_refusal",
    "offline",
    "receive",
    "redact",
    "request",
    "without_userinfo",
]

USER_AGENT = "aligner-downloader"
_OPENER = build_opener(HttpRedirectsOnly)
_HTML_TYPES = {"text/html", "application/xhtml+xml"}


class Hasher(Protocol):
    """What takes the bytes of a transfer as they arrive (the digests being computed)."""

    def update(self, data: bytes, /) -> None: ...


class StartOver(Exception):
    """The partial file cannot be resumed; discard it and download from the start."""


@dataclass(frozen=True)
class Limits:
    """How long and how slowly a transfer may run (see the module's table)."""

    timeout: float = 30.0
    low_speed_bytes: int = 1024
    low_speed_time: float = 60.0
    deadline: float | None = None
    max_bytes: int = 32 << 30

    @classmethod
    def resolve(
        cls,
        *,
        timeout: float,
        low_speed_bytes: int | None,
        low_speed_time: float | None,
        deadline: float | None,
        max_bytes: int | None,
    ) -> Limits:
        """Arguments first, then the environment, then the defaults."""

        def pick(value: float | None, name: str, default: float | None) -> float | None:
            return value if value is not None else env_number(f"ALIGNER_DOWNLOAD_{name}", default)

        return cls(
            timeout=timeout,
            low_speed_bytes=int(pick(low_speed_bytes, "LOW_SPEED_BYTES", cls.low_speed_bytes) or 0),
            low_speed_time=pick(low_speed_time, "LOW_SPEED_TIME", cls.low_speed_time) or 60.0,
            deadline=pick(deadline, "DEADLINE", None),
            max_bytes=int(pick(max_bytes, "MAX_BYTES", cls.max_bytes) or cls.max_bytes),
        )

    def socket_timeout(self) -> float:
        """Seconds a connect or a single read may wait: no longer than any limit allows."""
        limits = [self.timeout, self.low_speed_time]
        return min([*limits, self.deadline] if self.deadline is not None else limits)


def offline(url: str, exc: BaseException) -> DownloadError:
    reason = one_line(getattr(exc, "reason", None) or exc) or type(exc).__name__
    return DownloadError(
        f"cannot download {redact(url)} ({reason}): offline, unreachable or interrupted; "
        f"run the same command again to resume, {LOCAL_HINT}"
    )


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None


def content_range(value: str | None) -> tuple[int | None, int | None]:
    """``bytes 100-199/1000`` → (100, 1000); ``bytes */1000`` → (None, 1000)."""
    match = re.fullmatch(r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*", value or "")
    if not match:
        return None, None
    return _int(match.group(1)), _int(match.group(2))


@dataclass
class Reply:
    """The server's answer: a body starting at byte ``start`` of a file of ``total`` bytes.

    ``response`` is None when a resumed request was answered 416: nothing lies
    after byte ``start``; ``total`` then says how long the file is, if the
    server said (``Content-Range: bytes */N``).
    """

    response: HTTPResponse | None
    start: int
    total: int | None
    validator: dict[str, str | int] | None = None


def html_refusal(url: str, kind: str) -> DownloadError:
    return DownloadError(
        f"{redact(url)} answered with a web page ({kind}), not a vectors file: the link may need a "
        "login or a confirmation page; nothing was kept: open it in a browser, download the "
        "file and pass its path (aligner build --pretrained /path/to/file ...)"
    )


def _request(
    url: str, have: int, validator: dict[str, str | int] | None, bearer: str | None
) -> Request:
    target, auth = without_userinfo(url)
    auth = f"Bearer {bearer}" if bearer else auth
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
        if validator is not None:
            headers["If-Range"] = str(validator["if_range"])
    made = Request(wire(target), headers=headers)
    if auth is not None:
        made.add_unredirected_header("Authorization", auth)  # not sent on after a redirect
    return made


def _http_error(url: str, exc: HTTPError) -> DownloadError:
    if 300 <= exc.code < 400 and not exc.headers.get("Location"):
        return DownloadError(
            f"HTTP {exc.code} for {redact(url)} names no address to go to (no Location); "
            f"check the URL, {LOCAL_HINT}"
        )
    if 300 <= exc.code < 400:
        return DownloadError(
            f"HTTP {exc.code} for {redact(url)}: it redirects in a loop or too many times "
            f"({one_line(exc.reason)}); check the URL, {LOCAL_HINT}"
        )
    return DownloadError(
        f"HTTP {exc.code} ({one_line(exc.reason)}) for {redact(url)}: check the URL or name "
        "(`aligner download --list` shows known names)"
    )


def request(
    url: str,
    have: int,
    limits: Limits,
    validator: dict[str, str | int] | None = None,
    *,
    bearer: str | None = None,
) -> Reply:
    """GET ``url``, asking for what follows byte ``have`` when it is not 0.

    Args:
        validator: what identified the file the first ``have`` bytes came from
            (see :func:`validator_of`); sent as ``If-Range``, and a reply for
            another file is refused with :class:`StartOver`.
        bearer: a token sent as ``Authorization: Bearer`` (not after a redirect).

    Raises:
        DownloadError: an HTTP error, a web page, a reply with no content, offline.
        StartOver: the server resumes at another byte than asked, or another file.
    """
    try:
        response: HTTPResponse = _OPENER.open(
            _request(url, have, validator, bearer), timeout=limits.socket_timeout()
        )
    except HTTPError as exc:
        exc.close()
        if exc.code == 416 and have:
            total = content_range(exc.headers.get("Content-Range"))[1]
            if not _same_total(validator, total):
                raise StartOver from None
            return Reply(None, have, total)
        raise _http_error(url, exc) from None
    except (OSError, HTTPException) as exc:
        if (tls := tls_failure(exc)) is not None:  # a retry will not help
            raise DownloadError(f"cannot download {redact(url)}: {tls}; {LOCAL_HINT}") from None
        raise offline(url, exc) from exc
    try:
        return _reply(url, response, have, validator)
    except BaseException:
        response.close()
        raise


def validator_of(response: HTTPResponse, total: int | None) -> dict[str, str | int] | None:
    """What identifies the file a full reply sends: a strong ETag, else Last-Modified (or None)."""
    etag = (response.headers.get("ETag") or "").strip()
    modified = (response.headers.get("Last-Modified") or "").strip()
    strong = "" if etag.startswith("W/") else etag  # a weak ETag cannot ask for a range
    if not strong and not modified:
        return None
    found: dict[str, str | int] = {"if_range": strong or modified}
    found |= {"etag": strong} if strong else {}
    found |= {"last_modified": modified} if modified else {}
    found |= {"total": total} if total is not None else {}
    return found


def _same_total(validator: dict[str, str | int] | None, total: int | None) -> bool:
    known = validator.get("total") if validator is not None else None
    return not isinstance(known, int) or total is None or known == total


def _same_file(validator: dict[str, str | int] | None, response: HTTPResponse) -> bool:
    if validator is None:
        return True
    for key, header in (("etag", "ETag"), ("last_modified", "Last-Modified")):
        said = (response.headers.get(header) or "").strip()
        if key in validator and said and said != validator[key]:
            return False
    return True


def _reply(
    url: str, response: HTTPResponse, have: int, validator: dict[str, str | int] | None
) -> Reply:
    kind = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if kind in _HTML_TYPES:
        raise html_refusal(url, f"Content-Type {kind}")
    length = _int(response.headers.get("Content-Length"))
    if response.status == 206:
        start, total = content_range(response.headers.get("Content-Range"))
        if start != have or not _same_file(validator, response):
            raise StartOver
        total = total if total is not None else _plus(have, length)
        if not _same_total(validator, total):
            raise StartOver
        return Reply(response, have, total, validator)
    if response.status != 200:
        raise DownloadError(
            f"{redact(url)} answered HTTP {response.status} ({one_line(response.reason)}) "
            f"without the file; check the URL, {LOCAL_HINT}"
        )
    return Reply(response, 0, length, validator_of(response, length))


def _plus(have: int, length: int | None) -> int | None:
    return None if length is None else have + length


class _Pace:
    """Stops a transfer that is too slow, or that runs past its deadline."""

    def __init__(self, url: str, limits: Limits, total: int | None) -> None:
        self.url, self.limits, self.total = url, limits, total
        self.began = self.mark = time.monotonic()
        self.marked = 0

    def check(self, have: int, got: int) -> None:
        """``got`` bytes arrived so far in this transfer, ``have`` are in the file."""
        now = time.monotonic()
        deadline = self.limits.deadline
        if deadline is not None and now - self.began > deadline:
            why = f"it passed its deadline of {deadline:g} s"
            raise self._stop(have, why, "raise ALIGNER_DOWNLOAD_DEADLINE")
        if now - self.mark >= self.limits.low_speed_time:
            if got - self.marked < self.limits.low_speed_bytes:
                raise self.slow(have)
            self.mark, self.marked = now, got

    def slow(self, have: int) -> DownloadError:
        limits = self.limits
        why = f"fewer than {limits.low_speed_bytes} bytes came in {limits.low_speed_time:g} s"
        allow = "lower ALIGNER_DOWNLOAD_LOW_SPEED_BYTES or raise ALIGNER_DOWNLOAD_LOW_SPEED_TIME"
        return self._stop(have, why, allow)

    def silent(self, have: int) -> DownloadError:
        why = f"no data came for {self.limits.socket_timeout():g} s"
        return self._stop(have, why, None)

    def _stop(self, have: int, why: str, allow: str | None) -> DownloadError:
        of = f" of {self.total}" if self.total is not None else ""
        allow = f", or {allow} to allow it" if allow else ""
        return DownloadError(
            f"download of {redact(self.url)} stopped: {why} ({have}{of} bytes kept for resuming); "
            f"run the same command again to resume{allow}, {LOCAL_HINT}"
        )


def _write_error(part: Path, exc: OSError) -> DownloadError:
    removed = ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        part.unlink(missing_ok=True)
        removed = " (the partial download was removed)"
    return DownloadError(f"cannot write {part}{removed}: {write_remedy(exc)}")


def _check_space(url: str, part: Path, need: int) -> None:
    free = shutil.disk_usage(part.parent).free
    if need > free:
        raise DownloadError(
            f"{redact(url)} needs {need} more bytes but {part.parent} has {free} free: free some "
            "space or set ALIGNER_CACHE (or --cache-dir) to a folder on a bigger disk"
        )


def receive(
    url: str,
    reply: Reply,
    part: Path,
    *,
    expect: int | None,
    hasher: Hasher,
    limits: Limits,
    progress: Progress,
) -> int:
    """Write the reply's body to ``part`` from byte ``reply.start``; return the file's size.

    Raises:
        ChecksumError: more bytes than ``expect`` (or than the limit) arrived.
        DownloadError: too slow, past the deadline, interrupted, disk full.
    """
    assert reply.response is not None
    cap = expect if expect is not None else limits.max_bytes
    if expect is not None:
        _check_space(url, part, expect - reply.start)
    pace = _Pace(url, limits, expect)
    have = reply.start
    try:
        out = part.open("ab" if have else "wb")
    except OSError as exc:
        raise _write_error(part, exc) from None
    name = part.name.removesuffix(".part")
    with out, progress.bar(f"download {name}", total=expect, unit="B") as bar:
        if have:
            bar.update(have)
        while chunk := _read(url, reply.response, pace, have):
            have += len(chunk)
            if have > cap:
                raise _too_much(url, cap, expect)
            try:
                out.write(chunk)
            except OSError as exc:
                raise _write_error(part, exc) from None
            hasher.update(chunk)
            bar.update(len(chunk))
            pace.check(have, have - reply.start)
    return have


def _read(url: str, response: HTTPResponse, pace: _Pace, have: int) -> bytes:
    try:
        return response.read1(CHUNK_SIZE)
    except TimeoutError:
        raise pace.silent(have) from None
    except (OSError, HTTPException) as exc:
        raise offline(url, exc) from exc


def _too_much(url: str, cap: int, expect: int | None) -> ChecksumError:
    if expect is None:
        return ChecksumError(
            f"{redact(url)} sent more than {cap} bytes without saying how many; nothing was kept: "
            f"raise ALIGNER_DOWNLOAD_MAX_BYTES if the file is really that big, {LOCAL_HINT}"
        )
    return ChecksumError(
        f"{redact(url)} sent more than the {expect} bytes expected; nothing was kept: "
        f"check the URL, {LOCAL_HINT}"
    )
