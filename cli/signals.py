"""Termination signals that unwind like Ctrl-C, so every clean-up runs.

``kill PID`` (SIGTERM), a closed terminal (SIGHUP) and a job scheduler's
stop would otherwise end the process at once, leaving behind the temporary
files a write was making. :func:`install_signal_handlers` makes the first such
signal raise :class:`SystemExit` with the shell's status for it (143 for
SIGTERM, 129 for SIGHUP) wherever Python is running: every ``finally`` and
``except BaseException`` removes its temporaries on the way out, and no
traceback is printed. A second signal ends the process at once (the next
write sweeps what is left).

Example:
    >>> install_signal_handlers()  # doctest: +SKIP
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

__all__ = ["install_signal_handlers"]

SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def _unwind(signum: int, frame: FrameType | None) -> None:
    for sig in SIGNALS:  # a second signal during the clean-up ends the process
        signal.signal(sig, signal.SIG_DFL)
    raise SystemExit(128 + signum)


def install_signal_handlers() -> list[int]:
    """Make SIGTERM and SIGHUP raise ``SystemExit(128 + signum)`` in the main thread.

    A signal whose handler someone else set (an application embedding the
    CLI, ``nohup``'s ignored SIGHUP) is left alone, and so is every signal
    when this runs outside the main thread (where Python cannot set them).

    Returns:
        The signals now handled.
    """
    if threading.current_thread() is not threading.main_thread():
        return []
    installed = []
    for sig in SIGNALS:
        current = signal.getsignal(sig)
        if current is signal.SIG_DFL or current is _unwind:
            signal.signal(sig, _unwind)
            installed.append(sig)
    return installed
