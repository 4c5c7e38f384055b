"""Reading evaluation sets: bundled copies, user files, and one-line errors naming the line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.errors import EvalSetError, InputError
from aligner.evaluate import AnalogySet, SimilaritySet, bundled_set, read_analogies, read_similarity
from aligner.evaluate.sets import BUNDLED, Pair, bundled_path


def test_bundled_sets_are_found_without_importing_gensim() -> None:
    code = (
        "import sys; from aligner.evaluate.sets import bundled_path; "
        "print(bundled_path('google').is_file(), 'gensim' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]


@pytest.mark.parametrize("name", list(BUNDLED))
def test_bundled_sets_hold_every_line_of_their_files(name: str) -> None:
    lines = bundled_path(name).read_text(encoding="utf-8").splitlines()
    loaded = bundled_set(name)
    if isinstance(loaded, SimilaritySet):
        assert len(loaded.pairs) == sum(1 for ln in lines if ln and not ln.startswith("#"))
        first = next(i for i, ln in enumerate(lines, 1) if not ln.startswith("#"))
        assert loaded.pairs[0].line == first
    else:
        assert isinstance(loaded, AnalogySet)
        headers = [ln[2:] for ln in lines if ln.startswith(": ")]
        assert loaded.sections == headers
        assert len(loaded.questions) == len(lines) - len(headers)
        assert loaded.questions[-1].section == len(headers) - 1


def test_unknown_bundled_name() -> None:
    with pytest.raises(EvalSetError, match="unknown bundled set 'men'; choose one of"):
        bundled_set("men")


def test_similarity_file_keeps_words_as_written(tmp_path: Path) -> None:
    path = tmp_path / "pairs.tsv"
    path.write_bytes(
        b"\xef\xbb\xbf# a comment\r\n\r\nTiger\tcat\t7.35\r\n  \nnew york\tcity\t-1e-1\n"
        b"caf\xc3\xa9\tcoffee\t8"
    )
    result = read_similarity(path)
    assert result.name == "pairs.tsv" and result.path == path
    assert result.pairs == [
        Pair("Tiger", "cat", 7.35, 3),
        Pair("new york", "city", -0.1, 5),
        Pair("café", "coffee", 8.0, 6),
    ]


def test_analogy_file_sections_and_questions_before_any_section(tmp_path: Path) -> None:
    path = tmp_path / "mine.txt"
    path.write_text(
        "paris france rome italy\n\n# comment\n: capital world \nA B C D\r\n:  x\nq r s t\n"
    )
    result = read_analogies(path)
    assert result.sections == ["mine", "capital world", "x"]
    assert [(q.a, q.d, q.section, q.line) for q in result.questions] == [
        ("paris", "italy", 0, 1), ("A", "D", 1, 5), ("q", "t", 2, 7)
    ]  # fmt: skip


WRONG_SIMILARITY = [
    ("a\tb\t1\ntiger cat 7.35\n", "line 2: no tab in 'tiger cat 7.35'"),
    ("a\tb\n", "line 1: 2 tab-separated fields, expected 3"),
    ("a\tb\t1\t2\n", "line 1: 4 tab-separated fields, expected 3"),
    ("# c\na\tb\thigh\n", "line 2: the score 'high' is not a number"),
    ("a\tb\tnan\n", "line 1: the score 'nan' is not a number"),
    ("", ": no word pairs in the file"),
    ("# only comments\n\n", ": no word pairs in the file"),
    ("a\tb\t1\n\xff\tb\t2\n", "line 2: not valid UTF-8"),
]


@pytest.mark.parametrize(("text", "message"), WRONG_SIMILARITY)
def test_wrong_similarity_files_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.tsv"
    path.write_bytes(text.encode("utf-8").replace(b"\xc3\xbf", b"\xff"))
    with pytest.raises(EvalSetError) as caught:
        read_similarity(path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert isinstance(caught.value, InputError)


WRONG_ANALOGY = [
    (": s\na b c d\na b c\n", "line 3: 3 words, expected 4"),
    (": s\na b c d e\n", "line 2: 5 words, expected 4"),
    (": s\n\n", ": no analogy questions in the file"),
    ("", ": no analogy questions in the file"),
]


@pytest.mark.parametrize(("text", "message"), WRONG_ANALOGY)
def test_wrong_analogy_files_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(EvalSetError) as caught:
        read_analogies(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(EvalSetError, match="does not exist"):
        read_analogies(tmp_path / "nope.txt")
    with pytest.raises(EvalSetError, match="is not a file"):
        read_similarity(tmp_path)


WORD = st.text(
    st.characters(blacklist_categories=("Cs", "Zl", "Zp", "Cc")), min_size=1, max_size=8
).filter(lambda w: w.strip() == w and not w.startswith("#") and "\x85" not in w)
SCORE = st.floats(allow_nan=False, allow_infinity=False, width=32)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(WORD, WORD, SCORE), min_size=1, max_size=8))
def test_similarity_round_trip(tmp_path_factory: pytest.TempPathFactory, rows: list) -> None:
    path = tmp_path_factory.mktemp("rt") / "pairs.tsv"
    path.write_text("".join(f"{a}\t{b}\t{s!r}\n" for a, b, s in rows), encoding="utf-8")
    pairs = read_similarity(path).pairs
    assert [(p.a, p.b, p.score) for p in pairs] == rows
    assert [p.line for p in pairs] == list(range(1, len(rows) + 1))
