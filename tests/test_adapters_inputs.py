"""What ``Encoder.collate()`` and the ``Encoder`` options take, and what they refuse.

A collate function gets a list of examples (a lone ``str`` is a batch of one);
a dict of columns is refused, and so are labels that are neither text nor a
number (None, a bool, NaN, a list): each refusal is one ``InputError`` line
naming the example and the remedy, never torch's own ``ValueError`` or
``RuntimeError``. ``max_length``
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
    assert out["length"].tolist() == [2]
    assert out["attention_mask"].tolist() == [[1, 1]]


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
    [(None, "None"), (True, "True"), ([1], "[1]"), (float("nan"), "nan")],
)
def test_a_label_that_is_no_label_names_the_example(label: Any, shown: str) -> None:
    examples = [{"text": "a", "label": 0}, {"text": "a guitar", "label": label}]
    with pytest.raises(InputError) as error:
        collate()(examples)
    message = one_line(error)
    assert message.startswith(f"example 1: label 'label' is {shown}, not ")
    assert "an integer class id or a float target" in message


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


def test_attention_mask_follows_the_rows_of_every_input_kind() -> None:
    import pyarrow as pa

    from aligner.encode_adapters import attention_mask

    enc = Encoder(VOCAB, SPEC, max_length=3, pad=True)
    texts = ["a guitar", None, "", "a a a a"]
    expected = [[1, 1, 0], None, [0, 0, 0], [1, 1, 1]]
    assert attention_mask(*enc.encode_with_lengths(texts)) == expected
    assert attention_mask(*enc.encode_with_lengths("music")) == [1, 0, 0]
    chunked = pa.chunked_array([texts[:1], texts[1:]], pa.string())
    mask = attention_mask(*enc.encode_with_lengths(chunked))
    assert mask.type == pa.list_(pa.int8()) and mask.num_chunks == 2
    assert mask.to_pylist() == expected
    single = enc.map_function()({"text": "a"})  # Dataset.map without batched=True
    assert single == {"input_ids": [VOCAB["a"], 0, 0], "attention_mask": [1, 0, 0]}
