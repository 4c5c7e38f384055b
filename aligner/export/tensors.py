"""The artifact as a safetensors file: the matrix, and what its rows mean in the metadata.

One tensor, ``weight``: the ``(rows, dim)`` matrix in the artifact's storage
type (``F32``, or ``F16`` for a float16 artifact), every row under its id, so
``torch.nn.Embedding.load_state_dict(safetensors.torch.load_file(path))``
fills an embedding of the same shape. The ``__metadata__`` strings (lists and
objects JSON-encoded) say what the rows are:

================= =====================================================
``format``        ``pt`` (the Hugging Face convention for torch weights)
``vocab``         the tokens, row ``i`` = token ``i`` (a JSON list)
``provenance``    the match kind of every row (a JSON list)
``tokenizer``     the artifact's tokenizer spec (a JSON object)
``pad_token``     the padding token, or ``""`` for none (likewise ``unk_token``)
``vectors_sha256`` the sha256 of the artifact's vectors file
``aligner``       the aligner version that wrote the file
================= =====================================================

The file is written without the safetensors library, streamed from the
memory-mapped matrix: an 8-byte little-endian header length, the JSON header
(padded with spaces to a multiple of 8 bytes), then the raw little-endian data.

Example:
    >>> from safetensors.numpy import load_file  # doctest: +SKIP
    >>> load_file("emb.safetensors")["weight"].shape  # doctest: +SKIP
    (1056, 50)
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from typing import IO, Any

import numpy as np

from aligner.errors import InputError
from aligner.progress import ProgressBar

__all__ = ["HEADER_LIMIT", "TENSOR", "safetensors_header", "write_safetensors"]

TENSOR = "weight"
#: the largest header the safetensors library reads
HEADER_LIMIT = 100_000_000
_DTYPES = {np.dtype("<f4"): "F32", np.dtype("<f2"): "F16"}
CHUNK_BYTES = 1 << 24


def safetensors_header(
    matrix: np.ndarray, metadata: dict[str, str], *, where: str = "the artifact"
) -> bytes:
    """The length prefix and the padded JSON header of a file holding ``matrix``.

    Raises:
        InputError: the matrix is not float32 or float16, or the header is
            over the 100 MB the safetensors library reads.
    """
    dtype = _DTYPES.get(matrix.dtype.newbyteorder("<"))
    if dtype is None:
        raise InputError(f"{where}: vectors of type {matrix.dtype} cannot be exported")
    size = matrix.shape[0] * matrix.shape[1] * matrix.dtype.itemsize
    header = {
        "__metadata__": metadata,
        TENSOR: {"dtype": dtype, "shape": list(matrix.shape), "data_offsets": [0, size]},
    }
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    if len(text) > HEADER_LIMIT:
        raise InputError(
            f"{where}: its vocabulary and provenance make a safetensors header of "
            f"{len(text):,} bytes, over the {HEADER_LIMIT:,} the safetensors library reads; "
            "export the vectors with --to gensim or word2vec instead"
        )
    return struct.pack("<Q", len(text)) + text


def metadata(
    tokens: Sequence[str],
    provenance: Sequence[str],
    tokenizer: dict[str, Any],
    specials: tuple[str | None, str | None],
    extra: dict[str, str],
) -> dict[str, str]:
    """The ``__metadata__`` strings (see the module)."""
    pad, unk = specials
    return {
        "format": "pt",
        "vocab": json.dumps(list(tokens), ensure_ascii=False),
        "provenance": json.dumps(list(provenance)),
        "tokenizer": json.dumps(tokenizer, ensure_ascii=False, sort_keys=True),
        "pad_token": pad or "",
        "unk_token": unk or "",
        **extra,
    }


def write_safetensors(
    fh: IO[bytes],
    matrix: np.ndarray,
    meta: dict[str, str],
    *,
    where: str = "the artifact",
    bar: ProgressBar | None = None,
) -> int:
    """Write ``matrix`` (float32 or float16) and ``meta`` as one safetensors file.

    The matrix is read a slice of about 16 MiB at a time, so a memory-mapped
    matrix is never copied whole.

    Returns:
        The number of rows written.

    Raises:
        InputError: see :func:`safetensors_header`.
    """
    fh.write(safetensors_header(matrix, meta, where=where))
    little = matrix.dtype.newbyteorder("<")
    step = max(1, CHUNK_BYTES // max(1, matrix.shape[1] * matrix.dtype.itemsize))
    for start in range(0, matrix.shape[0], step):
        block = np.ascontiguousarray(matrix[start : start + step], dtype=little)
        fh.write(block.tobytes())
        if bar is not None:
            bar.update(len(block))
    return int(matrix.shape[0])
