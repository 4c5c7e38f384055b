"""What a download is checked against, and the checks: digests, size, and the bytes themselves.

A source may publish a sha256 (the Hugging Face Hub's LFS files), an md5
(gensim-data's release list), a git blob id (the Hub's files not in LFS: the
sha1 of ``blob <size>\\0`` followed by the content), a size, or nothing. The
digests are computed in the same pass that writes the bytes (:class:`Digests`
takes each chunk); sha256 always, the others when they are expected. A file
whose digests or size differ is refused with one line naming the source, the
expected and the actual value.

Whatever is published, a download must also look like what it claims to be:
not empty, not a web page, compressed data when its name says so, and a zip
whose members stay inside it (:func:`content_problem`, :func:`check_zip`).

Example:
    >>> expected = Expected(md5="0" * 32, size=3)
    >>> expected.label
    'md5+size'
    >>> digests = Digests(expected.others(), expected.size)
    >>> digests.update(b"abc")
    >>> digests.values()["md5"]
    '900150983cd24fb0d6963f7d28e17f72'
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from aligner.errors import ChecksumError, InputError, VectorsFormatError
from aligner.pretrained.archive import check_member_name, compression_of, looks_compressed
from aligner.pretrained.urls import redact

__all__ = ["KINDS", "Digests", "Expected", "check_zip", "content_problem", "mismatch"]

#: the digests a source may publish besides sha256, and their lengths in hex digits
KINDS = {"sha256": 64, "md5": 32, "git-sha1": 40}
_CHUNK = 1 << 20
WEB_PAGE = "it is a web page (HTML)"


@dataclass(frozen=True)
class Expected:
    """What the publisher states about a file; None where nothing is stated.

    Attributes:
        sha256: the sha256 of the content (hex).
        md5: the md5 of the content (hex).
        git_sha1: the git blob id of the content (hex); needs ``size``.
        size: the size in bytes.
    """

    sha256: str | None = None
    md5: str | None = None
    git_sha1: str | None = None
    size: int | None = None

    def check(self, url: str) -> None:
        """Refuse values no file can match.

        Raises:
            InputError: a digest of the wrong length or not hex, a negative size,
                or a git blob id without a size.
        """
        for kind, value in self.digests().items():
            if not re.fullmatch(rf"[0-9a-fA-F]{{{KINDS[kind]}}}", value):
                raise InputError(
                    f"expected {kind} {value!r} for {redact(url)} is not {KINDS[kind]} hex digits"
                )
        if self.size is not None and self.size < 0:
            raise InputError(f"expected size {self.size} for {redact(url)} is negative")
        if self.git_sha1 is not None and self.size is None:
            raise InputError(f"a git blob id for {redact(url)} is checked only with its size")

    def digests(self) -> dict[str, str]:
        """The expected digests by kind (``sha256``, ``md5``, ``git-sha1``), lowercase."""
        found = {"sha256": self.sha256, "md5": self.md5, "git-sha1": self.git_sha1}
        return {kind: value.lower() for kind, value in found.items() if value is not None}

    def others(self) -> dict[str, str]:
        """The expected digests other than sha256."""
        return {k: v for k, v in self.digests().items() if k != "sha256"}

    @property
    def label(self) -> str:
        """What is verified, e.g. ``sha256+size``, ``md5+size``, ``size`` or ``none``."""
        parts = [*self.digests(), *(["size"] if self.size is not None else [])]
        return "+".join(parts) or "none"


class Digests:
    """The digests of a stream of bytes, computed as they arrive.

    Args:
        kinds: the digests to compute besides sha256 (``md5``, ``git-sha1``).
        size: the stream's size; needed for ``git-sha1`` (its header names it).
    """

    def __init__(self, kinds: Iterable[str] = (), size: int | None = None) -> None:
        self._hashers = {"sha256": hashlib.sha256()}
        for kind in kinds:
            if kind == "md5":
                self._hashers["md5"] = hashlib.md5(usedforsecurity=False)
            elif kind == "git-sha1" and size is not None:
                blob = hashlib.sha1(usedforsecurity=False)
                blob.update(b"blob %d\x00" % size)
                self._hashers["git-sha1"] = blob

    @classmethod
    def of_file(
        cls,
        path: Path,
        kinds: Iterable[str] = (),
        size: int | None = None,
        limit: int | None = None,
    ) -> Digests:
        """The digests of ``path`` (of its first ``limit`` bytes when given)."""
        digests = cls(kinds, path.stat().st_size if size is None else size)
        left = path.stat().st_size if limit is None else limit
        with path.open("rb") as stream:
            while left > 0 and (chunk := stream.read(min(_CHUNK, left))):
                digests.update(chunk)
                left -= len(chunk)
        return digests

    def update(self, data: bytes, /) -> None:
        """Add the next bytes."""
        for hasher in self._hashers.values():
            hasher.update(data)

    def hexdigest(self) -> str:
        """The sha256 (hex)."""
        return self._hashers["sha256"].hexdigest()

    def values(self) -> dict[str, str]:
        """Every digest computed, by kind."""
        return {kind: hasher.hexdigest() for kind, hasher in self._hashers.items()}

    def others(self) -> dict[str, str]:
        """The digests computed besides sha256."""
        return {k: v for k, v in self.values().items() if k != "sha256"}


def mismatch(url: str, expected: Expected, digests: Digests) -> ChecksumError | None:
    """The error for the first expected digest that ``digests`` do not have, else None."""
    actual = digests.values()
    for kind, value in expected.digests().items():
        if actual.get(kind) != value:
            return ChecksumError(
                f"{redact(url)}: {kind} mismatch: expected {value}, got {actual.get(kind)}; "
                "the download was removed (a corrupted or changed file): try again or check "
                "the source"
            )
    return None


def content_problem(final: Path, path: Path) -> str | None:
    """Why the bytes of ``path`` (to become ``final``) are not a vectors file or archive."""
    with path.open("rb") as stream:
        head = stream.read(1024)
    if not head:
        return "it is empty"
    if re.match(rb"(?:\xef\xbb\xbf)?\s*<(?:!doctype\s+html|html)[\s>]", head[:512], re.I):
        return WEB_PAGE
    kind = compression_of(final)
    if kind not in (None, "zip") and not looks_compressed(head, kind):  # zip: checked whole
        return f"it is not {kind} data, as its name says (it starts with {head[:12]!r})"
    return None


def check_zip(url: str, part: Path) -> None:
    """Refuse a zip that is invalid or has a member name that would climb out of it.

    Raises:
        VectorsFormatError: either.
    """
    try:
        with zipfile.ZipFile(part) as archive:
            for info in archive.infolist():
                check_member_name(url, info.filename)
    except zipfile.BadZipFile:
        raise VectorsFormatError(
            f"{redact(url)} did not give a valid zip file; it was removed from the cache"
        ) from None
