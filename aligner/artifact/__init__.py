"""The artifact directory: write it atomically, open it memory-mapped and verified.

The format is described in :mod:`aligner.artifact.layout`; writing (one
atomically replaced manifest, content-named data files, a lock per output) in
:mod:`aligner.artifact.write`; opening in :mod:`aligner.artifact.open`.

Example:
    >>> write_artifact("build/a", matrix, vocab, kinds)  # doctest: +SKIP
    >>> art = open_artifact("build/a")  # doctest: +SKIP
"""

from __future__ import annotations

from aligner.artifact.handle import Artifact
from aligner.artifact.layout import DTYPES, FORMAT_VERSION, MANIFEST, load_manifest
from aligner.artifact.open import open_artifact
from aligner.artifact.write import check_output, sweep_output, write_artifact
from aligner.atomic import sha256_file

__all__ = [
    "DTYPES",
    "FORMAT_VERSION",
    "MANIFEST",
    "Artifact",
    "check_output",
    "load_manifest",
    "open_artifact",
    "sha256_file",
    "sweep_output",
    "write_artifact",
]
