"""Build the task vocabulary from dataset 1 and write it as a vocabulary file.

Dataset 1 (the task's labelled data) is read with :class:`~aligner.corpus.Corpus`,
so every layout it reads works here: plain text (one text per line, ``.gz``,
``.bz2``, ``.xz`` too), CSV/TSV, JSONL, Parquet and Arrow files (``text_column``
names the text column), and directories of them. A CSV/TSV file without a
header line, such as ``label<TAB>text``, takes the column's number counting
from 1: ``text_column="2"``.

Tokens are ordered by count, most frequent first, ties by token (code point
order); the file written has one ``token<TAB>count`` line per token, without
the special tokens, which :func:`~aligner.vocab.read_vocab` puts in front.

Example:
    >>> spec = TokenizerSpec(lowercase=True)
    >>> vocab = build_vocab("train.tsv", tokenizer=spec, text_column="2")  # doctest: +SKIP
    >>> write_vocab(vocab, "vocab.tsv")  # doctest: +SKIP
    PosixPath('vocab.tsv')
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, replace
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

from aligner.atomic import atomic_file, check_file_output
from aligner.errors import InputError, VocabError
from aligner.progress import SILENT, Progress
from aligner.task import texts_of
from aligner.tokenize import TokenizerSpec
from aligner.vocab import DEFAULT_PAD, DEFAULT_UNK, Vocab, vocab_layout
from aligner.writable import check_writable

__all__ = [
    "VocabReport",
    "build_vocab",
    "build_vocab_file",
    "check_options",
    "count_tokens",
    "select_tokens",
    "write_vocab",
]


@dataclass(frozen=True)
class VocabReport:
    """What building a vocabulary did.

    Attributes:
        vocab: the vocabulary, specials first, with counts.
        tokens_counted: tokens read from the dataset (specials included).
        types_counted: distinct tokens read.
        dropped_min_count: types dropped for occurring fewer than ``min_count`` times.
        dropped_max_size: types dropped beyond ``max_size``.
        dropped_specials: special tokens that occurred in the data (never entries).
        path: the file written, or ``None`` when nothing was written.
    """

    vocab: Vocab
    tokens_counted: int
    types_counted: int
    dropped_min_count: int
    dropped_max_size: int
    dropped_specials: tuple[str, ...]
    path: Path | None = None

    @property
    def types_written(self) -> int:
        """Vocabulary entries besides the specials."""
        return len(self.vocab) - len(self.vocab.specials)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (the vocabulary itself left out)."""
        return {
            "path": None if self.path is None else str(self.path),
            "types_written": self.types_written,
            "tokens_counted": self.tokens_counted,
            "types_counted": self.types_counted,
            "dropped_min_count": self.dropped_min_count,
            "dropped_max_size": self.dropped_max_size,
            "dropped_specials": list(self.dropped_specials),
        }


def count_tokens(
    data: str | os.PathLike[str],
    *,
    tokenizer: TokenizerSpec,
    text_column: str | None = None,
    progress: Progress = SILENT,
    follow_links: bool = False,
) -> Counter[str]:
    """Count the tokens of every text in a dataset.

    Args:
        data: a file or directory in any layout :class:`~aligner.corpus.Corpus` reads.
        tokenizer: how each text is split into tokens.
        text_column: the text column of tabular files; for CSV/TSV files
            without a header line, its number counting from 1 (``"2"``).
        progress: receives one bar, in bytes of the files read.
        follow_links: in a directory, also follow links that lead out of it
            (by default such a link is an error).

    Returns:
        How often each token occurs (empty when the dataset has no tokens).

    Raises:
        CorpusError: the data is missing or unreadable, or the column is absent
            or not text (the message names the file and what to pass).
        InputError: ``text_column`` is given for plain text only.

    Example:
        >>> count_tokens("train.txt", tokenizer=TokenizerSpec())  # doctest: +SKIP
        Counter({'the': 217, 'guitar': 5, ...})
    """
    texts = texts_of(data, text_column, progress=progress, verb="count", follow_links=follow_links)
    # map, chain and Counter's counting run in C: no Python loop per token. (Arrow's
    # utf8_split_whitespace + value_counts would be 2x faster for whitespace splitting,
    # but pyarrow 26 sometimes returns stray tokens from runs of non-ASCII whitespace.)
    return Counter(chain.from_iterable(map(tokenizer, texts)))


def check_options(min_count: int, max_size: int | None, pad: str | None, unk: str | None) -> None:
    """Check the vocabulary options (every engine's counting uses this).

    Raises:
        InputError: pad and unk are one token, min_count or max_size below 1.
    """
    if pad is not None and pad == unk:
        raise InputError(f"pad and unk tokens must differ (both are {pad!r})")
    if min_count < 1:
        raise InputError(f"min_count must be at least 1, not {min_count}")
    if max_size is not None and max_size < 1:
        raise InputError(f"max_size must be at least 1 (or None for no limit), not {max_size}")


