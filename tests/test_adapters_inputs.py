"""What ``Encoder.collate()`` and the ``Encoder`` options take, and what they refuse.

A collate function gets a list of examples (a lone ``str`` is a batch of one);
a dict of columns is refused, and so are labels that are not numbers (a class
name, None): each refusal is one ``InputError`` line naming the example and
the remedy, never torch's own ``ValueError`` or ``RuntimeError``. ``max_length``
and ``batch_rows`` are integers (not floats, not bools), ``pad`` a bool.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from aligner.encode import Encoder
from aligner.errors import InputError
from aligner.tokenize import TokenizerSpec
from aligner.vocab import Vocab

VOCAB = Vocab(["a", "guitar", "music"])
SPEC = TokenizerSpec()


def collate(**options: Any) -> Any:
    return Encoder(VOCAB, SPEC, **options).collate()


def one_line(error: pytest.ExceptionInfo[InputError]) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


def test_a_lone_string_is_one_example() -> None:
    out = collate(max_length=4)("a guitar")
    assert out["input_ids"].tolist() == [[VOCAB["a"], VOCAB["guitar"]]]
    assert out["lengths"].tolist() == [2]


@pytest.mark.parametrize(
    "batch",
    [{"text": ["a guitar", "music"], "label": [0, 1]}, {"text": "a guitar", "label": 0}],
)
def test_a_dict_batch_is_refused(batch: dict[str, Any]) -> None:
    with pytest.raises(InputError) as error:
        collate()(batch)
    message = one_line(error)
    assert "got a dict (keys: text, label)" in message
    assert "pass a list of examples" in message


@pytest.mark.parametrize("batch", [b"a guitar", 3, None])
def test_a_batch_that_is_no_list_is_refused(batch: Any) -> None:
    with pytest.raises(InputError) as error:
        collate()(batch)
    assert f"collate got {type(batch).__name__}, not a batch of examples" in one_line(error)


@pytest.mark.parametrize(
    ("label", "shown"),
    [("music", "'music'"), (None, "None"), (True, "True"), ([1], "[1]"), (float("nan"), "nan")],
)
def test_a_label_that_is_no_number_names_the_example(label: Any, shown: str) -> None:
    examples = [{"text": "a", "label": 0}, {"text": "a guitar", "label": label}]
    with pytest.raises(InputError) as error:
        collate()(examples)
    message = one_line(error)
    assert message.startswith(f"example 1: label 'label' is {shown}, not ")
    assert "map labels to ids first (a label→id mapping" in message


def test_integer_labels_of_any_kind_are_int64() -> None:
    labels = [1, np.int64(2), np.array(3), torch.tensor(4)]
    out = collate()([{"text": "a", "label": label} for label in labels])
    assert out["labels"].dtype == torch.int64
    assert out["labels"].tolist() == [1, 2, 3, 4]


def test_float_labels_are_float32_for_regression() -> None:
    out = collate()([{"text": "a", "label": 1}, {"text": "a", "label": np.float32(0.5)}])
    assert out["labels"].dtype == torch.float32
    assert out["labels"].tolist() == [1.0, 0.5]


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"max_length": 2.5}, "max_length must be a positive integer or None, not 2.5"),
        ({"max_length": 3.0}, "max_length must be a positive integer or None, not 3.0"),
        ({"max_length": True}, "max_length must be a positive integer or None, not True"),
        ({"max_length": "4"}, "max_length must be a positive integer or None, not '4'"),
        ({"batch_rows": 2.5}, "batch_rows must be positive: an integer of at least 1, not 2.5"),
        ({"batch_rows": True}, "batch_rows must be positive: an integer of at least 1, not True"),
        ({"pad": 4, "max_length": 4}, "pad must be True or False, not 4"),
    ],
)
def test_options_of_the_wrong_type_are_refused(options: dict[str, Any], match: str) -> None:
    with pytest.raises(InputError, match=match):
        Encoder(VOCAB, SPEC, **options)


def test_a_numpy_max_length_is_an_int() -> None:
    enc = Encoder(VOCAB, SPEC, max_length=np.int64(2))
    assert type(enc.max_length) is int
    assert enc(["a guitar music"]) == [[VOCAB["a"], VOCAB["guitar"]]]
