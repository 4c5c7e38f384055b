"""Pieces shared by the commands: --json, error handling, JSON output."""

from __future__ import annotations

import functools
import json
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
        help=help,
    )


def json_option(func: F) -> F:
    """``--json``: print one JSON document instead of text."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout."
    )(func)


def library_errors(func: F) -> F:
    """Turn aligner's errors into a one-line message and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from aligner.errors import AlignerError

        try:
            return func(*args, **kwargs)
        except AlignerError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper  # type: ignore[return-value]


def emit(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))
