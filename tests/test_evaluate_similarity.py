"""Word similarity: correlations, coverage and out-of-vocabulary pairs, equal to gensim's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors

from aligner.errors import EvalSetError
from aligner.evaluate import (
    SimilaritySet,
    bundled_set,
    evaluate_similarity,
    make_table,
    read_similarity,
)
from aligner.evaluate.sets import bundled_path


def vectors_for(words: set[str], seed: int = 0, dim: int = 12) -> tuple[list[str], np.ndarray]:
    """Random rows for most of ``words`` (some left out), case twins, a zero row, fillers."""
    rng = np.random.default_rng(seed)
    ordered = sorted(words)
    rng.shuffle(ordered)
    kept = ordered[: int(0.9 * len(ordered))]
    twins = [w.swapcase() for w in kept[::7] if w.swapcase() != w]
    keys = kept + twins + [f"filler{i}" for i in range(200)]
    keys = [keys[i] for i in rng.permutation(len(keys))]
    matrix = rng.normal(size=(len(keys), dim)).astype(np.float32)
    matrix[keys.index(kept[0])] = 0.0  # an all-zero vector: cosine 0, as in gensim
    return keys, matrix


def gensim_figures(
    keys: list[str], matrix: np.ndarray, path: Path, **options: object
) -> tuple[float, float, float]:
    kv = KeyedVectors(matrix.shape[1])
    kv.add_vectors(keys, matrix)
    pearson, spearman, oov = kv.evaluate_word_pairs(str(path), **options)
    return float(spearman.statistic), float(pearson.statistic), float(oov)


@pytest.mark.parametrize("name", ["wordsim353", "simlex999"])
@pytest.mark.parametrize(
    ("restrict", "case_insensitive"), [(None, True), (700, True), (None, False)]
)
def test_bundled_sets_give_gensims_figures(
    name: str, restrict: int | None, case_insensitive: bool
) -> None:
    pairs = bundled_set(name)
    assert isinstance(pairs, SimilaritySet)
    keys, matrix = vectors_for({w for p in pairs.pairs for w in (p.a, p.b)})
    limit = restrict or len(keys)
    table = make_table(keys, matrix, limit=limit, case_insensitive=case_insensitive)
    ours = evaluate_similarity(table, pairs)
    spearman, pearson, oov = gensim_figures(
        keys, matrix, bundled_path(name), restrict_vocab=limit, case_insensitive=case_insensitive
    )
    assert ours.spearman == pytest.approx(spearman, abs=1e-12)
    assert ours.pearson == pytest.approx(pearson, rel=1e-6)
    assert ours.oov_percent == pytest.approx(oov, abs=1e-12)
    assert 0 < ours.oov < ours.pairs == ours.used + ours.oov


def test_user_file_with_case_twins_oov_words_and_ties(tmp_path: Path) -> None:
    path = tmp_path / "pairs.tsv"
    path.write_text(
        "# word1\tword2\tscore\n"
        "tiger\tcat\t7.35\n"
        "Tiger\tCAT\t7.35\n"  # the same pair up to case: a tie in scores and in cosines
        "cat\ttiger\t5\n"  # the same cosine again
        "book\tpaper\t5\n"  # a tie in scores only
        "Paris\tfrance\t8.5\n"  # 'Paris' reaches the row of 'paris', the first of the twins
        "money\tzorblax\t3\n"  # out of vocabulary
        "bank\tmoney\t6.1\n"
        "car\tautomobile\t9\n",
        encoding="utf-8",
    )
    keys = ["the", "paris", "cat", "Paris", "tiger", "france", "book", "paper", "bank", "money",
            "car", "automobile"]  # fmt: skip
    rng = np.random.default_rng(4)
    matrix = rng.normal(size=(len(keys), 6)).astype(np.float32)
    for case_insensitive in (True, False):
        table = make_table(keys, matrix, limit=None, case_insensitive=case_insensitive)
        ours = evaluate_similarity(table, read_similarity(path))
        spearman, pearson, oov = gensim_figures(
            keys, matrix, path, case_insensitive=case_insensitive
        )
        assert (ours.spearman, ours.oov_percent) == (pytest.approx(spearman), pytest.approx(oov))
        assert ours.pearson == pytest.approx(pearson, rel=1e-6)
    case_folded = evaluate_similarity(make_table(keys, matrix, limit=None), read_similarity(path))
    assert (case_folded.pairs, case_folded.used, case_folded.oov) == (8, 7, 1)


def test_cosines_in_the_order_of_the_scores_give_a_perfect_correlation(tmp_path: Path) -> None:
    angles = np.linspace(0.1, 3.0, 8)  # word i sits at angle i from "anchor"
    keys = ["anchor"] + [f"w{i}" for i in range(8)]
    rows = [[1.0, 0.0]] + [[np.cos(a), np.sin(a)] for a in angles]
    table = make_table(keys, np.array(rows, np.float32), limit=None)
    path = tmp_path / "p.tsv"
    path.write_text("".join(f"anchor\tw{i}\t{10 - i}\n" for i in range(8)))
    result = evaluate_similarity(table, read_similarity(path))
    assert result.spearman == pytest.approx(1.0)
    assert result.pearson is not None and 0.9 < result.pearson < 1.0
    path.write_text("".join(f"anchor\tw{i}\t{i}\n" for i in range(8)))
    assert evaluate_similarity(table, read_similarity(path)).spearman == pytest.approx(-1.0)


def test_undefined_correlations_are_none_without_warnings(tmp_path: Path) -> None:
    table = make_table(["a", "b", "c"], np.eye(3, dtype=np.float32), limit=None)
    one = tmp_path / "one.tsv"
    one.write_text("a\tb\t1\nx\ty\t2\n")
    result = evaluate_similarity(table, read_similarity(one))
    assert (result.used, result.spearman, result.pearson) == (1, None, None)
    constant = tmp_path / "constant.tsv"
    constant.write_text("a\tb\t1\na\tc\t2\nb\tc\t3\n")  # every cosine is 0
    result = evaluate_similarity(table, read_similarity(constant))
    assert (result.used, result.spearman, result.pearson) == (3, None, None)


def test_pairs_left_out_as_filled_are_counted_apart(tmp_path: Path) -> None:
    path = tmp_path / "p.tsv"
    path.write_text("a\tb\t1\na\tfilled\t2\nb\tnowhere\t3\nA\tc\t4\n")
    table = make_table(["a", "b", "c"], np.eye(3, dtype=np.float32), limit=None,
                       left_out=["Filled"])  # fmt: skip
    result = evaluate_similarity(table, read_similarity(path))
    assert (result.pairs, result.used, result.oov, result.left_out) == (4, 2, 2, 1)
    data = result.to_dict()
    assert data["coverage"] == pytest.approx(0.5) and data["oov_treatment"] == "skipped"


def test_a_file_with_no_pair_in_the_vocabulary_is_an_error_when_required(tmp_path: Path) -> None:
    path = tmp_path / "p.tsv"
    path.write_text("x\ty\t1\n")
    table = make_table(["a", "b"], np.eye(2, dtype=np.float32), limit=None)
    assert evaluate_similarity(table, read_similarity(path)).used == 0
    with pytest.raises(EvalSetError, match=r"p\.tsv: none of its 1 pairs has both words"):
        evaluate_similarity(table, read_similarity(path), require=True)
