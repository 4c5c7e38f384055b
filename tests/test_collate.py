"""``Encoder.collate()`` in a torch DataLoader, over rows that ``Dataset.map`` encoded.

``datasets`` is not installed here, so its part is emulated with pyarrow, the
way ``Dataset.map(fn, batched=True, batch_size=N)`` works: the table is cut
into slices of N rows; each slice goes to ``fn`` as ``{column: list}`` (or, for
a dataset formatted as ``"arrow"``, as a ``pa.Table``); the columns ``fn``
returns replace or follow the slice's columns; the slices are concatenated
into one Arrow table. Rows then come out of it as ``Dataset.__getitem__`` gives
them: Python objects (no format), or, formatted as ``"torch"``/``"numpy"``,
numeric columns as tensors/arrays and text as ``str``.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from torch.utils.data import DataLoader

from aligner.encode import Encoder, encode
from aligner.encode_labels import LabelVocab
from aligner.errors import InputError
from aligner.tokenize import TokenizerSpec
from aligner.vocab import Vocab

VOCAB = Vocab(["we", "play", "the", "guitar", "goal", "football"])
SPEC = TokenizerSpec(lowercase=True)
ROWS = [
    {"text": "We play the guitar", "label": "music"},
    {"text": "football goal", "label": "sport"},
    {"text": "", "label": "sport"},
    {"text": "the unknown drummer plays", "label": "music"},
    {"text": "goal", "label": "weather"},
]
NAMES = ("music", "sport", "weather")


def dataset_map(table: pa.Table, fn: Callable[[Any], Any], *, batch_size: int = 2) -> pa.Table:
    """``Dataset.map(fn, batched=True, batch_size=...)`` on a dataset without a format."""
    parts = []
    for start in range(0, table.num_rows, batch_size):
        batch = table.slice(start, batch_size).to_pydict()
        parts.append(pa.table(batch | fn(batch)))  # types inferred from the Python values
    return pa.concat_tables(parts)


def dataset_map_arrow(table: pa.Table, fn: Callable[[Any], Any], *, batch_size: int = 2) -> Any:
    """The same on a dataset formatted as ``"arrow"``: ``fn`` takes and returns tables."""
    parts = [fn(table.slice(start, batch_size)) for start in range(0, table.num_rows, batch_size)]
    return pa.concat_tables(parts)


def formatted(table: pa.Table, kind: str | None) -> list[dict[str, Any]]:
    """The rows of ``table`` as ``ds.with_format(kind)[i]`` gives them."""
    rows = table.to_pylist()
    if kind is None:
        return rows
    convert: Callable[[Any], Any] = torch.tensor if kind == "torch" else np.asarray
    return [{k: v if isinstance(v, str) else convert(v) for k, v in r.items()} for r in rows]


def expected(texts: list[str], width: int | None = None) -> tuple[list[list[int]], list[int]]:
    """(padded ids, lengths) from the plain reference encode()."""
    ids = [encode(t, VOCAB, SPEC) for t in texts]
    lengths = [len(row) for row in ids]
    width = max(lengths) if width is None else width
    return [row + [VOCAB.pad_id] * (width - len(row)) for row in ids], lengths


def one_line(error: pytest.ExceptionInfo[InputError]) -> str:
    message = str(error.value)
    assert "\n" not in message and "too many dimensions" not in message
    return message


@pytest.mark.parametrize("kind", [None, "torch", "numpy"])
def test_a_dataloader_over_mapped_rows_yields_the_hugging_face_names(kind: str | None) -> None:
    enc = Encoder(VOCAB, SPEC)
    mapped = dataset_map(pa.Table.from_pylist(ROWS), enc.map_function("text"))
    assert mapped.column_names == ["text", "label", "input_ids"]
    collate = enc.collate(labels=LabelVocab.of(r["label"] for r in ROWS))
    batches = list(DataLoader(formatted(mapped, kind), batch_size=3, collate_fn=collate))
    assert [len(b["input_ids"]) for b in batches] == [3, 2]
    for start, batch in zip((0, 3), batches, strict=True):
        texts = [r["text"] for r in ROWS[start : start + 3]]
        ids, lengths = expected(texts)
        assert sorted(batch) == ["attention_mask", "input_ids", "labels", "length"]
        assert all(t.dtype == torch.int64 for t in batch.values())
        assert batch["input_ids"].tolist() == ids
        assert batch["length"].tolist() == lengths
        assert batch["attention_mask"].tolist() == [
            [1] * n + [0] * (len(ids[0]) - n) for n in lengths
        ]
        labels = [NAMES.index(r["label"]) for r in ROWS[start : start + 3]]
        assert batch["labels"].tolist() == labels


def test_raw_text_rows_give_the_same_batch_as_mapped_rows() -> None:
    enc = Encoder(VOCAB, SPEC, max_length=3)
    collate = enc.collate(labels=NAMES)
    mapped = dataset_map(pa.Table.from_pylist(ROWS), enc.map_function())
    raw, done = collate(ROWS), collate(formatted(mapped, "torch"))
    assert sorted(raw) == sorted(done)
    for name in raw:
        assert torch.equal(raw[name], done[name]), name
    assert raw["input_ids"].shape == (5, 3)


def test_arrow_formatted_map_and_padded_rows_keep_their_real_lengths() -> None:
    enc = Encoder(VOCAB, SPEC, max_length=6, pad=True)
    table = pa.Table.from_pylist(ROWS)
    mapped = dataset_map_arrow(table, enc.map_function(length=True))
    assert mapped.column_names == ["text", "label", "input_ids", "attention_mask", "length"]
    rows = formatted(mapped, "torch")
    assert rows[0]["input_ids"].shape == (6,)  # padded by map
    batch = enc.collate(labels=NAMES)(rows)
    ids, lengths = expected([r["text"] for r in ROWS], width=6)
    assert batch["input_ids"].tolist() == ids
    assert batch["length"].tolist() == lengths
    assert batch["attention_mask"].sum(dim=1).tolist() == lengths
    shorter = Encoder(VOCAB, SPEC, max_length=2).collate(labels=NAMES)(rows)
    assert shorter["input_ids"].tolist() == [
        row[:2] for row in expected([r["text"] for r in ROWS])[0]
    ]


def test_a_length_without_a_mask_drops_the_padding() -> None:
    pad = VOCAB.pad_id
    rows = [
        {"input_ids": [3, 4, pad, pad], "length": 2},
        {"input_ids": [5, pad, pad, pad], "length": 1},
    ]
    batch = Encoder(VOCAB, SPEC).collate()(rows)
    assert batch["input_ids"].tolist() == [[3, 4], [5, pad]]
    assert batch["attention_mask"].tolist() == [[1, 1], [1, 0]]


def test_label_names_are_exposed_and_pickled() -> None:
    collate = Encoder(VOCAB, SPEC).collate(labels=["sport", "music"])
    assert collate.label_names == ("sport", "music")
    assert collate.label_to_id == {"sport": 0, "music": 1}
    clone = pickle.loads(pickle.dumps(collate))
    assert clone([{"text": "goal", "label": "music"}])["labels"].tolist() == [1]
    assert Encoder(VOCAB, SPEC).collate().label_names is None


def test_integer_ids_and_float_targets_pass_through() -> None:
    collate = Encoder(VOCAB, SPEC).collate(labels=NAMES)
    out = collate([{"text": "goal", "label": torch.tensor(2)}, {"text": "we", "label": 0}])
    assert out["labels"].dtype == torch.int64 and out["labels"].tolist() == [2, 0]
    out = Encoder(VOCAB, SPEC).collate()(
        [{"text": "goal", "label": 0.5}, {"text": "we", "label": 2}]
    )
    assert out["labels"].dtype == torch.float32 and out["labels"].tolist() == [0.5, 2.0]


@pytest.mark.parametrize(
    ("labels", "batch", "phrases"),
    [
        (NAMES, [{"text": "a", "label": "music"}, {"text": "a", "label": "jazz"}],
         ["example 1: label 'jazz' is not one of the 3 label names", "'music', 'sport'"]),
        (None, [{"text": "a", "label": "music"}],
         ["label 'label' is the text 'music'", "collate(labels=[...])"]),
        (NAMES, [{"text": "a", "label": "music"}, {"text": "a", "label": 1}],
         ["example 1: label 'label' is the number 1", "same kind of label"]),
        (NAMES, [{"text": "a", "label": 3}],
         ["example 0: label 'label' is the id 3, and there are 3 label names"]),
    ],
)  # fmt: skip
def test_label_errors_are_one_line(
    labels: Any, batch: list[dict[str, Any]], phrases: list[str]
) -> None:
    with pytest.raises(InputError) as error:
        Encoder(VOCAB, SPEC).collate(labels=labels)(batch)
    message = one_line(error)
    for phrase in phrases:
        assert phrase in message, message


@pytest.mark.parametrize(
    ("labels", "phrase"),
    [
        (["a", "a"], "'a' is given twice"),
        (["a", 1], "label name 1 is int 1"),
        ("ab", "not one str"),
    ],
)
def test_bad_label_names_are_refused(labels: Any, phrase: str) -> None:
    with pytest.raises(InputError, match=phrase):
        Encoder(VOCAB, SPEC).collate(labels=labels)


@pytest.mark.parametrize(
    ("batch", "phrase"),
    [
        ([{"input_ids": [3]}, {"text": "we"}], "example 0 is encoded (it has 'input_ids') and"),
        ([{"input_ids": None}], "example 0: 'input_ids' is None (its text was missing)"),
        ([{"input_ids": [[3, 4]]}], "'input_ids' has shape (1, 2), not one row of ids"),
        ([{"input_ids": [3.0, 4.0]}], "'input_ids' holds float64 values, not integer ids"),
        ([{"input_ids": [3, 999]}], "holds the id 999, and this encoder's vocabulary has ids 0 to"),
        ([{"input_ids": [3, -1]}], "holds the id -1"),
        ([{"input_ids": [3, 4], "attention_mask": [1]}], "'attention_mask' has 1 values"),
        ([{"input_ids": [3, 4], "length": 3}], "'length' is 3, not a count of its 2 ids"),
        ([{"input_ids": [[3], [4, 5]]}], "'input_ids' is a list that is not one row of ids"),
    ],
)  # fmt: skip
def test_bad_encoded_rows_are_one_line_errors(batch: list[dict[str, Any]], phrase: str) -> None:
    with pytest.raises(InputError) as error:
        Encoder(VOCAB, SPEC).collate()(batch)
    assert phrase in one_line(error)


def test_empty_encoded_rows_and_numpy_ids_are_batched() -> None:
    rows = [{"input_ids": np.array([], dtype=np.int32)}, {"input_ids": np.array([4, 5], np.int32)}]
    out = Encoder(VOCAB, SPEC).collate()(rows)
    assert out["input_ids"].tolist() == [[0, 0], [4, 5]]
    assert out["length"].tolist() == [0, 2]


def test_rows_of_aligner_encode_batch_with_their_label_ids(built: Path, tmp_path: Path) -> None:
    import aligner
    from aligner.encode_files import encode_file
    from aligner.encode_labels import read_label_names

    data = tmp_path / "train.tsv"
    data.write_text("label\ttext\nsport\tfootball goal\nmusic\tThe guitar\nsport\tgoal\n")
    out = tmp_path / "train.parquet"
    enc = aligner.load(built).encoder(max_length=4, pad=True)
    encode_file(enc, data, out, text_column="text", label_column="label")
    rows = pq.read_table(out).to_pylist()
    assert sorted(rows[0]) == ["attention_mask", "input_ids", "label", "labels", "length", "text"]
    batch = next(iter(DataLoader(rows, batch_size=3, collate_fn=enc.collate())))
    assert batch["labels"].tolist() == [1, 0, 1]  # "labels" first: the ids aligner encode wrote
    assert batch["length"].tolist() == [2, 2, 1]
    names = read_label_names(out)
    by_name = enc.collate(label_key="label", labels=names)(rows)
    assert torch.equal(by_name["labels"], batch["labels"])
    assert torch.equal(by_name["input_ids"], enc.collate()([r["text"] for r in rows])["input_ids"])


@pytest.mark.parametrize(
    "labels", [{"sport": 0, "music": 1}, {1: "music", 0: "sport"}], ids=["label2id", "id2label"]
)
def test_a_hugging_face_mapping_gives_its_own_ids(labels: dict[Any, Any]) -> None:
    collate = Encoder(VOCAB, SPEC).collate(labels=labels)
    assert collate.label_names == ("sport", "music")  # by id, not by the dict's order
    batch = [{"text": "goal", "label": "music"}, {"text": "we", "label": "sport"}]
    assert collate(batch)["labels"].tolist() == [1, 0]
    clone = pickle.loads(pickle.dumps(collate))
    assert clone(batch)["labels"].tolist() == [1, 0]


@pytest.mark.parametrize(
    ("labels", "phrase"),
    [
        ({"sport": 1, "music": 2}, "no label has the id 0; give the 2 labels the ids 0 to 1"),
        ({"sport": 0, "music": 0}, "'sport' and 'music' both have the id 0"),
        ({"sport", "music"}, "a set has no order (it changes from one process to the next)"),
        (frozenset({"sport"}), "give a list in id order, or LabelVocab.of(labels)"),
    ],
)
def test_label_mappings_with_gaps_and_sets_are_refused(labels: Any, phrase: str) -> None:
    with pytest.raises(InputError) as error:
        Encoder(VOCAB, SPEC).collate(labels=labels)
    message = one_line(error)
    assert message.startswith("collate(labels=...): ") and phrase in message
