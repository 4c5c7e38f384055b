"""Files on the Hugging Face Hub as ``hf://`` sources, pinned to a commit and checked.

Spelling (huggingface_hub's ``hf://`` URIs; ``models/`` may be written or left out)::

    hf://OWNER/REPO[@REVISION]/PATH              a file of a model repository
    hf://datasets/OWNER/REPO[@REVISION]/PATH     of a dataset repository (spaces/ likewise)
    hf://OWNER/REPO/PATH@REVISION                the same, the revision written last

REVISION is a branch, a tag or a commit (default ``main``; ``refs/pr/N`` and
``refs/convert/NAME`` in the first spelling, as huggingface_hub reads them; any
other slash percent-encoded: ``feature%2Fx``, ``refs%2Fpr%2F1``). A file name
that holds ``@`` is written with the revision after the repository
(``hf://o/r@main/a@b.txt``). The scheme may be written in any case (``HF://``);
``.`` and ``..`` are neither revisions nor parts of a path, and a source holding
bytes that are not UTF-8 or control characters is refused before any request.

Before downloading, one ``HEAD`` request to
``{endpoint}/[datasets/]OWNER/REPO/resolve/{REVISION}/{PATH}`` (the URL
huggingface_hub downloads from; redirects to the same host are followed, one to
another host, an LFS file's storage, is not: its reply carries the facts) says:

* ``X-Repo-Commit``: the commit REVISION names now. The file is downloaded from
  ``.../resolve/{commit}/{PATH}``, so the cache (keyed by URL) holds one entry
  per commit: a branch that moves on is downloaded anew, never mixed with the
  old file. An artifact records the commit.
* ``X-Linked-Etag`` (else ``ETag``) and ``X-Linked-Size`` (else
  ``Content-Length``): for a file stored in LFS, the sha256 of its content and
  its size, both checked. For a small file kept in git itself, the ETag is its
  git blob id (sha1 of ``blob <size>\\0`` and the content): that and the size
  are checked instead. A reply with neither leaves only what the server says.

What a resolution found is kept under ``<cache>/hub/``, so a source
downloaded once still resolves when the Hub cannot be reached (the commit it
named last time, with its digests; the file then comes from the cache).

Environment:
    HF_ENDPOINT: the Hub's address (default ``https://huggingface.co``): a
    mirror, or a local server in tests. A ``user:password@`` in it is sent to
    that host as HTTP Basic authentication (as for any URL), never shown and
    never part of an entry's ``url``.
    HF_TOKEN: sent as ``Authorization: Bearer`` to the endpoint (for private or
    gated repositories; it takes the place of the endpoint's ``user:password``);
    never to another host, never shown.

Example:
    >>> parse("hf://datasets/me/vecs@v1/glove.txt.gz").url("https://huggingface.co")
    'https://huggingface.co/datasets/me/vecs/resolve/v1/glove.txt.gz'
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
from dataclasses import asdict, dataclass
from email.message import Message
from http.client import HTTPException, HTTPMessage
from pathlib import Path
from typing import IO
from urllib.error import HTTPError
from urllib.parse import quote, unquote, urlsplit
from urllib.request import Request, build_opener

from aligner.atomic import atomic_file
from aligner.errors import DownloadError, UnknownNameError
from aligner.pretrained.cache import one_line
from aligner.pretrained.registry import Entry
from aligner.pretrained.urls import (
    HttpRedirectsOnly,
    check_url,
    lower_scheme,
    printable,
    redact,
    tls_failure,
    wire,
    without_userinfo,
)

__all__ = [
    "DEFAULT_ENDPOINT",
    "SCHEME",
    "Facts",
    "HubFile",
    "endpoint",
    "parse",
    "resolve",
    "token",
]

SCHEME = "hf://"
DEFAULT_ENDPOINT = "https://huggingface.co"
_TYPES = {"models/": "", "datasets/": "datasets/", "spaces/": "spaces/"}
_REVISION_FIRST = re.compile(
    r"(?P<repo>[^/@]+/[^/@]+)@(?P<rev>refs/(?:pr/\d+|convert/[^/]+)|[^/]+)/(?P<path>.+)"
)
_REVISION_LAST = re.compile(r"(?P<repo>[^/@]+/[^/@]+)/(?P<path>.+?)(?:@(?P<rev>[^/@]+))?")
_SPELLING = "hf://[datasets/]OWNER/REPO[@REVISION]/PATH"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HubFile:
    """One file of a Hub repository at a revision.

    Attributes:
        kind: the URL prefix of the repository type: ``""`` (model),
            ``"datasets/"`` or ``"spaces/"``.
        repo: ``OWNER/REPO``.
        revision: a branch, tag or commit.
        path: the file's path in the repository.
    """

    kind: str
    repo: str
    revision: str
    path: str

    def url(self, base: str, revision: str | None = None) -> str:
        """The file's resolve URL under ``base`` (at ``revision``, else its own)."""
        at = quote(revision or self.revision, safe="")
        return f"{base}/{self.kind}{self.repo}/resolve/{at}/{quote(self.path)}"


