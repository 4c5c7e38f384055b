"""The word-vector models of gensim-data, as ``gensim-data:NAME`` sources.

gensim-data (the releases ``gensim.downloader`` fetches) publishes each model as
a release asset, with its size and md5 in the repository's ``list.json``. The
table below holds those facts for the word-vector models (from ``list.json`` at
commit bd93f51 of RaRe-Technologies/gensim-data); a download is checked against
both. The files are gzip-compressed word2vec-format vectors, but the format is
not taken from this table: the reader detects it from the bytes, as for any file.

A model published in several parts (``parts`` > 1: ``FILE_NAME_00``, ``_01``...,
each with its own md5) is refused with a one-line error rather than joined: no
word-vector model is published so, and one md5 for the whole file, as this
table keeps, could not check the parts.

Environment:
    ALIGNER_GENSIM_DATA_URL: where the release assets are, instead of
    ``https://github.com/RaRe-Technologies/gensim-data/releases/download``
    (a mirror, or a local server in tests); a file is at ``<base>/<NAME>/<FILE_NAME>``.
    A ``user:password@`` in it is sent to that host as HTTP Basic
    authentication, never shown and never part of an entry's ``url``.

Example:
    >>> entry = get("glove-wiki-gigaword-50")
    >>> entry.name, entry.md5, entry.verified
    ('gensim-data:glove-wiki-gigaword-50', 'c289bc5d7f2f02c6dc9f2f9b67641813', 'md5+size')
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass

from aligner.errors import DownloadError, InputError, UnknownNameError
from aligner.pretrained.registry import Entry
from aligner.pretrained.urls import lower_scheme, printable, redact, without_userinfo

__all__ = ["BASE_URL", "MODELS", "PREFIX", "Model", "base_url", "entries", "get", "is_source"]

PREFIX = "gensim-data:"
BASE_URL = "https://github.com/RaRe-Technologies/gensim-data/releases/download"
_ENV = "ALIGNER_GENSIM_DATA_URL"


@dataclass(frozen=True)
class Model:
    """One model of gensim-data's ``list.json``.

    Attributes:
        name: the model's name (``gensim-data:NAME``).
        file_name: the release asset's name.
        parts: how many parts the file is published in.
        size: the file's size in bytes.
        md5: the file's md5 (hex).
        records: the number of vectors.
        about: one line on what the vectors were trained on.
    """

    name: str
    file_name: str
    parts: int
    size: int
    md5: str
    records: int
    about: str

    @property
    def dim(self) -> int:
        """The vector dimension, the number that ends every vectors model's name."""
        return int(self.name.rsplit("-", 1)[1])


_WIKI_GIGA = "GloVe, Wikipedia 2014 + Gigaword 5 (6B tokens, uncased)"
_TWITTER = "GloVe, Twitter (2B tweets, 27B tokens, uncased)"


def _model(name: str, size: int, md5: str, records: int, about: str) -> Model:
    return Model(name, f"{name}.gz", 1, size, md5, records, about)


