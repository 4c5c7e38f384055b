"""Build reuse keyed on content: touch, copies and checkouts reuse; a change names its input.

And the digest cache behind it (aligner.filehash): an unchanged file is not
read again, entries are written atomically, two processes at once agree.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from aligner.filehash import cache_root, file_digest
from aligner_cli.main import cli

from .helpers import write_corpus


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("ALIGNER_CACHE", str(root))
    return root


def _run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


def _build(corpus: Path, vocab: Path, out: Path, *extra: object) -> tuple[int, str]:
    return _run("build", "--corpus", corpus, "--vocab", vocab, "--out", out, "--dim", 6,
                "--min-count", 2, "--epochs", 1, *extra)  # fmt: skip


def _inputs(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    corpus = write_corpus(folder / "corpus.txt", lines=300)
    vocab = folder / "vocab.txt"
    vocab.write_text("guitar\t5\nfootball\t4\nzorblax\t1\n", encoding="utf-8")
    return corpus, vocab


def _manifest(out: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return data


def _error(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), output
    return lines[0]


def test_touch_reuses(tmp_path: Path, cache: Path) -> None:
    corpus, vocab = _inputs(tmp_path)
    out = tmp_path / "art"
    assert _build(corpus, vocab, out)[0] == 0
    later = time.time() + 100
    for path in (corpus, vocab):
        os.utime(path, (later, later))
    code, output = _build(corpus, vocab, out)
    assert code == 0, output
    assert output.startswith(f"reused {out}")


def test_a_copy_elsewhere_reuses(tmp_path: Path, cache: Path) -> None:
    corpus, vocab = _inputs(tmp_path / "one")
    out = tmp_path / "art"
    assert _build(corpus, vocab, out)[0] == 0
    key = _manifest(out)["build"]
    # the same bytes under other names (a checkout elsewhere, a copy): same build
    other = tmp_path / "two"
    other.mkdir()
    (other / "text.txt").write_bytes(corpus.read_bytes())
    (other / "words.tsv").write_bytes(vocab.read_bytes())
    code, output = _build(other / "text.txt", other / "words.tsv", out)
    assert code == 0 and output.startswith(f"reused {out}"), output
    assert _manifest(out)["build"] == key


def test_one_changed_byte_names_the_corpus(tmp_path: Path, cache: Path) -> None:
    corpus, vocab = _inputs(tmp_path)
    out = tmp_path / "art"
    assert _build(corpus, vocab, out)[0] == 0
    before = _manifest(out)
    data = bytearray(corpus.read_bytes())
    data[10] = ord("Q")
    corpus.write_bytes(bytes(data))
    code, output = _build(corpus, vocab, out)
    assert code == 1
    assert _error(output) == (
        f"Error: output directory {out} holds an artifact built from other inputs: "
        f"corpus {corpus} changed (content differs); pass --force to replace it"
    )
    assert _manifest(out) == before  # untouched
    code, output = _build(corpus, vocab, out, "--force")
    assert code == 0 and output.startswith(f"wrote {out}")


def test_options_and_vocabulary_changes_are_named(tmp_path: Path, cache: Path) -> None:
    corpus, vocab = _inputs(tmp_path)
    out = tmp_path / "art"
    assert _build(corpus, vocab, out)[0] == 0
    code, output = _build(corpus, vocab, out, "--dim", 7, "--seed", 3, "--cbow")
    assert code == 1
    line = _error(output)
    assert "option --dim 6 → 7" in line and line.count("option --seed 0 → 3") == 1
    assert "option --cbow (was --sg)" in line and line.endswith("pass --force to replace it")
    code, output = _build(corpus, vocab, out, "--lowercase")
    assert code == 1 and "tokenizer whitespace → whitespace lowercase" in _error(output)
    vocab.write_text("guitar\t5\nfootball\t4\n", encoding="utf-8")
    code, output = _build(corpus, vocab, out)
    assert code == 1 and f"vocabulary {vocab} changed (content differs)" in _error(output)


def test_a_file_added_to_a_corpus_directory_is_named(tmp_path: Path, cache: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_corpus(folder / "a.txt", lines=200)
    write_corpus(folder / "b.txt", lines=200, seed=1)
    _, vocab = _inputs(tmp_path / "v")
    out = tmp_path / "art"
    assert _build(folder, vocab, out)[0] == 0
    (folder / "c.txt").write_text("guitar piano\n")
    (folder / "b.txt").write_text("football goal\n" * 20)
    code, output = _build(folder, vocab, out)
    assert code == 1
    line = _error(output)
    assert f"{folder}/c.txt added" in line and f"{folder}/b.txt changed (content differs)" in line


def test_an_artifact_without_recorded_inputs(tmp_path: Path, cache: Path) -> None:
    corpus, vocab = _inputs(tmp_path)
    out = tmp_path / "art"
    assert _build(corpus, vocab, out)[0] == 0
    manifest = _manifest(out)
    manifest["build"] = {"key": "0" * 64}  # as written by an older aligner
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    code, output = _build(corpus, vocab, out)
    assert code == 1
    assert "it records no inputs to compare with (written by aligner" in _error(output)
    assert "pass --force" in _error(output)


def test_digest_cache_is_used_while_the_file_is_unchanged(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "corpus.txt"
    path.write_bytes(b"guitar piano\n" * 100)
    real = hashlib.sha256(path.read_bytes()).hexdigest()
    time.sleep(0.06)  # a file changed within the clock's tick is never remembered
    assert file_digest(path) == real
    [entry] = list(cache_root().iterdir())
    assert cache_root() == cache / "hashes"
    record = json.loads(entry.read_text())
    assert record["sha256"] == real and record["path"] == str(path.resolve())
    # a forged entry proves the file is not read again while stat says it is unchanged
    entry.write_text(json.dumps(record | {"sha256": "f" * 64}))
    assert file_digest(path) == "f" * 64
    # a touch (new mtime) makes it read again
    later = time.time() + 10
    os.utime(path, (later, later))
    assert file_digest(path) == real
    # a damaged entry is ignored
    entry.write_text("{not json")
    assert file_digest(path) == real


def test_digests_of_a_directory_tree_ignore_its_place(tmp_path: Path, cache: Path) -> None:
    from aligner.corpus import Corpus
    from aligner.reuse import corpus_identity

    for name in ("x", "y"):
        (tmp_path / name / "sub").mkdir(parents=True)
        (tmp_path / name / "a.txt").write_text("guitar\n")
        (tmp_path / name / "sub" / "b.txt").write_text("piano\n")
    one, two = (corpus_identity(Corpus(tmp_path / n)) for n in "xy")
    assert one == two and [f[0] for f in one["files"]] == ["a.txt", "sub/b.txt"]


CONCURRENT = """
import sys
from pathlib import Path
from aligner.filehash import file_digest
path, expected = Path(sys.argv[1]), sys.argv[2]
for i in range(40):
    assert file_digest(path) == expected, i
