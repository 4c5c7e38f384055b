"""The one tokenizer spec.

A :class:`TokenizerSpec` is saved in every artifact's manifest (a
sentencepiece model beside it, as ``tokenizer.model``) and reused by corpus
reading, vocabulary building and encoding, so that text is split the same way
at build time and at training time.

Text goes through three steps, in this order:

1. ``normalize="nfkc"``: Unicode NFKC normalization (``ﬁ`` → ``fi``, full-width
   forms → ASCII);
2. ``lowercase``: per-character lowercase (``İ`` → ``i``, ``Σ`` → ``σ`` in
   every position, as pyarrow's ``utf8_lower`` does, so that the Python and
   the Arrow encoders agree);
3. splitting, by ``kind``:

   ================= ======================================================
   ``whitespace``    runs of Unicode whitespace separate tokens (``str.split()``)
   ``regex``         a token is a run of word characters (Unicode letters,
                     numbers, marks, ``_``) or one other non-space character,
                     so punctuation becomes tokens: ``"don't!"`` → ``don ' t !``
   ``sentencepiece`` the pieces of a sentencepiece model (unigram or BPE),
                     trained with :func:`train_sentencepiece` or loaded from a
                     ``.model`` file
   ================= ======================================================

Characters are classified with Python's Unicode database
(:data:`unicodedata.unidata_version`). The Arrow encoder gives the same
tokens for every code point: where pyarrow's newer tables would lowercase or
normalize a character Python does not know yet, that text is prepared by
Python.

Example:
    >>> spec = TokenizerSpec(lowercase=True)
    >>> spec("Play the Guitar")
    ['play', 'the', 'guitar']
    >>> TokenizerSpec(kind="regex")("Don't stop!")
    ['Don', "'", 't', 'stop', '!']
    >>> TokenizerSpec.from_dict(spec.to_dict()) == spec
    True
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from aligner.errors import InputError
from aligner.sniff import is_utf8

__all__ = [
    "KINDS",
    "NORMALIZATIONS",
    "TokenizerSpec",
    "train_sentencepiece",
    "word_class_ranges",
]

KINDS = ("whitespace", "regex", "sentencepiece")
NORMALIZATIONS = ("nfkc",)
SP_MODEL_TYPES = ("unigram", "bpe")
# Python's full lowercase mapping differs from the per-character one only here.
_SIMPLE_LOWER = str.maketrans({"\u0130": "i", "\u03a3": "\u03c3"})


@cache
def word_class_ranges() -> tuple[tuple[int, int], ...]:
    """Code point ranges of word characters: categories L*, N*, M*, and ``_``."""
    ranges: list[tuple[int, int]] = []
    start = previous = -2
    for code in range(0x110000):
        char = chr(code)
        if unicodedata.category(char)[0] in "LNM" or char == "_":
            if code != previous + 1:
                if start >= 0:
                    ranges.append((start, previous))
                start = code
            previous = code
    ranges.append((start, previous))
    return tuple(ranges)


@cache
def _regex() -> re.Pattern[str]:
    cls = "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in word_class_ranges()
    )
    return re.compile(f"[{cls}]+|[^\\s{cls}]")


#: the largest sentencepiece model read (real ones are a few MiB)
SP_MODEL_MAX = 1 << 30


def _sp_processor(model: bytes) -> Any:
    """The processor of a sentencepiece model, or ``None`` when it is not a whole one."""
    import sentencepiece as spm

    if not _whole_model(model):
        return None
    try:
        processor = spm.SentencePieceProcessor(model_proto=model)
        if processor.piece_size() < 1:
            return None
        processor.encode("a", out_type=str)  # fails on a model that loads but cannot encode
    except (RuntimeError, TypeError, OSError):
        return None
    return processor


def _whole_model(model: bytes) -> bool:
    """Whether ``model`` is a well-formed ModelProto with pieces and a normalizer spec.

    The fields are walked, not decoded: a model cut at a field boundary parses,
    but lacks the normalizer spec (field 3) written after the pieces (field 1).
    """
    pos, seen = 0, set()
    while pos < len(model):
        key, pos = _varint(model, pos)
        if key is None or key & 7 != 2:  # ModelProto's top-level fields are messages
            return False
        size, pos = _varint(model, pos)
        if size is None or pos + size > len(model):
            return False
        seen.add(key >> 3)
        pos += size
    return {1, 3} <= seen


def _varint(data: bytes, pos: int) -> tuple[int | None, int]:
    value = shift = 0
    while pos < len(data) and shift < 64:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
    return None, pos


def _model_problem(model: bytes) -> str:
    """What a model that does not load looks like, and what to pass instead."""
    written = "pass the .model file written by sentencepiece training"
    if not model:
        return f"is empty (0 bytes); {written}"
    if model.lstrip()[:1] in (b"{", b"["):
        return f"is JSON (a Hugging Face tokenizer.json?), not a sentencepiece model; {written}"
    head = model[:4096]
    if b"\t" in head and is_utf8(head):
        return "is text (a sentencepiece .vocab file?); pass the .model file beside it"
    return f"is not a valid sentencepiece model (it is truncated or another file); {written}"


def _digest(model: bytes) -> str:
    return hashlib.sha256(model).hexdigest()


@dataclass(frozen=True)
class TokenizerSpec:
    """How text becomes tokens.

    Attributes:
        kind: ``"whitespace"``, ``"regex"`` or ``"sentencepiece"`` (see the
            module table).
        lowercase: lowercase text before splitting.
        normalize: ``"nfkc"`` to NFKC-normalize text first, or ``None``.
        model: the serialized sentencepiece model (kind ``sentencepiece`` only).

    Raises:
        InputError: an unknown kind or normalization, a sentencepiece spec
            without a model (or another kind with one), a corrupt model.
    """

    kind: str = "whitespace"
    lowercase: bool = False
    normalize: str | None = None
    model: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not (
            isinstance(self.kind, str)
            and isinstance(self.lowercase, bool)
            and isinstance(self.normalize, str | None)
            and isinstance(self.model, bytes | None)
        ):
            raise InputError(
                f"tokenizer spec with fields of the wrong type (kind {self.kind!r}, lowercase "
                f"{self.lowercase!r}, normalize {self.normalize!r}, model "
                f"{type(self.model).__name__}): kind and normalize are names, lowercase is "
                "true or false, model is bytes"
            )
        if self.kind not in KINDS:
            raise InputError(
                f"unknown tokenizer kind {self.kind!r}; choose one of: {', '.join(KINDS)}"
            )
        if self.normalize is not None and self.normalize not in NORMALIZATIONS:
            raise InputError(
                f"unknown normalization {self.normalize!r}; choose one of: "
                f"{', '.join(NORMALIZATIONS)} (or none)"
            )
        if (self.kind == "sentencepiece") != (self.model is not None):
            raise InputError("a sentencepiece tokenizer needs a model, and only it takes one")
        if self.model is not None and _sp_processor(self.model) is None:
            raise InputError(
                "the sentencepiece model is corrupt (it does not parse); "
                "retrain it or pass the right .model file"
            )

    @classmethod
    def sentencepiece(
        cls,
        model: str | os.PathLike[str] | bytes,
        *,
        lowercase: bool = False,
        normalize: str | None = None,
    ) -> TokenizerSpec:
        """A sentencepiece spec from a ``.model`` file (or its bytes).

        Raises:
            InputError: the file is missing, unreadable or not a sentencepiece model.

        Example:
            >>> spec = TokenizerSpec.sentencepiece("m.model")  # doctest: +SKIP
        """
        if not isinstance(model, bytes):
            path = Path(model)
            model = _read_model(path)
            if _sp_processor(model) is None:
                raise InputError(f"sentencepiece model {path} {_model_problem(model)}")
        return cls("sentencepiece", lowercase=lowercase, normalize=normalize, model=model)

    @property
    def processor(self) -> Any:
        """The ``sentencepiece.SentencePieceProcessor`` (kind ``sentencepiece``)."""
        if self.model is None:
            raise InputError(f"a {self.kind!r} tokenizer has no sentencepiece model")
        return _cached_processor(self.model)

    def prepare(self, text: str) -> str:
        """Normalize and lowercase ``text`` as the spec says (before splitting)."""
        if self.normalize == "nfkc":
            text = unicodedata.normalize("NFKC", text)
        if self.lowercase:
            text = text.translate(_SIMPLE_LOWER).lower()
        return text

    def __call__(self, text: str) -> list[str]:
        """Split one text into tokens."""
        text = self.prepare(text)
        if self.kind == "whitespace":
            return text.split()
        if self.kind == "regex":
            return _regex().findall(text)
        pieces: list[str] = self.processor.encode(text, out_type=str)
        return pieces

    def tokenize_many(self, texts: Iterable[str]) -> list[list[str]]:
        """Tokens of many texts (sentencepiece encodes them as one batch)."""
        if self.kind != "sentencepiece":
            return [self(text) for text in texts]
        prepared = [self.prepare(text) for text in texts]
        pieces: list[list[str]] = self.processor.encode(prepared, out_type=str)
        return pieces

    @property
    def is_identity_on_spaced_text(self) -> bool:
        """True when tokens of space-separated text pass through unchanged."""
        return self.kind == "whitespace" and not self.lowercase and self.normalize is None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description, stored in the artifact manifest.

        A sentencepiece model is described by its sha256; the bytes are
        stored beside the manifest.
        """
        data: dict[str, Any] = {
            "kind": self.kind,
            "lowercase": self.lowercase,
            "normalize": self.normalize,
        }
        if self.model is not None:
            data["model_sha256"] = _digest(self.model)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, model: bytes | None = None) -> TokenizerSpec:
        """Rebuild a spec saved with :meth:`to_dict`.

        Args:
            data: the saved description.
            model: the sentencepiece model bytes, for a sentencepiece spec.

        Raises:
            InputError: the dict names an unknown kind or field, has a field of
                the wrong type, or the model is missing, differs from the
                recorded sha256 or does not load.
        """
        if not isinstance(data, dict):
            raise InputError(f"tokenizer spec is a {type(data).__name__}, not an object")
        known = {"kind", "lowercase", "normalize", "model_sha256"}
        unknown = set(data) - known
        if unknown:
            raise InputError(
                f"tokenizer spec has unknown fields {sorted(unknown)}; "
                "the artifact may come from a newer aligner: upgrade aligner"
            )
        expected = data.get("model_sha256")
        if data.get("kind") == "sentencepiece" and not isinstance(expected, str):
            raise InputError(
                "the tokenizer spec names a sentencepiece tokenizer but records no model "
                "sha256 (model_sha256); rebuild the artifact"
            )
        if expected is not None and (model is None or _digest(model) != expected):
            raise InputError(
                "the sentencepiece model is missing or differs from the one recorded "
                f"(sha256 {expected[:12]}…); rebuild the artifact"
            )
        fields = {k: v for k, v in data.items() if k != "model_sha256"}
        return cls(**fields, model=model if expected is not None else None)


