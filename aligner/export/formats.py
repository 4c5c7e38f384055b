"""The export formats, the names their files must have, and which rows each keeps.

=================== ================================ ========================
format              output name                      rows by default
=================== ================================ ========================
``word2vec``        ``NAME.txt`` or ``NAME.vec``     found only
``word2vec-binary`` ``NAME.bin``                     found only
``glove``           ``NAME.txt``                     found only
``gensim``          ``NAME.kv`` (+ ``.vectors.npy``) found only
``safetensors``     ``NAME.safetensors``             all (ids kept)
``tokenizer.json``  ``NAME.json``                    all (ids kept)
=================== ================================ ========================

The three text and binary tables may end in ``.gz``, ``.bz2`` or ``.xz``
(compressed). The format can be left out when the name says it: ``.vec``,
``.bin``, ``.kv``, ``.safetensors``, ``.json``; ``NAME.txt`` is word2vec or
GloVe text alike, so it needs the format named.

*Found* rows are those with a trained or pretrained vector (kinds ``exact``,
``lowercase``, ``accents``, ``digits``, ``subword``); the others (``pad``,
the ``special`` unknown row, rows ``fill``-ed at random) are left out of the
tables keyed by word unless asked for, and are always kept where row ids
matter (safetensors, tokenizer.json).

Example:
    >>> check_export("vectors.kv").format, check_export("vectors.kv").include_filled
    ('gensim', False)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from aligner.errors import InputError
from aligner.export.word2vec import COMPRESSION_SUFFIXES, split_compression
from aligner.writable import shown

__all__ = ["FORMATS", "FOUND_KINDS", "KEEPS_IDS", "ExportTarget", "check_export"]

FORMATS = ("word2vec", "word2vec-binary", "glove", "gensim", "safetensors", "tokenizer.json")
#: the formats whose rows are addressed by id: every row is exported, in order
KEEPS_IDS = frozenset({"safetensors", "tokenizer.json"})
#: row kinds (provenance) that hold a trained or pretrained vector
FOUND_KINDS = frozenset({"exact", "lowercase", "accents", "digits", "subword"})

# format -> (suffixes its name may end with, how the message names them, compressible)
_NAMES: dict[str, tuple[tuple[str, ...], str, bool]] = {
    "word2vec": ((".txt", ".vec"), "NAME.txt or NAME.vec", True),
    "word2vec-binary": ((".bin",), "NAME.bin", True),
    "glove": ((".txt",), "NAME.txt", True),
    "gensim": ((".kv",), "NAME.kv", False),
    "safetensors": ((".safetensors",), "NAME.safetensors", False),
    "tokenizer.json": ((".json",), "NAME.json (tokenizer.json)", False),
}
# the suffix that names one format on its own
_INFERRED = {".vec": "word2vec", ".bin": "word2vec-binary", ".kv": "gensim"}
_INFERRED |= {".safetensors": "safetensors", ".json": "tokenizer.json"}


@dataclass(frozen=True)
class ExportTarget:
    """What an export writes: the format, the main file, and which rows.

    Attributes:
        format: one of :data:`FORMATS`.
        path: the output file (for ``gensim``, the ``.kv`` file; its vectors
            go to ``PATH.vectors.npy`` beside it).
        compression: ``.gz``, ``.bz2``, ``.xz`` or ``None``.
        include_filled: export the rows without a found vector too.
    """

    format: str
    path: Path
    compression: str | None
    include_filled: bool

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file the export writes (the main one last)."""
        if self.format == "gensim":
            return (self.path.with_name(self.path.name + ".vectors.npy"), self.path)
        return (self.path,)


def check_export(
    out: str | os.PathLike[str], *, to: str | None = None, include_filled: bool | None = None
) -> ExportTarget:
    """Check that the options go together, before anything is opened or written.

    Args:
        out: the output file; its name must fit the format.
        to: the format (one of :data:`FORMATS`); ``None``: the one ``out``'s
            suffix names.
        include_filled: export rows without a found vector; ``None``: the
            format's default (see the module).

    Returns:
        An :class:`ExportTarget`.

    Raises:
        InputError: an unknown format, a name that does not fit it (or names
            none), ``include_filled=False`` for a format that keeps row ids.

    Example:
        >>> check_export("emb.txt.gz", to="glove").compression
        '.gz'
    """
    path = Path(out)
    inner, compression = split_compression(path)
    suffix = os.path.splitext(inner)[1]
    if to is None:
        to = _infer(path, suffix)
    if to not in FORMATS:
        raise InputError(f"unknown export format {to!r}; choose one of: {', '.join(FORMATS)}")
    suffixes, names, compressible = _NAMES[to]
    if suffix not in suffixes or (compression is not None and not compressible):
        extra = f", optionally + {', '.join(COMPRESSION_SUFFIXES)}" if compressible else ""
        raise InputError(
            f"output {shown(path)} does not fit format {to}: name it {names}{extra}, "
            "or choose the format that name says"
        )
    if to in KEEPS_IDS and include_filled is False:
        raise InputError(
            f"format {to} keeps every row under its id, so it cannot leave rows out; "
            "drop --found-only (include_filled=False)"
        )
    keep = to in KEEPS_IDS if include_filled is None else include_filled
    return ExportTarget(to, path, compression, keep)


def _infer(path: Path, suffix: str) -> str:
    fmt = _INFERRED.get(suffix)
    if fmt is not None:
        return fmt
    if suffix == ".txt":
        raise InputError(
            f"output {shown(path)} may be word2vec text (with an 'N D' header) or GloVe text "
            "(without): name the format with --to word2vec or --to glove"
        )
    raise InputError(
        f"output {shown(path)}: its name says no export format; name it NAME.vec, .txt, .bin, .kv, "
        ".safetensors or .json, or name the format with --to"
    )