def is_source(text: str) -> bool:
    """Whether ``text`` is an ``hf://`` source (the scheme in any case, as URL schemes are)."""
    return text[: len(SCHEME)].lower() == SCHEME


def parse(source: str) -> HubFile:
    """The repository, revision and path an ``hf://`` source names.

    Raises:
        UnknownNameError: not of the form ``hf://[datasets/]OWNER/REPO[@REVISION]/PATH``;
            bytes that are not UTF-8, a control character, or a ``.`` / ``..``
            in the revision or the path.

    Example:
        >>> parse("hf://fse/glove-wiki-gigaword-50/model.txt@v2").revision
        'v2'
    """
    _check_text(source)
    rest, kind = (source[len(SCHEME) :] if is_source(source) else source), ""
    for given, prefix in _TYPES.items():
        if rest.startswith(given):
            rest, kind = rest[len(given) :], prefix
    if rest.split("/", 1)[0] in ("buckets", "kernels"):
        raise UnknownNameError(
            f"{source}: only model, dataset and space files are read; {_SPELLING}"
        )
    match = _REVISION_FIRST.fullmatch(rest) or _REVISION_LAST.fullmatch(rest)
    if match is None or match["path"].endswith("/") or "//" in match["path"]:
        raise UnknownNameError(
            f"{source} is not a file on the Hub: write {_SPELLING} "
            "(e.g. hf://fse/glove-wiki-gigaword-50/glove-wiki-gigaword-50.model.vectors.npy)"
        )
    if dots := {".", ".."} & set(match["path"].split("/")):
        raise UnknownNameError(
            f"{source}: a path with {max(dots)!r} names no file of the repository; "
            "give the file's path from the repository's top"
        )
    revision = unquote(match["rev"] or "main")
    if {"", ".", ".."} & set(revision.split("/")) or _CONTROL.search(revision):
        raise UnknownNameError(
            f"{source}: {printable(revision)!r} names no branch, tag or commit ('.', '..', "
            "an empty part or a control character): check what follows @"
        )
    return HubFile(kind, match["repo"], revision, match["path"])


def _check_text(source: str) -> None:
    """Refuse bytes that are not UTF-8 and control characters: no Hub path holds them."""
    if bad := re.search(r"[\udc80-\udcff]+", source):
        raise UnknownNameError(
            f"{printable(source)} holds bytes that are not UTF-8 "
            f"({printable(bad.group())}): the Hub's paths are UTF-8 text; check the source"
        )
    if found := _CONTROL.search(source):
        raise UnknownNameError(
            f"{source!r} holds a control character ({found.group()!r}): no Hub file is "
            "named so; check the source"
        )


def endpoint() -> str:
    """``$HF_ENDPOINT`` without a trailing ``/``, else :data:`DEFAULT_ENDPOINT`."""
    return lower_scheme((os.environ.get("HF_ENDPOINT", "").strip() or DEFAULT_ENDPOINT).rstrip("/"))


def token() -> str | None:
    """``$HF_TOKEN``, or None when it is unset or blank."""
    return os.environ.get("HF_TOKEN", "").strip() or None


@dataclass(frozen=True)
class Facts:
    """What the Hub said of a file: the commit, and what its content must be."""

    commit: str | None
    sha256: str | None
    git_sha1: str | None
    size: int | None


