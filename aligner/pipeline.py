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
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

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
from aligner.task import SentencePieceTraining, piece_vectors, train_tokenizer
from aligner.tokenize import TokenizerSpec
from aligner.train import METHODS, Word2VecParams, make_params, train
from aligner.vectors import WordVectors
from aligner.vocab import DEFAULT_PAD, DEFAULT_UNK, Vocab, read_vocab

__all__ = ["BuildConfig", "BuildResult", "build", "build_key"]


@dataclass(frozen=True, kw_only=True)
class BuildConfig:
    """Everything ``build`` needs; each field has the CLI option of the same name.

    Exactly one of ``corpus`` and ``pretrained`` is given, and exactly one of
    ``vocab`` and ``data``.

    Attributes:
        out: artifact directory to write.
        vocab: task vocabulary file (``token`` or ``token<TAB>count`` lines).
        data: dataset 1 instead, to count the vocabulary from (any layout
            :class:`~aligner.corpus.Corpus` reads).
        data_column: the column holding the text in tabular ``data`` files.
        vocab_min_count: with ``data``: drop rarer tokens.
        vocab_max_size: with ``data``: keep at most this many tokens.
        corpus: dataset-0 corpus to train on: a file or a directory of text
            (plain, .gz, .bz2, .xz), Parquet, Arrow, JSONL or CSV/TSV files.
        text_column: the column holding the text in tabular corpus files.
        pretrained: a vectors file, a registry name or an http(s) URL.
        format: the pretrained file's format (detected when ``None``).
        member: the member to read inside a zip.
        dim: expected dimension of pretrained vectors (checked when given).
        skip_bad_rows: skip malformed pretrained rows instead of failing.
        cache: download cache directory (``$ALIGNER_CACHE`` or the user cache).
        method: training method (``"word2vec"``, ``"fasttext"`` or ``"glove"``).
        params: training parameters (:class:`~aligner.train.Word2VecParams`,
            :class:`~aligner.train.FastTextParams` or a mapping); the ``seed``
            field is overridden by ``seed``.
        tokenizer: tokenizer spec for the corpus, the vocabulary and encoding,
            or a :class:`~aligner.task.SentencePieceTraining` to train one.
        pieces: a sentencepiece model (spec or training) whose pieces compose
            vectors for words without one (the ``subword`` fallback of
            word2vec and GloVe builds; needs ``corpus``).
        fallbacks: ordered alignment fallbacks (see :mod:`aligner.align`).
        min_coverage: fail, writing nothing, below this coverage (token
            coverage when the vocabulary has counts, else type coverage).
        init: fill method for missing rows (``normal``, ``uniform``, ``zeros``).
        init_scale: half-width for ``uniform``.
        seed: one seed for training and filling.
        pad: padding token (row 0), or ``None``.
        unk: unknown-word token, or ``None``.
        dtype: storage dtype, ``"float32"`` or ``"float16"``.
        force: replace an existing artifact built from other inputs.
        metadata: free-form JSON-ready metadata stored in the manifest.
        evaluate: store intrinsic figures (the bundled similarity and analogy
            sets, on the rows that found a vector; see :func:`aligner.evaluate`)
            in the manifest's ``evaluation`` section.
    """

    out: str | os.PathLike[str]
    vocab: str | os.PathLike[str] | None = None
    data: str | os.PathLike[str] | None = None
    data_column: str | None = None
    vocab_min_count: int = 1
    vocab_max_size: int | None = None
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
    tokenizer: TokenizerSpec | SentencePieceTraining = field(default_factory=TokenizerSpec)
    pieces: TokenizerSpec | SentencePieceTraining | None = None
    fallbacks: tuple[str, ...] = FALLBACKS
    min_coverage: float | None = None
    init: str = "normal"
    init_scale: float | None = None
    seed: int = 0
    pad: str | None = DEFAULT_PAD
    unk: str | None = DEFAULT_UNK
    dtype: str = "float32"
    force: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    evaluate: bool = False


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
        "task": _task_identity(config),
        "fallbacks": list(config.fallbacks),
        "fill": [config.init, config.init_scale, config.seed],
        "specials": [config.pad, config.unk],
        "dtype": config.dtype,
        "metadata": config.metadata,
    }
    if config.evaluate:  # only when asked: keys of builds without it stay as they were
        material["evaluate"] = True
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


@contextmanager
def _data_errors() -> Iterator[None]:
    """Errors about dataset 1 name build's option for its column, --data-column."""
    try:
        yield
    except AlignerError as exc:
        message = str(exc)
        if "--text-column" not in message:
            raise
        raise type(exc)(message.replace("--text-column", "--data-column")) from None


