"""build() on the task side: vocabulary from dataset 1, sentencepiece, pieces, --min-coverage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import aligner
from aligner.errors import CorpusError, CoverageError, InputError, VocabError
from aligner.task import SentencePieceTraining
from aligner.tokenize import TokenizerSpec, train_sentencepiece
from aligner_cli.main import cli

from .helpers import MUSIC, small_config, write_corpus


def _data(path: Path) -> Path:
    """A headerless TSV (label, text) like data_samples/train.tsv."""
    rows = [
        ("music", "We played the guitar and the piano"),
        ("sports", "The team scored a goal"),
        ("music", "a guitar song"),
        ("sports", "the referee and the coach"),
    ]
    path.write_text("".join(f"{label}\t{text}\n" for label, text in rows), encoding="utf-8")
    return path


def _nothing_left(root: Path, out: Path) -> None:
    assert not out.exists()
    assert not [p for p in root.iterdir() if p.name.startswith(f".{out.name}.")]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus.txt")


def test_vocabulary_counted_from_dataset_1(tmp_path: Path, corpus: Path) -> None:
    data = _data(tmp_path / "train.tsv")
    spec = TokenizerSpec(lowercase=True)
    config = small_config(
        corpus, None, tmp_path / "art", data=data, data_column="2", tokenizer=spec
    )
    result = aligner.build(config)
    art = aligner.load(result.path)
    # "the" 5 times; "a", "and", "guitar" twice; then the singletons by token
    assert art.vocab.tokens[:6] == ["<pad>", "<unk>", "the", "a", "and", "guitar"]
    assert result.coverage.tokens == 5 + 2 + 2 + 2 + 9  # 20 tokens in all
    assert art.manifest["source"]["data"] == str(data)
    assert art.tokenizer == spec
    assert art.encode(["The GUITAR"]) == [[art.vocab["the"], art.vocab["guitar"]]]
    again = aligner.build(config)
    assert again.reused


def test_vocab_min_count_and_max_size_apply_inline(tmp_path: Path, corpus: Path) -> None:
    data = _data(tmp_path / "train.tsv")
    config = small_config(
        corpus, None, tmp_path / "art", data=data, data_column="2",
        tokenizer=TokenizerSpec(lowercase=True), vocab_min_count=2, vocab_max_size=3,
    )  # fmt: skip
    art = aligner.load(aligner.build(config).path)
    assert art.vocab.tokens == ["<pad>", "<unk>", "the", "a", "and"]


def test_missing_column_fails_before_work_and_writes_nothing(tmp_path: Path, corpus: Path) -> None:
    data = _data(tmp_path / "train.tsv")
    out = tmp_path / "art"
    with pytest.raises(CorpusError) as info:
        aligner.build(small_config(corpus, None, out, data=data, data_column="7"))
    assert str(data) in str(info.value) and "\n" not in str(info.value)
    _nothing_left(tmp_path, out)


def test_empty_dataset_is_a_vocab_error(tmp_path: Path, corpus: Path) -> None:
    data = tmp_path / "empty.txt"
    data.write_text("\n  \n", encoding="utf-8")
    out = tmp_path / "art"
    with pytest.raises(VocabError):
        aligner.build(small_config(corpus, None, out, data=data))
    _nothing_left(tmp_path, out)


def test_exactly_one_vocabulary_source(tmp_path: Path, corpus: Path) -> None:
    with pytest.raises(InputError, match="exactly one task vocabulary"):
        aligner.build(small_config(corpus, None, tmp_path / "art"))


def test_sentencepiece_tokenizer_trained_on_the_corpus(tmp_path: Path, corpus: Path) -> None:
    data = _data(tmp_path / "train.tsv")
    training = SentencePieceTraining(40, train_on="corpus", lowercase=True)
    config = small_config(
        corpus, None, tmp_path / "art", data=data, data_column="2", tokenizer=training
    )
    art = aligner.load(aligner.build(config).path)
    spec = art.tokenizer
    assert spec.kind == "sentencepiece" and spec.lowercase
    assert (art.path / "tokenizer.model").read_bytes() == spec.model
    assert spec.model == train_sentencepiece(corpus.read_text().splitlines(), vocab_size=40,
                                              lowercase=True).model  # fmt: skip
    text = "We played the guitar"
    assert art.encode([text]) == [art.vocab.lookup(spec(text))]
    assert "\u2581the" in art.vocab  # the vocabulary is made of pieces
    assert art.coverage is not None and art.coverage.type_coverage > 0.5


def test_subword_rows_from_sentencepiece_pieces(tmp_path: Path, corpus: Path) -> None:
    vocab = tmp_path / "vocab.txt"
    # "guitars" and "pianodrums" never occur in the corpus; their pieces do
    vocab.write_text("guitar\npiano\nguitars\npianodrums\n", encoding="utf-8")
    config = small_config(
        corpus, vocab, tmp_path / "art", pieces=SentencePieceTraining(40, train_on="corpus"),
        fallbacks=("exact", "lowercase", "subword"),
    )  # fmt: skip
    result = aligner.build(config)
    art = aligner.load(result.path)
    kinds = dict(zip(art.vocab.tokens, art.provenance, strict=True))
    assert kinds["guitar"] == "exact" and kinds["piano"] == "exact"
    assert kinds["guitars"] == "subword" and kinds["pianodrums"] == "subword"
    assert art.manifest["source"]["subword"] == "sentencepiece-pieces"
    assert result.coverage.types_by_kind["subword"] == 2


def test_pieces_need_a_trained_word_level_build(tmp_path: Path, corpus: Path) -> None:
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("guitar\n", encoding="utf-8")
    pieces = SentencePieceTraining(40)
    with pytest.raises(InputError, match="fastText composes"):
        aligner.build(small_config(corpus, vocab, tmp_path / "a", pieces=pieces, method="fasttext"))


def test_min_coverage_fails_and_writes_nothing(tmp_path: Path, corpus: Path) -> None:
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("guitar\t3\nzorblax\t1\n", encoding="utf-8")  # token coverage 3/4
    out = tmp_path / "art"
    with pytest.raises(CoverageError) as info:
        aligner.build(small_config(corpus, vocab, out, min_coverage=0.8))
    assert "0.75" in str(info.value) and "0.8" in str(info.value)
    _nothing_left(tmp_path, out)
    result = aligner.build(small_config(corpus, vocab, out, min_coverage=0.75))
    assert result.coverage.token_coverage == pytest.approx(0.75)


def _cli(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


def _build(corpus: Path, out: Path, *extra: object) -> list[object]:
    return ["build", "--corpus", corpus, "--out", out, "--dim", 8, "--min-count", 2,
            "--epochs", 2, *extra]  # fmt: skip


def test_cli_build_from_data_with_regex_tokenizer(tmp_path: Path, corpus: Path) -> None:
    data = _data(tmp_path / "train.tsv")
    out = tmp_path / "art"
    code, output = _cli(
        *_build(corpus, out, "--data", data, "--data-column", 2, "--tokenizer", "regex",
                "--lowercase", "--nfkc", "--json"),
    )  # fmt: skip
    assert code == 0, output
    report = json.loads(output)
    assert report["coverage"]["tokens"] == 20
    art = aligner.load(out)
    assert art.tokenizer == TokenizerSpec("regex", lowercase=True, normalize="nfkc")


def test_cli_min_coverage_exits_non_zero(tmp_path: Path, corpus: Path) -> None:
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("guitar\t3\nzorblax\t1\n", encoding="utf-8")
    out = tmp_path / "art"
    code, output = _cli(*_build(corpus, out, "--vocab", vocab, "--min-coverage", 0.9))
    assert code != 0
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "--min-coverage" in lines[0]
    _nothing_left(tmp_path, out)


def test_cli_corrupt_sentencepiece_model(tmp_path: Path, corpus: Path) -> None:
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("guitar\n", encoding="utf-8")
    bad = tmp_path / "bad.model"
    bad.write_bytes(b"\x0a\x05hello not a model")
    out = tmp_path / "art"
    code, output = _cli(
        *_build(corpus, out, "--vocab", vocab, "--tokenizer", "sentencepiece", "--sp-model", bad)
    )
    assert code != 0 and "not a valid sentencepiece model" in output and str(bad) in output
    _nothing_left(tmp_path, out)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--sp-vocab-size", 50], "need --tokenizer sentencepiece"),
        (["--tokenizer", "sentencepiece"], "needs one of --sp-model"),
        (["--fallbacks", "exact,typo"], "distinct steps"),
        (["--data-column", "2"], "need --data"),
        (["--sp-train-on", "data"], "--sp-train-on applies"),
    ],
)
def test_cli_usage_errors(tmp_path: Path, corpus: Path, extra: list[object], message: str) -> None:
    vocab = tmp_path / "vocab.txt"
    vocab.write_text(f"{MUSIC[0]}\n", encoding="utf-8")
    code, output = _cli(*_build(corpus, tmp_path / "art", "--vocab", vocab, *extra))
    assert code == 2 and message in output


def test_cli_steps_are_the_library_fallbacks() -> None:
    from aligner.align import FALLBACKS
    from aligner_cli.task import STEPS

    assert STEPS == FALLBACKS


def test_cli_train_with_the_regex_tokenizer(tmp_path: Path, corpus: Path) -> None:
    out = tmp_path / "v.txt"
    code, output = _cli("train", "--corpus", corpus, "--out", out, "--dim", 8, "--min-count", 2,
                        "--epochs", 1, "--tokenizer", "regex", "--json")  # fmt: skip
    assert code == 0, output
    assert json.loads(output)["source"]["tokenizer"]["kind"] == "regex"
    code, output = _cli("train", "--corpus", corpus, "--out", tmp_path / "w.txt",
                        "--tokenizer", "sentencepiece", "--sp-vocab-size", 30)  # fmt: skip
    assert code == 2 and "aligner train takes an existing --sp-model" in output


def test_cli_sentencepiece_on_data_then_encode_reproduces_the_tokens(
    tmp_path: Path, corpus: Path
) -> None:
    import pyarrow.parquet as pq

    data = _data(tmp_path / "train.tsv")
    out = tmp_path / "art"
    code, output = _cli(*_build(corpus, out, "--data", data, "--data-column", 2,
                                "--tokenizer", "sentencepiece", "--sp-vocab-size", 30,
                                "--sp-train-on", "data"))  # fmt: skip
    assert code == 0, output
    art = aligner.load(out)
    texts = [line.split("\t")[1] for line in data.read_text().splitlines()]
    expected = [art.vocab.lookup(art.tokenizer(t)) for t in texts]
    assert all(len(ids) > 1 for ids in expected)
    ids = tmp_path / "ids.parquet"
    code, output = _cli("encode", "--artifact", out, "--data", data, "--text-column", 2,
                        "--out", ids)  # fmt: skip
    assert code == 0, output
    assert pq.read_table(ids).column("ids").to_pylist() == expected


def test_min_coverage_is_checked_on_a_reused_artifact(tmp_path: Path, corpus: Path) -> None:
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("guitar\t3\nzorblax\t1\n", encoding="utf-8")
    out = tmp_path / "art"
    aligner.build(small_config(corpus, vocab, out))
    with pytest.raises(CoverageError, match=r"0\.75"):
        aligner.build(small_config(corpus, vocab, out, min_coverage=0.8))
    assert aligner.build(small_config(corpus, vocab, out, min_coverage=0.7)).reused


def test_metadata_is_part_of_the_build_key(tmp_path: Path, corpus: Path) -> None:
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("guitar\n", encoding="utf-8")
    out = tmp_path / "art"
    aligner.build(small_config(corpus, vocab, out, metadata={"run": 1}))
    again = aligner.build(small_config(corpus, vocab, out, metadata={"run": 2}, force=True))
    assert not again.reused and again.manifest["metadata"] == {"run": 2}


def test_pieces_trained_on_data_need_data(tmp_path: Path, corpus: Path) -> None:
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("guitar\n", encoding="utf-8")
    pieces = SentencePieceTraining(40, train_on="data")
    with pytest.raises(InputError, match="only when it is given"):
        aligner.build(small_config(corpus, vocab, tmp_path / "a", pieces=pieces))


def test_data_errors_name_the_data_column_option(tmp_path: Path, corpus: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = tmp_path / "d.parquet"
    pq.write_table(pa.table({"body": ["a guitar"], "n": [1]}), data)
    code, output = _cli(*_build(corpus, tmp_path / "art", "--data", data))
    assert code == 1 and "--data-column" in output and "--text-column" not in output
    code, output = _cli(*_build(corpus, tmp_path / "art", "--data", data, "--data-column", "n"))
    assert code == 1 and "--data-column" in output and "--text-column" not in output
