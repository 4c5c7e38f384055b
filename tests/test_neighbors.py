"""Nearest neighbours, lookups through the fallback chain, twins and filled rows."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest

import aligner
from aligner.artifact import Artifact, write_artifact
from aligner.errors import InputError
from aligner.evaluate import find_row, most_similar, neighbors
from aligner.evaluate.lookup import first_twins
from aligner.vocab import Vocab

# the package's ``neighbors`` is the function; the module holds BLOCK
neighbors_module = importlib.import_module("aligner.evaluate.neighbors")
CHAIN = ["exact", "lowercase", "accents", "digits", "subword", "fill"]
G, P, D = [1.0, 0.0, 0.0], [0.9, 0.1, 0.0], [0.8, 0.3, 0.1]
# token, kind, vector; "Piano" comes before "piano" yet "piano" (exact) stands for both
ROWS = [
    ("guitar", "exact", G),
    ("Guitar", "lowercase", G),  # twin of guitar
    ("Piano", "lowercase", P),
    ("piano", "exact", P),  # twin of Piano
    ("drums", "exact", D),
    ("tambour", "exact", D),  # same vector, another key: not a twin
    ("DRUMS", "lowercase", [0.8, 0.3, 0.2]),  # same key, another vector: not a twin
    ("zorblax", "fill", [0.95, 0.05, 0.02]),  # random, but close to guitar
    ("Café", "exact", [0.0, 1.0, 0.0]),
    ("1984", "digits", [0.0, 0.0, 1.0]),
    ("Zorb", "fill", [0.0, -1.0, 0.0]),
    ("zorb", "exact", [0.0, 0.5, 0.5]),
    ("oven", "exact", [-1.0, 0.0, 0.0]),
]


def twins_artifact(out: Path, chain: list[str] = CHAIN, dtype: str = "float32") -> Path:
    """A hand-made artifact with case twins, filled rows and fold targets."""
    vocab = Vocab([t for t, _, _ in ROWS])
    unk = [0.1, 0.2, -0.3]
    matrix = np.array([[0, 0, 0], unk, *(v for _, _, v in ROWS)], dtype=np.float32)
    kinds = ["pad", "special", *(k for _, k, _ in ROWS)]
    sections = {"alignment": {"fallbacks": chain}}
    return write_artifact(out, matrix, vocab, kinds, sections=sections, dtype=dtype)


@pytest.fixture
def art(tmp_path: Path) -> Artifact:
    return aligner.load(twins_artifact(tmp_path / "twins"))


def cos(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_neighbors_by_cosine_skip_specials_self_and_zero_rows(tmp_path: Path) -> None:
    vocab = Vocab(["a", "b", "c", "z"])
    matrix = np.array(
        [[0, 0], [1, 0], [1, 0], [0.9, 0.1], [-1, 0], [0, 0]], dtype=np.float32
    )  # rows: <pad> <unk> a b c z
    write_artifact(
        tmp_path / "n", matrix, vocab, ["pad", "special", "exact", "exact", "exact", "fill"]
    )
    art = aligner.load(tmp_path / "n")
    result = art.neighbors("a", k=10)
    assert [t for t, _ in result] == ["b", "c"]
    assert result[0][1] == pytest.approx(0.9 / np.hypot(0.9, 0.1), rel=1e-6)
    assert result[1][1] == pytest.approx(-1.0)
    assert art.neighbors("a", k=1) == result[:1]


def test_neighbors_errors(built: Path) -> None:
    art = aligner.load(built)
    with pytest.raises(InputError, match="not in the vocabulary"):
        art.neighbors("absent-word")
    with pytest.raises(InputError, match="at least 1"):
        art.neighbors("guitar", k=0)


def test_twins_are_listed_once_and_never_as_the_querys_neighbours(art: Artifact) -> None:
    result = art.most_similar("guitar", k=20)
    assert result.query is not None and result.query.token == "guitar"
    assert result.twins == ("Guitar",)
    tokens = [n.token for n in result]
    assert "Guitar" not in tokens and "guitar" not in tokens
    assert "Piano" not in tokens  # folded under piano
    piano = result[tokens.index("piano")]
    assert (
        piano.twins == ("Piano",)
        and piano.kind == "exact"
        and piano.label == ("piano (also: Piano)")
    )
    assert piano.cosine == pytest.approx(cos(G, P), rel=1e-6)
    # one vector under two keys, or one key with two vectors: separate rows
    assert {"drums", "tambour", "DRUMS"} <= set(tokens)
    assert all(n.twins == () for n in result if n.token in ("drums", "tambour", "DRUMS"))
    assert [n.cosine for n in result] == sorted((n.cosine for n in result), reverse=True)
    assert art.neighbors("guitar", k=3) == [(n.token, n.cosine) for n in result[:3]]


def test_unfolded_twins_are_separate_rows_but_the_querys_twins_stay_out(art: Artifact) -> None:
    tokens = [n.token for n in art.most_similar("guitar", k=20, fold_twins=False)]
    assert {"piano", "Piano"} <= set(tokens) and "Guitar" not in tokens
    assert len(tokens) == len(ROWS) - 2  # every row but guitar, Guitar (specials never)


def test_filled_rows_are_marked_or_left_out(art: Artifact) -> None:
    result = art.most_similar("guitar", k=2)
    assert [(n.token, n.random, n.kind) for n in result] == [
        ("zorblax", True, "fill"),
        ("piano", False, "exact"),
    ]
    found = art.most_similar("guitar", k=2, found_only=True)
    assert [n.token for n in found] == ["piano", "drums"] and found.found_only
    assert not any(n.random for n in art.most_similar("guitar", k=20, found_only=True))


def test_a_filled_query_says_so(art: Artifact) -> None:
    result = art.most_similar("zorblax", k=1)
    assert result.query is not None and result.query.random and result.query.kind == "fill"
    assert result[0].token == "guitar" and result[0].twins == ("Guitar",)
    assert art.most_similar("<unk>", k=1).query.random  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("word", "token", "step"),
    [
        ("guitar", "guitar", "exact"),
        ("Guitar", "Guitar", "exact"),  # a row of its own, though a twin
        ("GUITAR", "guitar", "lowercase"),
        ("PIANO", "piano", "lowercase"),  # the found row of the two
        ("cafe", "Café", "accents"),
        ("2001", "1984", "digits"),
        ("ZORB", "zorb", "lowercase"),  # found before filled, though "Zorb" comes first
        ("<unk>", "<unk>", "exact"),
    ],
)
def test_queries_go_through_the_artifacts_fallback_chain(
    art: Artifact, word: str, token: str, step: str
) -> None:
    match = find_row(art, word)
    assert match is not None and (match.token, match.step) == (token, step)
    assert match.kind == art.provenance[match.row]
    assert word in art
    np.testing.assert_array_equal(art[word], art.vectors[match.row])


def test_folds_only_as_far_as_the_stored_chain(tmp_path: Path) -> None:
    art = aligner.load(twins_artifact(tmp_path / "a", chain=["exact", "lowercase", "fill"]))
    assert find_row(art, "GUITAR") is not None
    assert find_row(art, "cafe") is None and "2001" not in art
    exact = aligner.load(twins_artifact(tmp_path / "b", chain=["exact", "fill"]))
    assert "GUITAR" not in exact
    with pytest.raises(InputError) as info:
        exact.most_similar("GUITAR")
    assert "up to" not in str(info.value) and "subword" not in str(info.value)


def test_a_word_without_a_row_says_what_was_tried(art: Artifact) -> None:
    with pytest.raises(KeyError) as info:
        art["Zzz9"]
    message = str(info.value)
    assert str(art.path) in message
    assert "up to lowercase, accents or digits" in message
    assert "'zzz9', 'zzz0', 'zzz#'" in message and "subword" in message
    with pytest.raises(InputError, match="'Zzz9' is not in the vocabulary"):
        art.most_similar("Zzz9")
    assert "Zzz9" not in art and 3 not in art
    with pytest.raises(TypeError, match="indexed by words"):
        art[3]  # type: ignore[index]


def test_getitem_is_a_float32_copy(tmp_path: Path) -> None:
    art = aligner.load(twins_artifact(tmp_path / "h", dtype="float16"))
    vector = art["GUITAR"]
    assert vector.dtype == np.float32 and vector.tolist() == G
    vector[0] = 7.0
    assert art["guitar"][0] == 1.0


def test_similarity_of_words_and_vectors(art: Artifact) -> None:
    assert art.similarity("GUITAR", "piano") == pytest.approx(cos(G, P), rel=1e-6)
    assert art.similarity("guitar", "Guitar") == pytest.approx(1.0)
    assert art.similarity("oven", [1.0, 0.0, 0.0]) == pytest.approx(-1.0)
    with pytest.raises(InputError, match="all zeros"):
        art.similarity("<pad>", "guitar")
    with pytest.raises(InputError, match="not in the vocabulary"):
        art.similarity("guitar", "qqq")


def test_vector_queries(art: Artifact) -> None:
    result = art.most_similar(np.array(G), k=1)
    assert result.query is None and result.twins == ()
    assert (result[0].token, result[0].twins) == ("guitar", ("Guitar",))
    with pytest.raises(InputError, match="3-dimensional"):
        art.most_similar([1.0, 0.0])
    with pytest.raises(InputError, match="all zeros"):
        art.most_similar(np.zeros(3))
    with pytest.raises(InputError, match="at least 1"):
        art.most_similar("guitar", k=0)


def test_to_dict_names_the_querys_row_twins_and_randomness(art: Artifact) -> None:
    data = art.most_similar("GUITAR", k=1).to_dict()
    assert data["query"] == {"word": "GUITAR", "token": "guitar", "row": 2, "step": "lowercase",
                             "kind": "exact", "random": False, "twins": ["Guitar"]}  # fmt: skip
    assert data["neighbors"] == art.most_similar("GUITAR", k=1).to_list()
    assert art.most_similar("zorblax", k=1).to_dict()["query"]["random"]
    assert art.most_similar(np.array(G), k=1).to_dict()["query"] is None


def test_a_twin_past_many_ties_still_joins_its_group(tmp_path: Path) -> None:
    # 14 rows of one vector under distinct keys, then "Aa" (twin of "aa") last:
    # the first look covers 2k + 8 rows, so finding "Aa" needs a wider one
    keys = ["q", "aa", *(f"b{c}" for c in "cdefghijklmno"), "Aa"]
    matrix = np.zeros((len(keys) + 2, 2), dtype=np.float32)
    matrix[2:, 0] = 1.0
    kinds = ["pad", "special", "exact", "exact", *["exact"] * 13, "lowercase"]
    write_artifact(tmp_path / "t", matrix, Vocab(keys), kinds)
    result = aligner.load(tmp_path / "t").most_similar("q", k=1)
    assert [(n.token, n.twins) for n in result] == [("aa", ("Aa",))]


def test_matches_brute_force_across_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    words = [f"w{i:03d}" for i in range(300)]
    matrix = rng.standard_normal((302, 8)).astype(np.float32)
    matrix[0] = 0
    matrix[50] = 0  # an all-zero row is never a neighbour
    kinds = ["pad", "special", *(["exact", "fill"] * 150)]
    write_artifact(tmp_path / "r", matrix, Vocab(words), kinds, dtype="float16")
    art = aligner.load(tmp_path / "r")
    monkeypatch.setattr(neighbors_module, "BLOCK", 64)
    m = np.asarray(art.vectors, dtype=np.float64)
    q = m[10]
    norms = np.linalg.norm(m, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = m @ q / (norms * np.linalg.norm(q))
    expected[[0, 1, 10, 50]] = -np.inf
    order = np.argsort(-expected, kind="stable")[:25]
    result = most_similar(art, "w008", k=25)  # row 10
    assert [n.row for n in result] == order.tolist()
    np.testing.assert_allclose([n.cosine for n in result], expected[order], rtol=1e-5)
    found = most_similar(art, "w008", k=25, found_only=True)
    assert all(art.provenance[n.row] == "exact" for n in found) and len(found) == 25
    assert neighbors(art, "w008", k=5) == [(n.token, n.cosine) for n in result[:5]]
    assert len(most_similar(art, "w008", k=1000)) == 298  # 300 words - query - zero row


def test_first_twins_are_the_rows_of_one_vector_and_one_folded_key(art: Artifact) -> None:
    rows = list(range(2, 2 + len(ROWS)))  # every row but the specials
    first = first_twins(art, rows).tolist()
    tokens = [t for t, _, _ in ROWS]
    assert {tokens[i]: tokens[j] for i, j in enumerate(first) if i != j} == {
        "Guitar": "guitar",
        "piano": "Piano",
    }  # drums and tambour: two keys; drums and DRUMS: two vectors
