"""Progress reporting without printing.

The library never prints: long stages report to a :class:`Progress` object.
The default, :data:`SILENT`, does nothing; the CLI passes :class:`TqdmProgress`,
which draws bars on a terminal and stays quiet in pipes and CI.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

__all__ = ["SILENT", "Progress", "ProgressBar", "TqdmProgress"]


class ProgressBar(Protocol):
    """One running task: advance it, and optionally show a short status."""

    def update(self, n: int = 1) -> None: ...

    def status(self, text: str) -> None: ...


class Progress(Protocol):
    """A factory of progress bars, one per stage."""

    def bar(
        self, description: str, *, total: int | None = None, unit: str = "it"
    ) -> AbstractContextManager[ProgressBar]: ...


class _NullBar:
    def update(self, n: int = 1) -> None:
        pass

    def status(self, text: str) -> None:
        pass


class _Silent:
    """Reports nothing."""

    @contextmanager
    def bar(
        self, description: str, *, total: int | None = None, unit: str = "it"
    ) -> Iterator[ProgressBar]:
        yield _NullBar()


SILENT: Progress = _Silent()


class _TqdmBar:
    def __init__(self, bar: object) -> None:
        self._bar = bar

    def update(self, n: int = 1) -> None:
        self._bar.update(n)  # type: ignore[attr-defined]

    def status(self, text: str) -> None:
        self._bar.set_postfix_str(text)  # type: ignore[attr-defined]


@functools.cache
def _tqdm_class() -> Any:
    """tqdm without its monitor thread: that thread outlives the bar, and a process
    with another thread running cannot fork the parallel readers safely."""
    from tqdm.auto import tqdm

    class _Bar(tqdm):
        monitor_interval = 0

    return _Bar


class TqdmProgress:
    """Progress bars on stderr via tqdm; disabled when stderr is not a terminal.

    Args:
        enabled: ``None`` (default) shows bars only on a terminal; ``False``
            never shows them; ``True`` always does.
    """

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = enabled

    @contextmanager
    def bar(
        self, description: str, *, total: int | None = None, unit: str = "it"
    ) -> Iterator[ProgressBar]:
        disable = None if self.enabled is None else not self.enabled
        with _tqdm_class()(
            desc=description,
            total=total,
            unit=unit,
            unit_scale=unit == "B",
            disable=disable,
            leave=False,
            dynamic_ncols=True,
        ) as bar:
            yield _TqdmBar(bar)
