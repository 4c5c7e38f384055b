"""Analogies: planted relations are found, and every figure equals gensim's."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors

from aligner import Corpus, Word2VecParams, train_word2vec
from aligner.errors import EvalSetError, InputError
from aligner.evaluate import (
    AnalogySet,
    bundled_set,
    evaluate_analogies,
    make_table,
    read_analogies,
)
from aligner.evaluate.analogy import top_answers
from aligner.evaluate.sets import bundled_path

COUNTRIES = [
    ("france", "paris"), ("italy", "rome"), ("spain", "madrid"), ("germany", "berlin"),
    ("japan", "tokyo"), ("china", "beijing"), ("egypt", "cairo"), ("peru", "lima"),
]  # fmt: skip


def planted_corpus(path: Path, lines: int = 3000, seed: int = 0) -> Path:
    """Each line: a country or its capital, two contexts of that country, two of its kind.

    A country and its capital share their country's contexts and differ only
    by the kind's contexts, the same for every pair: word2vec turns that into
    one offset, capital - country, which answers "france : paris :: italy : ?".
    """
    rng = random.Random(seed)
    kinds = (["nation", "border", "flag", "anthem"], ["city", "mayor", "streets", "metro"])
    out = []
    for _ in range(lines):
        i, kind = rng.randrange(len(COUNTRIES)), rng.randrange(2)
        own = [f"people{i}", f"food{i}", f"language{i}"]
        words = [COUNTRIES[i][kind], *rng.sample(own, 2), *rng.sample(kinds[kind], 2)]
        rng.shuffle(words)
        out.append(" ".join(words))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def write_questions(path: Path, quads: list[tuple[str, str, str, str]], section: str) -> Path:
    path.write_text(f": {section}\n" + "".join(" ".join(q) + "\n" for q in quads))
    return path


def capital_questions() -> list[tuple[str, str, str, str]]:
    return [(a, b, c, d) for a, b in COUNTRIES for c, d in COUNTRIES if a != c]


def test_word2vec_on_a_planted_corpus_answers_the_planted_analogies(tmp_path: Path) -> None:
    corpus = planted_corpus(tmp_path / "corpus.txt")
    params = Word2VecParams(dim=16, window=5, min_count=1, epochs=10, seed=1)
    vectors = train_word2vec(Corpus(corpus), params)
    table = make_table(vectors.keys, vectors.vectors, limit=None)
    planted = read_analogies(write_questions(tmp_path / "q.txt", capital_questions(), "capitals"))
    # the same questions with a wrong capital as the answer: no rule can get them right
    rng = random.Random(5)
    capitals = [b for _, b in COUNTRIES]
    wrong = [(a, b, c, rng.choice([x for x in capitals if x not in (b, d)]))
             for a, b, c, d in capital_questions()]  # fmt: skip
    control = read_analogies(write_questions(tmp_path / "c.txt", wrong, "control"))
    for method in ("3cosadd", "3cosmul"):
        found = evaluate_analogies(table, planted, methods=[method])
        assert found.used == found.questions == len(capital_questions())
        accuracy = found.accuracy(method)
        assert accuracy is not None and accuracy >= 0.9
        missed = evaluate_analogies(table, control, methods=[method]).accuracy(method)
        assert missed is not None and missed <= 0.1


def test_constructed_offsets_are_found_exactly() -> None:
    # country i is axis i; its capital adds one shared axis, the relation "capital of"
    eye = np.eye(len(COUNTRIES) + 1)
    keys, rows = [], []
    for i, (country, capital) in enumerate(COUNTRIES):
        keys += [country, capital]
        rows += [eye[i], eye[i] + eye[-1]]
    table = make_table(keys, np.array(rows, dtype=np.float32), limit=None)
    abc = np.array([[table.row(a), table.row(b), table.row(c)] for a, b, c, _ in
                    capital_questions()])  # fmt: skip
    for method in ("3cosadd", "3cosmul"):
        best = top_answers(table, abc, method, k=1)[:, 0]
        assert [table.keys[r] for r in best] == [d for *_, d in capital_questions()]


def structured_vectors(
    questions: AnalogySet, seed: int = 0, dim: int = 24, noise: float = 0.7
) -> tuple[list[str], np.ndarray]:
    """Vectors in which each section's relation is a noisy offset, so some answers are right.

    Some words are dropped (out of vocabulary), some get a case twin right
    after them or far below, and unrelated rows are mixed in; rows come out
    in a shuffled order.
    """
    rng = np.random.default_rng(seed)
    vec: dict[str, np.ndarray] = {}
    offsets: dict[int, np.ndarray] = {}
    for q in questions.questions:
        offset = offsets.setdefault(q.section, rng.normal(size=dim))
        for x, y in ((q.a, q.b), (q.c, q.d)):
            vec.setdefault(x, rng.normal(size=dim))
            vec.setdefault(y, vec[x] + offset + noise * rng.normal(size=dim))
    words = sorted(vec)
    rng.shuffle(words)
    kept = words[: int(0.93 * len(words))]
    keys = list(kept)
    for word in kept[::9]:  # case twins: "Paris" and "paris", "usa" and "USA"
        keys.append(word.swapcase() if word.swapcase() != word else word.upper() + "x")
    keys += [f"filler{i}" for i in range(300)]
    order = rng.permutation(len(keys))
    keys = [keys[i] for i in order]
    matrix = np.stack([vec.get(k, vec.get(k.swapcase(), rng.normal(size=dim))) for k in keys])
    matrix = matrix + 0.05 * rng.normal(size=matrix.shape)  # twins near, never equal
    return keys, matrix.astype(np.float32)


def gensim_vectors(keys: list[str], matrix: np.ndarray) -> KeyedVectors:
    kv = KeyedVectors(matrix.shape[1])
    kv.add_vectors(keys, matrix)
    return kv


@pytest.mark.parametrize("restrict", [None, 900])
def test_google_set_figures_equal_gensims(restrict: int | None) -> None:
    google = bundled_set("google")
    assert isinstance(google, AnalogySet)
    keys, matrix = structured_vectors(google)
    limit = restrict or len(keys)
    kv = gensim_vectors(keys, matrix)
    score, sections = kv.evaluate_word_analogies(str(bundled_path("google")), restrict_vocab=limit)
    total = sections[-1]
    ours = evaluate_analogies(make_table(keys, matrix, limit=limit), google)
    assert ours.correct["3cosadd"] == len(total["correct"]) > 0
    assert ours.used == len(total["correct"]) + len(total["incorrect"])
    assert ours.accuracy("3cosadd") == pytest.approx(score, abs=1e-12)
    assert 0 < ours.oov < ours.questions
    with_oov = kv.evaluate_word_analogies(
        str(bundled_path("google")), restrict_vocab=limit, dummy4unknown=True
    )[1][-1]
    assert ours.oov == len(with_oov["incorrect"]) - len(total["incorrect"])
    assert [s.name for s in ours.sections] == [s["section"] for s in sections[:-1]]
    assert [s.correct["3cosadd"] for s in ours.sections] == [
        len(s["correct"]) for s in sections[:-1]
    ]
    assert [s.used for s in ours.sections] == [
        len(s["correct"]) + len(s["incorrect"]) for s in sections[:-1]
    ]


@pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")
@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_top_candidates_equal_gensims_most_similar_per_question(method: str) -> None:
    google = bundled_set("google")
    assert isinstance(google, AnalogySet)
    keys, matrix = structured_vectors(google, seed=1)
    limit = 1000
    table = make_table(keys, matrix, limit=limit)
    kv = gensim_vectors(keys[:limit], matrix[:limit])  # cosmul has no restrict_vocab of its own
    questions = random.Random(2).sample(google.questions, 1200)
    quads = [[table.row(w) for w in (q.a, q.b, q.c, q.d)] for q in questions]
    used = [[r for r in quad if r is not None] for quad in quads if None not in quad]
    abc = np.array(used)[:, :3]
    ours = top_answers(table, abc, method, memory=1 << 16)  # many small batches
    search = kv.most_similar if method == "3cosadd" else kv.most_similar_cosmul
    assert len(abc) > 200
    for (a, b, c), top in zip(abc, ours, strict=True):
        theirs = search(positive=[keys[b], keys[c]], negative=[keys[a]], topn=5)
        assert [keys[r] for r in top] == [key for key, _ in theirs]


def test_case_twins_of_the_input_words_are_passed_over_as_gensim_does(tmp_path: Path) -> None:
    # "Paris" sits nearest to the query but is "paris" up to case: the next row answers
    keys = ["france", "paris", "italy", "rome", "Paris", "Rome", "ROME", "berlin"]
    base = {"france": [1, 0, 0, 0], "italy": [0, 1, 0, 0], "berlin": [0.5, 0.5, 0.7, 0]}
    offset = np.array([0, 0, 1, 0.2])
    rows = []
    for key in keys:
        if key.lower() in ("paris", "rome"):
            country = "france" if key.lower() == "paris" else "italy"
            rows.append(np.array(base[country]) + offset + 0.01 * len(key) * (key != key.lower()))
        else:
            rows.append(np.array(base[key], dtype=float))
    matrix = np.array(rows, dtype=np.float32)
    quads = [
        ("france", "paris", "italy", "rome"),
        ("Italy", "ROME", "france", "Paris"),
        ("france", "paris", "italy", "berlin"),
        ("italy", "rome", "france", "paris"),
    ]
    path = write_questions(tmp_path / "twins.txt", quads, "twins")
    kv = gensim_vectors(keys, matrix)
    score, sections = kv.evaluate_word_analogies(str(path))
    ours = evaluate_analogies(make_table(keys, matrix, limit=None), read_analogies(path))
    assert [ours.correct["3cosadd"], ours.used] == [
        len(sections[-1]["correct"]),
        len(sections[-1]["correct"]) + len(sections[-1]["incorrect"]),
    ]
    assert ours.accuracy("3cosadd") == pytest.approx(score)
    case_sensitive = evaluate_analogies(
        make_table(keys, matrix, limit=None, case_insensitive=False), read_analogies(path)
    )
    _, exact = kv.evaluate_word_analogies(str(path), case_insensitive=False)
    assert case_sensitive.used == len(exact[-1]["correct"]) + len(exact[-1]["incorrect"]) == 3
    assert case_sensitive.correct["3cosadd"] == len(exact[-1]["correct"])


def test_batches_of_any_size_give_the_same_answers_without_the_input_rows() -> None:
    rng = np.random.default_rng(3)
    table = make_table([f"w{i}" for i in range(300)], rng.normal(size=(300, 10)), limit=None)
    abc = rng.integers(0, 300, size=(50, 3))
    for method in ("3cosadd", "3cosmul"):
        whole = top_answers(table, abc, method)
        assert (top_answers(table, abc, method, memory=1) == whole).all()
        assert all(not set(t) & set(q) for t, q in zip(whole.tolist(), abc.tolist(), strict=True))


def test_zero_rows_are_never_answers_and_small_tables_pad() -> None:
    matrix = np.array([[1, 0], [0, 1], [1, 1], [0, 0], [2, 1]], dtype=np.float32)
    table = make_table(["a", "b", "c", "zero", "d"], matrix, limit=None)
    for method in ("3cosadd", "3cosmul"):
        top = top_answers(table, np.array([[0, 1, 2]]), method)
        assert top.tolist() == [[4, -1, -1, -1, -1]]


def test_oov_questions_are_skipped_and_counted_per_section(tmp_path: Path) -> None:
    path = tmp_path / "q.txt"
    path.write_text(": one\na b c d\na b c zzz\n: two\nA B C D\n")
    rng = np.random.default_rng(0)
    table = make_table(["a", "b", "c", "d"], rng.normal(size=(4, 3)), limit=None,
                       left_out=["zzz"])  # fmt: skip
    result = evaluate_analogies(table, read_analogies(path), methods=["3cosmul"])
    assert (result.questions, result.used, result.oov, result.left_out) == (3, 2, 1, 1)
    assert [(s.name, s.questions, s.used) for s in result.sections] == [
        ("one", 2, 1),
        ("two", 1, 1),
    ]
    assert result.oov_percent == pytest.approx(100 / 3)
    assert set(result.to_dict()["accuracy"]) == {"3cosmul"}


def test_a_file_with_no_question_in_the_vocabulary_is_an_error_when_required(
    tmp_path: Path,
) -> None:
    path = write_questions(tmp_path / "q.txt", [("x", "y", "z", "w")], "s")
    table = make_table(["a", "b"], np.ones((2, 2), np.float32), limit=None)
    result = evaluate_analogies(table, read_analogies(path))
    assert result.used == 0 and result.accuracy("3cosadd") is None
    with pytest.raises(EvalSetError, match=r"q\.txt: none of its 1 questions"):
        evaluate_analogies(table, read_analogies(path), require=True)
    with pytest.raises(InputError, match="unknown analogy method"):
        evaluate_analogies(table, read_analogies(path), methods=["3cosdiv"])