def _spec_identity(spec: TokenizerSpec | SentencePieceTraining | None) -> Any:
    if isinstance(spec, SentencePieceTraining):
        return {"train": spec.to_dict()}
    return None if spec is None else spec.to_dict()


def _task_identity(config: BuildConfig) -> dict[str, Any]:
    """What decides the tokenizer and the vocabulary, without computing them."""
    if config.vocab is not None:
        vocab: Any = {"sha256": sha256_file(Path(config.vocab))}
    else:
        assert config.data is not None
        with _data_errors():
            data = Corpus(config.data, text_column=config.data_column).identity()
        vocab = {"data": data, "min_count": config.vocab_min_count}
        vocab["max_size"] = config.vocab_max_size
    return {
        "vocab": vocab,
        "tokenizer": _spec_identity(config.tokenizer),
        "pieces": _spec_identity(config.pieces),
    }


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
    if (config.vocab is None) == (config.data is None):
        raise InputError(
            "pass exactly one task vocabulary: a vocabulary file or dataset 1 to count it from"
        )
    if config.method not in METHODS:
        raise InputError(
            f"unknown training method {config.method!r}; choose one of: {', '.join(METHODS)}"
        )
    for training in (config.tokenizer, config.pieces):
        if not isinstance(training, SentencePieceTraining):
            continue
        if training.train_on == "data" and config.data is None:
            raise InputError("sentencepiece can train on dataset 1 only when it is given (--data)")
        if training.train_on == "corpus" and config.corpus is None:
            raise InputError("sentencepiece can train on the corpus only when one is given")
    if config.pieces is not None:
        if config.corpus is None or config.method == "fasttext":
            raise InputError(
                "sentencepiece pieces compose word vectors when training word2vec or GloVe "
                "on a corpus; fastText composes from its own subwords"
            )
        if isinstance(config.pieces, TokenizerSpec) and config.pieces.kind != "sentencepiece":
            raise InputError("pieces need a sentencepiece tokenizer")
    if config.min_coverage is not None and not 0.0 <= config.min_coverage <= 1.0:
        raise InputError(f"min_coverage {config.min_coverage} is not between 0 and 1")


def _pretrained(config: BuildConfig, progress: Progress) -> tuple[dict[str, Any], Any]:
    """Resolve the pretrained source; return its identity and a reader."""
    from aligner.pretrained.download import fetch
    from aligner.pretrained.formats import read_vectors

    assert config.pretrained is not None
    path, entry = fetch(str(config.pretrained), cache=config.cache, progress=progress)
    fmt = config.format or (entry.format if entry else None)
    member = config.member or (entry.member if entry else None)
    identity: dict[str, Any] = {"kind": "pretrained", "format": fmt, "member": member}
    identity["file"] = {"sha256": entry.sha256} if entry and entry.sha256 else _file_identity(path)
    identity |= {"dim": config.dim, "skip_bad_rows": config.skip_bad_rows}

    def read(vocab: Vocab, tokenizer: TokenizerSpec) -> WordVectors:
        result = read_vectors(
            path, vocab, format=fmt, member=member, dim=config.dim,
            fallbacks=config.fallbacks, skip_bad_rows=config.skip_bad_rows,
            progress=progress,
        )  # fmt: skip
        vectors = result.vectors
        vectors.source |= {"format": result.format, "dim": result.dim, "member": member}
        vectors.source |= {"read_stats": result.stats.to_dict()}
        if entry is not None:
            vectors.source |= {"name": entry.name, "url": entry.url, "licence": entry.licence}
        return vectors

    return identity, read


def _trained(config: BuildConfig, progress: Progress) -> tuple[dict[str, Any], Any]:
    assert config.corpus is not None
    path, column = config.corpus, config.text_column
    corpus = Corpus(path, text_column=column)  # checked now; its tokenizer is set in run()
    params = make_params(config.method, config.params, seed=config.seed)
    identity = {
        "kind": "trained",
        "method": config.method,
        "corpus": corpus.identity(),
        "params": params.to_dict(),
    }

    def run(vocab: Vocab, tokenizer: TokenizerSpec) -> WordVectors:
        corpus.tokenizer = tokenizer
        words = vocab.tokens[len(vocab.specials) :]
        compose = words if "subword" in config.fallbacks else ()
        vectors = train(corpus, config.method, params, compose=compose, progress=progress)
        if config.pieces is None or "subword" not in config.fallbacks:
            return vectors
        spec = _resolve_spec(config, config.pieces, progress)
        pieces = train(Corpus(path, tokenizer=spec, text_column=column), config.method, params)
        pieces.source |= {"sentencepiece": spec.to_dict()}
        return piece_vectors(vectors, pieces, spec, words)

    return identity, run


