"""``build()``: vectors (trained or pretrained) → align → fill → write, from one config.

Every build records its *inputs* in its manifest (``build.inputs``): the
content (sha256) of every input file and every option that decides the
artifact (see :mod:`aligner.reuse`), and their sha256, the *build key*. When
the output directory already holds a verified artifact with the same key,
``build`` reuses it at once instead of building again; paths and modification
times are not inputs, so ``touch``, a git checkout or a copy of the corpus
changes nothing. An artifact built from other inputs is replaced only with
``force``; the error says which input changed.

A build also returns (and stores) *warnings*: a coverage under 10 % and its
likely cause, or a tokenizer that does not fit the vocabulary (see
:mod:`aligner.diagnose`).

Example:
    >>> from aligner.pipeline import BuildConfig, build
    >>> config = BuildConfig(corpus="data_samples/corpus.txt",
    ...                      vocab="data_samples/vocab.txt", out="build/demo")
    >>> result = build(config)  # doctest: +SKIP
    >>> result.coverage.type_coverage  # doctest: +SKIP
    0.93
"""

from __future__ import annotations

import os
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aligner.align import FALLBACKS, Alignment, Coverage, align
from aligner.artifact import check_output, load_manifest, write_artifact
from aligner.build_checks import check_config, data_errors, training_params
from aligner.build_report import build_warnings_of, evaluation, require, unwritable_error
from aligner.corpus import Corpus
from aligner.errors import ArtifactExistsError, InputError
from aligner.fill import fill
from aligner.progress import SILENT, Progress
from aligner.reuse import build_inputs, content_digest, corpus_identity, find_reusable, inputs_key
from aligner.task import SentencePieceTraining, piece_vectors, train_tokenizer
from aligner.tokenize import TokenizerSpec
from aligner.train import train
from aligner.vectors import WordVectors
from aligner.vocab import DEFAULT_PAD, DEFAULT_UNK, Vocab, read_vocab

__all__ = ["BuildConfig", "BuildResult", "build", "build_key"]