def select_tokens(
    counts: Counter[str],
    *,
    source: str | os.PathLike[str] = "the dataset",
    min_count: int = 1,
    max_size: int | None = None,
    pad: str | None = DEFAULT_PAD,
    unk: str | None = DEFAULT_UNK,
) -> VocabReport:
    """Order counted tokens into a vocabulary, applying ``min_count`` and ``max_size``.

    Tokens are ordered by count descending, then by token (code point order).
    Tokens equal to ``pad`` or ``unk`` are counted but dropped: specials are
    never vocabulary entries. ``max_size`` keeps the first entries after
    ordering, specials not counted.

    Args:
        counts: token counts, e.g. from :func:`count_tokens`.
        source: the dataset the counts come from, named in error messages.
        min_count: drop tokens occurring fewer times.
        max_size: keep at most this many entries besides the specials.
        pad: the padding special, or ``None``.
        unk: the unknown-word special, or ``None``.

    Returns:
        A :class:`VocabReport` (``path`` None).

    Raises:
        InputError: ``min_count`` or ``max_size`` is below 1.
        VocabError: no tokens at all, or none left after ``min_count``.

    Example:
        >>> select_tokens(Counter("b a b c".split()), min_count=1).vocab.tokens
        ['<pad>', '<unk>', 'b', 'a', 'c']
    """
    check_options(min_count, max_size, pad, unk)
    specials = tuple(s for s in (pad, unk) if s is not None and s in counts)
    ranked = sorted((token, n) for token, n in counts.items() if token not in (pad, unk))
    ranked.sort(key=itemgetter(1), reverse=True)  # stable: ties stay in token order
    if not ranked:
        what = "only special tokens" if counts else "no tokens"
        raise VocabError(f"{source} holds {what}; check --text-column and the file's content")
    kept = [item for item in ranked if item[1] >= min_count]
    if not kept:
        top, n = ranked[0]
        raise VocabError(
            f"{source}: no token occurs {min_count} times (the most frequent, {top!r}, "
            f"occurs {n}); lower --min-count"
        )
    limited = kept if max_size is None else kept[:max_size]
    return VocabReport(
        vocab=Vocab([t for t, _ in limited], counts=[n for _, n in limited], pad=pad, unk=unk),
        tokens_counted=sum(counts.values()),
        types_counted=len(counts),
        dropped_min_count=len(ranked) - len(kept),
        dropped_max_size=len(kept) - len(limited),
        dropped_specials=specials,
    )


def build_vocab(
    data: str | os.PathLike[str],
    *,
    tokenizer: TokenizerSpec,
    text_column: str | None = None,
    min_count: int = 1,
    max_size: int | None = None,
    pad: str | None = DEFAULT_PAD,
    unk: str | None = DEFAULT_UNK,
    progress: Progress = SILENT,
    follow_links: bool = False,
) -> Vocab:
    """Build the task vocabulary, with counts, from dataset 1.

    Tokens are ordered by count descending, then by token (code point
    order). Tokens equal to ``pad`` or ``unk`` are counted but dropped from
    the entries (the specials sit in front, at rows 0 and 1).

    Args:
        data: a file or directory (see :func:`count_tokens`).
        tokenizer: how each text is split; use the one you will encode with.
        text_column: the text column of tabular files (CSV/TSV without a
            header line: its number, e.g. ``"2"``).
        min_count: drop tokens occurring fewer times.
        max_size: keep at most this many entries besides the specials.
        pad: padding token (row 0), or ``None``.
        unk: unknown-word token, or ``None``.
        progress: receives the counting bar.
        follow_links: see :func:`count_tokens`.

    Returns:
        The :class:`~aligner.vocab.Vocab`, specials first, with counts.

    Raises:
        CorpusError, InputError: see :func:`count_tokens`; bad limits.
        VocabError: the dataset has no tokens, or none reach ``min_count``.

    Example:
        >>> spec = TokenizerSpec()
        >>> build_vocab("train.tsv", tokenizer=spec, text_column="2").tokens[:4]  # doctest: +SKIP
        ['<pad>', '<unk>', 'the', 'a']
    """
    limits = {"min_count": min_count, "max_size": max_size, "pad": pad, "unk": unk}
    return _report(data, tokenizer, text_column, limits, progress, follow_links).vocab


def _report(
    data: str | os.PathLike[str],
    tokenizer: TokenizerSpec,
    text_column: str | None,
    limits: dict[str, Any],
    progress: Progress,
    follow_links: bool = False,
) -> VocabReport:
    """Count ``data`` and select its tokens, the ``limits`` checked before reading."""
    check_options(**limits)
    counts = count_tokens(
        data,
        tokenizer=tokenizer,
        text_column=text_column,
        progress=progress,
        follow_links=follow_links,
    )
    return select_tokens(counts, source=Path(data), **limits)