def _resolve_spec(
    config: BuildConfig, spec: TokenizerSpec | SentencePieceTraining, progress: Progress
) -> TokenizerSpec:
    if isinstance(spec, TokenizerSpec):
        return spec
    if spec.train_on == "data":
        path, column = config.data, config.data_column
    else:
        path, column = config.corpus, config.text_column
    assert path is not None
    with _data_errors() if spec.train_on == "data" else nullcontext():
        return train_tokenizer(spec, path, column, seed=config.seed, progress=progress)


def _task_vocab(config: BuildConfig, tokenizer: TokenizerSpec, progress: Progress) -> Vocab:
    if config.vocab is not None:
        return read_vocab(config.vocab, pad=config.pad, unk=config.unk)
    from aligner.vocab_build import build_vocab

    assert config.data is not None
    with _data_errors():
        return build_vocab(
            config.data, tokenizer=tokenizer, text_column=config.data_column,
            min_count=config.vocab_min_count, max_size=config.vocab_max_size,
            pad=config.pad, unk=config.unk, progress=progress,
        )  # fmt: skip


def _evaluation(
    config: BuildConfig,
    matrix: np.ndarray,
    vocab: Vocab,
    alignment: Alignment,
    sections: dict[str, Any],
    tokenizer: TokenizerSpec,
    progress: Progress,
) -> dict[str, Any]:
    """The figures of ``aligner eval`` on the artifact about to be written.

    The in-memory artifact holds what the written one will: the stored dtype
    and the manifest ``sections`` (its ``alignment`` chain decides which rows
    are twins), so a later ``aligner eval`` of the artifact gives the same figures.
    """
    from aligner.artifact import Artifact
    from aligner.evaluate import evaluate

    stored = matrix.astype(config.dtype)
    kinds = list(alignment.kinds)
    about_to_be = Artifact(Path(config.out), dict(sections), vocab, stored, kinds, tokenizer)
    return evaluate(about_to_be, progress=progress).to_dict()


def build(config: BuildConfig, *, progress: Progress = SILENT) -> BuildResult:
    """Get vectors (train or read), align them to the vocabulary, fill, write.

    Inputs and the output location are checked before the long work starts,
    so a bad vocabulary, a missing column or an existing output fails at once.
    An identical artifact already at ``out`` is reused (``result.reused``).

    Args:
        config: the build configuration.
        progress: receives progress bars for the long stages.

    Returns:
        A :class:`BuildResult`.

    Raises:
        CoverageError: coverage is below ``min_coverage`` (nothing written).
        AlignerError: any stage's error (see :mod:`aligner.errors`); no
            artifact is left behind.
    """
    _check_config(config)
    out = check_output(config.out, force=True)  # a file or a foreign directory fails now
    if config.vocab is not None:
        read_vocab(config.vocab, pad=config.pad, unk=config.unk)  # a bad file fails now
    if config.pretrained is not None:
        identity, get_vectors = _pretrained(config, progress)
    else:
        identity, get_vectors = _trained(config, progress)
    key = build_key(config, identity)
    reused = _reusable(out, key)
    if reused is not None:
        if config.min_coverage is not None:
            reused.coverage.require(config.min_coverage)
        return reused
    check_output(out, force=config.force)
    tokenizer = _resolve_spec(config, config.tokenizer, progress)
    vocab = _task_vocab(config, tokenizer, progress)
    vectors: WordVectors = get_vectors(vocab, tokenizer)
    alignment = align(vocab, vectors, fallbacks=config.fallbacks)
    if config.min_coverage is not None:
        alignment.coverage.require(config.min_coverage)
    filled = fill(alignment, vectors, method=config.init, seed=config.seed, scale=config.init_scale)
    task = {"vocab_file": str(config.vocab)} if config.vocab else {"data": str(config.data)}
    sections = {
        "source": vectors.source | task,
        "alignment": {"fallbacks": [*alignment.fallbacks, "fill"]},
        "fill": filled.params,
        "coverage": alignment.coverage.to_dict(),
        "build": {"key": key},
        "metadata": dict(config.metadata),
    }
    if config.evaluate:
        sections["evaluation"] = _evaluation(
            config, filled.matrix, vocab, alignment, sections, tokenizer, progress
        )
    path = write_artifact(
        out, filled.matrix, vocab, alignment.kinds,
        sections=sections, tokenizer=tokenizer, force=config.force, dtype=config.dtype,
    )  # fmt: skip
    manifest = load_manifest(path)
    return BuildResult(path, alignment.coverage, manifest, alignment=alignment)
