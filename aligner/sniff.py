"""Recognise files that are not text from their first bytes.

Used where a text file is expected, a vocabulary (:func:`aligner.vocab.read_vocab`)
or vectors (:func:`aligner.pretrained.formats.read_vectors`): pickles (gensim
``.kv`` / ``.model``), numpy ``.npy`` and ``.npz``, PyTorch checkpoints and other
zips, safetensors, HDF5, Parquet, Arrow, compressed files and UTF-16 text are
refused with what they are and what to pass instead (:func:`binary_kind`).
A low-level module: it imports nothing else from aligner.

Example:
    >>> binary_kind(b"guitar\\t5\\n", "vocab.txt", role="vocabulary") is None
    True
    >>> binary_kind(b"\\x93NUMPY\\x01\\x00", "w.npy", role="vectors")[:30]
    'w.npy is a numpy array (.npy):'
    >>> is_utf8("café".encode()[:-1])  # cut inside its last character
    True
"""

from __future__ import annotations

import os
import zipfile

__all__ = ["COMPRESSED_MAGIC", "FASTTEXT_BIN_MAGIC", "binary_kind", "is_utf8"]

_KV = (
    "aligner never loads pickles: in Python run KeyedVectors.load(path)"
    '.save_word2vec_format("vectors.bin", binary=True) and pass vectors.bin to --pretrained'
)
_WITH_TOKENS = (
    "pass vectors with a token on each row (word2vec or GloVe text, word2vec binary, fastText)"
)
#: compressed-file magic numbers: (magic, name, suffix aligner reads, command that decompresses)
COMPRESSED_MAGIC = (
    (b"\x1f\x8b", "gzip", ".gz", "gunzip"),
    (b"BZh", "bzip2", ".bz2", "bunzip2"),
    (b"\xfd7zXZ\x00", "xz", ".xz", "unxz"),
    (b"(\xb5/\xfd", "zstd", None, "zstd -d"),
)
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
FASTTEXT_BIN_MAGIC = (793712314).to_bytes(4, "little")


def binary_kind(
    head: bytes, path: str | os.PathLike[str], *, role: str, zip_ok: bool = False
) -> str | None:
    """A one-line refusal for a file that is not what ``role`` needs; ``None`` for text.

    Recognises, from the first bytes: pickles (gensim ``.kv`` / ``.model``),
    numpy ``.npy`` and ``.npz``, PyTorch checkpoints and other zips, safetensors,
    HDF5, Parquet, Arrow, compressed files, UTF-16 text; for a vocabulary also
    fastText models and other files holding NUL bytes.

    Args:
        head: the file's first bytes (up to 64 KiB), after any decompression.
        path: the file, named in the message (a zip's member names are read).
        role: ``"vectors"`` or ``"vocabulary"``: what the file was passed as.
        zip_ok: a zip archive is expected (its name ends in ``.zip``).

    Example:
        >>> binary_kind(b"\\x80\\x04\\x95", "w.kv", role="vectors")[:33]
        'w.kv is a Python pickle (gensim s'
    """
    if b"\x00" not in head and is_utf8(head):
        return None  # text: every kind below has a NUL byte or invalid UTF-8 in its first bytes
    vocab = role == "vocabulary"
    what = remedy = None
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        what = "a Python pickle (gensim saves .kv and .model files so)"
        remedy = _KV
    elif head.startswith(b"\x93NUMPY"):
        what = "a numpy array (.npy): numbers without their tokens"
        remedy = f"if it is the .vectors.npy of a gensim .kv, convert the .kv: {_KV}"
    elif head.startswith(_ZIP) and not zip_ok:
        what, remedy = _zip_kind(path, vocab)
    elif _is_safetensors(head):
        what, remedy = "a safetensors file: tensors without their tokens", _WITH_TOKENS
    elif head.startswith(b"\x89HDF\r\n\x1a\n"):
        what, remedy = "an HDF5 file", _WITH_TOKENS
    elif head.startswith((b"PAR1", b"ARROW1")):
        what = "a Parquet file" if head.startswith(b"PAR1") else "an Arrow file"
        remedy = "to count a vocabulary from its text column, pass it to --data"
        if not vocab:
            remedy = f"{_WITH_TOKENS}; {remedy}"
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        what, remedy = "UTF-16 text", "re-encode it as UTF-8 (iconv -f UTF-16 -t UTF-8)"
    elif vocab and head.startswith(FASTTEXT_BIN_MAGIC):
        what, remedy = "a fastText model (.bin)", "pass it to --pretrained"
    else:
        for magic, name, suffix, command in COMPRESSED_MAGIC:
            if head.startswith(magic):
                what = f"{name}-compressed"
                remedy = f"decompress it first ({command} FILE)"
                if not vocab and suffix is not None:
                    what += f" but its name does not end in {suffix}"
                    remedy = f"rename it to end in {suffix}"
        if what is None and vocab and b"\x00" in head and not is_utf8(head):
            what = "a binary file (NUL bytes, not UTF-8), not a text vocabulary"
            remedy = "pass a text file with one token per line"
    return None if what is None else f"{path} is {what}; {remedy}"


def _zip_kind(path: str | os.PathLike[str], vocab: bool) -> tuple[str, str]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (OSError, zipfile.BadZipFile):
        names = []
    if names and all(name.endswith(".npy") for name in names):
        return "a numpy .npz archive: arrays without their tokens", _WITH_TOKENS
    if any(name.endswith("data.pkl") for name in names):
        return "a PyTorch checkpoint (a zip of pickles); aligner never loads pickles", _WITH_TOKENS
    if vocab:
        return "a zip archive", "unzip it and pass the vocabulary file inside"
    return "a zip archive whose name does not end in .zip", (
        "rename it to end in .zip (aligner reads the vectors file inside; --member picks one)"
    )


def is_utf8(head: bytes) -> bool:
    """True when ``head`` is UTF-8 text, perhaps cut inside its last character."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.reason == "unexpected end of data" and exc.start >= len(head) - 3
    return True


def _is_safetensors(head: bytes) -> bool:
    """An 8-byte little-endian header length, then the JSON header."""
    if len(head) < 10:
        return False
    size = int.from_bytes(head[:8], "little")
    return 2 <= size < (1 << 28) and head[8:10] in (b'{"', b"{}")
