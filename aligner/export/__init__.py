"""Leave aligner: write vectors and artifacts in the formats other libraries read.

:func:`export` writes an artifact as word2vec text or binary, GloVe text,
gensim ``KeyedVectors``, safetensors or a Hugging Face ``tokenizer.json``
(see :mod:`aligner.export.formats`); :func:`write_vectors` writes
:class:`~aligner.vectors.WordVectors` as a word2vec file (``aligner train``).

Example:
    >>> from aligner.export import export
    >>> export("build/demo", "emb.kv").rows  # doctest: +SKIP
    1012
"""

from __future__ import annotations

from aligner.export.formats import FORMATS, ExportTarget, check_export
from aligner.export.run import ExportResult, export
from aligner.export.word2vec import (
    VECTORS_SUFFIXES,
    compressed,
    vectors_file_format,
    write_vectors,
)

__all__ = [
    "FORMATS",
    "VECTORS_SUFFIXES",
    "ExportResult",
    "ExportTarget",
    "check_export",
    "compressed",
    "export",
    "vectors_file_format",
    "write_vectors",
]