class _SameHost(HttpRedirectsOnly):
    """Follows a redirect only to the same host (a renamed repository), not to storage."""

    def redirect_request(
        self, req: Request, fp: IO[bytes], code: int, msg: str, headers: HTTPMessage, newurl: str
    ) -> Request | None:
        if urlsplit(newurl).netloc != urlsplit(req.full_url).netloc:
            return None  # the reply in hand carries the facts
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = build_opener(_SameHost)


def _ask(file: HubFile, source: str, url: str, auth: str | None, timeout: float) -> Facts:
    """HEAD ``url`` (``auth``: its ``Authorization``); the facts of its reply (a redirect
    to another host included).

    Raises:
        DownloadError: the Hub refused (401, 403, 404...), or redirects off http(s).
        OSError, HTTPException: it could not be reached.
    """
    request = Request(wire(url), method="HEAD", headers={"Accept-Encoding": "identity"})
    request.add_header("User-Agent", "aligner-downloader")
    if auth:
        request.add_header("Authorization", auth)  # same host only: see _SameHost
    try:
        with _OPENER.open(request, timeout=timeout) as reply:
            return _facts(reply.headers, redirected=False)
    except HTTPError as exc:
        exc.close()
        if 300 <= exc.code < 400 and exc.headers.get("Location"):
            return _facts(exc.headers, redirected=True)
        raise _refusal(file, source, exc, auth) from None
    except DownloadError as exc:  # a redirect to another scheme
        raise DownloadError(f"{source}: {exc}") from None


def _digits(value: str | None, count: int) -> str | None:
    text = (value or "").strip().removeprefix("W/").strip('"').lower()
    return text if re.fullmatch(f"[0-9a-f]{{{count}}}", text) else None


def _facts(headers: Message, *, redirected: bool) -> Facts:
    etag = headers.get("X-Linked-Etag") or headers.get("ETag")
    length = headers.get("X-Linked-Size") or (None if redirected else headers.get("Content-Length"))
    size = int(length) if length and length.strip().isdigit() and int(length) else None
    sha256 = _digits(etag, 64)
    served = not redirected and size is not None  # a redirect's ETag is not the file's
    git_sha1 = _digits(etag, 40) if sha256 is None and served else None
    return Facts(_digits(headers.get("X-Repo-Commit"), 40), sha256, git_sha1, size)


def _refusal(file: HubFile, source: str, exc: HTTPError, auth: str | None) -> DownloadError:
    code = exc.headers.get("X-Error-Code") or ""
    said = f"HTTP {exc.code} {code or one_line(exc.reason)}".rstrip()
    if code == "EntryNotFound":
        remedy = "the repository has no such file at that revision: check the path"
    elif code == "RevisionNotFound":
        remedy = "no such branch, tag or commit: check the revision after @"
    elif code == "GatedRepo" or exc.code == 403:
        remedy = "the repository is gated: accept its conditions on its page, with HF_TOKEN set"
    elif exc.code == 401 or code == "RepoNotFound":
        remedy = "no such repository, or a private one: check OWNER/REPO" + (
            ", and that HF_TOKEN may read it" if token() else ", or set HF_TOKEN"
        )
    else:
        remedy = "check the source, or try again later"
    hint = _slash_hint(file, source) if exc.code == 404 else ""
    return DownloadError(f"{source}: the Hub answered {said}; {remedy}{hint}")


def _slash_hint(file: HubFile, source: str) -> str:
    """How to write a revision that holds a slash, when ``source`` may have meant one."""
    fixed = None
    if "/" in file.path and not file.revision.startswith("refs/"):
        first = file.path.split("/", 1)[0]
        written = f"@{file.revision}/{first}/"
        if written in source:  # hf://o/r@feature/x/v.txt: branch 'feature', path 'x/v.txt'
            fixed = source.replace(written, f"@{quote(f'{file.revision}/{first}', safe='')}/", 1)
    at = file.path.rfind("@")
    if fixed is None and at > 0 and "/" in file.path[at + 1 :]:  # o/r/v.txt@a/b: all one path
        head = source[: len(source) - len(file.path) + at + 1]
        fixed = head + quote(file.path[at + 1 :], safe="")
    return f" (if you meant a revision with a slash, write it as %2F: {fixed})" if fixed else ""


