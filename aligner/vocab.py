"""The task vocabulary: row ``i`` of the embedding matrix is token ``i``.

A vocabulary file has one token per line, optionally followed by a tab and
its count in dataset 1 (``token<TAB>count``). Two other layouts with counts are
recognised when every line has them: ``token count`` (one space; gensim's
``fvocab`` files) and ``count token`` (``sort | uniq -c``). Special tokens
(``<pad>`` at row 0 and ``<unk>`` at row 1 by default) are put in front of the
file's tokens.

Files that are not text vocabularies (pickles, numpy arrays, archives,
vectors files) are recognised from their first bytes and refused with what
they are and what to pass instead (:func:`aligner.sniff.binary_kind`).

Example:
    >>> vocab = Vocab(["guitar", "piano"], counts=[5, 3])
    >>> vocab.tokens
    ['<pad>', '<unk>', 'guitar', 'piano']
    >>> vocab["piano"], vocab["drums"]
    (3, 1)
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO

from aligner.corpus_io import text_lines
from aligner.errors import VocabError
from aligner.sniff import binary_kind

__all__ = [
    "DEFAULT_PAD",
    "DEFAULT_UNK",
    "LAYOUTS",
    "Vocab",
    "check_specials",
    "read_vocab",
    "vocab_layout",
]

DEFAULT_PAD = "<pad>"
DEFAULT_UNK = "<unk>"


def check_specials(pad: str | None, unk: str | None) -> None:
    """Check that the special tokens can be written wherever a token goes.

    A special token is one line of an artifact's vocabulary file and of a
    vocabulary file, and one key of a word2vec or GloVe file, so it cannot be
    empty or hold whitespace (a space, a tab, a line break) or a control or
    format character (U+0000-U+001F, U+007F-U+009F, U+200B, U+FEFF, ...).

    Args:
        pad: the padding token, or ``None``.
        unk: the unknown-word token, or ``None``.

    Raises:
        VocabError: one of them cannot be, or they are equal.

    Example:
        >>> check_specials("<pad>", "<unk>")
        >>> check_specials("a b", None)
        Traceback (most recent call last):
        aligner.errors.VocabError: pad token 'a b' holds whitespace (' ', U+0020), and a ...
    """
    for role, token in (("pad", pad), ("unk", unk)):
        if token is None:
            continue
        if not isinstance(token, str):
            raise VocabError(f"{role} token must be a string or None, not {type(token).__name__}")
        problem = _special_problem(token)
        if problem is not None:
            raise VocabError(
                f"{role} token {token!r} {problem}, and a special token is one line of a "
                "vocabulary file and one key of a vectors file; choose one without whitespace "
                f"or control characters (e.g. '<{role}>'), or none (--{role}-token '', "
                f"{role}=None)"
            )
    if pad is not None and pad == unk:
        raise VocabError(f"pad and unk tokens must differ (both are {pad!r})")


_INVISIBLE = {"Cc": "a control character", "Cf": "an invisible format character"}
_INVISIBLE["Cs"] = "a lone surrogate (not UTF-8)"


def _special_problem(token: str) -> str | None:
    """What makes ``token`` unusable as a special token, or ``None``."""
    if not token:
        return "is empty"
    for char in token:
        if char.isspace():
            return f"holds whitespace ({char!r}, U+{ord(char):04X})"
        kind = _INVISIBLE.get(unicodedata.category(char))
        if kind is not None:
            return f"holds {kind} ({char!r}, U+{ord(char):04X})"
    return None


class Vocab:
    """An ordered, duplicate-free token list with special tokens in front.

    Args:
        tokens: the task tokens, in row order (specials excluded).
        counts: optional dataset-1 frequency of each of ``tokens``.
        pad: the padding token (row 0, kept all zero), or ``None`` for none.
        unk: the token unknown words map to, or ``None`` for none.

    Raises:
        VocabError: a duplicate token, a token equal to a special, a special
            token that is empty or holds whitespace or a control character
            (see :func:`check_specials`), or a count list of the wrong length.
    """

    def __init__(
        self,
        tokens: Iterable[str],
        *,
        counts: Sequence[int] | None = None,
        pad: str | None = DEFAULT_PAD,
        unk: str | None = DEFAULT_UNK,
    ) -> None:
        check_specials(pad, unk)
        specials = [s for s in (pad, unk) if s is not None]
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
        #: how the file it was read from was laid out (one of LAYOUTS); None when not read
        self.layout: str | None = None
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


#: the layouts of a vocabulary file, as :attr:`Vocab.layout` names them
LAYOUTS = ("token", "token<TAB>count", "token count", "count token")
#: a line longer than this (in characters) is not a vocabulary entry
MAX_LINE = 1 << 16
#: the longest line read, in bytes: a longer one is an error (memory stays bounded)
MAX_LINE_BYTES = 1 << 20
_SPACED = re.compile(r"([^ \t]+) ([0-9]+)")  # gensim's fvocab: word, one space, count
_UNIQ = re.compile(r" *([0-9]+) ([^ \t]+)")  # sort | uniq -c: padded count, one space, word
_HEADER = re.compile(r"\s*(\d+)\s+(\d+)\s*")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)", re.I)


def vocab_layout(
    lines: Sequence[str], path: str | os.PathLike[str] = "the vocabulary", *, first: int = 1
) -> str:
    """The layout of a vocabulary file's lines (one of :data:`LAYOUTS`).

    ``token count`` and ``count token`` are recognised only when every line
    has that form; a file whose lines nearly all have it is an error naming
    the line that does not (``first`` is the number of the first line).

    Raises:
        VocabError: the lines look like a vectors file, or nearly all of them
            are ``token count`` lines.

    Example:
        >>> vocab_layout(["the 217", "guitar 5"]), vocab_layout(["New York", "guitar"])
        ('token count', 'token')
    """
    _refuse_vectors(lines, path)
    if any("\t" in line for line in lines):
        return "token<TAB>count"
    for layout, pattern in (("token count", _SPACED), ("count token", _UNIQ)):
        misses = _misses(lines, pattern, len(lines) // 10)
        if not misses:
            return layout
        if len(misses) <= len(lines) // 10:
            i = misses[0]
            raise VocabError(
                f"{path}, line {first + i}: {lines[i][:60]!r} does not fit the '{layout}' "
                "layout of the other lines; fix it, or write 'token<TAB>count' lines if tokens "
                "hold spaces"
            )
    return "token"


def _misses(lines: Sequence[str], pattern: re.Pattern[str], allowed: int) -> list[int]:
    """The lines ``pattern`` does not match, up to one more than ``allowed``."""
    misses = []
    for i, line in enumerate(lines):
        if not pattern.fullmatch(line):
            misses.append(i)
            if len(misses) > allowed:
                break
    return misses


def _refuse_vectors(lines: Sequence[str], path: str | os.PathLike[str]) -> None:
    """Refuse lines that are a vectors file: a ``rows dim`` header or token + numbers."""
    header = _HEADER.fullmatch(lines[0]) if lines else None
    rows = lines[1:6] if header and len(lines) > 1 else lines[:5]
    fields = [row.rstrip(" ").split(" ") for row in rows]
    if not fields or not all(len(f) > 2 and all(map(_NUMBER.fullmatch, f[1:])) for f in fields):
        return
    raise VocabError(
        f"{path} looks like a vectors file (a token and {len(fields[0]) - 1} numbers on each "
        "line), not a vocabulary; pass it to --pretrained, and to --vocab a file with one "
        "token per line"
    )


def _parse_line(path: Path, lineno: int, line: str, layout: str) -> tuple[str, int | None]:
    where = f"{path}, line {lineno}"
    if not line.strip():
        raise VocabError(f"{where}: blank line; remove it (one token per line)")
    if layout in ("token count", "count token"):
        match = (_SPACED if layout == "token count" else _UNIQ).fullmatch(line)
        assert match is not None  # vocab_layout checked every line
        token, count = match.groups() if layout == "token count" else match.groups()[::-1]
        return token, int(count)
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


def _read_lines(path: Path) -> list[str]:
    """The file's lines: refused when it is missing, not a regular file, binary or not UTF-8."""
    try:
        # O_NONBLOCK: opening a pipe must not wait for a writer (it is refused below)
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise VocabError(
                    f"cannot read vocabulary file {path}: not a regular file (a directory, "
                    "device or pipe); pass a text file with one token per line"
                )
            head = fh.read(1 << 16)
            refused = binary_kind(head, path, role="vocabulary")
            if refused is not None:
                raise VocabError(refused)
            fh.seek(0)
            return _decode_lines(path, fh)
    except FileNotFoundError:
        raise VocabError(f"vocabulary file {path} does not exist; check the path") from None
    except IsADirectoryError:
        raise VocabError(
            f"cannot read vocabulary file {path}: it is a directory; pass a text file"
        ) from None
    except OSError as exc:
        raise VocabError(f"cannot read vocabulary file {path}: {exc.strerror}") from None


