"""The one error tree of aligner.

Every error aligner raises on purpose is an :class:`AlignerError`; the CLI
catches that class once, prints its one-line message and exits non-zero.

::

    AlignerError
    ├── InputError              bad user input (files, options that make no sense)
    │   ├── CorpusError         the dataset-0 corpus cannot be used
    │   ├── VocabError          the task vocabulary file cannot be used
    │   ├── VectorsFormatError  a pretrained vectors file is malformed or of another format
    │   ├── EvalSetError        a word-similarity or analogy set is malformed or unusable
    │   └── UnknownNameError    a pretrained name is not in the registry
    ├── DownloadError           a download failed (offline, HTTP error, interrupted)
    │   └── ChecksumError       a downloaded file's sha256 or size is not the published one
    ├── TrainingError           training could not produce vectors
    ├── CoverageError           coverage below the required minimum
    └── ArtifactError           an artifact directory cannot be written or opened
        ├── ArtifactExistsError the output exists and replacing it was not asked for
        └── ArtifactCorruptError an artifact on disk disagrees with its manifest
"""

from __future__ import annotations

__all__ = [
    "AlignerError",
    "ArtifactCorruptError",
    "ArtifactError",
    "ArtifactExistsError",
    "ChecksumError",
    "CorpusError",
    "CoverageError",
    "DownloadError",
    "EvalSetError",
    "InputError",
    "TrainingError",
    "UnknownNameError",
    "VectorsFormatError",
    "VocabError",
]


class AlignerError(Exception):
    """Base class of every error aligner raises on purpose."""


class InputError(AlignerError):
    """User input (a file, an option value) cannot be used as given."""


class CorpusError(InputError):
    """The dataset-0 corpus is missing, empty or unreadable."""


class VocabError(InputError):
    """The task vocabulary file is missing, empty or malformed."""


class VectorsFormatError(InputError):
    """A pretrained vectors file is malformed, truncated or not of the stated format."""


class EvalSetError(InputError):
    """A word-similarity or analogy set is malformed, empty or shares no item with the vectors."""


class UnknownNameError(InputError):
    """A pretrained-vectors name is not in the registry."""


class DownloadError(AlignerError):
    """A download failed: offline, an HTTP error, or an interrupted transfer."""


class ChecksumError(DownloadError):
    """A downloaded file's sha256 or size differs from the published one."""


class TrainingError(AlignerError):
    """Training could not produce vectors (e.g. no token reaches min_count)."""


class CoverageError(AlignerError):
    """Coverage of the task vocabulary is below the required minimum."""


class ArtifactError(AlignerError):
    """An artifact directory cannot be written or opened."""


class ArtifactExistsError(ArtifactError):
    """The output directory exists and replacing it was not requested."""


class ArtifactCorruptError(ArtifactError):
    """A file of the artifact disagrees with its manifest (size, shape, checksum)."""
