"""aligner: prepare word embeddings for downstream models.

Train or load word vectors, align them to a task vocabulary, fill what is
missing, write a memory-mapped artifact, and load it as a torch layer.

Example:
    >>> import aligner
    >>> art = aligner.load("build/demo")  # doctest: +SKIP
    >>> emb = art.embedding("frozen")  # doctest: +SKIP
    >>> ids = art.encode(["we play guitar"])  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from aligner.align import Alignment, Coverage, align
from aligner.artifact import Artifact, open_artifact, write_artifact
from aligner.compare import ClassifierSettings, Comparison, compare  # shadows the subpackage
from aligner.corpus import Corpus
from aligner.encode import Encoder
from aligner.errors import (
    AlignerError,
    ArtifactCorruptError,
    ArtifactError,
    ArtifactExistsError,
    CorpusError,
    CoverageError,
    EvalSetError,
    InputError,
    TrainingError,
    VocabError,
)
from aligner.evaluate import Evaluation, evaluate  # the function shadows the subpackage
from aligner.fill import fill
from aligner.pipeline import BuildConfig, BuildResult, build
from aligner.task import SentencePieceTraining
from aligner.tokenize import TokenizerSpec, train_sentencepiece
from aligner.train import Word2VecParams, train_word2vec
from aligner.vectors import WordVectors
from aligner.vocab import Vocab, read_vocab
from aligner.vocab_build import build_vocab, write_vocab

if TYPE_CHECKING:
    from aligner.layers import param_groups
    from aligner.pretrained.formats import ReadResult, read_vectors

__all__ = [
    "AlignerError",
    "Alignment",
    "Artifact",
    "ArtifactCorruptError",
    "ArtifactError",
    "ArtifactExistsError",
    "BuildConfig",
    "BuildResult",
    "ClassifierSettings",
    "Comparison",
    "Corpus",
    "CorpusError",
    "Coverage",
    "CoverageError",
    "Encoder",
    "EvalSetError",
    "Evaluation",
    "InputError",
    "ReadResult",
    "SentencePieceTraining",
    "TokenizerSpec",
    "TrainingError",
    "Vocab",
    "VocabError",
    "Word2VecParams",
    "WordVectors",
    "__version__",
    "align",
    "build",
    "build_vocab",
    "compare",
    "evaluate",
    "fill",
    "load",
    "param_groups",
    "read_vectors",
    "read_vocab",
    "train_sentencepiece",
    "train_word2vec",
    "write_artifact",
    "write_vocab",
]

#: ``aligner.load(path)`` opens an artifact directory (see :func:`open_artifact`).
load = open_artifact


def __getattr__(name: str) -> Any:
    # torch and pyarrow are imported only when first used.
    if name == "param_groups":
        from aligner.layers import param_groups

        return param_groups
    if name in ("read_vectors", "ReadResult"):
        from aligner.pretrained import formats

        return getattr(formats, name)
    if name == "spark":  # aligner.spark.encode(df, artifact, column): pyspark only when used
        import importlib

        return importlib.import_module("aligner.engines.spark")
    raise AttributeError(f"module 'aligner' has no attribute {name!r}")
