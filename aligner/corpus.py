"""Read the dataset-0 corpus as a stream of token lists.

A corpus file is UTF-8 text, plain or gzip-compressed (``.gz``), one sentence
or document per line. It is streamed, never loaded whole, and can be iterated
many times (gensim makes one pass per epoch).

Example:
    >>> corpus = Corpus("data_samples/corpus.txt")  # doctest: +SKIP
    >>> next(iter(corpus))[:3]  # doctest: +SKIP
    ['we', 'play', 'guitar']
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from aligner.errors import CorpusError
from aligner.tokenize import TokenizerSpec

__all__ = ["Corpus"]


class Corpus:
    """A re-iterable stream of tokenized lines from one text file.

    Args:
        path: a UTF-8 text file, plain or ``.gz``.
        tokenizer: how each line is split into tokens.
        on_bytes: called with the number of (compressed) bytes read, for
            progress bars; may be set later through the attribute.

    Raises:
        CorpusError: the file does not exist or is not a regular file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        tokenizer: TokenizerSpec | None = None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.tokenizer = tokenizer or TokenizerSpec()
        self.on_bytes = on_bytes
        if not self.path.exists():
            raise CorpusError(f"corpus file {self.path} does not exist; check the path")
        if not self.path.is_file():
            raise CorpusError(f"corpus {self.path} is not a regular file; pass a text file")
        self.lines_read = 0
        self.tokens_read = 0

    @property
    def size(self) -> int:
        """Size of the file on disk, in bytes."""
        return self.path.stat().st_size

    def describe(self) -> dict[str, Any]:
        """JSON-ready facts about the corpus, for the manifest."""
        return {"path": str(self.path), "bytes": self.size, "compression": self._compression()}

    def _compression(self) -> str | None:
        return "gzip" if self.path.suffix == ".gz" else None

    def lines(self) -> Iterator[str]:
        """Yield decoded lines (without line ends), counting bytes read.

        Raises:
            CorpusError: a line is not valid UTF-8 or the gzip stream is corrupt.
        """
        with self.path.open("rb") as raw:
            stream: IO[bytes] = (
                gzip.GzipFile(fileobj=raw) if self._compression() else raw  # type: ignore[assignment]
            )
            position = 0
            lineno = 0
            try:
                for lineno, data in enumerate(stream, start=1):
                    if self.on_bytes is not None:
                        now = raw.tell()
                        self.on_bytes(now - position)
                        position = now
                    try:
                        yield data.decode("utf-8").rstrip("\r\n")
                    except UnicodeDecodeError:
                        raise CorpusError(
                            f"{self.path}, line {lineno}: not valid UTF-8; re-encode the corpus"
                        ) from None
            except (OSError, EOFError, zlib.error) as exc:
                raise CorpusError(
                    f"{self.path}, after line {lineno}: cannot decompress ({exc}); "
                    "the file is truncated, corrupt or not gzip"
                ) from None

    def __iter__(self) -> Iterator[list[str]]:
        """Yield the token list of each non-blank line."""
        self.lines_read = 0
        self.tokens_read = 0
        tokenize = self.tokenizer
        for line in self.lines():
            tokens = tokenize(line)
            if tokens:
                self.lines_read += 1
                self.tokens_read += len(tokens)
                yield tokens
