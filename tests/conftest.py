"""Shared fixtures: a small topical corpus, a vocabulary and a built artifact."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aligner import build

from .helpers import compare_vocab, small_config, write_corpus


@pytest.fixture(scope="session", autouse=True)
def _aligner_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep aligner's cache (downloads, file digests) out of the user's cache directory."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ALIGNER_CACHE", str(tmp_path_factory.mktemp("aligner-cache")))
        yield


@pytest.fixture
def corpus_file(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus.txt")


@pytest.fixture
def vocab_file(tmp_path: Path) -> Path:
    # "The" and "Piano" only match up to case; "zorblax" and "guitr" are absent.
    lines = [
        "The\t40",
        "guitar\t12",
        "football\t9",
        "Piano\t7",
        "zorblax\t3",
        "goal\t2",
        "guitr\t1",
    ]
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One artifact built once per session; tests must not modify it."""
    root = tmp_path_factory.mktemp("built")
    corpus = write_corpus(root / "corpus.txt")
    vocab = root / "vocab.txt"
    vocab.write_text("The\t40\nguitar\t12\nfootball\t9\nPiano\t7\nzorblax\t3\ngoal\t2\nguitr\t1\n")
    build(small_config(corpus, vocab, root / "artifact"))
    return root / "artifact"


@pytest.fixture(scope="session")
def compare_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small artifact over the words of ``helpers.write_labelled``; tests must not modify it."""
    root = tmp_path_factory.mktemp("compare")
    corpus = write_corpus(root / "corpus.txt", lines=600)
    build(small_config(corpus, compare_vocab(root / "vocab.txt"), root / "artifact"))
    return root / "artifact"


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """One local[2] SparkSession for every Spark test (UI off, 2 shuffle partitions);
    skips when pyspark or Java is missing."""
    import os
    import shutil

    pytest.importorskip(
        "pyspark", reason="the Spark tests need pyspark: pip install 'aligner[spark]'"
    )
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("the Spark tests need Java 17 or later (java on PATH, or JAVA_HOME)")
    from aligner.engines.spark import get_session

    conf = {"spark.sql.shuffle.partitions": "2", "spark.ui.enabled": "false"}
    session = get_session(master="local[2]", conf=conf)
    yield session
    session.stop()
