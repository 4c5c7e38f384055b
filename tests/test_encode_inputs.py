"""What the encoders take: one text, containers of texts, missing values, and what they refuse.

``art.encode``, ``encode()``, ``Encoder`` (both of its paths), ``map_function``
and ``collate``: a ``str`` is one text; lists, iterables, numpy arrays, pandas
Series, one-column DataFrames and pyarrow arrays are texts, one row each;
missing values (None, NaN, pandas NA/NaT) are null rows; bytes, dicts, sets,
several columns and n-D arrays are refused with one line naming the remedy.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import aligner
from aligner.encode import Encoder, encode
from aligner.errors import InputError
from aligner.tokenize import TokenizerSpec
from aligner.vocab import Vocab

VOCAB = Vocab(["we", "play", "guitar"])
SPEC = TokenizerSpec(lowercase=True)
WE_PLAY = [2, 3]  # "we play"
GUITAR = [4]


@pytest.fixture(params=["python", "arrow"])
def enc(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Encoder]:
    """An encoder forced onto one of its two real paths."""
    monkeypatch.setattr(Encoder, "_few", lambda self, texts, chars: request.param == "python")
    yield Encoder(VOCAB, SPEC)


def one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(exc.value)
    assert "\n" not in message and message
    return message


# ---------------------------------------------------------------- one text


def test_a_string_is_one_text_for_the_artifact(built: Path) -> None:
    art = aligner.load(built)
    text = "We played the guitar"
    ids = art.encode(text)
    assert ids == art.encode([text])[0]
    assert all(isinstance(i, int) for i in ids) and len(ids) == 4  # not one row per character


def test_a_string_is_one_text_for_encode_and_the_encoder(enc: Encoder) -> None:
    assert encode("We play", VOCAB, SPEC) == WE_PLAY
    assert enc("We play") == WE_PLAY
    assert enc.encode_with_lengths("We play") == (WE_PLAY, 2)
    assert len(enc.rows("We play guitar")) == 1
    padded = Encoder(VOCAB, SPEC, max_length=3, pad=True)
    assert padded("we play guitar now") == [2, 3, 4]
    assert padded("guitar") == [4, 0, 0]
    assert padded.encode_with_lengths("guitar") == ([4, 0, 0], 1)


def test_a_list_still_gives_one_row_per_text(enc: Encoder) -> None:
    assert enc(["We play", "guitar"]) == [WE_PLAY, GUITAR]
    assert encode(["We play", "guitar"], VOCAB, SPEC) == [WE_PLAY, GUITAR]
    assert enc(t for t in ["guitar"]) == [GUITAR]
    assert enc(("guitar",)) == [GUITAR]


# ---------------------------------------------------------------- missing values

MISSING = [
    None,
    float("nan"),
    np.nan,
    np.float32("nan"),
    pd.NA,
    pd.NaT,
    np.datetime64("NaT"),
]


@pytest.mark.parametrize("missing", MISSING, ids=repr)
def test_missing_values_are_null_rows(enc: Encoder, missing: Any) -> None:
    texts = ["We play", missing, "guitar"]
    assert enc(texts) == [WE_PLAY, None, GUITAR]
    assert encode(texts, VOCAB, SPEC) == [WE_PLAY, None, GUITAR]
    assert enc.encode_with_lengths(texts)[1] == [2, None, 1]


def test_a_number_is_not_a_missing_value(enc: Encoder) -> None:
    with pytest.raises(InputError, match="text 1 is float, not str") as info:
        enc(["a", 1.5])
    assert "None for a missing text" in one_line(info)


# ---------------------------------------------------------------- pandas


@pytest.mark.parametrize("dtype", [object, "string", "string[pyarrow]", "category"])
def test_a_series_is_its_values(enc: Encoder, dtype: Any) -> None:
    series = pd.Series(["We play", None, "guitar"], index=[10, 20, 30], dtype=dtype)
    assert enc(series) == [WE_PLAY, None, GUITAR]
    assert encode(series, VOCAB, SPEC) == [WE_PLAY, None, GUITAR]


def test_a_series_with_numpy_nan_is_null_rows(enc: Encoder) -> None:
    series = pd.Series(["We play", np.nan])
    assert enc(series) == [WE_PLAY, None]


def test_a_one_column_dataframe_is_that_column(built: Path, enc: Encoder) -> None:
    frame = pd.DataFrame({"text": ["We play", np.nan, "guitar"]})
    assert enc(frame) == [WE_PLAY, None, GUITAR]
    art = aligner.load(built)
    texts = ["The guitar", "football goal"]
    assert art.encode(pd.DataFrame({"text": texts})) == art.encode(texts)


def test_a_dataframe_with_several_columns_is_refused_naming_them(built: Path) -> None:
    frame = pd.DataFrame({"label": [1], "text": ["guitar"]})
    with pytest.raises(InputError) as info:
        aligner.load(built).encode(frame)
    message = one_line(info)
    assert "DataFrame with 2 columns ('label', 'text')" in message
    assert "df['label']" in message
    with pytest.raises(InputError, match="2 columns"):
        Encoder(VOCAB, SPEC)(frame)


# ---------------------------------------------------------------- numpy and pyarrow


def test_numpy_arrays_of_strings_and_objects(enc: Encoder) -> None:
    assert enc(np.array(["We play", "guitar"])) == [WE_PLAY, GUITAR]
    assert enc(np.array(["We play", None, np.nan], dtype=object)) == [WE_PLAY, None, None]


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (np.array([["a", "b"]]), r"2-D ndarray of shape \(1, 2\); pass a 1-D array"),
        (np.array("a"), "0-D ndarray"),
        (np.array([b"a"]), r"text 0 is bytes, not str; decode it first \(value.decode"),
    ],
)
def test_numpy_arrays_that_are_not_texts(enc: Encoder, data: Any, match: str) -> None:
    with pytest.raises(InputError, match=match) as info:
        enc(data)
    one_line(info)


def test_pyarrow_arrays_through_encode_and_the_encoder(enc: Encoder) -> None:
    array = pa.array(["We play", None])
    assert enc(array).to_pylist() == [WE_PLAY, None]
    assert enc(pa.chunked_array([["We play"], [None, "guitar"]])).to_pylist() == [
        WE_PLAY,
        None,
        GUITAR,
    ]
    assert encode(array, VOCAB, SPEC) == [WE_PLAY, None]
    assert encode(pa.chunked_array([["guitar"]]), VOCAB, SPEC) == [GUITAR]
    assert encode(pa.table({"text": ["guitar"]}), VOCAB, SPEC) == [GUITAR]


def test_binary_arrow_arrays_are_refused_with_the_cast(enc: Encoder) -> None:
    with pytest.raises(InputError, match=r"binary, not text; decode them first: texts.cast"):
        enc(pa.array([b"guitar"]))


# ---------------------------------------------------------------- refused containers


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"We play", r"bytes, not str; decode them first \(data.decode\('utf-8'\)\)"),
        (bytearray(b"We play"), "bytearray, not str; decode them first"),
        ([b"We play"], r"text 0 is bytes, not str; decode it first"),
        ({"We play": 1}, r"a dict is not a list of texts \(it would encode its keys\)"),
        ({"We play"}, "a set has no order"),
        (frozenset({"We play"}), "a frozenset has no order"),
        (5, r"the texts are int; pass a str \(one text\) or a list of str"),
        (None, r"the texts are NoneType; pass a str"),
    ],
    ids=["bytes", "bytearray", "bytes-item", "dict", "set", "frozenset", "int", "None"],
)
def test_what_is_not_texts_is_refused_in_one_line(
    built: Path, enc: Encoder, data: Any, match: str
) -> None:
    for call in (enc, aligner.load(built).encode, lambda d: encode(d, VOCAB, SPEC)):
        with pytest.raises(InputError, match=match) as info:
            call(data)
        one_line(info)


# ---------------------------------------------------------------- adapters


def test_map_function_takes_pandas_batches_and_single_rows() -> None:
    fn = Encoder(VOCAB, SPEC).map_function("text", length=True)
    frame = pd.DataFrame({"label": [0, 1], "text": ["We play", np.nan]})
    assert fn(frame) == {"input_ids": [WE_PLAY, None], "length": [2, None]}
    assert fn({"text": ["guitar", pd.NA]}) == {"input_ids": [GUITAR, None], "length": [1, None]}
    assert fn({"text": "We play"}) == {"input_ids": WE_PLAY, "length": 2}  # map() unbatched
    with pytest.raises(InputError, match="no column 'body'; its columns are: label, text"):
        Encoder(VOCAB, SPEC).map_function("body")(frame)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (np.nan, r"example 1: the text is missing \(nan\), and a batch row needs one"),
        (pd.NA, r"example 1: the text is missing \(<NA>\)"),
        (b"guitar", r"example 1: the text is bytes, not str; decode it first"),
        (3, "example 1: the text is int, not str"),
    ],
)
def test_collate_names_missing_and_bytes_texts(text: Any, match: str) -> None:
    collate = Encoder(VOCAB, SPEC).collate()
    with pytest.raises(InputError, match=match) as info:
        collate(["guitar", text])
    one_line(info)
    with pytest.raises(InputError, match=match):
        collate([{"text": "guitar"}, {"text": text}])


# ---------------------------------------------------------------- no pandas in aligner

NO_PANDAS = """
import sys

class NoPandas:  # any import of pandas now fails
    def find_spec(self, name, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("pandas is blocked in this test")
        return None

sys.meta_path.insert(0, NoPandas())
import math
import aligner
from aligner.encode import Encoder, encode
from aligner.tokenize import TokenizerSpec
from aligner.vocab import Vocab

class Series:  # pandas-like, without pandas
    shape = (2,)
    def tolist(self):
        return ["guitar", math.nan]

class Frame:
    shape = (2, 1)
    columns = ["text"]
    def __getitem__(self, name):
        return Series()

enc = Encoder(Vocab(["guitar"]), TokenizerSpec())
assert enc(Series()) == [[2], None], enc(Series())
assert enc(Frame()) == [[2], None]
assert enc(["guitar", float("nan")] * 5000)[-2:] == [[2], None]
assert encode("guitar", Vocab(["guitar"]), TokenizerSpec()) == [2]
assert "pandas" not in sys.modules
print("ok")
"""


def test_aligner_never_imports_pandas() -> None:
    done = subprocess.run(
        [sys.executable, "-c", NO_PANDAS], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