def _check_token(path: Path, row: int, token: str) -> None:
    """Refuse a token that :func:`~aligner.vocab.read_vocab` could not read back."""
    problem = None
    if any(c in token for c in "\t\n\r"):
        problem = "holds a tab or a line break"
    elif not token.strip():
        problem = "is empty or only whitespace"
    elif row == 0 and token.startswith("\ufeff"):
        problem = "starts with a byte-order mark (U+FEFF), which readers drop on line 1"
    else:
        try:
            token.encode("utf-8")
        except UnicodeEncodeError:
            problem = "holds a lone surrogate and cannot be encoded as UTF-8"
    if problem:
        raise VocabError(
            f"cannot write {path}: token {token!r} (line {row + 1}) {problem}, so the file "
            "could not be read back; change the tokenizer or clean the data"
        )


def _check_plain(path: Path, tokens: list[str]) -> None:
    """Refuse count-less tokens that :func:`~aligner.vocab.read_vocab` would read as counts."""
    try:
        layout = vocab_layout(tokens, path)
    except VocabError:
        layout = "another layout"
    if layout != "token":
        raise VocabError(
            f"cannot write {path} without counts: its tokens look like {layout!r} lines, so the "
            "file would not read back the same; give the vocabulary counts (token<TAB>count)"
        )


def write_vocab(vocab: Vocab, path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write a vocabulary file that :func:`~aligner.vocab.read_vocab` reads back equal.

    One line per entry, specials left out (``read_vocab`` adds them): ``token<TAB>count``
    when the vocabulary has counts, else ``token``; UTF-8, ``"\\n"`` line ends. The
    file is written beside ``path`` and renamed into place, so a failed write
    leaves nothing behind. Read it back with the same ``pad``/``unk``.

    Args:
        vocab: the vocabulary to write.
        path: the file to create (or replace, with ``force``).
        force: replace an existing file.

    Returns:
        The written path.

    Raises:
        InputError: the file exists and ``force`` is false.
        VocabError: the vocabulary has no entries besides the specials, or a
            token could not be read back (a tab, a line break, only whitespace;
            without counts, tokens that all look like ``token count`` lines).

    Example:
        >>> write_vocab(Vocab(["the", "guitar"], counts=[9, 2]), "v.tsv")  # doctest: +SKIP
        PosixPath('v.tsv')
    """
    path = check_file_output(path, force=force)
    first = len(vocab.specials)
    tokens = vocab.tokens[first:]
    if not tokens:
        raise VocabError(f"cannot write {path}: the vocabulary has no tokens besides the specials")
    for row, token in enumerate(tokens):
        _check_token(path, row, token)
    if vocab.counts is None:
        _check_plain(path, tokens)
    if vocab.counts is None:
        lines = (f"{token}\n" for token in tokens)
    else:
        lines = (f"{t}\t{n}\n" for t, n in zip(tokens, vocab.counts[first:], strict=True))
    with (
        atomic_file(path, replace=force) as tmp,
        tmp.open("w", encoding="utf-8", newline="\n") as fh,
    ):
        fh.writelines(lines)
    return path


def build_vocab_file(
    data: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    tokenizer: TokenizerSpec,
    text_column: str | None = None,
    min_count: int = 1,
    max_size: int | None = None,
    pad: str | None = DEFAULT_PAD,
    unk: str | None = DEFAULT_UNK,
    force: bool = False,
    progress: Progress = SILENT,
    follow_links: bool = False,
) -> VocabReport:
    """Count dataset 1, build its vocabulary and write it to ``out`` (``aligner vocab``).

    ``out`` is checked (free to write, writable) before counting starts;
    nothing is written on error.
    Arguments are those of :func:`build_vocab` and :func:`write_vocab`.

    Returns:
        The :class:`VocabReport`, with ``path`` set.

    Raises:
        InputError: ``out`` exists without ``force``, or bad limits;
            CorpusError, VocabError: see :func:`build_vocab` and :func:`write_vocab`.

    Example:
        >>> report = build_vocab_file(
        ...     "train.tsv", "v.tsv", tokenizer=TokenizerSpec(), text_column="2"
        ... )  # doctest: +SKIP
        >>> report.types_written, report.tokens_counted  # doctest: +SKIP
        (270, 2776)
    """
    out = check_file_output(out, force=force)
    check_writable(out)
    limits = {"min_count": min_count, "max_size": max_size, "pad": pad, "unk": unk}
    report = _report(data, tokenizer, text_column, limits, progress, follow_links)
    path = write_vocab(report.vocab, out, force=force)
    return replace(report, path=path)
