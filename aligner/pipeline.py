"""``build()``: vectors (trained or pretrained) → align → fill → write, from one config.

Every build records a *build key* in its manifest: a sha256 over everything
that decides the artifact's content (the vectors' source, the vocabulary
file's bytes, tokenizer, fallbacks, fill, seed, dtype, aligner version). When
the output directory already holds a verified artifact with the same key,
``build`` reuses it at once instead of building again.

Example:
    >>> from aligner.pipeline import BuildConfig, build
    >>> config = BuildConfig(corpus="data_samples/corpus.txt",
    ...                      vocab="data_samples/vocab.txt", out="build/demo")
    >>> result = build(config)  # doctest: +SKIP
    >>> result.coverage.type_coverage  # doctest: +SKIP
    0.93
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aligner.align import FALLBACKS, Alignment, Coverage, align
from aligner.artifact import (
    FORMAT_VERSION,
    check_output,
    load_manifest,
    open_artifact,
    sha256_file,
    write_artifact,
)
from aligner.corpus import Corpus
from aligner.errors import AlignerError, InputError
from aligner.fill import fill
from aligner.progress import SILENT, Progress
from aligner.tokenize import TokenizerSpec
from aligner.train import METHODS, Word2VecParams, make_params, train
from aligner.vectors import WordVectors
from aligner.vocab import DEFAULT_PAD, DEFAULT_UNK, Vocab, read_vocab

__all__ = ["BuildConfig", "BuildResult", "build", "build_key"]


@dataclass(frozen=True)
class BuildConfig:
    """Everything ``build`` needs; each field has the CLI option of the same name.

    Exactly one of ``corpus`` and ``pretrained`` is given.

    Attributes:
        vocab: task vocabulary file (``token`` or ``token<TAB>count`` lines).
        out: artifact directory to write.
        corpus: dataset-0 corpus to train on: a file or a directory of text
            (plain, .gz, .bz2, .xz), Parquet, Arrow, JSONL or CSV/TSV files.
        text_column: the column holding the text in tabular corpus files.
        pretrained: a vectors file, a registry name or an http(s) URL.
        format: the pretrained file's format (detected when ``None``).
        member: the member to read inside a zip.
        dim: expected dimension of pretrained vectors (checked when given).
        skip_bad_rows: skip malformed pretrained rows instead of failing.
        cache: download cache directory (``$ALIGNER_CACHE`` or the user cache).
        method: training method (``"word2vec"`` or ``"fasttext"``).
        params: training parameters (:class:`~aligner.train.Word2VecParams`,
            :class:`~aligner.train.FastTextParams` or a mapping); the ``seed``
            field is overridden by ``seed``.
        tokenizer: tokenizer spec for the corpus and for later encoding.
        fallbacks: ordered alignment fallbacks.
        init: fill method for missing rows (``normal``, ``uniform``, ``zeros``).
        init_scale: half-width for ``uniform``.
        seed: one seed for training and filling.
        pad: padding token (row 0), or ``None``.
        unk: unknown-word token, or ``None``.
        dtype: storage dtype, ``"float32"`` or ``"float16"``.
        force: replace an existing artifact built from other inputs.
        metadata: free-form JSON-ready metadata stored in the manifest.
    """

    vocab: str | os.PathLike[str]
    out: str | os.PathLike[str]
    corpus: str | os.PathLike[str] | None = None
    text_column: str | None = None
    pretrained: str | os.PathLike[str] | None = None
    format: str | None = None
    member: str | None = None
    dim: int | None = None
    skip_bad_rows: bool = False
    cache: str | os.PathLike[str] | None = None
    method: str = "word2vec"
    params: Any = field(default_factory=Word2VecParams)
    tokenizer: TokenizerSpec = field(default_factory=TokenizerSpec)
    fallbacks: tuple[str, ...] = FALLBACKS
    init: str = "normal"
    init_scale: float | None = None
    seed: int = 0
    pad: str | None = DEFAULT_PAD
    unk: str | None = DEFAULT_UNK
    dtype: str = "float32"
    force: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class BuildResult:
    """What ``build`` did: where the artifact is, how well it covers the vocabulary.

    Attributes:
        path: the artifact directory.
        coverage: the coverage report.
        manifest: the artifact's manifest.
        reused: True when an identical artifact was already there.
        alignment: the alignment (``None`` when reused).
    """

    path: Path
    coverage: Coverage
    manifest: dict[str, Any]
    reused: bool = False
    alignment: Alignment | None = None


def _file_identity(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"path": str(path.resolve()), "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def build_key(config: BuildConfig, source: dict[str, Any]) -> str:
    """The sha256 over everything that decides an artifact's content.

    Args:
        config: the build configuration.
        source: identity of the vectors' source (file identity or sha256,
            format, training parameters).
    """
    from aligner import __version__

    material = {
        "aligner": __version__,
        "format_version": FORMAT_VERSION,
        "source": source,
        "vocab_sha256": sha256_file(Path(config.vocab)),
        "tokenizer": config.tokenizer.to_dict(),
        "fallbacks": list(config.fallbacks),
        "fill": [config.init, config.init_scale, config.seed],
        "specials": [config.pad, config.unk],
        "dtype": config.dtype,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def _reusable(out: Path, key: str) -> BuildResult | None:
    if not (out / "manifest.json").is_file():
        return None
    try:
        art = open_artifact(out)
    except AlignerError:
        return None
    if art.manifest.get("build", {}).get("key") != key or art.coverage is None:
        return None
    return BuildResult(out, art.coverage, art.manifest, reused=True)


def _check_config(config: BuildConfig) -> None:
    if (config.corpus is None) == (config.pretrained is None):
        raise InputError("pass exactly one source of vectors: a corpus or pretrained vectors")
    if config.method not in METHODS:
        raise InputError(
            f"unknown training method {config.method!r}; choose one of: {', '.join(METHODS)}"
        )


def _pretrained(
    config: BuildConfig, vocab: Vocab, progress: Progress
) -> tuple[dict[str, Any], Any]:
    """Resolve the pretrained source; return its identity and a reader thunk."""
    from aligner.pretrained.download import fetch
    from aligner.pretrained.formats import read_vectors

    assert config.pretrained is not None
    path, entry = fetch(str(config.pretrained), cache=config.cache, progress=progress)
    fmt = config.format or (entry.format if entry else None)
    member = config.member or (entry.member if entry else None)
    identity: dict[str, Any] = {"kind": "pretrained", "format": fmt, "member": member}
    identity["file"] = {"sha256": entry.sha256} if entry and entry.sha256 else _file_identity(path)
    identity |= {"dim": config.dim, "skip_bad_rows": config.skip_bad_rows}

    def read() -> WordVectors:
        result = read_vectors(
            path, vocab, format=fmt, member=member, dim=config.dim,
            lowercase="lowercase" in config.fallbacks, skip_bad_rows=config.skip_bad_rows,
            progress=progress,
        )  # fmt: skip
        vectors = result.vectors
        vectors.source |= {"format": result.format, "dim": result.dim, "member": member}
        vectors.source |= {"read_stats": result.stats.to_dict()}
        if entry is not None:
            vectors.source |= {"name": entry.name, "url": entry.url, "licence": entry.licence}
        return vectors

    return identity, read


def _trained(config: BuildConfig, vocab: Vocab, progress: Progress) -> tuple[dict[str, Any], Any]:
    assert config.corpus is not None
    corpus = Corpus(config.corpus, tokenizer=config.tokenizer, text_column=config.text_column)
    params = make_params(config.method, config.params, seed=config.seed)
    identity = {
        "kind": "trained",
        "method": config.method,
        "corpus": corpus.identity(),
        "params": params.to_dict(),
    }
    words = vocab.tokens[len(vocab.specials) :]
    compose = words if "subword" in config.fallbacks else ()

    def run() -> WordVectors:
        return train(corpus, config.method, params, compose=compose, progress=progress)

    return identity, run


def build(config: BuildConfig, *, progress: Progress = SILENT) -> BuildResult:
    """Get vectors (train or read), align them to the vocabulary, fill, write.

    Inputs and the output location are checked before the long work starts,
    so a bad vocabulary or an existing output fails at once. An identical
    artifact already at ``out`` is reused (``result.reused``).

    Args:
        config: the build configuration.
        progress: receives progress bars for the long stages.

    Returns:
        A :class:`BuildResult`.

    Raises:
        AlignerError: any stage's error (see :mod:`aligner.errors`); no
            artifact is left behind.
    """
    _check_config(config)
    out = check_output(config.out, force=True)  # a file or a foreign directory fails now
    vocab = read_vocab(config.vocab, pad=config.pad, unk=config.unk)
    if config.pretrained is not None:
        identity, get_vectors = _pretrained(config, vocab, progress)
    else:
        identity, get_vectors = _trained(config, vocab, progress)
    key = build_key(config, identity)
    reused = _reusable(out, key)
    if reused is not None:
        return reused
    check_output(out, force=config.force)
    vectors: WordVectors = get_vectors()
    alignment = align(vocab, vectors, fallbacks=config.fallbacks)
    filled = fill(alignment, vectors, method=config.init, seed=config.seed, scale=config.init_scale)
    sections = {
        "tokenizer": config.tokenizer.to_dict(),
        "source": vectors.source | {"vocab_file": str(Path(config.vocab))},
        "alignment": {"fallbacks": list(alignment.fallbacks)},
        "fill": filled.params,
        "coverage": alignment.coverage.to_dict(),
        "build": {"key": key},
        "metadata": dict(config.metadata),
    }
    path = write_artifact(
        out, filled.matrix, vocab, alignment.kinds,
        sections=sections, force=config.force, dtype=config.dtype,
    )  # fmt: skip
    manifest = load_manifest(path)
    return BuildResult(path, alignment.coverage, manifest, alignment=alignment)
