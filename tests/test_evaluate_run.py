"""``evaluate()``: opening artifacts and vectors files, which rows count, what is reported."""

from __future__ import annotations

import gzip
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import aligner
from aligner.artifact import write_artifact
from aligner.errors import EvalSetError, InputError, VectorsFormatError
from aligner.export import write_vectors
from aligner.vectors import WordVectors
from aligner.vocab import Vocab

CAPITALS = [("france", "paris"), ("italy", "rome"), ("spain", "madrid"), ("japan", "tokyo")]


def planted_vectors(extra: int = 20, seed: int = 0) -> WordVectors:
    """Countries on their own axes, capitals one shared axis away; then unrelated words."""
    rng = np.random.default_rng(seed)
    dim = len(CAPITALS) + 1 + 4
    keys, rows = [], []
    for i, (country, capital) in enumerate(CAPITALS):
        axis = np.eye(dim)[i]
        keys += [country, capital]
        rows += [axis, axis + np.eye(dim)[len(CAPITALS)]]
    keys += [f"other{i}" for i in range(extra)]
    rows += list(rng.normal(size=(extra, dim)))
    return WordVectors(keys, np.array(rows, dtype=np.float32))


def user_sets(tmp_path: Path) -> tuple[Path, Path]:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("france\tparis\t8\nitaly\trome\t8\nfrance\ttokyo\t2\nspain\tother1\t1\n"
                     "japan\tnowhere\t3\n")  # fmt: skip
    quads = tmp_path / "capitals.txt"
    quads.write_text(": capitals\n" + "".join(
        f"{a} {b} {c} {d}\n" for a, b in CAPITALS for c, d in CAPITALS if a != c
    ) + ": unknown\nfrance paris atlantis sunken\n")  # fmt: skip
    return pairs, quads


def figures(result: aligner.Evaluation) -> dict[str, Any]:
    data = result.to_dict()
    for key in ("source", "kind", "read"):
        data.pop(key)
    return data


def test_every_file_format_gives_the_same_figures(tmp_path: Path) -> None:
    vectors = planted_vectors()
    pairs, quads = user_sets(tmp_path)
    expected = figures(aligner.evaluate(vectors, similarity=[pairs], analogy=[quads]))
    assert expected["analogy"][0]["accuracy"]["3cosadd"] == 1.0
    assert expected["analogy"][0]["oov"] == 1 and expected["similarity"][0]["oov"] == 1
    glove = tmp_path / "v.glove.txt"
    glove.write_text("".join(
        k + " " + " ".join(f"{v:.9g}" for v in row) + "\n"
        for k, row in zip(vectors.keys, vectors.vectors.tolist(), strict=True)
    ))  # fmt: skip
    zipped = tmp_path / "v.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(glove, "inner.txt")
    files = [glove, zipped]
    for name in ("v.vec", "v.vec.gz", "v.bin", "v.bin.gz", "v.txt.gz"):
        files.append(write_vectors(tmp_path / name, vectors))
    kinds = set()
    for path in files:
        result = aligner.evaluate(path, similarity=[pairs], analogy=[quads])
        assert figures(result) == expected, path
        kinds.add(result.kind)
    assert kinds == {"glove", "word2vec", "word2vec-binary"}


def test_restrict_vocab_reads_and_searches_only_the_first_rows(tmp_path: Path) -> None:
    vectors = planted_vectors()
    path = write_vectors(tmp_path / "v.vec", vectors)
    with path.open("a") as fh:
        fh.write("broken row\n")  # never reached: reading stops at the limit
    pairs, quads = user_sets(tmp_path)
    result = aligner.evaluate(path, similarity=[pairs], analogy=[quads], restrict_vocab=6)
    assert (result.rows, result.searched) == (6, 6)
    assert result.similarity[0].used == 2  # tokyo and madrid are past row 6
    assert result.analogy[0].used == 6  # the pairs of france, italy and spain
    assert result.analogy[0].accuracy("3cosadd") == 1.0


def artifact(tmp_path: Path) -> Path:
    """An artifact where 'japan' and 'tokyo' were filled and 'spain' found by lowercase."""
    vectors = planted_vectors(extra=4)
    keys = vectors.keys
    kinds = ["exact"] * len(keys)
    kinds[keys.index("japan")] = kinds[keys.index("tokyo")] = "fill"
    kinds[keys.index("spain")] = "lowercase"
    matrix = np.vstack([np.zeros((2, vectors.dim)), vectors.vectors]).astype(np.float32)
    return write_artifact(tmp_path / "art", matrix, Vocab(keys), ["pad", "special", *kinds])


