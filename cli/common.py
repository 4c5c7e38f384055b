"""Pieces shared by the commands: --json, --follow-links, error handling, JSON output."""

from __future__ import annotations

import errno
import functools
import json
import os
import re
import stat
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def grouped_options(name: str, options: list[Any], keys: tuple[str, ...]) -> Callable[[F], F]:
    """Add ``options``; the command receives their values as one dict argument ``name``."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            kwargs[name] = {key: kwargs.pop(key) for key in keys}
            return func(*args, **kwargs)

        for option in reversed(options):
            wrapper = option(wrapper)
        return wrapper  # type: ignore[return-value]

    return decorate


#: vectors file formats as the commands name them: the library's, and fastText ``.vec``
VECTORS_FORMATS = ("glove", "word2vec", "word2vec-binary", "fasttext-vec", "fasttext-bin")


def format_option(help: str) -> Callable[[F], F]:
    """``--format``: a vectors file's format; the command receives the library's name or None.

    ``fasttext-vec`` is word2vec text, and arrives as ``word2vec``.
    """

    def library_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        return "word2vec" if value == "fasttext-vec" else value

    return click.option(
        "--format",
        "vectors_format",
        type=click.Choice(VECTORS_FORMATS),
        callback=library_name,
        show_default="detected",
        help=help,
    )


#: how every command's ``--text-column`` names a column
COLUMN_NAMING = (
    "a name, or the number from 1 of a CSV/TSV column in a file without a header line "
    "(e.g. 2 for 'label<TAB>text')"
)


def text_column_option(what: str, *, required: bool = False) -> Callable[[F], F]:
    """``--text-column COL``: the text column of the command's table inputs.

    Args:
        what: which inputs, e.g. ``"of a --data table"``; the help adds how
            columns are named (:data:`COLUMN_NAMING`).
        required: the command cannot run without it.
    """
    return click.option(
        "--text-column",
        metavar="COL",
        required=required,
        help=f"Text column {what}: {COLUMN_NAMING}.",
    )


def seed_option(what: str) -> Callable[[F], F]:
    """``--seed N``: the one seed of the command's random choices (``what`` they are)."""
    return click.option(
        "--seed",
        type=int,
        default=0,
        show_default=True,
        help=f"Seed of {what}.",
    )


def json_option(func: F) -> F:
    """``--json``: print one JSON document instead of text."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout."
    )(func)


def check_follow_links(follow_links: bool, *paths: str | None) -> None:
    """``--follow-links`` applies to data directories: refuse it when no input is one."""
    if follow_links and not any(p is not None and os.path.isdir(p) for p in paths):
        raise click.UsageError(
            "--follow-links applies to a data directory, and no input is one; drop --follow-links"
        )


def follow_links_option(func: F) -> F:
    """``--follow-links``: read symbolic links in a data directory that point outside it."""
    return click.option(
        "--follow-links",
        is_flag=True,
        help="In a data directory, also read symbolic links that point outside it "
        "(by default they are refused).",
    )(func)


class OutputFile(click.Path):
    """``click.Path`` for a file to write: not a directory, and not an existing device,
    FIFO or socket, which the atomic write (a rename over it) would replace, as root too."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from aligner.corpus import file_kind

        path = super().convert(value, param, ctx)
        try:
            mode = os.stat(path).st_mode
        except (OSError, ValueError):
            return path  # absent (or unusable: the write names the reason)
        if not stat.S_ISREG(mode):
            self.fail(
                f"{shown(path)} is {file_kind(mode)}, not a regular file, and writing would "
                "replace it; choose a file path",
                param,
                ctx,
            )
        return path


def shown(path: str | bytes | os.PathLike[Any]) -> str:
    """A path for a message: bytes that are not UTF-8 shown as ``\\xNN``.

    Example:
        >>> shown(os.fsdecode(b"/data/caf\\xe9.txt"))
        '/data/caf\\\\xe9.txt'
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


# What to do about an operating-system error, by errno: (what happened, remedy).
_OS_REMEDIES = {
    errno.ENOSPC: ("no space left on the device", "free some space, or write to another disk"),
    errno.EDQUOT: ("disk quota exceeded", "free some space, or write to another disk"),
    errno.EFBIG: (
        "the file is too large for its file system or for the size limit of this process",
        "write to another disk, or raise the limit (ulimit -f)",
    ),
    errno.EROFS: ("the file system is read-only", "choose a path on a writable disk"),
    errno.EACCES: ("permission denied", "check the permissions, or choose another path"),
    errno.EPERM: ("operation not permitted", "check the permissions, or choose another path"),
    errno.ENOTDIR: (
        "a part of the path is a file, not a directory",
        "choose a path whose parents are directories",
    ),
    errno.EISDIR: ("it is a directory", "pass a file"),
    errno.ENAMETOOLONG: ("the name is too long", "choose a shorter name"),
    errno.ENOENT: ("no such file or directory", "check the path"),
    errno.EEXIST: ("it already exists", "remove it, or choose another path"),
    errno.ELOOP: ("too many levels of symbolic links", "check the links on the path"),
    errno.EMFILE: ("too many open files", "raise the limit (ulimit -n) and run again"),
    errno.ENFILE: ("too many open files in the system", "close other programs and run again"),
    errno.EIO: ("input/output error", "check the disk (dmesg), then run again"),
    errno.ENXIO: ("no such device", "pass a regular file"),
    errno.ENODEV: ("no such device", "pass a regular file"),
    errno.ETXTBSY: ("the file is busy", "wait for the program using it, or choose another path"),
    errno.EXDEV: ("the paths are on different file systems", "keep them on one disk"),
}


# Errors only a write meets: without a file name, they are the output's.
_WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS)


def _final_name(path: str | bytes | os.PathLike[Any]) -> str | bytes | os.PathLike[Any]:
    """The output an atomic writer's temporary file stands for (``.x.<pid>.<hex>.tmp`` → ``x``)."""
    from aligner.atomic import TEMP_NAME

    name = os.fsdecode(path)
    match = TEMP_NAME.match(os.path.basename(name))
    return os.path.join(os.path.dirname(name), match["name"]) if match else path


