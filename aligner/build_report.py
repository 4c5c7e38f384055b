"""What :func:`aligner.pipeline.build` reports besides the artifact.

The warnings about the inputs (:mod:`aligner.diagnose`), the coverage a build
must reach, the figures of ``aligner eval`` on the artifact about to be
written, and the output's writability checked before the long work.

Example:
    >>> require(coverage, 0.5, ["the vocabulary is lowercase"])  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aligner.align import Alignment, Coverage, CoverageShortfall
from aligner.diagnose import build_warnings
from aligner.errors import InputError
from aligner.progress import Progress
from aligner.tokenize import TokenizerSpec
from aligner.vectors import WordVectors
from aligner.vocab import Vocab
from aligner.writable import check_writable

if TYPE_CHECKING:
    from aligner.pipeline import BuildConfig

__all__ = ["build_warnings_of", "evaluation", "require", "unwritable_error"]


def evaluation(
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


def require(coverage: Coverage, minimum: float | None, warnings: list[str]) -> None:
    """``coverage.require(minimum)``, the error carrying the build's warnings.

    Raises:
        CoverageShortfall: coverage is below ``minimum``.
    """
    if minimum is None:
        return
    try:
        coverage.require(minimum)
    except CoverageShortfall as exc:
        exc.warnings = list(warnings)
        raise


def build_warnings_of(
    config: BuildConfig, alignment: Alignment, vectors: WordVectors, tokenizer: TokenizerSpec
) -> list[str]:
    """The build's warnings, naming its vocabulary and vectors as the user gave them."""
    names = {"vocab": str(config.vocab) if config.vocab else f"the vocabulary of {config.data}"}
    source = config.pretrained or f"the vectors trained on {config.corpus}"
    names["vectors"] = str(source)
    return build_warnings(alignment, vectors, tokenizer=tokenizer, names=names)


def unwritable_error(out: Path) -> InputError | None:
    """The error of an output location that cannot be written, or ``None``."""
    try:
        check_writable(out)
    except InputError as exc:
        return exc
    return None