def test_an_artifact_counts_found_rows_only_unless_asked(tmp_path: Path) -> None:
    path = artifact(tmp_path)
    pairs, quads = user_sets(tmp_path)
    result = aligner.evaluate(path, similarity=[pairs], analogy=[quads])
    assert result.kind == "artifact" and result.left_out == {"pad": 1, "special": 1, "fill": 2}
    assert result.rows == result.searched == 8 + 4 - 2
    found = planted_vectors(extra=4)
    keep = [i for i, k in enumerate(found.keys) if k not in ("japan", "tokyo")]
    same = aligner.evaluate(
        WordVectors([found.keys[i] for i in keep], found.vectors[keep]),
        similarity=[pairs], analogy=[quads],
    )  # fmt: skip
    assert figures(result)["analogy"][0]["accuracy"] == figures(same)["analogy"][0]["accuracy"]
    assert result.similarity[0].spearman == same.similarity[0].spearman
    assert result.similarity[0].left_out == 2  # france - tokyo, japan - nowhere
    assert result.analogy[0].left_out == 6  # the questions with japan or tokyo
    filled = aligner.evaluate(path, similarity=[pairs], analogy=[quads], include_filled=True)
    assert filled.left_out == {"pad": 1, "special": 1} and filled.rows == 12
    assert filled.analogy[0].used == result.analogy[0].used + 6
    assert filled.similarity[0].left_out == 0


def test_bundled_sets_by_default_and_uncovered_ones_reported(tmp_path: Path) -> None:
    result = aligner.evaluate(planted_vectors(), restrict_vocab=10)
    assert [r.name for r in result.similarity] == ["wordsim353", "simlex999"]
    assert [r.name for r in result.analogy] == ["google"]
    google = result.analogy[0]
    assert google.used > 0 and google.questions == google.used + google.oov
    assert result.similarity[0].used == 0 and result.similarity[0].spearman is None
    pairs, _ = user_sets(tmp_path)
    only_mine = aligner.evaluate(planted_vectors(), similarity=[pairs])
    assert [r.name for r in only_mine.similarity] == ["pairs.tsv"] and not only_mine.analogy


def test_option_errors(tmp_path: Path) -> None:
    vectors = planted_vectors()
    path = artifact(tmp_path)
    with pytest.raises(InputError, match="restrict_vocab must be at least 1"):
        aligner.evaluate(vectors, restrict_vocab=0)
    with pytest.raises(InputError, match="no evaluation set"):
        aligner.evaluate(vectors, sets=[])
    with pytest.raises(InputError, match="include_filled applies to artifacts"):
        aligner.evaluate(vectors, include_filled=True)
    with pytest.raises(InputError, match="format, member and skip_bad_rows apply to vectors"):
        aligner.evaluate(path, format="glove")
    with pytest.raises(InputError, match="skip_bad_rows apply to vectors files"):
        aligner.evaluate(path, skip_bad_rows=True)
    with pytest.raises(InputError, match="unknown analogy method"):
        aligner.evaluate(vectors, sets=["google"], methods=["cos"])


