"""``--help`` a person can read: options grouped by stage, defaults shown one way.

click lists a command's options in one flat block. Here a command declares
its options under section markers, read top to bottom like headings::

    @click.command(cls=SectionedCommand, epilog=EXAMPLE)
    @section("Input")
    @click.option("--corpus", help="...")
    @section("Training")
    @training_options(pretrained=False)
    @section("Output")
    @click.option("--out", help="...")
    def train(...): ...

A marker tags the options declared below it, up to the next marker (click
applies decorators from the bottom up, so each marker tags the options
added since the one below it). :class:`SectionedCommand` prints one block
per section: the stages of :data:`SECTIONS` in that order, other titles
before ``Output`` in the order they appear, and untagged options (``--help``)
under ``Other``. Defaults are shown click's way, ``[default: X]``, for every
option (``show_default`` is on); an option whose default is not a value
passes ``show_default="from the corpus size"`` and it is shown as written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

#: the stages, in the order ``--help`` shows them
SECTIONS = ("Input", "Training", "Tokenizer", "Alignment and fill", "Output", "Other")
OTHER = "Other"
_COLUMN = 30  # click's widest option column before the help moves to the next line
_ATTRIBUTE = "help_section"


def section(title: str) -> Callable[[F], F]:
    """Mark the start of a help section: the options declared below this
    marker (down to the next one) are listed under ``title``.

    Args:
        title: the section's heading, e.g. one of :data:`SECTIONS`.

    Returns:
        A decorator that tags the options and returns the function unchanged.

    Example:
        >>> @click.command(cls=SectionedCommand)
        ... @section("Output")
        ... @click.option("--out", help="File to write.")
        ... def write(out: str) -> None: ...
        >>> write.params[0].help_section
        'Output'
    """

    def mark(func: F) -> F:
        params = func.params if isinstance(func, click.Command) else _pending(func)
        for param in params:
            if getattr(param, _ATTRIBUTE, None) is None:
                setattr(param, _ATTRIBUTE, title)
        return func

    return mark


def _pending(func: Callable[..., Any]) -> list[click.Parameter]:
    """The parameters click's decorators attached to ``func`` so far."""
    return list(getattr(func, "__click_params__", []))


def section_of(param: click.Parameter) -> str:
    """The help section a parameter was declared in (``Other`` when untagged)."""
    return getattr(param, _ATTRIBUTE, None) or OTHER


def _order(titles: list[str]) -> list[str]:
    """The stages of :data:`SECTIONS` in their order, other titles before Output."""
    before_output = SECTIONS.index("Output")
    known = {title: SECTIONS.index(title) for title in titles if title in SECTIONS}
    rank = {t: known.get(t, before_output - 0.5) for t in titles}
    return sorted(titles, key=lambda t: (rank[t], titles.index(t)))


class SectionedCommand(click.Command):
    """A click command whose ``--help`` lists its options in sections (see :func:`section`).

    Defaults are shown for every option that has one, as ``[default: X]``;
    a ``show_default`` string is shown as written (click would add parentheses).

    Example:
        >>> @click.command(cls=SectionedCommand)
        ... @section("Training")
        ... @click.option("--epochs", type=int, show_default="from the corpus size")
        ... def run(epochs: int | None) -> None: ...
        >>> from click.testing import CliRunner
        >>> "[default: from the corpus size]" in CliRunner().invoke(run, ["--help"]).output
        True
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        settings = dict(kwargs.pop("context_settings", None) or {})
        settings.setdefault("show_default", True)
        super().__init__(*args, context_settings=settings, **kwargs)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write one block of options per section, in the order of :data:`SECTIONS`."""
        groups: dict[str, list[tuple[str, str]]] = {}
        for param in self.get_params(ctx):
            record = None if isinstance(param, click.Argument) else param.get_help_record(ctx)
            if record is not None:
                groups.setdefault(section_of(param), []).append(_plain_default(param, record))
        longest = max((len(name) for rows in groups.values() for name, _ in rows), default=0)
        width = min(longest, _COLUMN)  # one column of help text across the sections
        for title in _order(list(groups)):
            with formatter.section(title):
                formatter.write_dl([(name.ljust(width), text) for name, text in groups[title]])


def _plain_default(param: click.Parameter, record: tuple[str, str]) -> tuple[str, str]:
    """``[default: (text)]`` → ``[default: text]`` for a ``show_default`` string."""
    text = getattr(param, "show_default", None)
    if not isinstance(text, str):
        return record
    name, help_text = record
    return name, help_text.replace(f"[default: ({text})", f"[default: {text}", 1)