def _memo(cache: Path, base: str, file: HubFile) -> Path:
    key = "\x00".join((base, file.kind, file.repo, file.revision, file.path))
    return cache / "hub" / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def _remember(where: Path, facts: Facts) -> None:
    with contextlib.suppress(OSError):  # a read-only cache: nothing to remember with
        where.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(where) as tmp:
            tmp.write_text(json.dumps(asdict(facts), sort_keys=True), encoding="utf-8")


def _recall(where: Path) -> Facts | None:
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
        return Facts(**{k: data[k] for k in ("commit", "sha256", "git_sha1", "size")})
    except (OSError, ValueError, TypeError, KeyError):
        return None


def resolve(source: str, *, cache: Path, timeout: float = 30.0) -> Entry:
    """Ask the Hub which commit and content an ``hf://`` source names.

    Args:
        source: ``hf://[datasets/]OWNER/REPO[@REVISION]/PATH``.
        cache: the cache root: what was resolved is kept under ``<cache>/hub/``
            and used when the Hub cannot be reached.
        timeout: seconds to wait for the Hub's answer.

    Returns:
        An :class:`~aligner.pretrained.registry.Entry` named ``source`` whose
        ``url`` is the file at the commit the Hub reported (``revision``), with
        the ``sha256`` (LFS) or ``git_sha1`` (in git) and ``size`` it reported.

    Raises:
        UnknownNameError: ``source`` is not spelled as a Hub file.
        DownloadError: the Hub refused (no such repository, revision or file;
            private or gated without a token), or cannot be reached and the
            source was never resolved before.

    Example:
        >>> resolve("hf://fse/glove-wiki-gigaword-50/x.txt", cache=Path("c"))  # doctest: +SKIP
        Entry(name='hf://fse/...', url='https://huggingface.co/fse/.../resolve/1f0c.../x.txt', ...)
    """
    file, (base, auth) = parse(source), _address()
    where = _memo(cache, base, file)
    try:
        facts = _ask(file, source, file.url(base), token_auth() or auth, timeout)
    except (OSError, HTTPException) as exc:
        return _entry(source, file, base, _offline(source, base, where, exc))
    _remember(where, facts)
    return _entry(source, file, base, facts)


def _address() -> tuple[str, str | None]:
    """The endpoint without its ``user:password@``, and the Basic authorization they make."""
    base = endpoint()
    try:
        check_url(base)
        parts = urlsplit(base)
        if parts.query or parts.fragment:
            raise DownloadError(f"the address {redact(base)} has a query or a fragment")
    except DownloadError as exc:
        raise DownloadError(
            f"HF_ENDPOINT='{redact(base)}' is not the Hub's address ({exc}): fix or unset it"
        ) from None
    return without_userinfo(base)


def token_auth() -> str | None:
    """``Authorization: Bearer $HF_TOKEN``, or None without a token."""
    bearer = token()
    return f"Bearer {bearer}" if bearer else None


def _offline(source: str, base: str, where: Path, exc: BaseException) -> Facts:
    """What an earlier resolution of ``source`` found, now that the Hub cannot be reached."""
    facts = _recall(where)
    if facts is None:
        of = " of HF_ENDPOINT" if os.environ.get("HF_ENDPOINT", "").strip() else ""
        if (tls := tls_failure(exc, of=of)) is not None:
            raise DownloadError(
                f"cannot reach the Hub at {base} to resolve {source}: {tls}"
            ) from None
        reason = one_line(getattr(exc, "reason", None) or exc) or type(exc).__name__
        raise DownloadError(
            f"cannot reach the Hub at {base} to resolve {source} ({reason}): offline or "
            "unreachable; run it again when the Hub can be reached (a file downloaded "
            "once is then found offline), or download it and pass its path"
        ) from None
    _log.warning("the Hub cannot be reached; using %s at commit %s", source, facts.commit)
    return facts


def _entry(source: str, file: HubFile, base: str, facts: Facts) -> Entry:
    at = facts.commit or file.revision
    return Entry(
        name=SCHEME + (source[len(SCHEME) :] if is_source(source) else source),
        url=file.url(base, at),
        format=None,  # the reader detects it
        dim=None,
        vocab_size=None,
        size=facts.size,
        sha256=facts.sha256,
        licence=None,
        member=None,
        description=f"Hugging Face Hub, {file.kind}{file.repo} at {at}",
        git_sha1=facts.git_sha1,
        revision=at,
    )