def _read_model(path: Path) -> bytes:
    """The bytes of a model file: a regular file of a plausible size."""
    try:
        # O_NONBLOCK: opening a pipe must not wait for a writer (it is refused below)
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise InputError(
                    f"sentencepiece model {path} is not a regular file (a directory, device or "
                    "pipe); pass the .model file"
                )
            if info.st_size > SP_MODEL_MAX:
                raise InputError(
                    f"sentencepiece model {path} holds {info.st_size} bytes, more than any "
                    "sentencepiece model; pass the .model file"
                )
            return fh.read(SP_MODEL_MAX + 1)
    except IsADirectoryError:
        raise InputError(
            f"sentencepiece model {path} is a directory; pass the .model file"
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot read sentencepiece model {path}: {exc.strerror}; check the path"
        ) from None


@cache
def _cached_processor(model: bytes) -> Any:
    return _sp_processor(model)


def train_sentencepiece(
    texts: Iterable[str],
    *,
    vocab_size: int,
    model_type: str = "unigram",
    lowercase: bool = False,
    normalize: str | None = None,
    max_sentences: int = 1_000_000,
    seed: int = 0,
    where: str = "the training text",
) -> TokenizerSpec:
    """Train a sentencepiece model and return its spec.

    Training is reproducible: one thread, and a seeded sample of at most
    ``max_sentences`` texts when there are more.

    Args:
        texts: the training texts (dataset 0 or dataset 1), one per item.
        vocab_size: the number of pieces.
        model_type: ``"unigram"`` or ``"bpe"``.
        lowercase: lowercase texts first (and when encoding).
        normalize: ``"nfkc"`` or ``None``, applied first.
        max_sentences: sample size for large inputs.
        seed: the sampling seed.
        where: names the input in error messages.

    Raises:
        InputError: an unknown model type, no text, or a vocabulary size the
            text cannot support (the message gives the largest possible one).

    Example:
        >>> spec = train_sentencepiece(open("corpus.txt"), vocab_size=8000)  # doctest: +SKIP
    """
    import io

    import sentencepiece as spm

    if model_type not in SP_MODEL_TYPES:
        raise InputError(
            f"unknown sentencepiece model type {model_type!r}; choose one of: "
            f"{', '.join(SP_MODEL_TYPES)}"
        )
    plain = TokenizerSpec(lowercase=lowercase, normalize=normalize)
    lines = (line for text in texts if (line := plain.prepare(text).strip()))
    writer = io.BytesIO()
    spm.set_random_generator_seed(seed)
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=lines,
            model_writer=writer,
            vocab_size=vocab_size,
            model_type=model_type,
            num_threads=1,
            input_sentence_size=max_sentences,
            shuffle_input_sentence=True,
            max_sentence_length=1 << 24,  # texts are documents too, not only sentences
            minloglevel=2,
        )
    except RuntimeError as exc:
        raise InputError(_training_error(str(exc), vocab_size, where)) from None
    return TokenizerSpec.sentencepiece(writer.getvalue(), lowercase=lowercase, normalize=normalize)


def _training_error(message: str, vocab_size: int, where: str) -> str:
    limit = re.search(r"value <= (\d+)", message)
    if limit:
        return (
            f"sentencepiece vocabulary size {vocab_size} is too large for {where}: "
            f"it supports at most {limit.group(1)}; lower --sp-vocab-size or use more text"
        )
    if "empty" in message.lower() or "no sentence" in message.lower():
        return f"{where} holds no text to train sentencepiece on; check the input and --text-column"
    detail = message.rsplit("]", 1)[-1].strip() or message
    return f"sentencepiece training on {where} failed: {detail}"
