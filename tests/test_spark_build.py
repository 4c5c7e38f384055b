"""``build`` with GloVe's co-occurrences counted on Spark: the local engine's vectors, the same
build key for local files, and what Spark does not count refused before any work."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from aligner import BuildConfig, build
from aligner.artifact import open_artifact
from aligner.build_spark import spark_corpus_identity
from aligner.corpus import Corpus
from aligner.errors import ArtifactExistsError, InputError
from aligner.reuse import corpus_identity
from aligner.task import SentencePieceTraining
from aligner.tokenize import train_sentencepiece
from aligner_cli.main import cli

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
CORPUS, VOCAB = SAMPLES / "corpus.txt", SAMPLES / "vocab.txt"
TRAINING = ["--method", "glove", "--dim", 8, "--epochs", 2, "--min-count", 2, "--seed", 3]
PARAMS = {"dim": 8, "epochs": 2, "min_count": 2}


def _run(*args: Any) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


def _vectors_file(artifact: Path) -> bytes:
    (found,) = artifact.glob("vectors.*.npy")
    return found.read_bytes()


def test_build_on_spark_writes_the_local_vectors_and_reuses_a_local_build(
    spark: Any, tmp_path: Path
) -> None:
    common = ["build", "--corpus", CORPUS, "--vocab", VOCAB, *TRAINING]
    code, said = _run(*common, "--out", tmp_path / "local")
    assert code == 0, said
    code, said = _run(*common, "--engine", "spark", "--out", tmp_path / "spark")
    assert code == 0, said
    assert said.startswith(f"wrote {tmp_path / 'spark'}: ")
    assert _vectors_file(tmp_path / "spark") == _vectors_file(tmp_path / "local")
    local, remote = (open_artifact(tmp_path / name).manifest for name in ("local", "spark"))
    assert remote["source"]["corpus"]["engine"] == "spark"
    assert remote["build"]["key"] == local["build"]["key"]
    code, said = _run(*common, "--engine", "spark", "--out", tmp_path / "local")
    assert code == 0, said
    assert said.startswith(f"reused {tmp_path / 'local'}: ")


def test_python_build_with_a_spark_session(spark: Any, tmp_path: Path) -> None:
    config = {"corpus": CORPUS, "vocab": VOCAB, "method": "glove", "params": PARAMS, "seed": 5}
    on_spark = build(BuildConfig(**config, out=tmp_path / "spark", spark=spark))
    here = build(BuildConfig(**config, out=tmp_path / "local"))
    assert not on_spark.reused and on_spark.manifest["source"]["corpus"]["engine"] == "spark"
    assert np.array_equal(open_artifact(on_spark.path).vectors, open_artifact(here.path).vectors)


def test_names_spark_skips_make_another_key(spark: Any, tmp_path: Path) -> None:
    """Spark skips ``_notes.txt`` in a directory, the local engine reads it: no reuse."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS, corpus / "a.txt")
    (corpus / "_notes.txt").write_text("guitar guitar guitar\n", encoding="utf-8")
    config = {"corpus": corpus, "vocab": VOCAB, "method": "glove", "params": PARAMS}
    build(BuildConfig(**config, out=tmp_path / "out", spark=spark))
    with pytest.raises(ArtifactExistsError, match=r"corpus/_notes\.txt added; pass --force"):
        build(BuildConfig(**config, out=tmp_path / "out"))


def test_local_files_have_the_local_identity(spark: Any, tmp_path: Path) -> None:
    root = tmp_path / "a dir"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("x y\n", encoding="utf-8")
    (root / "sub" / "b é.txt").write_text("y z\n", encoding="utf-8")
    local = corpus_identity(Corpus(root))
    assert spark_corpus_identity(spark, root, None) == local
    assert spark_corpus_identity(spark, f"{root}/*", None) == local
    single = root / "a.txt"
    assert spark_corpus_identity(spark, single, None) == corpus_identity(Corpus(single))
    assert spark_corpus_identity(spark, single, None)["files"][0][3] != local["files"][1][3]


@pytest.fixture(scope="module")
def sp_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts = CORPUS.read_text(encoding="utf-8").splitlines()
    spec = train_sentencepiece(texts, vocab_size=100)
    path = tmp_path_factory.mktemp("sp") / "pieces.model"
    assert spec.model is not None
    path.write_bytes(spec.model)
    return path


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--corpus", CORPUS, "--method", "word2vec"],
         "Error: --engine spark counts GloVe's co-occurrences (--method glove); --method "
         "word2vec trains with gensim"),
        (["--pretrained", SAMPLES / "vectors.glove.txt"],
         "Error: --engine spark counts a --corpus's GloVe co-occurrences, and --pretrained"),
        (["--corpus", CORPUS, "--method", "glove", "--subword-pieces", 50],
         "Error: --subword-pieces applies to --engine local; drop it with --engine spark"),
        (["--corpus", CORPUS, "--method", "glove", "--subword-model", "MODEL"],
         "Error: --subword-model applies to --engine local; drop it with --engine spark"),
        (["--corpus", CORPUS, "--method", "glove", "--sp-vocab-size", 50],
         "Error: --sp-vocab-size trains sentencepiece on --corpus on this machine, not on "
         "Spark; add --sp-train-on data, pass --sp-model FILE, or drop --engine spark"),
        (["--corpus", SAMPLES, "--method", "glove", "--follow-links"],
         "Error: --follow-links applies to --engine local; drop it with --engine spark"),
    ],
)  # fmt: skip
def test_cli_refuses_what_spark_does_not_count(
    options: list[Any], message: str, sp_model: Path, tmp_path: Path
) -> None:
    options = [sp_model if option == "MODEL" else option for option in options]
    out = tmp_path / "out"
    code, said = _run("build", *options, "--vocab", VOCAB, "--engine", "spark", "--out", out)
    assert code == 2, said
    errors = [line for line in said.splitlines() if line.startswith("Error")]
    assert errors == [said.splitlines()[-1]] and errors[0].startswith(message), said
    assert "Traceback" not in said and not out.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"method": "fasttext"}, "fasttext trains with gensim on one machine"),
        ({"pretrained": SAMPLES / "vectors.glove.txt", "corpus": None, "method": "word2vec",
          "params": None}, "pretrained vectors are read on this machine; leave out spark"),
        ({"pieces": SentencePieceTraining(50)}, "pieces are trained on the corpus on this machine"),
        ({"tokenizer": SentencePieceTraining(50)}, r"train it on the data \(train_on='data'\)"),
        ({"follow_links": True}, "follow_links applies to the local engine"),
    ],
)  # fmt: skip
def test_python_refuses_what_spark_does_not_count(
    spark: Any, fields: dict[str, Any], message: str, tmp_path: Path
) -> None:
    config = {"corpus": CORPUS, "vocab": VOCAB, "method": "glove", "params": PARAMS} | fields
    with pytest.raises(InputError, match=message):
        build(BuildConfig(**config, out=tmp_path / "out", spark=spark))
    assert not (tmp_path / "out").exists()


def test_a_corpus_spark_cannot_find_fails_in_one_line(spark: Any, tmp_path: Path) -> None:
    out, missing = tmp_path / "out", tmp_path / "nowhere" / "*.txt"
    code, said = _run("build", "--corpus", missing, "--vocab", VOCAB, *TRAINING,
                      "--engine", "spark", "--out", out)  # fmt: skip
    assert code == 1, said
    assert said.splitlines()[-1] == (
        f"Error: {missing}: no such file, or no file matches (names starting with '.' or '_' "
        "are skipped); check the path"
    )
    assert "Traceback" not in said and not out.exists()
