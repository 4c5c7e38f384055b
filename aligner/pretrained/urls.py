"""The URLs of the download cache: which are accepted, and how they are shown.

A URL's ``user:password@`` is sent as HTTP Basic authentication by
:mod:`aligner.pretrained.transfer` and shown as ``user:***@`` in every message;
query values that look secret (``token=``, ``signature=``...) are shown as ``***``.

Example:
    >>> redact("https://me:pw@example.org/v.txt?token=abc")
    'https://me:***@example.org/v.txt?token=***'
"""

from __future__ import annotations

import base64
import re
from urllib.parse import unquote, urlsplit, urlunsplit

from aligner.errors import DownloadError

__all__ = ["check_url", "redact", "without_userinfo"]

_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_SECRET_QUERY = re.compile(
    r"((?:^|[?&;])[^=&;#]*(?:token|key|sig|signature|secret|passw|pwd|auth|credential)"
    r"[^=&;#]*=)[^&;#]*",
    re.I,
)


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def redact(url: str) -> str:
    """``url`` safe to show: ``user:***@host`` for its credentials, ``***`` for secret-looking
    query values (``token=``, ``signature=``, ``key=``...)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r"//[^/@]*@", "//***@", url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        netloc = f"{user}:***@{host}" if colon else f"***@{host}"
    query = _SECRET_QUERY.sub(r"\1***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def without_userinfo(url: str) -> tuple[str, str | None]:
    """``url`` without its ``user:password@``, and the Basic ``Authorization`` value for them."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode("ascii")
    return urlunsplit(parts._replace(netloc=host)), f"Basic {token}"


def check_url(url: str) -> None:
    """Refuse, in one line, a URL that cannot be downloaded as it is.

    Raises:
        DownloadError: not http(s), no host, a bad port, or control characters
            (raw, or percent-encoded in the path, like ``%00``).
    """
    if found := _CONTROL.search(url):
        raise DownloadError(
            f"the URL {redact(url)!r} contains {found.group()!r} at position {found.start()}: "
            "percent-encode it (a space is %20) or check the URL"
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError as exc:
        raise DownloadError(
            f"the URL {redact(url)} is not valid ({_one_line(exc)}); check it"
        ) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise DownloadError(
            f"the URL {redact(url)} is not http:// or https://; only those are downloaded"
        )
    if not parts.hostname:
        raise DownloadError(f"the URL {redact(url)} has no host name; check it")
    if found := re.search(r"[\x00-\x1f\x7f]", unquote(parts.path)):
        raise DownloadError(
            f"the URL {redact(url)} has a control character ({found.group()!r}, percent-encoded) "
            "in its path: no file is named so; check the URL"
        )
