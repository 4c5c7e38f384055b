"""Progress bars: shown on request, and no thread left behind (the parallel readers fork)."""

from __future__ import annotations

import io
import threading

import pytest

from aligner.progress import TqdmProgress


def test_a_shown_bar_leaves_no_monitor_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr", io.StringIO())
    before = {t.ident for t in threading.enumerate()}
    with TqdmProgress(enabled=True).bar("reading", total=10, unit="B") as bar:
        bar.update(10)
    after = {t.ident for t in threading.enumerate()}
    assert after <= before  # tqdm's monitor thread would outlive the bar
