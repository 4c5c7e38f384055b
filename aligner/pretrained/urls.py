"""The URLs of the download cache: which are accepted, followed and reached, and how they are shown.

A URL's ``user:password@`` is sent as HTTP Basic authentication by
:mod:`aligner.pretrained.transfer` and shown as ``user:***@`` in every message;
query values that look secret (``token=``, ``signature=``...) are shown as ``***``.
The same holds for an address given in the environment (``HF_ENDPOINT``,
``ALIGNER_GENSIM_DATA_URL``): its credentials go to its host only
(:func:`with_userinfo_of`), and never into a message or a recorded URL.

Characters beyond ASCII in a URL's path or query are sent percent-encoded (as
UTF-8; bytes that are not UTF-8 as themselves). A redirect is followed only
to an ``http://`` or ``https://`` address (:class:`HttpRedirectsOnly`), and a
failed TLS handshake is told apart from a network that is down (:func:`tls_failure`).

Example:
    >>> redact("https://me:pw@example.org/v.txt?token=abc")
    'https://me:***@example.org/v.txt?token=***'
"""

from __future__ import annotations

import base64
import re
import ssl
from email.message import Message
from typing import IO
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit
from urllib.request import HTTPRedirectHandler, Request

from aligner.errors import DownloadError

__all__ = [
    "LOCAL_HINT",
    "HttpRedirectsOnly",
    "check_url",
    "lower_scheme",
    "printable",
    "redact",
    "tls_failure",
    "wire",
    "with_userinfo_of",
    "without_userinfo",
]

LOCAL_HINT = (
    "or download the file yourself and pass its path instead "
    "(aligner build --pretrained /path/to/vectors.txt ...)"
)
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_NOT_UTF8 = re.compile(r"[\udc80-\udcff]")  # bytes that are not UTF-8, as Python decodes them
_SECRET_QUERY = re.compile(
    r"((?:^|[?&;])[^=&;#]*(?:token|key|sig|signature|secret|passw|pwd|auth|credential)"
    r"[^=&;#]*=)[^&;#]*",
    re.I,
)


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def printable(text: str) -> str:
    """``text`` with bytes that are not UTF-8 (from a command line) shown as ``\\xNN``."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def redact(url: str) -> str:
    """``url`` safe to show: ``user:***@host`` for its credentials, ``***`` for secret-looking
    query values (``token=``, ``signature=``, ``key=``...), ``\\xNN`` for bytes not UTF-8."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return printable(re.sub(r"//[^/@]*@", "//***@", url))
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        netloc = f"{user}:***@{host}" if colon else f"***@{host}"
    query = _SECRET_QUERY.sub(r"\1***", parts.query)
    return printable(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))


def without_userinfo(url: str) -> tuple[str, str | None]:
    """``url`` without its ``user:password@``, and the Basic ``Authorization`` value for them."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode("ascii")
    return urlunsplit(parts._replace(netloc=host)), f"Basic {token}"


def with_userinfo_of(url: str, base: str) -> str:
    """``url`` with the ``user:password@`` of ``base``, when ``url`` is on ``base``'s host.

    Example:
        >>> with_userinfo_of("https://m.example/a/v.gz", "https://me:pw@m.example/a")
        'https://me:pw@m.example/a/v.gz'
    """
    given, target = urlsplit(base), urlsplit(url)
    userinfo, at, host = given.netloc.rpartition("@")
    if not at or "@" in target.netloc or target.netloc.lower() != host.lower():
        return url
    return urlunsplit(target._replace(netloc=f"{userinfo}@{target.netloc}"))


def lower_scheme(url: str) -> str:
    """``url`` with its scheme in lower case (schemes are case-insensitive: ``HTTPS://``)."""
    scheme, sep, rest = url.partition("://")
    return scheme.lower() + sep + rest if sep and scheme.isalpha() else url


def _escape(text: str) -> str:
    raw = text.encode("utf-8", "surrogateescape")
    return "".join(chr(byte) if byte < 0x80 else f"%{byte:02X}" for byte in raw)


def wire(url: str) -> str:
    """``url`` as it is sent, in ASCII: its host name in IDNA (``xn--``), its path and
    query percent-encoded beyond ASCII. ``url`` has passed :func:`check_url`."""
    if url.isascii():
        return url
    parts = urlsplit(url)
    netloc = parts.netloc
    if not netloc.isascii() and parts.hostname is not None:
        userinfo, at, _ = netloc.rpartition("@")
        host = parts.hostname.encode("idna").decode("ascii")
        netloc = f"{userinfo}{at}{host}" + (f":{parts.port}" if parts.port is not None else "")
    return urlunsplit(
        parts._replace(netloc=netloc, path=_escape(parts.path), query=_escape(parts.query))
    )


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
    try:
        parts.hostname.encode("idna")
    except UnicodeError as exc:
        said = re.sub(r"^.*\(UnicodeError: (.*)\)$", r"\1", _one_line(exc))
        said = "bytes that are not UTF-8" if _NOT_UTF8.search(parts.hostname) else said
        raise DownloadError(
            f"the URL {redact(url)} has a host name that cannot be looked up ({said}); check it"
        ) from None
    if found := re.search(r"[\x00-\x1f\x7f]", unquote(parts.path)):
        raise DownloadError(
            f"the URL {redact(url)} has a control character ({found.group()!r}, percent-encoded) "
            "in its path: no file is named so; check the URL"
        )


class HttpRedirectsOnly(HTTPRedirectHandler):
    """Follows a redirect only to an ``http://`` or ``https://`` address.

    Raises:
        DownloadError: the redirect leads to another scheme (``file:``,
            ``ftp:``, ``data:``...), whatever the host.
    """

    def http_error_302(
        self, req: Request, fp: IO[bytes], code: int, msg: str, headers: Message
    ) -> IO[bytes] | None:
        target = headers.get("Location") or headers.get("URI")
        if target is not None:
            where = urljoin(req.full_url, target.strip())
            if urlsplit(where).scheme.lower() not in ("http", "https"):
                fp.close()
                raise DownloadError(
                    f"{redact(req.full_url)} redirects to {redact(where)}, which is not "
                    f"http:// or https:// (only those are followed); check the URL, {LOCAL_HINT}"
                )
        return super().http_error_302(req, fp, code, msg, headers)  # type: ignore[arg-type]

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def tls_failure(exc: BaseException, *, of: str = "") -> str | None:
    """What failed and what to do, when ``exc`` is a failed TLS handshake; else None.

    Args:
        of: where the address was given (`` of HF_ENDPOINT``), said in the remedy.
    """
    reason = getattr(exc, "reason", None)
    found = reason if isinstance(reason, ssl.SSLError) else exc
    if isinstance(found, ssl.SSLCertVerificationError):
        said = _one_line(found.verify_message or found.reason or found)
        return (
            f"the server's TLS certificate could not be verified ({said}): check the host "
            f"name{of}, or point SSL_CERT_FILE at the certificate authorities to trust"
        )
    if isinstance(found, ssl.SSLError):
        said = _one_line(found.reason or found)
        return (
            f"the TLS handshake failed ({said}): the server may not speak https there; "
            f"check the scheme (http:// or https://) and the port{of}"
        )
    return None