@dataclass(frozen=True, kw_only=True)
class BuildConfig:
    """Everything ``build`` needs; each field has the CLI option of the same name.

    Exactly one of ``corpus`` and ``pretrained`` is given, and exactly one of
    ``vocab`` and ``data``. A field that does not apply to that choice
    (training ``params`` with ``pretrained``, ``dim`` or ``format`` with a
    ``corpus``, ``data_column`` with a ``vocab`` file, ...) is an
    :class:`~aligner.errors.InputError`, not silently ignored.

    Seeds: a build has one seed, for training, filling missing rows and
    training a sentencepiece model. It is ``seed`` or the training
    parameters' ``seed``, whichever is given (both given must be equal, else
    InputError); neither gives 0.

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
        pretrained: a vectors file, a registry name, ``gensim-data:NAME``,
            ``hf://[datasets/]OWNER/REPO[@REVISION]/PATH`` or an http(s) URL.
        format: the pretrained file's format (detected when ``None``).
        member: the member to read inside a zip.
        dim: expected dimension of pretrained vectors (checked when given).
        skip_bad_rows: skip malformed pretrained rows instead of failing.
        workers: processes that scan an uncompressed ``pretrained`` text file
            (see :func:`~aligner.pretrained.formats.read_vectors`); ``None``:
            one per available core. Not an input: the artifact is the same.
        cache: cache directory for downloads and input file digests
            (``$ALIGNER_CACHE`` or the user cache).
        method: training method (``"word2vec"``, ``"fasttext"`` or ``"glove"``).
        params: training parameters of ``method``: its own object
            (:class:`~aligner.train.Word2VecParams`,
            :class:`~aligner.train.FastTextParams`,
            :class:`~aligner.train.GloveTrainingParams`) or a mapping of its
            fields; ``None`` gives the method's defaults. Another method's
            object is an InputError (the defaults differ).
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
        seed: the build's seed (see "Seeds" above); ``None``: the params'
            seed, else 0.
        pad: padding token (row 0), or ``None``.
        unk: unknown-word token, or ``None``.
        dtype: storage dtype, ``"float32"`` or ``"float16"``.
        force: replace an existing artifact built from other inputs.
        metadata: free-form JSON-ready metadata stored in the manifest.
        evaluate: store intrinsic figures (the bundled similarity and analogy
            sets, on the rows that found a vector; see :func:`aligner.evaluate`)
            in the manifest's ``evaluation`` section.
        follow_links: in ``corpus`` and ``data`` directories, also follow
            links that lead out of the directory (by default an error).
        spark: a ``SparkSession``: GloVe's co-occurrences (``method="glove"``)
            are counted on Spark, ``corpus`` being any path Spark reads (see
            :mod:`aligner.build_spark`); the vectors are the local engine's.
            Not an input: a build on Spark and a local one of the same files
            reuse each other's artifact.
        spark_shards: with ``spark``, where the co-occurrence shards go and stay.
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
    workers: int | None = None
    cache: str | os.PathLike[str] | None = None
    method: str = "word2vec"
    params: Any = None
    tokenizer: TokenizerSpec | SentencePieceTraining = field(default_factory=TokenizerSpec)
    pieces: TokenizerSpec | SentencePieceTraining | None = None
    fallbacks: tuple[str, ...] = FALLBACKS
    min_coverage: float | None = None
    init: str = "normal"
    init_scale: float | None = None
    seed: int | None = None
    pad: str | None = DEFAULT_PAD
    unk: str | None = DEFAULT_UNK
    dtype: str = "float32"
    force: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    evaluate: bool = False
    follow_links: bool = False
    spark: Any = None
    spark_shards: str | None = None


@dataclass
class BuildResult:
    """What ``build`` did: where the artifact is, how well it covers the vocabulary.

    Attributes:
        path: the artifact directory.
        coverage: the coverage report.
        manifest: the artifact's manifest.
        reused: True when an identical artifact was already there.
        alignment: the alignment (``None`` when reused).
        warnings: one-line warnings about the inputs (a very low coverage and
            its likely cause, a tokenizer that does not fit the vocabulary);
            also stored in the manifest (``build.warnings``).
    """

    path: Path
    coverage: Coverage
    manifest: dict[str, Any]
    reused: bool = False
    alignment: Alignment | None = None
    warnings: list[str] = field(default_factory=list)


def build_key(config: BuildConfig, source: dict[str, Any]) -> str:
    """The sha256 over everything that decides an artifact's content.

    Args:
        config: the build configuration.
        source: identity of the vectors' source (content digest, format,
            training parameters).

    Raises:
        InputError: an input file cannot be read, or two different seeds.
    """
    return inputs_key(build_inputs(config, source, check_config(config)))


def _pretrained(config: BuildConfig, progress: Progress) -> tuple[dict[str, Any], Any]:
    """Resolve the pretrained source; return its identity and a reader."""
    from aligner.pretrained.download import fetch
    from aligner.pretrained.formats import read_vectors

    assert config.pretrained is not None
    path, entry = fetch(str(config.pretrained), cache=config.cache, progress=progress)
    fmt = config.format or (entry.format if entry else None)
    member = config.member or (entry.member if entry else None)
    identity: dict[str, Any] = {"kind": "pretrained", "format": fmt, "member": member}
    digest = entry.sha256 if entry and entry.sha256 else None
    digest = digest or content_digest(path, "pretrained vectors", config.cache)
    identity["file"] = {"sha256": digest}
    identity |= {"dim": config.dim, "skip_bad_rows": config.skip_bad_rows}

    def read(vocab: Vocab, tokenizer: TokenizerSpec) -> WordVectors:
        result = read_vectors(
            path, vocab, format=fmt, member=member, dim=config.dim,
            fallbacks=config.fallbacks, skip_bad_rows=config.skip_bad_rows,
            progress=progress, cache=config.cache, workers=config.workers, digest=digest,
        )  # fmt: skip
        vectors = result.vectors
        vectors.source |= {"format": result.format, "dim": result.dim, "member": member}
        vectors.source |= {"read_stats": result.stats.to_dict()}
        if entry is not None:  # name, URL, licence; revision (hf://); what was verified
            vectors.source |= entry.provenance()
        return vectors

    return identity, read


def _trained(config: BuildConfig, seed: int, progress: Progress) -> tuple[dict[str, Any], Any]:
    params = training_params(config, seed)
    if config.spark is not None:
        from aligner.build_spark import spark_training

        corpus, run = spark_training(config, params, progress)
    else:
        corpus, run = _local_training(config, params, seed, progress)
    identity = {"kind": "trained", "method": config.method, "corpus": corpus}
    return identity | {"params": params.to_dict()}, run


def _local_training(
    config: BuildConfig, params: Any, seed: int, progress: Progress
) -> tuple[dict[str, Any], Any]:
    """The corpus's identity (its files' content) and the function that trains on it here."""
    assert config.corpus is not None
    path, column = config.corpus, config.text_column
    links = config.follow_links
    corpus = Corpus(
        path, text_column=column, follow_links=links
    )  # checked now; its tokenizer is set in run()

    def run(vocab: Vocab, tokenizer: TokenizerSpec) -> WordVectors:
        corpus.tokenizer = tokenizer
        words = vocab.tokens[len(vocab.specials) :]
        compose = words if "subword" in config.fallbacks else ()
        vectors = train(corpus, config.method, params, compose=compose, progress=progress)
        if config.pieces is None or "subword" not in config.fallbacks:
            return vectors
        spec = _resolve_spec(config, config.pieces, seed, progress)
        text = Corpus(path, tokenizer=spec, text_column=column, follow_links=links)
        pieces = train(text, config.method, params)
        pieces.source |= {"sentencepiece": spec.to_dict()}
        return piece_vectors(vectors, pieces, spec, words)

    return corpus_identity(corpus, config.cache), run


def _resolve_spec(
    config: BuildConfig, spec: TokenizerSpec | SentencePieceTraining, seed: int, progress: Progress
) -> TokenizerSpec:
    if isinstance(spec, TokenizerSpec):
        return spec
    if spec.train_on == "data":
        path, column = config.data, config.data_column
    else:
        path, column = config.corpus, config.text_column
    assert path is not None
    with data_errors() if spec.train_on == "data" else nullcontext():
        return train_tokenizer(
            spec, path, column, seed=seed, progress=progress, follow_links=config.follow_links
        )


def _task_vocab(
    config: BuildConfig, tokenizer: TokenizerSpec, progress: Progress, read: Vocab | None
) -> Vocab:
    """The task vocabulary: ``read`` from the file already, or counted from the data."""
    if read is not None:
        return read
    from aligner.vocab_build import build_vocab

    assert config.data is not None
    with data_errors():
        return build_vocab(
            config.data, tokenizer=tokenizer, text_column=config.data_column,
            min_count=config.vocab_min_count, max_size=config.vocab_max_size,
            pad=config.pad, unk=config.unk, progress=progress,
            follow_links=config.follow_links,
        )  # fmt: skip


def _check_workers(config: BuildConfig) -> None:
    if config.workers is None:
        return
    if config.pretrained is None:
        raise InputError(
            "workers= sets the processes that read pretrained vectors; to train with "
            "several threads, set the training parameters' workers (or threads for glove)"
        )
    if config.workers < 1:
        raise InputError(f"workers must be at least 1, got {config.workers}")


def build(config: BuildConfig, *, progress: Progress = SILENT) -> BuildResult:
    """Get vectors (train or read), align them to the vocabulary, fill, write.

    Inputs and the output location (its writability included) are checked
    before the long work starts, so a bad vocabulary, a missing column, an
    existing or read-only output fails at once. An artifact at ``out`` built
    from the same inputs (same contents, see :mod:`aligner.reuse`) is reused
    (``result.reused``).

    Args:
        config: the build configuration.
        progress: receives progress bars for the long stages.

    Returns:
        A :class:`BuildResult`; its ``warnings`` name inputs that likely do
        not fit (coverage under 10 %, a tokenizer unlike the vocabulary).

    Raises:
        CoverageShortfall: coverage is below ``min_coverage`` (nothing
            written); a :class:`~aligner.errors.CoverageError` carrying the
            report and the warnings.
        ArtifactExistsError: ``out`` holds an artifact built from other
            inputs and ``force`` is false; the message names what changed.
        AlignerError: any stage's error (see :mod:`aligner.errors`); no
            artifact is left behind.
    """
    seed = check_config(config)
    _check_workers(config)
    out = check_output(config.out, force=True)  # a file or a foreign directory fails now
    unwritable = unwritable_error(out)  # raised unless the artifact there is reused
    task_vocab = None  # a bad file fails now
    if config.vocab is not None:
        task_vocab = read_vocab(config.vocab, pad=config.pad, unk=config.unk)
    if config.pretrained is not None:
        source, get_vectors = _pretrained(config, progress)
    else:
        source, get_vectors = _trained(config, seed, progress)
    inputs = build_inputs(config, source, seed)
    key = inputs_key(inputs)
    found = find_reusable(out, key, inputs, config)
    if found is not None:
        art, warnings = found
        assert art.coverage is not None
        require(art.coverage, config.min_coverage, warnings)
        return BuildResult(out, art.coverage, art.manifest, reused=True, warnings=warnings)
    check_output(out, force=config.force)
    if unwritable is not None:
        raise unwritable
    tokenizer = _resolve_spec(config, config.tokenizer, seed, progress)
    vocab = _task_vocab(config, tokenizer, progress, task_vocab)
    vectors: WordVectors = get_vectors(vocab, tokenizer)
    alignment = align(vocab, vectors, fallbacks=config.fallbacks)
    warnings = build_warnings_of(config, alignment, vectors, tokenizer)
    require(alignment.coverage, config.min_coverage, warnings)
    filled = fill(alignment, vectors, method=config.init, seed=seed, scale=config.init_scale)
    source = vectors.source
    del vectors  # its matrix is copied into the filled one: not held while writing
    task = {"vocab_file": str(config.vocab)} if config.vocab else {"data": str(config.data)}
    sections = {
        "source": source | task,
        "alignment": {"fallbacks": [*alignment.fallbacks, "fill"]},
        "fill": filled.params,
        "coverage": alignment.coverage.to_dict(),
        "build": {"key": key, "inputs": inputs, "warnings": warnings},
        "metadata": dict(config.metadata),
    }
    if config.evaluate:
        sections["evaluation"] = evaluation(
            config, filled.matrix, vocab, alignment, sections, tokenizer, progress
        )
    try:
        path = write_artifact(
            out, filled.matrix, vocab, alignment.kinds,
            sections=sections, tokenizer=tokenizer, force=config.force, dtype=config.dtype,
        )  # fmt: skip
    except ArtifactExistsError:
        # another build wrote ``out`` meanwhile: reuse it when it has the same inputs
        raced = find_reusable(out, key, inputs, config)
        if raced is None:
            raise
        art, warnings = raced
        assert art.coverage is not None
        return BuildResult(out, art.coverage, art.manifest, reused=True, warnings=warnings)
    manifest = load_manifest(path)
    return BuildResult(path, alignment.coverage, manifest, alignment=alignment, warnings=warnings)