"""


def test_two_processes_share_the_cache(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(os.urandom(1 << 20))
    os.utime(path, (time.time() - 60, time.time() - 60))
    time.sleep(0.06)
    real = hashlib.sha256(path.read_bytes()).hexdigest()
    env = os.environ | {"ALIGNER_CACHE": str(cache)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT, str(path), real],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    names = [p.name for p in (cache / "hashes").iterdir()]
    assert len(names) == 1 and names[0].endswith(".json")  # no temporaries left
    assert json.loads((cache / "hashes" / names[0]).read_text())["sha256"] == real


def test_same_inputs_but_a_damaged_artifact_needs_force(tmp_path: Path, cache: Path) -> None:
    corpus, vocab = _inputs(tmp_path)
    out = tmp_path / "art"
    assert _build(corpus, vocab, out)[0] == 0
    manifest = _manifest(out)
    vectors = out / str(manifest["vectors"]["file"])  # type: ignore[index]
    vectors.write_bytes(vectors.read_bytes()[:-4])
    code, output = _build(corpus, vocab, out)
    assert code == 1
    line = _error(output)
    assert line.startswith(f"Error: output directory {out} holds an artifact of the same inputs ")
    assert "fails verification" in line and line.endswith("pass --force to rebuild it")
    code, output = _build(corpus, vocab, out, "--force")
    assert code == 0 and output.startswith(f"wrote {out}")


def test_changes_of_a_corpus_spark_lists_name_its_files() -> None:
    """A corpus outside this machine is recorded by Spark's listing (URI, size, time)."""
    from aligner.reuse import changes

    def inputs(files: list[list[object]], engine: str | None = "spark") -> dict[str, object]:
        corpus: dict[str, object] = {"files": files, "text_column": None}
        if engine:
            corpus["engine"] = engine
        return {"source": {"kind": "trained", "corpus": corpus}}

    a, b = ["hdfs://nn/c/a.txt", 10, 1000], ["hdfs://nn/c/b.txt", 20, 2000]
    old, new = inputs([a, b]), inputs([[*a[:2], 1001], ["hdfs://nn/c/d.txt", 5, 3000]])
    assert changes(old, new, {"corpus": "hdfs://nn/c"}) == [
        "hdfs://nn/c/d.txt added",
        "hdfs://nn/c/b.txt removed",
        "hdfs://nn/c/a.txt changed (size or modification time differs)",
    ]
    local = inputs([["", "text", None, "0" * 64]], engine=None)
    assert changes(local, old, {"corpus": "hdfs://nn/c"}) == [
        "corpus hdfs://nn/c changed (other files)"
    ]