def test_a_bad_set_fails_before_the_source_is_read(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("a b 1\n")
    huge = tmp_path / "huge.vec.gz"
    huge.write_bytes(gzip.compress(b"not even vectors"))
    with pytest.raises(EvalSetError, match=r"bad\.tsv, line 1: no tab"):
        aligner.evaluate(huge, similarity=[bad])


def test_a_user_file_without_coverage_is_an_error(tmp_path: Path) -> None:
    far = tmp_path / "far.tsv"
    far.write_text("zeppelin\tairship\t9\n")
    with pytest.raises(EvalSetError, match=r"far\.tsv: none of its 1 pairs"):
        aligner.evaluate(planted_vectors(), similarity=[far], sets=["wordsim353"])


def test_import_aligner_stays_cheap() -> None:
    code = (
        "import sys, aligner, aligner_cli.main; "
        "print(sorted(m for m in ('torch', 'pyarrow', 'gensim', 'scipy') if m in sys.modules)); "
        "print(callable(aligner.evaluate))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "True"]


def test_build_with_evaluate_stores_the_figures_of_aligner_eval(tmp_path: Path) -> None:
    from aligner import build

    from .helpers import small_config, write_corpus

    corpus = write_corpus(tmp_path / "corpus.txt")
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("guitar\t5\nfootball\t4\nPiano\t3\nteam\t3\nzorblax\t2\nmatch\t1\n")
    plain = build(small_config(corpus, vocab, tmp_path / "plain"))
    assert "evaluation" not in plain.manifest
    config = small_config(corpus, vocab, tmp_path / "art", evaluate=True, dtype="float16")
    result = build(config)
    stored = result.manifest["evaluation"]
    assert stored == aligner.evaluate(result.path).to_dict()  # float16 rows, as written
    assert stored["left_out"]["fill"] == 1  # zorblax
    assert result.manifest["build"]["key"] != plain.manifest["build"]["key"]
    assert build(config).reused


def test_a_files_skipped_rows_are_reported_and_bad_rows_can_be_skipped(tmp_path: Path) -> None:
    vectors = planted_vectors()
    path = write_vectors(tmp_path / "v.vec", vectors)
    lines = path.read_text().splitlines()
    # a repeated key (the first row counts) and a malformed row
    lines[4:4] = ["france " + " ".join(["9"] * vectors.dim), "broken 1 2"]
    path.write_text("\n".join(lines) + "\n")
    pairs, quads = user_sets(tmp_path)
    with pytest.raises(VectorsFormatError, match=r"v\.vec, line 6: .*--skip-bad-rows"):
        aligner.evaluate(path, similarity=[pairs])
    result = aligner.evaluate(path, similarity=[pairs], analogy=[quads], skip_bad_rows=True)
    assert result.read is not None
    assert (result.read["duplicates"], result.read["bad_rows"]) == (1, 1)
    assert figures(result) == figures(
        aligner.evaluate(vectors, similarity=[pairs], analogy=[quads])
    )
    assert result.to_dict()["read"] == result.read
    assert aligner.evaluate(vectors, similarity=[pairs]).to_dict()["read"] is None


def test_one_file_or_method_need_not_be_a_list(tmp_path: Path) -> None:
    pairs, quads = user_sets(tmp_path)
    vectors = planted_vectors()
    one = aligner.evaluate(vectors, similarity=pairs, analogy=str(quads), methods="3cosmul")
    listed = aligner.evaluate(vectors, similarity=[pairs], analogy=[quads], methods=["3cosmul"])
    assert one.to_dict() == listed.to_dict()
    assert one.analogy[0].methods == ("3cosmul",)


def test_no_coverage_advice_fits_the_cause(tmp_path: Path) -> None:
    path = artifact(tmp_path)
    filled = tmp_path / "filled.tsv"
    filled.write_text("japan\ttokyo\t9\n")
    with pytest.raises(EvalSetError) as info:
        aligner.evaluate(path, similarity=[filled])
    assert "1 of them has a word filled at random (--include-filled)" in str(info.value)
    assert "--restrict-vocab" not in str(info.value)  # every found row was searched
    assert aligner.evaluate(path, similarity=[filled], include_filled=True).similarity[0].used == 1
    far = tmp_path / "far.tsv"
    far.write_text("other9\tother10\t1\n")
    with pytest.raises(EvalSetError) as info:
        aligner.evaluate(planted_vectors(), similarity=[far], restrict_vocab=10)
    message = str(info.value)
    assert "search more than the first 10 rows (--restrict-vocab)" in message
    assert "include-filled" not in message


def test_an_artifacts_twin_rows_are_one_word_to_the_analogies(tmp_path: Path) -> None:
    # "wóman" (accents) and "Woman" (lowercase) got the vector of "woman": copies of c,
    # nearest to king - man + woman, are passed over as gensim passes over case variants
    rows = {"man": [1, 0, 0], "king": [1, 0.1, 0], "woman": [0, 1, 0], "queen": [0.3, 1, 0.5]}
    source = WordVectors(list(rows), np.array(list(rows.values()), dtype=np.float32))
    keys = [*rows, "wóman", "Woman"]
    matrix = np.array([[0, 0, 0], [0, 0, 0], *rows.values(), rows["woman"], rows["woman"]])
    kinds = ["pad", "special", "exact", "exact", "exact", "exact", "accents", "lowercase"]
    path = write_artifact(tmp_path / "art", matrix.astype(np.float32), Vocab(keys), kinds)
    quads = tmp_path / "q.txt"
    quads.write_text(": family\nman king woman queen\nMan King Woman Queen\n")
    for case_insensitive in (True, False):
        ours = aligner.evaluate(path, analogy=[quads], case_insensitive=case_insensitive)
        theirs = aligner.evaluate(source, analogy=[quads], case_insensitive=case_insensitive)
        assert ours.analogy[0].correct == theirs.analogy[0].correct
        assert ours.analogy[0].used == theirs.analogy[0].used == (2 if case_insensitive else 1)
        assert ours.analogy[0].accuracy("3cosadd") == 1.0
