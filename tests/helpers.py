"""Small builders shared by the tests."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aligner import BuildConfig, Word2VecParams

MUSIC = ["guitar", "piano", "drums", "melody", "song", "band", "chord", "concert"]
SPORTS = ["football", "goal", "team", "coach", "match", "stadium", "referee", "score"]
FILLER = ["the", "a", "we", "they", "play", "with", "and", "really"]


def write_corpus(path: Path, lines: int = 1500, seed: int = 0) -> Path:
    """Two topics; each line mixes one topic's words with filler words."""
    rng = random.Random(seed)
    out = []
    for i in range(lines):
        topic = MUSIC if i % 2 else SPORTS
        out.append(" ".join(rng.choice(topic if rng.random() < 0.6 else FILLER) for _ in range(9)))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def small_config(corpus: Path, vocab: Path, out: Path, **overrides: object) -> BuildConfig:
    params = {
        "corpus": corpus,
        "vocab": vocab,
        "out": out,
        "params": Word2VecParams(dim=12, min_count=2, epochs=3),
        "seed": 7,
    }
    params.update(overrides)
    return BuildConfig(**params)  # type: ignore[arg-type]


class RecordingBar:
    """A progress bar that records every update and status."""

    def __init__(self) -> None:
        self.updates: list[int] = []
        self.statuses: list[str] = []

    def update(self, n: int = 1) -> None:
        self.updates.append(n)

    def status(self, text: str) -> None:
        self.statuses.append(text)


class RecordingProgress:
    """A Progress that keeps every bar it hands out: (description, total, unit, bar)."""

    def __init__(self) -> None:
        self.bars: list[tuple[str, int | None, str, RecordingBar]] = []

    @contextmanager
    def bar(
        self, description: str, *, total: int | None = None, unit: str = "it"
    ) -> Iterator[RecordingBar]:
        bar = RecordingBar()
        self.bars.append((description, total, unit, bar))
        yield bar


TOPICS = {"music": MUSIC, "sports": SPORTS}
#: words of the compare tests' vocabulary that never occur in the corpus (filled at random)
ABSENT = ["zorblax", "guitr", "meloddy"]


def write_labelled(path: Path, rows: int, seed: int = 0, labels: tuple[str, ...] = ()) -> Path:
    """``label<TAB>text`` lines, no header: topic words and filler, labels taking turns."""
    rng = random.Random(seed)
    labels = labels or tuple(TOPICS)
    lines = []
    for i in range(rows):
        label = labels[i % len(labels)]
        topic = TOPICS.get(label, MUSIC) + ABSENT[:1]
        words = [
            rng.choice(topic if rng.random() < 0.6 else FILLER) for _ in range(rng.randint(1, 7))
        ]
        lines.append(f"{label}\t{' '.join(words)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def compare_vocab(path: Path) -> Path:
    """The task vocabulary of the compare tests: every topic and filler word, and ABSENT."""
    words = sorted(set(MUSIC + SPORTS + FILLER)) + ABSENT
    path.write_text("\n".join(words) + "\n", encoding="utf-8")
    return path
