"""Open an artifact directory: read the manifest once, open what it names, verify, map.

All the files are opened (through the directory's descriptor, see
:func:`~aligner.artifact.layout.open_member`) right after the manifest is
read, and everything is then read and verified from those descriptors, so a
replacement of the artifact while it opens cannot mix two builds: a file
removed by a replacement in that instant makes the open start again with
the new manifest.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from aligner.artifact.handle import Artifact
from aligner.artifact.layout import (
    MANIFEST,
    Member,
    Vanished,
    open_directory,
    open_member,
    read_manifest,
    shown,
)
from aligner.artifact.mapped import MappedVectors
from aligner.errors import ArtifactCorruptError, InputError
from aligner.tokenize import TokenizerSpec
from aligner.vocab import Vocab

__all__ = ["open_artifact"]

ATTEMPTS = 20  # opens that may meet a replacement in progress before giving up


def open_artifact(path: str | os.PathLike[str], *, verify: bool = True) -> Artifact:
    """Open an artifact directory.

    Args:
        path: the directory written by ``aligner build``.
        verify: check the sha256 of the vectors file (reads it once). The
            small vocabulary and provenance files are always checked.

    Returns:
        An :class:`Artifact` with memory-mapped vectors. It keeps reading the
        files it verified, whatever later happens to the directory.

    Raises:
        ArtifactError: not an artifact, or a newer format.
        ArtifactCorruptError: a file disagrees with the manifest, or the
            manifest names something that is not a regular file inside the
            directory.

    Example:
        >>> art = aligner.load("build/demo")  # doctest: +SKIP
        >>> art.vectors.shape  # doctest: +SKIP
        (1056, 50)
    """
    path = Path(path)
    for _ in range(ATTEMPTS):
        dfd = open_directory(path)
        try:
            manifest, manifest_stat = read_manifest(dfd, path)
            try:
                return _open(path, dfd, manifest, verify=verify)
            except Vanished as gone:
                if not _replaced(path, dfd, manifest_stat):
                    raise ArtifactCorruptError(str(gone)) from None
        finally:
            os.close(dfd)
    raise ArtifactCorruptError(
        f"{shown(path)} was replaced {ATTEMPTS} times while it was being opened; open it again"
    )


def _replaced(path: Path, dfd: int, manifest_stat: os.stat_result) -> bool:
    """Whether the manifest (or the directory itself) changed since it was read."""
    try:
        now = os.stat(MANIFEST, dir_fd=dfd, follow_symlinks=False)
        here, held = os.stat(path), os.fstat(dfd)
    except OSError:
        return True
    return (now.st_ino, now.st_mtime_ns) != (manifest_stat.st_ino, manifest_stat.st_mtime_ns) or (
        here.st_dev,
        here.st_ino,
    ) != (held.st_dev, held.st_ino)


def _section(manifest: dict[str, Any], path: Path, name: str) -> dict[str, Any]:
    entry = manifest.get(name)
    if not isinstance(entry, dict):
        raise ArtifactCorruptError(
            f"{shown(path / MANIFEST)} lacks the {name!r} section; rebuild the artifact"
        )
    return entry


def _open(path: Path, dfd: int, manifest: dict[str, Any], *, verify: bool) -> Artifact:
    vec, voc = _section(manifest, path, "vectors"), _section(manifest, path, "vocab")
    prov = _section(manifest, path, "provenance")
    tok = manifest.get("tokenizer", {})
    if not isinstance(tok, dict):
        raise ArtifactCorruptError(
            f"{shown(path / MANIFEST)}: tokenizer is not a JSON object; rebuild"
        )
    members: list[Member] = []
    try:
        # open everything first: from here on, a replacement cannot take a file away
        for section, key in ((vec, "vectors"), (voc, "vocab"), (prov, "provenance")):
            members.append(open_member(dfd, path, section.get("file"), f"{key}.file"))
        if "model_file" in tok:
            members.append(open_member(dfd, path, tok["model_file"], "tokenizer.model_file"))
        mapped = MappedVectors(members[0], vec, verify=verify)
        tokens = _lines(members[1], voc, "the vocabulary")
        provenance = _lines(members[2], prov, "the provenance")
        model = (
            members[3].read(expected=_size(tok, "model_bytes", path)) if len(members) > 3 else None
        )
    finally:
        for member in members:
            member.close()
    tokenizer = _tokenizer(path, tok, model)
    vocab = _vocab(path, members[1].path, voc, tokens)
    vectors = mapped.map()
    if len(tokens) != vectors.shape[0] or len(provenance) != len(tokens):
        raise ArtifactCorruptError(
            f"{shown(path)}: vocabulary ({len(tokens)}), provenance ({len(provenance)}) and "
            f"vectors ({vectors.shape[0]}) rows disagree; rebuild the artifact"
        )
    return Artifact(path, manifest, vocab, vectors, provenance, tokenizer, mapped=mapped)


def _size(section: dict[str, Any], key: str, path: Path) -> int | None:
    value = section.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ArtifactCorruptError(
            f"{shown(path / MANIFEST)}: {key} is {value!r}, not a byte count; rebuild the artifact"
        )
    return value


def _lines(member: Member, section: dict[str, Any], what: str) -> list[str]:
    # bytes, not read_text(): universal newlines would turn a "\r" inside a token into a break
    data = member.read(expected=_size(section, "bytes", member.path.parent))
    if hashlib.sha256(data).hexdigest() != section.get("sha256"):
        raise ArtifactCorruptError(
            f"{shown(member.path)}: sha256 differs from the manifest ({what} was modified or "
            "truncated); rebuild the artifact"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ArtifactCorruptError(
            f"{shown(member.path)} is not valid UTF-8; rebuild the artifact"
        ) from None
    if not text:
        return []
    if not text.endswith("\n"):
        raise ArtifactCorruptError(
            f"{shown(member.path)} does not end with a line break: it was truncated"
        )
    return text[:-1].split("\n")


def _vocab(path: Path, file: Path, section: dict[str, Any], tokens: list[str]) -> Vocab:
    pad, unk = section.get("pad"), section.get("unk")
    if not all(s is None or isinstance(s, str) for s in (pad, unk)):
        raise ArtifactCorruptError(
            f"{shown(path / MANIFEST)}: vocab.pad and vocab.unk must be tokens or null; rebuild"
        )
    n_specials = sum(s is not None for s in (pad, unk))
    try:
        vocab = Vocab(tokens[n_specials:], pad=pad, unk=unk)
    except InputError as exc:
        raise ArtifactCorruptError(f"{file}: {exc}; rebuild the artifact") from None
    if vocab.tokens != tokens:
        raise ArtifactCorruptError(
            f"{file} does not start with the specials the manifest names ({pad!r}, {unk!r}); "
            "rebuild the artifact"
        )
    return vocab


def _tokenizer(path: Path, section: dict[str, Any], model: bytes | None) -> TokenizerSpec:
    section = {k: v for k, v in section.items() if k not in ("model_file", "model_bytes")}
    try:
        return TokenizerSpec.from_dict(section, model=model)
    except (InputError, TypeError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ArtifactCorruptError(f"{shown(path)}: {reason}") from None
