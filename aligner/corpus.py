"""Read the dataset-0 corpus as a stream of token lists.

A corpus is one file or a directory of files, walked recursively in sorted
order (names starting with ``.`` are skipped). In a directory, a symbolic link
is followed when it resolves inside the directory; one pointing outside it
(say to ``/etc/passwd``) is refused unless ``follow_links=True``, and so is a
broken one. Only regular files are read: a FIFO, a device or a socket, given
or found in a directory, is refused (it could block a read forever or never
end). Each file's suffixes decide how it is read:

* ``.parquet``; ``.arrow`` / ``.feather`` / ``.ipc`` (Arrow IPC file or stream);
  ``.jsonl`` / ``.ndjson`` / ``.json`` (one JSON object per line); ``.csv`` /
  ``.tsv``: the values of the ``text_column``, nulls skipped;
* anything else (``.txt``, no suffix, ...): UTF-8 text, one sentence or
  document per line;

and JSONL, CSV/TSV and text may be compressed on top (``.gz``, ``.bz2``,
``.xz``). Everything is streamed, never loaded whole, and the corpus can be
iterated many times (gensim makes one pass per epoch).

Example:
    >>> corpus = Corpus("data_samples/corpus.txt")  # doctest: +SKIP
    >>> next(iter(corpus))[:3]  # doctest: +SKIP
    ['we', 'play', 'guitar']
    >>> Corpus("shards/", text_column="text").describe()["files"]  # doctest: +SKIP
    12
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from aligner.corpus_io import READ_ERRORS, CorpusFile, Meter, lines_of, open_file, read_error
from aligner.corpus_tables import KINDS, check_column, read_column
from aligner.errors import CorpusError, InputError
from aligner.pretrained.archive import COMPRESSIONS as ARCHIVE_COMPRESSIONS
from aligner.tokenize import TokenizerSpec

__all__ = ["Corpus", "CorpusFile", "check_regular_file", "file_kind", "layout_of", "text_lines"]

COMPRESSIONS = {k: v for k, v in ARCHIVE_COMPRESSIONS.items() if v != "zip"}  # zip: refused
TABLE_SUFFIXES = {
    ".parquet": "parquet",
    ".arrow": "arrow",
    ".feather": "arrow",
    ".ipc": "arrow",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
}
# Archives that would otherwise be read as (garbled) text.
REFUSED = {
    ".zip": "unzip it, or recompress it as .gz",
    ".tar": "extract it and pass the directory",
    ".tgz": "extract it and pass the directory",
    ".7z": "extract it and pass the directory",
    ".zst": "decompress it, or recompress it as .gz, .bz2 or .xz",
}


def layout_of(path: str | os.PathLike[str]) -> CorpusFile:
    """How a corpus file is read, from its suffixes.

    Example:
        >>> layout_of("part-1.jsonl.gz")
        CorpusFile(path=PosixPath('part-1.jsonl.gz'), layout='jsonl', compression='gzip')

    Raises:
        CorpusError: an archive (zip, tar, ...) or a compressed Parquet/Arrow file.
    """
    path = Path(path)
    name = Path(path.name.lower())
    compression = COMPRESSIONS.get(name.suffix)
    inner = name.with_suffix("") if compression else name
    remedy = REFUSED.get(inner.suffix) or REFUSED.get(name.suffix)
    if remedy:
        raise CorpusError(f"{path}: an archive is not read as a corpus; {remedy}")
    layout = TABLE_SUFFIXES.get(inner.suffix, "text")
    if compression and layout in ("parquet", "arrow"):
        raise CorpusError(
            f"{path}: {KINDS[layout]} file cannot be streamed when compressed as a whole; "
            "decompress it (the format compresses its columns itself)"
        )
    return CorpusFile(path, layout, compression)


def file_kind(mode: int) -> str:
    """What a file that is not regular is, for messages (``st_mode`` → ``"a FIFO ..."``)."""
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def check_regular_file(path: Path) -> None:
    """Refuse an input that is not a regular file (links followed): a FIFO would
    block the read until a writer comes, a device such as ``/dev/zero`` never ends.

    Raises:
        CorpusError: ``path`` cannot be read, or is not a regular file.
    """
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise CorpusError(
            f"{path}: cannot read it ({exc.strerror or exc}); check the path and its permissions"
        ) from None
    if not stat.S_ISREG(mode):
        raise CorpusError(
            f"{path} is {file_kind(mode)}, not a regular file; save the data to a file "
            "and pass that file"
        )


def _check_link(link: Path, root: Path, directory: Path, follow_links: bool) -> None:
    """Refuse a broken link, or one resolving outside ``root`` unless ``follow_links``."""
    if not os.path.exists(link):
        raise CorpusError(
            f"{link} is a broken symbolic link (to {os.readlink(link)}); "
            "fix its target or remove it from the directory"
        )
    target = Path(os.path.realpath(link))
    if follow_links or target.is_relative_to(root):
        return
    raise CorpusError(
        f"{link} is a symbolic link to {target}, outside the data directory {directory}; "
        "links out of the directory are not read unless asked: pass --follow-links "
        "(follow_links=True) to read it, or remove the link"
    )


def _mode(entry: Path) -> int:
    try:
        return entry.stat().st_mode
    except OSError as exc:
        raise CorpusError(
            f"{entry}: cannot read it ({exc.strerror or exc}); check its permissions"
        ) from None


def _walk(directory: Path, follow_links: bool) -> list[Path]:
    """Regular files under ``directory``, depth first, each level sorted by name.

    Raises:
        CorpusError: a directory cannot be listed, a link is broken or points
            outside ``directory`` (unless ``follow_links``), or an entry is a
            FIFO, device or socket.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    root = Path(os.path.realpath(directory))

    def visit(folder: Path) -> None:
        real = folder.resolve()
        if real in seen:  # a symlink loop
            return
        seen.add(real)
        try:
            entries = sorted(folder.iterdir(), key=lambda entry: entry.name)
        except OSError as exc:
            raise CorpusError(
                f"{folder}: cannot list the directory ({exc.strerror or exc}); "
                "check its permissions"
            ) from None
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                _check_link(entry, root, directory, follow_links)
            mode = _mode(entry)
            if stat.S_ISDIR(mode):
                visit(entry)
            elif stat.S_ISREG(mode):
                found.append(entry)
            else:
                raise CorpusError(
                    f"{entry} is {file_kind(mode)}, not a regular file, so it cannot be read "
                    f"as data; move it out of {directory}"
                )

    visit(directory)
    return found


