"""``build()``: corpus → train → align → fill → write, from one config object.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aligner.align import FALLBACKS, Alignment, Coverage, align
from aligner.artifact import check_output, write_artifact
from aligner.corpus import Corpus
from aligner.errors import InputError
from aligner.fill import fill
from aligner.progress import SILENT, Progress
from aligner.tokenize import TokenizerSpec
from aligner.train import METHODS, Word2VecParams, train_word2vec
from aligner.vocab import DEFAULT_PAD, DEFAULT_UNK, read_vocab

__all__ = ["BuildConfig", "BuildResult", "build"]


@dataclass(frozen=True)
class BuildConfig:
    """Everything ``build`` needs; each field has the CLI option of the same name.

    Attributes:
        corpus: dataset-0 text file (plain or .gz), one sentence per line.
        vocab: task vocabulary file (``token`` or ``token<TAB>count`` lines).
        out: artifact directory to write.
        method: training method (``"word2vec"``).
        word2vec: word2vec hyper-parameters; its ``seed`` is overridden by ``seed``.
        tokenizer: tokenizer spec for the corpus and for later encoding.
        fallbacks: ordered alignment fallbacks.
        init: fill method for missing rows (``normal``, ``uniform``, ``zeros``).
        init_scale: half-width for ``uniform``.
        seed: one seed for training and filling.
        pad: padding token (row 0), or ``None``.
        unk: unknown-word token, or ``None``.
        force: replace an existing artifact at ``out``.
        metadata: free-form JSON-ready metadata stored in the manifest.
    """

    corpus: str | os.PathLike[str]
    vocab: str | os.PathLike[str]
    out: str | os.PathLike[str]
    method: str = "word2vec"
    word2vec: Word2VecParams = field(default_factory=Word2VecParams)
    tokenizer: TokenizerSpec = field(default_factory=TokenizerSpec)
    fallbacks: tuple[str, ...] = FALLBACKS
    init: str = "normal"
    init_scale: float | None = None
    seed: int = 0
    pad: str | None = DEFAULT_PAD
    unk: str | None = DEFAULT_UNK
    force: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class BuildResult:
    """What ``build`` did: where the artifact is and how well it covers the vocabulary."""

    path: Path
    alignment: Alignment
    manifest_sections: dict[str, Any]

    @property
    def coverage(self) -> Coverage:
        """The coverage report."""
        return self.alignment.coverage


def build(config: BuildConfig, *, progress: Progress = SILENT) -> BuildResult:
    """Train vectors on the corpus, align them to the vocabulary, fill, write.

    Inputs and the output location are checked before training starts, so a
    bad vocabulary or an existing output fails at once.

    Args:
        config: the build configuration.
        progress: receives progress bars for the long stages.

    Returns:
        A :class:`BuildResult`.

    Raises:
        AlignerError: any stage's error (see :mod:`aligner.errors`); no
            artifact is left behind.
    """
    if config.method not in METHODS:
        raise InputError(
            f"unknown training method {config.method!r}; choose one of: {', '.join(METHODS)}"
        )
    out = check_output(config.out, force=config.force)
    vocab = read_vocab(config.vocab, pad=config.pad, unk=config.unk)
    corpus = Corpus(config.corpus, tokenizer=config.tokenizer)
    params = Word2VecParams(**{**config.word2vec.to_dict(), "seed": config.seed})
    vectors = train_word2vec(corpus, params, progress=progress)
    alignment = align(vocab, vectors, fallbacks=config.fallbacks)
    filled = fill(alignment, vectors, method=config.init, seed=config.seed, scale=config.init_scale)
    sections = {
        "tokenizer": config.tokenizer.to_dict(),
        "source": vectors.source | {"vocab_file": str(Path(config.vocab))},
        "alignment": {"fallbacks": list(alignment.fallbacks)},
        "fill": filled.params,
        "coverage": alignment.coverage.to_dict(),
        "metadata": dict(config.metadata),
    }
    path = write_artifact(
        out, filled.matrix, vocab, alignment.kinds, sections=sections, force=config.force
    )
    return BuildResult(path, alignment, sections)
