"""The files of an artifact, written into a folder: content-named data files and the manifest.

Each data file is written under a temporary name while it is hashed, flushed
to disk, and then known by its final name, ``<kind>.<sha256[:16]>.<suffix>``;
the caller renames it into place (see :mod:`aligner.artifact.write`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from aligner.artifact.layout import DTYPES, FORMAT_VERSION, data_name
from aligner.atomic import temp_path
from aligner.errors import ArtifactError
from aligner.tokenize import TokenizerSpec
from aligner.vocab import Vocab

__all__ = ["Files", "manifest", "stored_matrix", "write_files", "write_json"]


def stored_matrix(
    matrix: np.ndarray, vocab: Vocab, provenance: Sequence[str], dtype: str
) -> np.ndarray:
    """``matrix`` as stored (``dtype``, C order), after checking what can be written."""
    if matrix.ndim != 2 or matrix.shape[0] != len(vocab) or len(provenance) != len(vocab):
        raise ArtifactError(
            f"matrix {matrix.shape}, vocabulary {len(vocab)} and provenance "
            f"{len(provenance)} rows disagree"
        )
    if dtype not in DTYPES:
        raise ArtifactError(f"unknown dtype {dtype!r}; choose one of: {', '.join(DTYPES)}")
    with np.errstate(over="ignore", invalid="ignore"):  # checked just below
        stored = np.ascontiguousarray(matrix, dtype=DTYPES[dtype])
    # only a conversion can overflow (a float32 matrix stored as float32 is not copied)
    if stored is not matrix and np.isfinite(matrix).all() and not np.isfinite(stored).all():
        raise ArtifactError(f"vector values exceed the {dtype} range; store them as float32")
    for what, lines in (("token", vocab.tokens), ("provenance", provenance)):
        if "\n" not in "".join(lines):
            continue
        for i, line in enumerate(lines):
            if "\n" in line:
                raise ArtifactError(f"{what} of row {i} contains a line break: {line!r}")
    return stored


class Files:
    """The data files written so far: (temporary path, final name) and manifest entries."""

    def __init__(self) -> None:
        self.moves: list[tuple[Path, str]] = []
        self.entries: dict[str, dict[str, Any]] = {}


class _HashingFile:
    """A binary file that hashes and counts what is written to it."""

    def __init__(self, path: Path) -> None:
        self.fh = path.open("xb")
        self.digest, self.size = hashlib.sha256(), 0

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.digest.update(view)
        self.fh.write(view)
        self.size += view.nbytes
        return view.nbytes

    def close(self) -> tuple[str, int]:
        """Flush to disk and close; the sha256 and size written."""
        with self.fh:
            self.fh.flush()
            os.fsync(self.fh.fileno())
        return self.digest.hexdigest(), self.size


def _write_file(
    folder: Path, kind: str, files: Files, written: list[Path], fill: Callable[[_HashingFile], Any]
) -> dict[str, Any]:
    tmp = temp_path(folder / kind)
    written.append(tmp)
    out = _HashingFile(tmp)
    try:
        fill(out)
    finally:
        sha, size = out.close()
    files.moves.append((tmp, data_name(kind, sha)))
    return {"file": data_name(kind, sha), "sha256": sha, "bytes": size}


def _lines_writer(lines: Iterable[str]) -> Callable[[_HashingFile], None]:
    def fill(out: _HashingFile) -> None:
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) >= 8192:
                out.write("".join(f"{x}\n" for x in batch).encode("utf-8"))
                batch.clear()
        out.write("".join(f"{x}\n" for x in batch).encode("utf-8"))

    return fill


def write_files(
    folder: Path,
    matrix: np.ndarray,
    vocab: Vocab,
    provenance: Sequence[str],
    tokenizer: TokenizerSpec | None,
    written: list[Path],
) -> Files:
    """Write the data files into ``folder`` under temporary names (each added to
    ``written`` before it is created, for the caller to remove on failure)."""
    files = Files()
    vec = _write_file(
        folder, "vectors", files, written, lambda out: np.save(out, matrix, allow_pickle=False)
    )
    files.entries["vectors"] = {
        "file": vec["file"],
        "shape": list(matrix.shape),
        "dtype": matrix.dtype.str,
        "order": "C",
        "sha256": vec["sha256"],
        "bytes": vec["bytes"],
    }
    voc = _write_file(folder, "vocab", files, written, _lines_writer(vocab.tokens))
    files.entries["vocab"] = {
        "file": voc["file"],
        "size": len(vocab),
        "sha256": voc["sha256"],
        "bytes": voc["bytes"],
        "pad": None if vocab.pad_id is None else vocab.tokens[vocab.pad_id],
        "unk": None if vocab.unk_id is None else vocab.tokens[vocab.unk_id],
        "pad_id": vocab.pad_id,
        "unk_id": vocab.unk_id,
    }
    kinds: dict[str, int] = {}
    for kind in provenance:
        kinds[kind] = kinds.get(kind, 0) + 1
    prov = _write_file(folder, "provenance", files, written, _lines_writer(provenance))
    files.entries["provenance"] = {**prov, "kinds": kinds}
    if tokenizer is not None:
        section = tokenizer.to_dict()
        model = tokenizer.model
        if model is not None:
            entry = _write_file(folder, "tokenizer", files, written, lambda out: out.write(model))
            section["model_file"], section["model_bytes"] = entry["file"], entry["bytes"]
        files.entries["tokenizer"] = section
    return files


def manifest(files: Files, sections: dict[str, Any]) -> dict[str, Any]:
    """The manifest of the files written, with the further ``sections``."""
    from aligner import __version__

    sections = dict(sections)
    if "tokenizer" in files.entries:
        sections["tokenizer"] = files.entries["tokenizer"]
    return {
        "format_version": FORMAT_VERSION,
        "aligner_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "vectors": files.entries["vectors"],
        "vocab": files.entries["vocab"],
        "provenance": files.entries["provenance"],
        **sections,
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to the new file ``path``, flushed to disk.

    A path's bytes that are not UTF-8 (lone surrogates) are written as ``\\udcXX``
    escapes, which JSON reads back as the same string.
    """
    with path.open("x", encoding="utf-8", errors="backslashreplace") as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
