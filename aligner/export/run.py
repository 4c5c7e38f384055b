"""``export()``: an artifact's vectors, vocabulary and tokenizer in another library's format.

See :mod:`aligner.export.formats` for the formats, their file names and which
rows each keeps. Every export is atomic: the files are written beside their
destination and moved into place (both of gensim's files, or neither), so a
failure leaves nothing behind and an existing file is replaced only with
``force``.

Example:
    >>> result = export("build/demo", "emb.kv")  # doctest: +SKIP
    >>> result.files  # doctest: +SKIP
    (PosixPath('emb.kv.vectors.npy'), PosixPath('emb.kv'))
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from aligner.atomic import atomic_file, check_file_output, sweep_temporaries
from aligner.errors import InputError
from aligner.export.formats import FOUND_KINDS, ExportTarget, check_export
from aligner.export.word2vec import compressed, write_table
from aligner.progress import SILENT, Progress
from aligner.writable import shown

if TYPE_CHECKING:
    from pathlib import Path

    from aligner.artifact import Artifact

__all__ = ["ExportResult", "export"]


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote.

    Attributes:
        path: the main output file (gensim: the ``.kv`` file).
        files: every file written.
        format: the format (see :data:`~aligner.export.formats.FORMATS`).
        rows: the rows (for tokenizer.json: the tokens) written.
        dim: the vector dimension (``None`` for tokenizer.json).
        dtype: the type of the values written (``None`` for tokenizer.json).
        left_out: the rows left out (not found: filled at random, pad, unknown).
        warnings: one line per way a consumer may read the export differently
            from aligner (tokenizer.json only).
    """

    path: Path
    files: tuple[Path, ...]
    format: str
    rows: int
    dim: int | None
    dtype: str | None
    left_out: int = 0
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "path": str(self.path),
            "files": [str(f) for f in self.files],
            "format": self.format,
            "rows": self.rows,
            "dim": self.dim,
            "dtype": self.dtype,
            "left_out": self.left_out,
            "warnings": list(self.warnings),
        }


def export(
    artifact: Artifact | str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    to: str | None = None,
    include_filled: bool | None = None,
    force: bool = False,
    verify: bool = True,
    progress: Progress = SILENT,
) -> ExportResult:
    """Write an artifact in another library's format.

    Args:
        artifact: an opened :class:`~aligner.artifact.Artifact`, or its directory.
        out: the output file; its name must fit the format.
        to: ``"word2vec"``, ``"word2vec-binary"``, ``"glove"``, ``"gensim"``,
            ``"safetensors"`` or ``"tokenizer.json"``; ``None``: the one
            ``out``'s suffix names (``.vec``, ``.bin``, ``.kv``,
            ``.safetensors``, ``.json``).
        include_filled: also export rows without a trained or pretrained
            vector (pad, unknown, filled at random); ``None``: the format's
            default (left out of word2vec, GloVe and gensim files; always
            kept by safetensors and tokenizer.json, which keep row ids).
        force: replace existing output files.
        verify: check the sha256 of the artifact's vectors when opening it.
        progress: receives a progress bar for the rows written.

    Returns:
        An :class:`ExportResult`.

    Raises:
        InputError: the options do not go together (see
            :func:`~aligner.export.formats.check_export`), an output file
            exists without ``force`` (a symbolic link too) or is one of an
            artifact's own files, no row is found, a token cannot be
            written (whitespace in a word2vec or GloVe key), or the
            tokenizer cannot be exported (sentencepiece).
        ArtifactError: ``artifact`` is not an artifact directory.

    Example:
        >>> export("build/demo", "emb.safetensors").rows  # doctest: +SKIP
        1056
    """
    from aligner.artifact import Artifact, open_artifact
    from aligner.export.place import recover

    target = check_export(out, to=to, include_filled=include_filled)
    recover(target.path.parent)  # a killed export's pair is put back before anything else
    sweep_temporaries(target.path.parent)  # what killed writers left there, whatever its name
    for path in reversed(target.files):  # the main file first
        check_file_output(path, force=force)
    art = artifact if isinstance(artifact, Artifact) else open_artifact(artifact, verify=verify)
    if target.format == "tokenizer.json":
        return _tokenizer(art, target, force)
    rows = None if target.include_filled else _found_rows(art)
    count = len(art.vocab) if rows is None else len(rows)
    with progress.bar(f"export {target.format}", total=count, unit="rows") as bar:
        if target.format == "gensim":
            dtype = _gensim(art, target, rows, force)
            bar.update(count)
        elif target.format == "safetensors":
            dtype = _safetensors(art, target, force, bar)
        else:
            dtype = _table(art, target, rows, force, bar)
    return ExportResult(
        target.path, target.files, target.format, count, art.dim, dtype, len(art.vocab) - count
    )


def _found_rows(art: Artifact) -> np.ndarray:
    rows = np.flatnonzero([kind in FOUND_KINDS for kind in art.provenance])
    if not len(rows):
        raise InputError(
            f"{shown(art.path)}: no row has a trained or pretrained vector (every one is pad, "
            "unknown or filled at random); pass --include-filled (include_filled=True) to "
            "export them"
        )
    return rows


def _table(
    art: Artifact, target: ExportTarget, rows: np.ndarray | None, force: bool, bar: Any
) -> str:
    with (
        atomic_file(target.path, replace=force) as tmp,
        tmp.open("wb") as raw,
        compressed(raw, target.compression) as fh,
    ):
        write_table(
            fh, art.vocab.tokens, art.vectors, rows,
            binary=target.format == "word2vec-binary", header=target.format != "glove",
            where=shown(art.path), bar=bar,
        )  # fmt: skip
    return "float32"


def _gensim(art: Artifact, target: ExportTarget, rows: np.ndarray | None, force: bool) -> str:
    from aligner.export.keyed import select_rows, write_keyed

    matrix = select_rows(art.vectors, rows)
    tokens = art.vocab.tokens
    keys = tokens if rows is None else [tokens[i] for i in rows.tolist()]
    write_keyed(target.path, keys, matrix, force=force)
    return "float32"


def _safetensors(art: Artifact, target: ExportTarget, force: bool, bar: Any) -> str:
    import aligner
    from aligner.export.tensors import metadata, write_safetensors

    vocab = art.vocab
    specials = (
        None if vocab.pad_id is None else vocab.tokens[vocab.pad_id],
        None if vocab.unk_id is None else vocab.tokens[vocab.unk_id],
    )
    section = art.manifest.get("vectors")
    digest = section.get("sha256") if isinstance(section, dict) else None
    extra = {"aligner": aligner.__version__}
    if isinstance(digest, str):
        extra["vectors_sha256"] = digest
    meta = metadata(vocab.tokens, art.provenance, art.tokenizer.to_dict(), specials, extra)
    with atomic_file(target.path, replace=force) as tmp, tmp.open("wb") as fh:
        write_safetensors(fh, art.vectors, meta, where=shown(art.path), bar=bar)
    return str(np.dtype(art.vectors.dtype).name)


def _tokenizer(art: Artifact, target: ExportTarget, force: bool) -> ExportResult:
    from aligner.export.hf_tokenizer import tokenizer_differences, tokenizer_json

    document = tokenizer_json(art.vocab, art.tokenizer, where=shown(art.path))
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    with atomic_file(target.path, replace=force) as tmp:
        tmp.write_text(text, encoding="utf-8")
    warnings = tuple(
        f"{shown(target.path)}: {line}" for line in tokenizer_differences(art.vocab, art.tokenizer)
    )
    return ExportResult(
        target.path, target.files, target.format, len(art.vocab), None, None, 0, warnings
    )
