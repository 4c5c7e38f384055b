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
    [(None, "None"), (True, "True"), ([1], "[1]")],
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


@pytest.mark.parametrize(
    ("label", "phrase"),
    [
        (float("nan"), "example 1: label 'label' is nan, not a finite number"),
        (np.float32("-inf"), "example 1: label 'label' is -inf, not a finite number"),
        (torch.tensor(float("inf")), "example 1: label 'label' is inf, not a finite number"),
        (1e39, "example 1: label 'label' is 1e+39, beyond the float32 range (±3.4e38)"),
        (np.float64(-3.5e38), "example 1: label 'label' is -3.5e+38, beyond the float32"),
    ],
)
def test_a_float_target_float32_cannot_hold_is_refused(label: Any, phrase: str) -> None:
    examples = [{"text": "a", "label": 0.5}, {"text": "a guitar", "label": label}]
    with pytest.raises(InputError) as error:
        collate()(examples)
    message = one_line(error)
    assert message.startswith(phrase) and "finite and within ±3.4e38" in message
    edge = collate()([{"text": "a", "label": 3.4e38}])["labels"]  # the largest float32 is fine
    assert torch.isfinite(edge).all()


@pytest.mark.parametrize("label", [2**64, -(2**63) - 1, np.uint64(2**63)])
def test_an_integer_beyond_int64_is_one_line(label: Any) -> None:
    with pytest.raises(InputError) as error:
        collate()([{"text": "a", "label": 1}, {"text": "a", "label": label}])
    message = one_line(error)
    assert message.startswith(f"example 1: label 'label' is the integer {int(label)}, beyond")
    assert "int64 range of class ids" in message
    assert collate()([{"text": "a", "label": 2**63 - 1}])["labels"].tolist() == [2**63 - 1]


def test_an_explicit_label_key_no_example_has_is_refused() -> None:
    enc = Encoder(VOCAB, SPEC)
    with pytest.raises(InputError) as error:
        enc.collate(label_key="y")([{"text": "a", "label": 1}, {"text": "a"}])
    message = one_line(error)
    assert message.startswith("collate(label_key='y'): no example has a 'y' key")
    assert "(example 0's keys: text, label)" in message
    with pytest.raises(InputError, match=r"\(example 0 is a str\)"):
        enc.collate(label_key="y")(["a guitar"])
    assert "labels" not in enc.collate()(["a guitar"])  # no key asked for: no labels, fine
    assert enc.collate(label_key="y")([{"text": "a", "y": 1}])["labels"].tolist() == [1]


@pytest.mark.parametrize(
    ("mask", "phrase"),
    [
        (["1", "0", "1"], "holds text values such as '1', not 0 and 1"),
        ([1.0, 0.0, 1.0], "holds float64 values such as 1.0, not 0 and 1"),
        ([1, 2, 0], "holds int64 values such as 2, not 0 and 1"),
        ([1, -1, 0], "such as -1"),
    ],
)
def test_a_mask_that_is_not_0_and_1_is_refused(mask: list[Any], phrase: str) -> None:
    with pytest.raises(InputError) as error:
        collate()([{"input_ids": [1, 2, 3], "attention_mask": mask}])
    message = one_line(error)
    assert message.startswith("example 0: 'attention_mask' ") and phrase in message
    assert "0/1 integers or booleans" in message


@pytest.mark.parametrize(
    "mask", [[1, 0, 1], [True, False, True], np.array([1, 0, 1], np.int8), torch.tensor([1, 0, 1])]
)
def test_a_mask_of_0_and_1_or_booleans_keeps_its_ids(mask: Any) -> None:
    out = collate()([{"input_ids": [1, 2, 3], "attention_mask": mask}])
    assert out["input_ids"].tolist() == [[1, 3]]


@pytest.mark.parametrize(
    ("ids", "shown"),
    [
        (np.array([1, 2**63 + 5], dtype=np.uint64), 2**63 + 5),
        ([1, 2**64], 2**64),
        ([1, -(2**63) - 1], -(2**63) - 1),
    ],
)
def test_ids_beyond_int64_are_named_as_they_are(ids: Any, shown: int) -> None:
    with pytest.raises(InputError) as error:
        collate()([{"input_ids": ids}])
    message = one_line(error)
    assert f"example 0: 'input_ids' holds the id {shown}, beyond int64" in message
    assert collate()([{"input_ids": np.array([1, 2], dtype=np.uint64)}])["input_ids"].tolist() == [
        [1, 2]
    ]