def _discover(path: Path, follow_links: bool) -> tuple[CorpusFile, ...]:
    if not path.exists():
        raise CorpusError(f"corpus file {path} does not exist; check the path")
    if not path.is_dir():
        check_regular_file(path)
        return (layout_of(path),)
    files = _walk(path, follow_links)
    if not files:
        raise CorpusError(
            f"corpus {path} is not a regular file, and as a directory it holds no files "
            "(names starting with '.' are skipped); pass a text file or a directory of them"
        )
    return tuple(layout_of(file) for file in files)


def _one_or_all(values: set[Any]) -> Any:
    """The value when all agree, else their sorted list (for describe())."""
    ordered = sorted(values, key=lambda value: "" if value is None else str(value))
    return ordered[0] if len(ordered) == 1 else ordered


class Corpus:
    """A re-iterable stream of tokenized lines (or table rows) from one file or a directory.

    Args:
        path: a corpus file or a directory of them (see the module docstring
            for the layouts read).
        tokenizer: how each line or text value is split into tokens.
        text_column: the column (JSONL: key) holding the text of Parquet,
            Arrow, JSONL and CSV/TSV files; required when there are such files.
            For CSV/TSV files without a header line, the column's number
            counting from 1 (``"2"``): a number makes every line a data row.
        on_bytes: called with the number of bytes of the files on disk read,
            for progress bars; may be set later through the attribute. Every
            pass reports :attr:`size` bytes in all.
        follow_links: in a directory, also read symbolic links that resolve
            outside it (by default they are refused; links inside it are
            always followed).

    Raises:
        CorpusError: the path does not exist, a directory holds no files, a
            link points outside the directory (see ``follow_links``) or is
            broken, a file is a FIFO, device or socket, a file is an archive,
            or a tabular file has no ``text_column`` or it is not text (every
            tabular file's columns are checked here).
        InputError: ``text_column`` is given but no file is tabular.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        tokenizer: TokenizerSpec | None = None,
        text_column: str | None = None,
        on_bytes: Callable[[int], None] | None = None,
        follow_links: bool = False,
    ) -> None:
        self.path = Path(path)
        self.tokenizer = tokenizer or TokenizerSpec()
        self.text_column = text_column
        self.on_bytes = on_bytes
        self.lines_read = 0
        self.tokens_read = 0
        self.is_directory = self.path.is_dir()
        self.follow_links = follow_links
        self.files = _discover(self.path, follow_links)
        tables = [file for file in self.files if file.layout != "text"]
        if text_column is not None and not tables:
            raise InputError(
                f"--text-column {text_column!r} applies to Parquet, Arrow, JSONL and CSV/TSV "
                f"files, and corpus {self.path} holds plain text only; drop --text-column"
            )
        for file in tables:
            check_column(file, text_column)

    @property
    def size(self) -> int:
        """Total size of the corpus files on disk, in bytes."""
        return sum(file.path.stat().st_size for file in self.files)

    @property
    def plain_text_path(self) -> Path | None:
        """The file, when the corpus is one uncompressed text file whose
        tokens are its space-separated words (fit for gensim's ``corpus_file``);
        else None."""
        if len(self.files) != 1 or not self.tokenizer.is_identity_on_spaced_text:
            return None
        (file,) = self.files
        return file.path if file.layout == "text" and file.compression is None else None

    def describe(self) -> dict[str, Any]:
        """JSON-ready facts about the corpus, for the manifest.

        ``path``, ``bytes`` and ``compression`` always; ``files`` for a
        directory, ``layout`` unless all is text, ``text_column`` when set.
        Where files differ, ``compression`` and ``layout`` are sorted lists.
        """
        info: dict[str, Any] = {
            "path": str(self.path),
            "bytes": self.size,
            "compression": _one_or_all({file.compression for file in self.files}),
        }
        if self.is_directory:
            info["files"] = len(self.files)
        layouts = {file.layout for file in self.files}
        if layouts != {"text"}:
            info["layout"] = _one_or_all(layouts)
        if self.text_column is not None:
            info["text_column"] = self.text_column
        return info

    def identity(self) -> dict[str, Any]:
        """What decides the corpus content, for cache keys: every file's path
        (relative to a directory), size and modification time, and the text column."""
        files = []
        for file in self.files:
            info = file.path.stat()
            name = file.path.relative_to(self.path) if self.is_directory else file.path.resolve()
            files.append([str(name), info.st_size, info.st_mtime_ns])
        return {"path": str(self.path.resolve()), "files": files, "text_column": self.text_column}

    def _report(self, nbytes: int) -> None:
        if self.on_bytes is not None:
            self.on_bytes(nbytes)

    def lines(self) -> Iterator[str]:
        """Yield every text: the lines of text files (without line ends, blank
        ones included) and the non-null column values of tabular files.

        Raises:
            CorpusError: a line is not valid UTF-8, a compressed file is
                corrupt, or a tabular file is unreadable; the message names the
                file and the line or row.
        """
        for file in self.files:
            try:
                size = file.path.stat().st_size
            except OSError as exc:
                raise CorpusError(f"{file.path}: cannot read it ({exc.strerror or exc})") from None
            meter = Meter(self._report, size)
            if file.layout == "text":
                yield from text_lines(file, meter)
            else:
                assert self.text_column is not None  # checked in __init__
                yield from read_column(file, self.text_column, meter)
            meter.finish()

    def __iter__(self) -> Iterator[list[str]]:
        """Yield the token list of each text that has tokens."""
        self.lines_read = 0
        self.tokens_read = 0
        tokenize = self.tokenizer
        for line in self.lines():
            tokens = tokenize(line)
            if tokens:
                self.lines_read += 1
                self.tokens_read += len(tokens)
                yield tokens


def text_lines(file: CorpusFile, meter: Meter) -> Iterator[str]:
    """The decoded lines of one text file (split on ``\\n`` only, line ends and a
    leading byte-order mark removed), reporting bytes read to ``meter``."""
    lineno = 0
    with open_file(file.path, file.compression) as (stream, raw):
        try:
            for lineno, data in lines_of(stream, file.path):
                if not lineno & 255:  # every 256 lines: tell() per line costs
                    meter.to(raw.tell())
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    raise CorpusError(
                        f"{file.path}, line {lineno}: not valid UTF-8; re-encode the corpus"
                    ) from None
                if lineno == 1 and text.startswith("\ufeff"):  # a byte-order mark
                    text = text[1:]
                yield text.rstrip("\r\n")
        except READ_ERRORS as exc:
            raise read_error(file.path, f"after line {lineno}", file.compression, exc) from None
