"""The task vocabulary: row ``i`` of the embedding matrix is token ``i``.

A vocabulary file has one token per line, optionally followed by a tab and
its count in dataset 1 (``token<TAB>count``). Special tokens (``<pad>`` at row
0 and ``<unk>`` at row 1 by default) are put in front of the file's tokens.

Example:
    >>> vocab = Vocab(["guitar", "piano"], counts=[5, 3])
    >>> vocab.tokens
    ['<pad>', '<unk>', 'guitar', 'piano']
    >>> vocab["piano"], vocab["drums"]
    (3, 1)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from aligner.errors import VocabError

__all__ = ["DEFAULT_PAD", "DEFAULT_UNK", "Vocab", "read_vocab"]

DEFAULT_PAD = "<pad>"
DEFAULT_UNK = "<unk>"


class Vocab:
    """An ordered, duplicate-free token list with special tokens in front.

    Args:
        tokens: the task tokens, in row order (specials excluded).
        counts: optional dataset-1 frequency of each of ``tokens``.
        pad: the padding token (row 0, kept all zero), or ``None`` for none.
        unk: the token unknown words map to, or ``None`` for none.

    Raises:
        VocabError: a duplicate token, a token equal to a special, or a count
            list of the wrong length.
    """

    def __init__(
        self,
        tokens: Iterable[str],
        *,
        counts: Sequence[int] | None = None,
        pad: str | None = DEFAULT_PAD,
        unk: str | None = DEFAULT_UNK,
    ) -> None:
        specials = [s for s in (pad, unk) if s is not None]
        if len(set(specials)) != len(specials):
            raise VocabError(f"pad and unk tokens must differ (both are {pad!r})")
        words = list(tokens)
        self.tokens: list[str] = [*specials, *words]
        self.specials: tuple[str, ...] = tuple(specials)
        self.pad_id: int | None = None if pad is None else self.tokens.index(pad)
        self.unk_id: int | None = None if unk is None else self.tokens.index(unk)
        self._index: dict[str, int] = {}
        for i, token in enumerate(self.tokens):
            if token in self._index:
                raise VocabError(f"duplicate token {token!r} at rows {self._index[token]} and {i}")
            self._index[token] = i
        if counts is not None and len(counts) != len(words):
            raise VocabError(f"{len(counts)} counts given for {len(words)} tokens")
        self.counts: list[int] | None = None
        if counts is not None:
            self.counts = [0] * len(specials) + [int(c) for c in counts]

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._index

    def __getitem__(self, token: str) -> int:
        """The row of ``token``; the ``<unk>`` row for unknown tokens.

        Raises:
            KeyError: the token is unknown and the vocabulary has no unk token.
        """
        row = self._index.get(token, self.unk_id)
        if row is None:
            raise KeyError(token)
        return row

    def __iter__(self) -> Iterator[str]:
        return iter(self.tokens)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocab):
            return NotImplemented
        return (self.tokens, self.specials, self.pad_id, self.unk_id, self.counts) == (
            other.tokens,
            other.specials,
            other.pad_id,
            other.unk_id,
            other.counts,
        )

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens, specials={list(self.specials)})"

    def get(self, token: str) -> int | None:
        """The row of ``token``, or ``None`` if it is not in the vocabulary."""
        return self._index.get(token)

    def lookup(self, tokens: Iterable[str]) -> list[int]:
        """Rows of many tokens; unknown ones map to the unk row."""
        index, unk = self._index, self.unk_id
        if unk is None:
            return [index[t] for t in tokens]
        return [index.get(t, unk) for t in tokens]

    def is_special(self, row: int) -> bool:
        """True for the rows of special tokens."""
        return row < len(self.specials)


def _parse_line(path: Path, lineno: int, line: str) -> tuple[str, int | None]:
    where = f"{path}, line {lineno}"
    if not line.strip():
        raise VocabError(f"{where}: blank line; remove it (one token per line)")
    if "\t" not in line:
        return line, None
    token, _, count_text = line.partition("\t")
    if not token.strip():
        raise VocabError(f"{where}: empty token before the tab; expected 'token<TAB>count'")
    count = int(count_text) if count_text.isascii() and count_text.isdigit() else -1
    if count < 0:
        raise VocabError(
            f"{where}: count {count_text!r} is not a non-negative integer; "
            "expected 'token' or 'token<TAB>count'"
        )
    return token, count


def read_vocab(
    path: str | os.PathLike[str],
    *,
    pad: str | None = DEFAULT_PAD,
    unk: str | None = DEFAULT_UNK,
) -> Vocab:
    """Read a task vocabulary file.

    Lines are ``token`` or ``token<TAB>count`` (UTF-8, one per line, all lines
    of one kind). If the file already starts with the special tokens in order
    (as files written by aligner do), they are not added twice.

    Args:
        path: the vocabulary file.
        pad: padding token placed at row 0, or ``None``.
        unk: unknown-word token placed after it, or ``None``.

    Returns:
        The :class:`Vocab`, specials first.

    Raises:
        VocabError: the file is missing, empty, not UTF-8, or has a blank,
            duplicate or malformed line (the message names the line).

    Example:
        >>> vocab = read_vocab("data_samples/vocab.txt")  # doctest: +SKIP
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise VocabError(f"vocabulary file {path} does not exist; check the path") from None
    except OSError as exc:
        raise VocabError(f"cannot read vocabulary file {path}: {exc.strerror}") from None
    raw = raw.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        lineno = raw[: exc.start].count(b"\n") + 1
        raise VocabError(f"{path}, line {lineno}: not valid UTF-8; re-encode the file") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line.removesuffix("\r") for line in lines]
    specials = [s for s in (pad, unk) if s is not None]
    if lines[: len(specials)] == specials and specials:
        lines = lines[len(specials) :]
        first = len(specials) + 1
    else:
        first = 1
    tokens: list[str] = []
    counts: list[int] = []
    seen: dict[str, int] = {}
    has_counts: bool | None = None
    for lineno, line in enumerate(lines, start=first):
        token, count = _parse_line(path, lineno, line)
        if has_counts is None:
            has_counts = count is not None
        elif has_counts != (count is not None):
            raise VocabError(
                f"{path}, line {lineno}: mixes lines with and without counts; "
                "use 'token<TAB>count' on every line or on none"
            )
        if token in specials:
            raise VocabError(
                f"{path}, line {lineno}: {token!r} is a special token; remove the line "
                "or choose other special tokens (--pad-token/--unk-token)"
            )
        if token in seen:
            raise VocabError(
                f"{path}, line {lineno}: duplicate token {token!r} (first on line {seen[token]}); "
                "keep one line per token"
            )
        seen[token] = lineno
        tokens.append(token)
        if count is not None:
            counts.append(count)
    if not tokens:
        raise VocabError(f"vocabulary file {path} is empty; it needs one token per line")
    return Vocab(tokens, counts=counts if has_counts else None, pad=pad, unk=unk)
