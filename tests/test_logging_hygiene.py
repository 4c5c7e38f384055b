"""The library never reconfigures logging it does not own.

gensim's logger (and the root logger) belong to the program that uses
aligner: a user who turns gensim's INFO messages on keeps them through
training, and importing aligner changes no logger.
"""

from __future__ import annotations

import ast
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import small_config, write_corpus

ALIGNER = Path(__file__).resolve().parent.parent / "aligner"
#: calls that configure loggers, handlers or the logging system
CONFIGURING = {"basicConfig", "setLevel", "addHandler", "removeHandler", "disable",
               "captureWarnings", "dictConfig", "fileConfig", "setLoggerClass"}  # fmt: skip


class Collect(logging.Handler):
    """A user's handler: keeps the records it receives."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _state(name: str) -> tuple[object, ...]:
    logger = logging.getLogger(name)
    return logger.level, list(logger.handlers), logger.propagate, logger.disabled


@pytest.fixture
def user_gensim_logging() -> Iterator[Collect]:
    """gensim's logger as a user set it: INFO, with a handler of theirs."""
    logger = logging.getLogger("gensim")
    saved = (logger.level, list(logger.handlers), logger.propagate)
    handler = Collect()
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.setLevel(saved[0])
        logger.handlers[:] = saved[1]
        logger.propagate = saved[2]


def _train(method: str, corpus: Path) -> None:
    from aligner.corpus import Corpus
    from aligner.train import train

    train(Corpus(corpus), method, {"dim": 4, "min_count": 1, "epochs": 1})


@pytest.mark.parametrize("method", ["word2vec", "fasttext"])
def test_training_leaves_gensim_logging_as_the_user_set_it(
    tmp_path: Path, user_gensim_logging: Collect, method: str
) -> None:
    corpus = write_corpus(tmp_path / "corpus.txt", lines=50)
    before = {name: _state(name) for name in ("gensim", "", "aligner")}
    _train(method, corpus)
    assert {name: _state(name) for name in before} == before
    # the user asked for gensim's INFO messages: training did not silence them
    assert any(r.levelno == logging.INFO for r in user_gensim_logging.records)


def test_a_build_leaves_gensim_logging_as_the_user_set_it(
    tmp_path: Path, user_gensim_logging: Collect
) -> None:
    from aligner import build

    corpus = write_corpus(tmp_path / "corpus.txt", lines=50)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("guitar\nfootball\n", encoding="utf-8")
    before = {name: _state(name) for name in ("gensim", "")}
    build(small_config(corpus, vocab, tmp_path / "art"))
    assert {name: _state(name) for name in before} == before


def test_importing_every_module_changes_no_logger() -> None:
    # a fresh interpreter: aligner is imported after the user configured gensim's logger
    script = """
import importlib, logging, pkgutil
gensim = logging.getLogger("gensim")
gensim.setLevel(logging.DEBUG)
before = (gensim.level, len(gensim.handlers), logging.getLogger().level,
          len(logging.getLogger().handlers), logging.root.manager.disable)
import aligner
for module in pkgutil.walk_packages(aligner.__path__, "aligner.", onerror=lambda name: None):
    try:
        importlib.import_module(module.name)
    except ImportError:  # an optional dependency (the spark extra's pyspark) is not installed
        pass
after = (gensim.level, len(gensim.handlers), logging.getLogger().level,
         len(logging.getLogger().handlers), logging.root.manager.disable)
print(before == after, before, after)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("True"), done.stdout


def _configuring_calls(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        func = node.func if isinstance(node, ast.Call) else None
        if isinstance(func, ast.Attribute) and func.attr in CONFIGURING and _is_logging(func.value):
            found.append(f"{path.relative_to(ALIGNER.parent)}:{node.lineno}")
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr in ("propagate", "disabled"):
                    found.append(f"{path.relative_to(ALIGNER.parent)}:{node.lineno}")
    return found


def _is_logging(node: ast.expr) -> bool:
    """``logging`` itself, or a logger: ``logging.getLogger(...)``, ``_log``, ``logger``."""
    if isinstance(node, ast.Name):
        return node.id == "logging" or "log" in node.id.lower()
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "getLogger"
    return False


def test_no_library_module_configures_logging() -> None:
    calls = [call for path in sorted(ALIGNER.rglob("*.py")) for call in _configuring_calls(path)]
    assert not calls, f"the library configures logging at {', '.join(calls)}"