def _file_above(output: str | os.PathLike[str]) -> str | None:
    """The nearest existing parent of ``output`` when it is not a directory, else None."""
    path = os.path.abspath(os.fsdecode(output))
    parent = os.path.dirname(path)
    while parent != path and not os.path.lexists(parent):
        path, parent = parent, os.path.dirname(parent)
    return None if os.path.isdir(parent) else parent


def os_error_message(exc: OSError, output: str | os.PathLike[str] | None = None) -> str:
    """One line for an operating-system error: the path, what happened, and the remedy.

    Args:
        exc: the error.
        output: the command's output, named when a write error (disk full,
            read-only) carries no file name.

    Example:
        >>> os_error_message(OSError(errno.ENOSPC, "No space left on device", "out/ids.parquet"))
        'out/ids.parquet: no space left on the device; free some space, or write to another disk'
    """
    if exc.errno == errno.EPIPE:
        return "the output was closed early (broken pipe)"
    if output is not None and exc.errno in (errno.EEXIST, errno.ENOTDIR):
        blocker = _file_above(output)
        if blocker is not None:  # mkdir(parents=True) met a file on the way
            return (
                f"{shown(output)}: {shown(blocker)} is a file, not a directory; "
                "choose an output whose parents are directories"
            )
    detail = " ".join((exc.strerror or str(exc)).split()) or type(exc).__name__
    what, remedy = _OS_REMEDIES.get(exc.errno or 0, (detail, "check the path and the disk"))
    names = [_final_name(p) for p in (exc.filename, exc.filename2) if p is not None]
    if not names and output is not None and exc.errno in _WRITE_ERRNOS:
        names = [output]
    where = " -> ".join(shown(p) for p in names) if names else "a file or device"
    return f"{where}: {what}; {remedy}"


def _memory_message(exc: MemoryError) -> str:
    detail = " ".join(str(exc).split())
    detail = f" ({detail})" if detail else ""
    return (
        f"not enough memory{detail}; ask for less (a smaller --dim, --max-size, "
        "--max-length or corpus) or run on a machine with more memory"
    )


def _value_message(exc: ValueError) -> str | None:
    """One line for the path errors that Python raises as ValueError, else None."""
    text = str(exc)
    if "null byte" in text or "null character" in text:
        return (
            "a path or URL holds a NUL character (\\0, %00), which no file name can hold; "
            "remove it from the argument"
        )
    if isinstance(exc, UnicodeEncodeError) and "surrogates not allowed" in text:
        value = exc.object if isinstance(exc.object, str) else ""
        return (
            f"{shown(value) or 'a path'}: the name holds bytes that are not UTF-8, which "
            "this step cannot use; rename the file or directory with a UTF-8 name"
        )
    return None


def _escaped_byte(match: re.Match[str]) -> str:
    """A lone surrogate as text: a byte that was not UTF-8 (``\\xNN``), else ``\\uXXXX``."""
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def library_errors(func: F) -> F:
    """Turn aligner's errors, and the operating system's, into one line and exit status 1.

    :class:`~aligner.errors.AlignerError` messages are shown as they are;
    ``OSError`` (disk full, read-only, permissions, a file where a directory
    should be, a name too long, ...) names the path and the remedy;
    ``MemoryError`` says to ask for less; a NUL character or non-UTF-8 bytes
    in a path are named. Never a traceback for these.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from aligner.errors import AlignerError

        try:
            return func(*args, **kwargs)
        except AlignerError as exc:  # a path's bytes that are not UTF-8 shown as \xNN
            raise click.ClickException(_SURROGATE.sub(_escaped_byte, str(exc))) from exc
        except OSError as exc:
            raise click.ClickException(os_error_message(exc, kwargs.get("out"))) from exc
        except MemoryError as exc:
            raise click.ClickException(_memory_message(exc)) from exc
        except ValueError as exc:
            message = _value_message(exc)
            if message is None:
                raise
            raise click.ClickException(message) from exc

    return wrapper  # type: ignore[return-value]


_SURROGATE = re.compile("[\ud800-\udfff]")


def emit(data: Any) -> None:
    """Print ``data`` as JSON; a path's non-UTF-8 bytes (lone surrogates) as ``\\udcXX`` escapes."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    click.echo(_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))
