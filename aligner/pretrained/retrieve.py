"""Bring one URL's file into its cache entry: locked, resumed, verified, renamed whole.

One process at a time writes an entry (a lock on ``<name>.lock``; another
waits, then uses the finished file). While bytes arrive they go to
``<name>.part`` and their digests are computed in the same pass; only a file
whose size and digests (sha256, md5 or git blob id, whichever the source
publishes: :mod:`aligner.pretrained.verify`) are confirmed, which is not a web
page and whose first bytes match its compression suffix, is renamed to
``<name>`` (atomically), with a ``<name>.sha256`` sidecar recording what was
verified (see :mod:`aligner.pretrained.cache`). A cached file is checked against
its sidecar every time it is used; one that changed is removed and downloaded
again. An interrupted transfer leaves its ``.part`` and the next call asks the
server for the rest (HTTP ``Range``), but only of the same file: the first
reply's ``ETag`` / ``Last-Modified`` is kept beside the part
(``<name>.part.validator``) and sent as ``If-Range``; with no validator the
download starts over (or, when a digest is known, resumes and starts over if
the result does not match). Slow, endless and overlong transfers are stopped
(:mod:`aligner.pretrained.transfer`). Archives are never extracted: a zip is
only checked for member names that would climb out of it, and read in place later.

Example:
    >>> job = Job("https://example.org/v.txt", Expected(size=12))  # doctest: +SKIP
    >>> fill(job, cached_path(job.url), Limits(), SILENT)  # doctest: +SKIP
    PosixPath('/home/me/.cache/aligner/downloads/3f2a.../v.txt')
"""

from __future__ import annotations

import logging
import os
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from aligner.atomic import fsync_path
from aligner.errors import ChecksumError, DownloadError, VectorsFormatError
from aligner.pretrained import cache as entries
from aligner.pretrained.archive import compression_of
from aligner.pretrained.cache import write_remedy
from aligner.pretrained.transfer import (
    LOCAL_HINT,
    Limits,
    StartOver,
    html_refusal,
    receive,
    request,
)
from aligner.pretrained.urls import redact
from aligner.pretrained.verify import (
    WEB_PAGE,
    Digests,
    Expected,
    check_zip,
    content_problem,
    mismatch,
)
from aligner.progress import Progress