# fmt: off
MODELS: dict[str, Model] = {model.name: model for model in (
    _model("fasttext-wiki-news-subwords-300", 1005007116, "de2bb3a20c46ce65c9c131e1ad9a77af",
           999999, "fastText, Wikipedia 2017 + UMBC webbase + statmt.org news, with subwords"),
    _model("conceptnet-numberbatch-17-06-300", 1225497562, "fd642d457adcd0ea94da0cd21b150847",
           1917247, "ConceptNet Numberbatch 17.06, multilingual"),
    _model("word2vec-ruscorpora-300", 208427381, "9bdebdc8ae6d17d20839dd9b5af10bc4",
           184973, "word2vec, Russian National Corpus"),
    _model("word2vec-google-news-300", 1743563840, "a5e5354d40acb95f9ec66d5977d140ef",
           3000000, "word2vec, Google News (about 100B words)"),
    _model("glove-wiki-gigaword-50", 69182535, "c289bc5d7f2f02c6dc9f2f9b67641813",
           400000, _WIKI_GIGA),
    _model("glove-wiki-gigaword-100", 134300434, "40ec481866001177b8cd4cb0df92924f",
           400000, _WIKI_GIGA),
    _model("glove-wiki-gigaword-200", 264336934, "59652db361b7a87ee73834a6c391dfc1",
           400000, _WIKI_GIGA),
    _model("glove-wiki-gigaword-300", 394362229, "29e9329ac2241937d55b852e8284e89b",
           400000, _WIKI_GIGA),
    _model("glove-twitter-25", 109885004, "50db0211d7e7a2dcd362c6b774762793",
           1193514, _TWITTER),
    _model("glove-twitter-50", 209216938, "c168f18641f8c8a00fe30984c4799b2b",
           1193514, _TWITTER),
    _model("glove-twitter-100", 405932991, "b04f7bed38756d64cf55b58ce7e97b15",
           1193514, _TWITTER),
    _model("glove-twitter-200", 795373100, "e52e8392d1860b95d5308a525817d8f9",
           1193514, _TWITTER),
)}
"""gensim-data's word-vector models by name (facts from its ``list.json``)."""
# fmt: on


def base_url() -> str:
    """``$ALIGNER_GENSIM_DATA_URL`` without a trailing ``/``, else :data:`BASE_URL`.

    Raises:
        InputError: the variable is set to something that is not an http(s) address.
    """
    base = lower_scheme((os.environ.get(_ENV, "").strip() or BASE_URL).rstrip("/"))
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", base):
        raise InputError(f"{_ENV}='{redact(base)}' is not an http(s) address; fix or unset it")
    return base


def is_source(text: str) -> bool:
    """Whether ``text`` is a ``gensim-data:NAME`` source (the prefix in any case)."""
    return text[: len(PREFIX)].lower() == PREFIX


def _entry(model: Model) -> Entry:
    if model.parts != 1:
        raise DownloadError(
            f"{PREFIX}{model.name} is published in {model.parts} parts, which aligner does "
            "not join: download the parts with gensim's downloader "
            f"(python -m gensim.downloader --download {model.name}) and pass the file's path"
        )
    return Entry(
        name=PREFIX + model.name,
        url=f"{without_userinfo(base_url())[0]}/{model.name}/{model.file_name}",
        format=None,  # the reader detects it
        dim=model.dim,
        vocab_size=model.records,
        size=model.size,
        sha256=None,
        licence=None,
        member=None,
        description=model.about,
        md5=model.md5,
    )


def get(name: str) -> Entry:
    """The entry of gensim-data's model ``name`` (with or without ``gensim-data:``).

    Args:
        name: e.g. ``"glove-wiki-gigaword-100"``.

    Returns:
        An :class:`~aligner.pretrained.registry.Entry` whose ``url`` is under
        :func:`base_url`, with the published ``md5`` and ``size``.

    Raises:
        UnknownNameError: not a word-vector model of gensim-data; the message
            suggests close names.
        DownloadError: the model is published in several parts.

    Example:
        >>> get("gensim-data:glove-twitter-25").url.rsplit("/", 2)[1:]
        ['glove-twitter-25', 'glove-twitter-25.gz']
    """
    bare = name[len(PREFIX) :] if is_source(name) else name
    model = MODELS.get(bare) or MODELS.get(bare.lower())
    if model is None:
        raise UnknownNameError(_unknown(bare))
    return _entry(model)


def _unknown(name: str) -> str:
    close = difflib.get_close_matches(name.lower(), MODELS, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(PREFIX + c for c in close)}?" if close else ""
    return (
        f"unknown gensim-data vectors model '{printable(name)}'{hint} (the word-vector models are "
        "listed by `aligner download --list`; gensim-data's corpora are not vectors)"
    )


def entries() -> list[Entry]:
    """An entry per model of :data:`MODELS`, in table order (``parts`` > 1 left out)."""
    return [_entry(model) for model in MODELS.values() if model.parts == 1]
