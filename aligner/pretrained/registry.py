"""Well-known pretrained word vectors, by name.

Each :class:`Entry` says where a set lives, how it is stored and what its
publisher states about it. Sizes, vocabulary counts and licences are the
published facts; where a fact is not published (no publisher posts sha256
digests for these files) the field is ``None`` and the downloader skips that
check, recording the digest it computed on first download instead.
:attr:`Entry.verified` says what is checked for a name (``size`` for most of
these, ``none`` where not even a size is published). The same :class:`Entry`
describes a ``gensim-data:`` model (:mod:`aligner.pretrained.gensim_data`, md5
and size) and an ``hf://`` file (:mod:`aligner.pretrained.hub`, the sha256 or
git blob id and size the Hub reports, at the commit it reports).

Besides the fixed names, ``cc.<lang>.300`` (text, ``.vec.gz``) and
``cc.<lang>.300.bin`` (fastText binary with subwords, ``.bin.gz``) resolve for
each language code of fastText's Common Crawl vectors ("157 languages"; the
158 codes its own downloader accepts, English included).

Example:
    >>> get("glove.6B.100d").member
    'glove.6B.100d.txt'
    >>> get("cc.fr.300").url
    'https://dl.fbaipublicfiles.com/fasttext/vectors-crawl/cc.fr.300.vec.gz'
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from aligner.errors import UnknownNameError
from aligner.pretrained.verify import Expected

__all__ = ["CC_LANGUAGES", "FORMATS", "Entry", "entries", "get"]

FORMATS = ("glove", "word2vec", "word2vec-binary", "fasttext-bin")

GLOVE_LICENCE = "PDDL-1.0"  # Open Data Commons Public Domain Dedication and License
FASTTEXT_LICENCE = "CC-BY-SA-3.0"


@dataclass(frozen=True)
class Entry:
    """One downloadable set of pretrained vectors.

    Attributes:
        name: the registry name (``aligner download NAME``), or the source as
            given (``gensim-data:NAME``, ``hf://...``).
        url: where the file is downloaded from.
        format: ``"glove"``, ``"word2vec"`` (text with a header line; fastText
            ``.vec`` is this), ``"word2vec-binary"`` or ``"fasttext-bin"``; None
            when the reader is to detect it from the file.
        dim: vector dimension, or None when not published.
        vocab_size: number of words as published (the publisher's rounded figure,
            e.g. 2_000_000 for "2 million", where no exact count is published), or None.
        size: the download's size in bytes, or None when not known.
        sha256: the download's sha256 (hex), or None when not published.
        licence: SPDX-style licence id, or None when none is stated.
        member: the zip member holding the vectors, or None when not a zip.
        description: one line on what the vectors were trained on.
        subword: whether the file can build vectors for unseen words (fastText .bin).
        md5: the download's md5 (hex), or None when not published.
        git_sha1: the download's git blob id (hex), or None (a Hub file not in LFS).
        revision: the commit the file was resolved at (``hf://``), or None.
    """

    name: str
    url: str
    format: str | None
    dim: int | None
    vocab_size: int | None
    size: int | None
    sha256: str | None
    licence: str | None
    member: str | None
    description: str
    subword: bool = False
    md5: str | None = None
    git_sha1: str | None = None
    revision: str | None = None

    def __post_init__(self) -> None:
        if self.format is not None and self.format not in FORMATS:
            raise ValueError(f"{self.name}: format {self.format!r} is not one of {FORMATS}")
        if not re.fullmatch(r"https?://[^\s/]+/\S+", self.url):
            raise ValueError(f"{self.name}: url {self.url!r} is not an http(s) URL of a file")
        for kind, value, digits in (
            ("sha256", self.sha256, 64), ("md5", self.md5, 32), ("git_sha1", self.git_sha1, 40)
        ):  # fmt: skip
            if value is not None and not re.fullmatch(f"[0-9a-f]{{{digits}}}", value):
                raise ValueError(
                    f"{self.name}: {kind} {value!r} is not {digits} lowercase hex digits"
                )
        if self.size is not None and self.size <= 0:
            raise ValueError(f"{self.name}: size {self.size} is not a positive number of bytes")

    @property
    def expected(self) -> Expected:
        """What the download is checked against."""
        return Expected(sha256=self.sha256, md5=self.md5, git_sha1=self.git_sha1, size=self.size)

    @property
    def verified(self) -> str:
        """What is checked when it is downloaded: ``sha256+size``, ``md5+size``,
        ``git-sha1+size``, ``size`` or ``none``."""
        return self.expected.label

    def provenance(self) -> dict[str, object]:
        """What an artifact built from it records of its source.

        Example:
            >>> get("glove.6B.50d").provenance()["verified"]
            {'size': 862182613}
        """
        checked: dict[str, object] = dict(self.expected.digests())
        checked |= {"size": self.size} if self.size is not None else {}
        found = {"name": self.name, "url": self.url, "licence": self.licence}
        found |= {"revision": self.revision} if self.revision is not None else {}
        return found | {"verified": checked}


_GLOVE = "https://nlp.stanford.edu/data/"
_FT_EN = "https://dl.fbaipublicfiles.com/fasttext/vectors-english/"
_FT_CC = "https://dl.fbaipublicfiles.com/fasttext/vectors-crawl/"


def _glove(corpus: str, dim: int, zip_name: str, vocab: int, size: int | None, about: str) -> Entry:
    return Entry(
        name=f"glove.{corpus}.{dim}d",
        url=_GLOVE + zip_name,
        format="glove",
        dim=dim,
        vocab_size=vocab,
        size=size,
        sha256=None,
        licence=GLOVE_LICENCE,
        member=f"glove.{corpus}.{dim}d.txt",
        description=f"GloVe, {about}",
    )


def _fasttext_en(name: str, file: str, vocab: int, size: int | None, about: str) -> Entry:
    subword_bin = file.endswith("-subword.zip")
    return Entry(
        name=name,
        url=_FT_EN + file,
        format="fasttext-bin" if subword_bin else "word2vec",
        dim=300,
        vocab_size=vocab,
        size=size,
        sha256=None,
        licence=FASTTEXT_LICENCE,
        member=f"{name}.bin" if subword_bin else f"{name}.vec",
        description=f"fastText, {about}",
        subword=subword_bin,
    )


_WIKI_GIGA = "Wikipedia 2014 + Gigaword 5 (6B tokens, 400K vocab, uncased)"
_TWITTER = "Twitter (2B tweets, 27B tokens, 1.2M vocab, uncased)"
_WIKI_NEWS = "Wikipedia 2017 + UMBC webbase + statmt.org news (16B tokens)"

# Sizes: glove.6B.zip 862182613 and glove.840B.300d.zip 2176768927 as served
# (Content-Length); 42B and Twitter sizes as pinned by the nlpia downloader.
# fmt: off
_FIXED: tuple[Entry, ...] = (
    *(_glove("6B", d, "glove.6B.zip", 400_000, 862_182_613, _WIKI_GIGA)
      for d in (50, 100, 200, 300)),
    _glove("42B", 300, "glove.42B.300d.zip", 1_900_000, 1_877_800_501,
           "Common Crawl (42B tokens, 1.9M vocab, uncased)"),
    _glove("840B", 300, "glove.840B.300d.zip", 2_200_000, 2_176_768_927,
           "Common Crawl (840B tokens, 2.2M vocab, cased)"),
    *(_glove("twitter.27B", d, "glove.twitter.27B.zip", 1_193_514, 1_520_408_563, _TWITTER)
      for d in (25, 50, 100, 200)),
    Entry(
        name="word2vec-google-news-300",
        # Google's own copy is behind a Google Drive confirmation page; this is
        # the widely used Deeplearning4j mirror of the same file.
        url="https://s3.amazonaws.com/dl4j-distribution/GoogleNews-vectors-negative300.bin.gz",
        format="word2vec-binary",
        dim=300,
        vocab_size=3_000_000,
        size=1_647_046_227,
        sha256=None,
        licence=None,
        member=None,
        description="word2vec, Google News (about 100B words), 3M words and phrases, cased",
    ),
    _fasttext_en("wiki-news-300d-1M", "wiki-news-300d-1M.vec.zip", 1_000_000, 681_808_098,
                 f"{_WIKI_NEWS}, 1M words"),
    _fasttext_en("wiki-news-300d-1M-subword", "wiki-news-300d-1M-subword.vec.zip", 999_999,
                 None, f"{_WIKI_NEWS}, 1M words, trained with subwords (text vectors only)"),
    _fasttext_en("crawl-300d-2M", "crawl-300d-2M.vec.zip", 2_000_000, 1_523_785_255,
                 "Common Crawl (600B tokens), 2M words"),
    _fasttext_en("crawl-300d-2M-subword", "crawl-300d-2M-subword.zip", 2_000_000, None,
                 "Common Crawl (600B tokens), 2M words, binary model with subwords"),
)
# fmt: on

_BY_NAME = {entry.name: entry for entry in _FIXED}

# fastText "Word vectors for 157 languages" (https://fasttext.cc/docs/en/crawl-vectors.html):
# the 158 codes of that page's table, the same set as fasttext.util's valid_lang_ids.
_CC_TABLE = """
af=Afrikaans; sq=Albanian; als=Alemannic; am=Amharic; ar=Arabic; an=Aragonese; hy=Armenian;
as=Assamese; ast=Asturian; az=Azerbaijani; ba=Bashkir; eu=Basque; bar=Bavarian; be=Belarusian;
bn=Bengali; bh=Bihari; bpy=Bishnupriya Manipuri; bs=Bosnian; br=Breton; bg=Bulgarian;
my=Burmese; ca=Catalan; ceb=Cebuano; bcl=Central Bicolano; ce=Chechen; zh=Chinese; cv=Chuvash;
co=Corsican; hr=Croatian; cs=Czech; da=Danish; dv=Divehi; nl=Dutch; pa=Eastern Punjabi;
arz=Egyptian Arabic; eml=Emilian-Romagnol; en=English; myv=Erzya; eo=Esperanto; et=Estonian;
hif=Fiji Hindi; fi=Finnish; fr=French; gl=Galician; ka=Georgian; de=German; gom=Goan Konkani;
el=Greek; gu=Gujarati; ht=Haitian; he=Hebrew; mrj=Hill Mari; hi=Hindi; hu=Hungarian;
is=Icelandic; io=Ido; ilo=Ilokano; id=Indonesian; ia=Interlingua; ga=Irish; it=Italian;
ja=Japanese; jv=Javanese; kn=Kannada; pam=Kapampangan; kk=Kazakh; km=Khmer; ky=Kirghiz;
ko=Korean; ku=Kurdish (Kurmanji); ckb=Kurdish (Sorani); la=Latin; lv=Latvian; li=Limburgish;
lt=Lithuanian; lmo=Lombard; nds=Low Saxon; lb=Luxembourgish; mk=Macedonian; mai=Maithili;
mg=Malagasy; ms=Malay; ml=Malayalam; mt=Maltese; gv=Manx; mr=Marathi; mzn=Mazandarani;
mhr=Meadow Mari; min=Minangkabau; xmf=Mingrelian; mwl=Mirandese; mn=Mongolian; nah=Nahuatl;
nap=Neapolitan; ne=Nepali; new=Newar; frr=North Frisian; nso=Northern Sotho;
no=Norwegian (Bokmål); nn=Norwegian (Nynorsk); oc=Occitan; or=Oriya; os=Ossetian;
pfl=Palatinate German; ps=Pashto; fa=Persian; pms=Piedmontese; pl=Polish; pt=Portuguese;
qu=Quechua; ro=Romanian; rm=Romansh; ru=Russian; sah=Sakha; sa=Sanskrit; sc=Sardinian;
sco=Scots; gd=Scottish Gaelic; sr=Serbian; sh=Serbo-Croatian; scn=Sicilian; sd=Sindhi;
si=Sinhalese; sk=Slovak; sl=Slovenian; so=Somali; azb=Southern Azerbaijani; es=Spanish;
su=Sundanese; sw=Swahili; sv=Swedish; tl=Tagalog; tg=Tajik; ta=Tamil; tt=Tatar; te=Telugu;
th=Thai; bo=Tibetan; tr=Turkish; tk=Turkmen; uk=Ukrainian; hsb=Upper Sorbian; ur=Urdu;
ug=Uyghur; uz=Uzbek; vec=Venetian; vi=Vietnamese; vo=Volapük; wa=Walloon; war=Waray; cy=Welsh;
vls=West Flemish; fy=West Frisian; pnb=Western Punjabi; yi=Yiddish; yo=Yoruba; diq=Zazaki;
zea=Zeelandic
"""

CC_LANGUAGES: dict[str, str] = dict(
    item.strip().split("=", 1) for item in _CC_TABLE.split(";") if item.strip()
)
"""Language code → language name, for the ``cc.<lang>.300`` names."""

_CC_NAME = re.compile(r"cc\.([a-z]+)\.300(\.bin)?", re.IGNORECASE)


def _common_crawl(lang: str, binary: bool) -> Entry:
    language = CC_LANGUAGES[lang]
    return Entry(
        name=f"cc.{lang}.300" + (".bin" if binary else ""),
        url=f"{_FT_CC}cc.{lang}.300.{'bin' if binary else 'vec'}.gz",
        format="fasttext-bin" if binary else "word2vec",
        dim=300,
        vocab_size=None,
        size=None,
        sha256=None,
        licence=FASTTEXT_LICENCE,
        member=None,
        description=f"fastText, {language}, Common Crawl + Wikipedia"
        + (", binary model with subwords" if binary else ""),
        subword=binary,
    )


def entries() -> list[Entry]:
    """The fixed registry entries, in listing order.

    The ``cc.<lang>.300[.bin]`` names (one pair per code in :data:`CC_LANGUAGES`)
    are resolved by :func:`get` and not listed here.
    """
    return list(_FIXED)


def _all_names() -> list[str]:
    cc = [f"cc.{lang}.300{suffix}" for lang in CC_LANGUAGES for suffix in ("", ".bin")]
    return [*_BY_NAME, *cc]


def get(name: str) -> Entry:
    """The registry entry called ``name`` (exact, else case-insensitive).

    Args:
        name: e.g. ``"glove.6B.300d"``, ``"crawl-300d-2M"`` or ``"cc.de.300.bin"``.

    Returns:
        The :class:`Entry`.

    Raises:
        UnknownNameError: no such name; the message suggests close matches.

    Example:
        >>> get("glove.twitter.27B.25d").dim
        25
    """
    if name in _BY_NAME:
        return _BY_NAME[name]
    folded = {key.casefold(): entry for key, entry in _BY_NAME.items()}
    if name.casefold() in folded:
        return folded[name.casefold()]
    match = _CC_NAME.fullmatch(name)
    if match and match.group(1).lower() in CC_LANGUAGES:
        return _common_crawl(match.group(1).lower(), binary=match.group(2) is not None)
    raise UnknownNameError(unknown_name_message(name))


def unknown_name_message(name: str, *, looks_like_path: bool = False) -> str:
    """The one-line message for a name that is neither a file, a URL nor registered."""
    close = difflib.get_close_matches(name, _all_names(), n=3, cutoff=0.6)
    if not close:
        lowered = {n.casefold(): n for n in _all_names()}
        close = [lowered[n] for n in difflib.get_close_matches(name.casefold(), lowered, n=3)]
    what = (
        f"file not found: {name}"
        if looks_like_path
        else f"unknown pretrained vectors name {name!r}"
    )
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return (
        f"{what}{hint} (see `aligner download --list`; or pass a local file or an "
        "http(s) URL instead: aligner build --pretrained /path/to/vectors.txt ...)"
    )