def _decode_lines(path: Path, fh: IO[bytes]) -> list[str]:
    """The lines of an open file (``\\n`` and a final ``\\r`` dropped), each at most
    :data:`MAX_LINE_BYTES` bytes (memory stays bounded), decoded as UTF-8."""
    remedy = "too long for a token; pass a vocabulary file (one token per line)"
    found = text_lines(
        fh, path, limit=MAX_LINE_BYTES, error=VocabError, remedy=remedy,
        reencode="re-encode the file",
    )  # fmt: skip
    return [line for _, line in found]


def _check_lengths(path: Path, lines: list[str]) -> list[str]:
    if lines and max(map(len, lines)) > MAX_LINE:
        lineno = next(i for i, line in enumerate(lines, 1) if len(line) > MAX_LINE)
        raise VocabError(
            f"{path}, line {lineno}: longer than {MAX_LINE} characters, too long for a token; "
            "pass a vocabulary file (one token per line)"
        )
    return lines


def read_vocab(
    path: str | os.PathLike[str],
    *,
    pad: str | None = DEFAULT_PAD,
    unk: str | None = DEFAULT_UNK,
) -> Vocab:
    """Read a task vocabulary file.

    Lines are ``token`` or ``token<TAB>count`` (UTF-8, one per line, all lines
    of one kind); ``token count`` (one space) and ``count token`` (``uniq -c``)
    files are read as token and count when every line has that form. The
    layout found is :attr:`Vocab.layout`. If the file already starts with the
    special tokens in order (as files written by aligner do), they are not
    added twice.

    Args:
        path: the vocabulary file.
        pad: padding token placed at row 0, or ``None``.
        unk: unknown-word token placed after it, or ``None``.

    Returns:
        The :class:`Vocab`, specials first.

    Raises:
        VocabError: the file is missing, empty, binary (a pickle, an array, an
            archive: the message says what it is and what to pass), a vectors
            file, not UTF-8, or has a blank, duplicate or malformed line (the
            message names the line).

    Example:
        >>> vocab = read_vocab("data_samples/vocab.txt")  # doctest: +SKIP
        >>> vocab.layout  # doctest: +SKIP
        'token<TAB>count'
    """
    path = Path(path)
    lines = _check_lengths(path, _read_lines(path))
    specials = [s for s in (pad, unk) if s is not None]
    if lines[: len(specials)] == specials and specials:
        lines = lines[len(specials) :]
        first = len(specials) + 1
    else:
        first = 1
    layout = vocab_layout(lines, path, first=first)
    tokens: list[str] = []
    counts: list[int] = []
    seen: dict[str, int] = {}
    has_counts: bool | None = None
    for lineno, line in enumerate(lines, start=first):
        token, count = _parse_line(path, lineno, line, layout)
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
    vocab = Vocab(tokens, counts=counts if has_counts else None, pad=pad, unk=unk)
    vocab.layout = layout
    return vocab
