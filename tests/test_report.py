"""cli report: the coverage table rendered for the console (new and old manifests)."""

from __future__ import annotations

import numpy as np

from aligner.align import align
from aligner.vectors import WordVectors
from aligner.vocab import Vocab
from aligner_cli.report import coverage_lines


def _coverage(counts: list[int] | None) -> dict[str, object]:
    vectors = WordVectors(["the", "cafe", "2001"], np.ones((3, 2), dtype=np.float32))
    vocab = Vocab(["The", "Café", "1984", "zorblax", "qux"], counts=counts)
    return align(vocab, vectors).coverage.to_dict()


def test_coverage_table_with_counts() -> None:
    lines = coverage_lines(_coverage([50, 30, 10, 7, 3]))
    # found: The, Café, 1984 -> 3/5 types; 90 of 100 tokens
    assert lines[0] == "coverage: 3/5 types (60.0%), 90/100 tokens (90.0%)"
    assert lines[1].split() == ["kind", "types", "%", "tokens", "%"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:8]}
    assert list(rows) == ["exact", "lowercase", "accents", "digits", "subword", "fill"]
    assert rows["lowercase"] == ["1", "20.0%", "50", "50.0%"]
    assert rows["accents"] == ["1", "20.0%", "30", "30.0%"]
    assert rows["digits"] == ["1", "20.0%", "10", "10.0%"]
    assert rows["fill"] == ["2", "40.0%", "10", "10.0%"]
    band_head = lines.index(next(line for line in lines if line.split()[:1] == ["band"]))
    assert lines[band_head].split() == ["band", "types", "found", "%", "tokens", "found", "%"]
    # all 5 types are in the top 1k; the empty bands are not shown
    assert lines[band_head + 1].split() == ["top", "1k", "5", "3", "60.0%", "100", "90", "90.0%"]
    assert lines[-1] == "most frequent missing: zorblax (7), qux (3)"
    assert len(lines) == band_head + 3


def test_coverage_table_without_counts() -> None:
    lines = coverage_lines(_coverage(None))
    assert lines[0] == "coverage: 3/5 types (60.0%)"
    assert lines[1].split() == ["kind", "types", "%"]
    assert "band" in lines[8] and "tokens" not in lines[8]
    assert lines[9].split() == ["top", "1k", "5", "3", "60.0%"]
    assert lines[-1] == "most frequent missing: zorblax, qux"


def test_an_old_coverage_dict_still_renders() -> None:
    old = {
        "types": 7, "found_types": 5, "type_coverage": 0.714286,
        "types_by_kind": {"exact": 3, "lowercase": 2, "subword": 0, "fill": 2},
        "tokens": 74, "token_coverage": 0.945946,
        "tokens_by_kind": {"exact": 23, "lowercase": 47, "subword": 0, "fill": 4},
        "top_missing": [["zorblax", 3], ["guitr", 1]],
    }  # fmt: skip
    lines = coverage_lines(old)
    assert lines[0] == "coverage: 5/7 types (71.4%), 70/74 tokens (94.6%)"
    assert [line.split()[0] for line in lines[2:6]] == ["exact", "lowercase", "subword", "fill"]
    assert not any(line.split()[0] == "band" for line in lines)
    assert lines[-1] == "most frequent missing: zorblax (3), guitr (1)"


def test_an_empty_vocabulary_shows_n_a() -> None:
    lines = coverage_lines(align(Vocab([]), WordVectors([], np.zeros((0, 2)))).coverage.to_dict())
    assert lines[0] == "coverage: 0/0 types (n/a)"
    assert lines[2].split() == ["exact", "0", "n/a"]


# aligner info's report, from manifests written by hand


def _manifest(**sections: object) -> dict[str, object]:
    manifest: dict[str, object] = {
        "format_version": 2,
        "aligner_version": "0.1.0",
        "vectors": {"file": "vectors.ab.npy", "shape": [5, 3], "dtype": "<f2", "order": "C",
                    "sha256": "ab" * 32, "bytes": 30},
        "vocab": {"file": "vocab.cd.txt", "size": 5, "bytes": 20, "pad": "<pad>", "unk": None,
                  "pad_id": 0, "unk_id": None},
        "tokenizer": {"kind": "sentencepiece", "lowercase": True, "normalize": "nfkc",
                      "model_sha256": "ef" * 32, "model_file": "tokenizer.ef.model",
                      "model_bytes": 2048},
    }  # fmt: skip
    return manifest | sections


def test_a_manifest_reads_as_aligned_sections() -> None:
    from aligner_cli.report import manifest_lines

    lines = manifest_lines(
        _manifest(
            fill={"method": "uniform", "seed": 3, "scale": 0.25},
            metadata={"run": "baseline", "tags": ["a", "b"], "extra": {"x": 1}},
        ),
        "emb",
    )
    assert lines[:3] == ["artifact:  emb", "format:    2 (aligner 0.1.0)", ""]
    assert lines[lines.index("vectors") + 1 : lines.index("vectors") + 3] == [
        "  shape:   5 x 3",
        "  dtype:   float16 (<f2, C order)",
    ]
    assert "  pad:   <pad> (row 0)" in lines and "  unk:   none" in lines
    assert "  model:         tokenizer.ef.model (2,048 bytes)" in lines
    assert "  lowercase:     yes" in lines and "  normalize:     nfkc" in lines
    assert "  fill:        uniform, seed 3" in lines and "  fill scale:  0.25" in lines
    assert lines[lines.index("metadata") + 1 :] == [
        "  run:    baseline",
        "  tags:   a, b",
        "  extra:  x 1",
    ]
    assert not [line for line in lines if set(line) & set("{}'[]")]


def test_a_malformed_section_is_named_and_the_rest_shown() -> None:
    from aligner_cli.report import manifest_lines

    lines = manifest_lines(_manifest(fill="junk", alignment={"fallbacks": ["exact", "fill"]}))
    assert "fill: malformed in the manifest (not shown)" in lines
    assert "  fallbacks:  exact -> fill" in lines
    assert "vectors" in lines and "tokenizer" in lines


def test_control_characters_stay_on_one_line() -> None:
    from aligner_cli.report import manifest_lines

    lines = manifest_lines(_manifest(metadata={"note": "two\nlines\x1b[31m"}))
    assert "  note:  two\\nlines\\x1b[31m" in lines
