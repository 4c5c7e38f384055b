"""The downstream experiment: does a classifier on dataset 1 gain from pretrained vectors?

:func:`compare` trains one classifier (a GRU, or Kim's CNN) several ways that
differ only in the embedding set-up, over seeds, artifacts and training-set
sizes, and reports test accuracy and macro-F1 per way (``aligner compare``
on the command line). Importing this package does not import torch.

Example:
    >>> result = aligner.compare("build/demo", "data_samples/train.tsv",  # doctest: +SKIP
    ...     "data_samples/test.tsv", text_column="2", label_column="1", seeds=3)
    >>> for line in report_lines(result):  # doctest: +SKIP
    ...     print(line)
"""

from __future__ import annotations

from aligner.compare.config import DEFAULT_WAYS, MODELS, WAYS, ClassifierSettings
from aligner.compare.experiment import compare
from aligner.compare.report import report_lines
from aligner.compare.results import Comparison, RunResult, Source, Summary

__all__ = [
    "DEFAULT_WAYS",
    "MODELS",
    "WAYS",
    "ClassifierSettings",
    "Comparison",
    "RunResult",
    "Source",
    "Summary",
    "compare",
    "report_lines",
]