__all__ = ["Job", "fill"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One file to bring into the cache: where from, what it must be, who asks."""

    url: str
    expected: Expected
    bearer: str | None = None


def _part(final: Path) -> Path:
    return final.with_name(final.name + ".part")


def _discard(final: Path) -> None:
    """Remove everything cached for this URL but its lock (file, partial file, sidecars)."""
    entries.forget(final, _part(final), entries.validator_path(_part(final)))


def _drop_part(final: Path) -> None:
    """Remove the partial file and its validator: the next transfer starts from byte 0."""
    _part(final).unlink(missing_ok=True)
    entries.validator_path(_part(final)).unlink(missing_ok=True)


def _transfer(job: Job, part: Path, limits: Limits, progress: Progress) -> tuple[Digests, bool]:
    """Bring ``part`` up to the whole file; return its digests and whether it was resumed.

    A part is resumed only when the validator of the file it began is known (or
    a digest of the whole file is: a splice is caught then); else it starts over.
    """
    url, size, kinds = job.url, job.expected.size, job.expected.others()
    have = part.stat().st_size if part.is_file() else 0
    validator = entries.read_validator(part) if have else None
    if have and validator is None and not job.expected.digests():
        _log.info("%s: nothing identifies the file %s began; starting over", redact(url), part)
        have = 0
    reply = request(url, have, limits, validator, bearer=job.bearer)
    if reply.response is None:  # 416: nothing after `have`; whole only if a size confirms it
        if (reply.total if reply.total is not None else size) != have:
            raise StartOver
        return entries.hash_file(part, kinds=kinds), True
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
        hasher = entries.hash_file(part, start, kinds, expect) if start else Digests(kinds, expect)
        got = receive(
            url, reply, part, expect=expect, hasher=hasher, limits=limits, progress=progress
        )
    if expect is not None and got < expect:
        raise DownloadError(
            f"download of {redact(url)} was interrupted after {got} of {expect} bytes; "
            f"run the same command again to resume, {LOCAL_HINT}"
        )
    return hasher, bool(start)


def _check(job: Job, final: Path, digests: Digests) -> None:
    """Refuse the complete ``.part`` of ``final``: wrong size or digest, or not vectors."""
    url, part, size = job.url, _part(final), job.expected.size
    actual = part.stat().st_size
    if size is not None and actual != size:
        raise ChecksumError(
            f"{redact(url)}: expected {size} bytes, got {actual}; the download was removed, "
            "run the command again to download it afresh"
        )
    if (wrong := mismatch(url, job.expected, digests)) is not None:
        raise wrong
    why = content_problem(final, part)
    if why == WEB_PAGE:
        raise html_refusal(url, "an HTML body")
    if why is not None:
        raise VectorsFormatError(
            f"{redact(url)} is not a vectors file or archive: {why}; nothing was kept: "
            f"check the URL, {LOCAL_HINT}"
        )
    if compression_of(final) == "zip":
        check_zip(url, part)


def _finish(job: Job, final: Path, digests: Digests) -> None:
    """Verify the complete ``.part`` and give it its final name; discard it if it fails."""
    try:
        _check(job, final, digests)
    except (DownloadError, VectorsFormatError):
        _discard(final)
        raise
    part = _part(final)
    fsync_path(part)
    os.replace(part, final)
    entries.validator_path(part).unlink(missing_ok=True)
    entries.write_record(final, digests.hexdigest(), digests.others())


def _problem(final: Path, expected: Expected, *, verify: bool = True) -> str | None:
    return entries.problem(
        final, sha256=expected.sha256, size=expected.size, others=expected.others(), verify=verify
    )


def _usable(final: Path, expected: Expected) -> str | None:
    """Why the cached ``final`` cannot be used (None: it can); a bad one is removed."""
    why = _problem(final, expected)
    if why is None:
        why = content_problem(final, final)
    if why not in (None, entries.ABSENT):
        _discard(final)
        _log.warning("the cached %s was removed (%s); downloading it again", final, why)
    return why


def fill(job: Job, final: Path, limits: Limits, progress: Progress) -> Path:
    """Make ``final`` the verified file of ``job.url``: the cached one, or a fresh download.

    Raises:
        DownloadError, ChecksumError, VectorsFormatError: as
            :func:`aligner.pretrained.download.download` says.
    """
    if _problem(final, job.expected, verify=False) is None:
        return final  # verified before, unchanged since: no lock, no read
    with ExitStack() as stack:
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            stack.enter_context(entries.locked(final, progress=progress))
        except OSError as exc:
            if _problem(final, job.expected) is None:
                return final  # a read-only cache holding a good copy
            raise DownloadError(
                f"cannot write to the cache folder {final.parent} ({write_remedy(exc)})"
            ) from None
        try:
            return _locked_download(job, final, limits, progress)
        except OSError as exc:  # the cache's own files: a full disk, an I/O error
            where = exc.filename or final.parent
            raise DownloadError(
                f"cannot write the cache at {where} ({write_remedy(exc)})"
            ) from None
    raise AssertionError("unreachable")


def _locked_download(job: Job, final: Path, limits: Limits, progress: Progress) -> Path:
    """Under the entry's lock: the verified cached file, or a fresh download."""
    entries.sweep(final)
    removed = _usable(final, job.expected)
    if removed is None:
        return final
    if removed == entries.ABSENT:  # a sidecar whose file was deleted: not this file's record
        entries.forget(final)
    try:
        return _download(job, final, limits, progress)
    except DownloadError as exc:
        if removed == entries.ABSENT:
            raise
        raise type(exc)(f"{exc} (the cached copy was removed: {removed})") from None


def _download(job: Job, final: Path, limits: Limits, progress: Progress) -> Path:
    for _attempt in range(2):
        try:
            digests, resumed = _transfer(job, _part(final), limits, progress)
        except StartOver:
            _drop_part(final)
            continue
        except ChecksumError:
            _discard(final)
            raise
        if resumed and mismatch(job.url, job.expected, digests) is not None:
            _log.warning(
                "%s: the resumed file is not the expected one; starting over", redact(job.url)
            )
            _drop_part(final)
            continue
        _finish(job, final, digests)
        return final
    raise DownloadError(
        f"{redact(job.url)}: the server does not resume downloads consistently; {LOCAL_HINT}"
    )
