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
    assert (art.path / art.manifest["tokenizer"]["model_file"]).read_bytes() == spec.model
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
        *_build(corpus, out, "--data", data, "--text-column", 2, "--tokenizer", "regex",
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
    assert code == 1
    lines = [line for line in output.splitlines() if line.strip()]
    # the coverage table first (stderr), then the one-line error
    assert lines[0] == "coverage: 1/2 types (50.0%), 3/4 tokens (75.0%)"
    assert "most frequent missing: zorblax (1)" in lines
    assert lines[-1].startswith("Error: token coverage 0.750 is below --min-coverage 0.9")
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
        (["--data-text-column", "2"], "need --data"),
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
    code, output = _cli(*_build(corpus, out, "--data", data, "--text-column", 2,
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
    assert pq.read_table(ids).column("input_ids").to_pylist() == expected


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

    def names_the_data_option(output: str) -> bool:
        return "--data-text-column" in output and "--text-column" not in output.replace(
            "--data-text-column", ""
        )

    code, output = _cli(*_build(corpus, tmp_path / "art", "--data", data))
    assert code == 1 and names_the_data_option(output)
    code, output = _cli(
        *_build(corpus, tmp_path / "art", "--data", data, "--data-text-column", "n")
    )
    assert code == 1 and names_the_data_option(output)


# Warnings: a build that succeeds with a result that is likely not what was meant.


def _cli_streams(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def _warnings(stderr: str) -> list[str]:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert all(line.startswith("warning: ") for line in lines), stderr
    return [line.removeprefix("warning: ") for line in lines]


def test_sentencepiece_tokenizer_with_a_word_vocabulary_warns(
    tmp_path: Path, corpus: Path, vocab_file: Path
) -> None:
    out = tmp_path / "art"
    code, stdout, stderr = _cli_streams(
        *_build(corpus, out, "--vocab", vocab_file, "--tokenizer", "sentencepiece",
                "--sp-vocab-size", 40, "--json")
    )  # fmt: skip
    assert code == 0, stderr
    [line] = _warnings(stderr)
    assert line.startswith("low coverage (")
    assert "the vectors are sentencepiece pieces (e.g. '\u2581" in line
    assert f"but {vocab_file} holds words" in line and "(--data)" in line
    assert json.loads(stdout)["warnings"] == [line]
    # stored with the artifact: a reuse and aligner info say it again
    code, stdout, stderr = _cli_streams(
        *_build(corpus, out, "--vocab", vocab_file, "--tokenizer", "sentencepiece",
                "--sp-vocab-size", 40)
    )  # fmt: skip
    assert code == 0 and stdout.startswith("reused") and _warnings(stderr) == [line]
    code, stdout, _ = _cli_streams("info", out)
    assert f"warning: {line}" in stdout.splitlines()


def test_cased_vocabulary_lowercase_vectors_without_the_fallback_warns(
    tmp_path: Path, corpus: Path
) -> None:
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("".join(f"{w.title()}\n" for w in MUSIC), encoding="utf-8")
    out = tmp_path / "art"
    code, stdout, stderr = _cli_streams(
        *_build(corpus, out, "--vocab", vocab, "--no-lowercase-fallback")
    )
    assert code == 0 and stdout.startswith(f"wrote {out}")
    [line] = _warnings(stderr)
    assert line.startswith("low coverage (0.0% of types): ")
    assert f"{vocab} is cased and the vectors lowercase while the lowercase fallback is off" in line
    assert line.endswith("drop --no-lowercase-fallback (or add lowercase to --fallbacks)")


def test_lowercasing_tokenizer_with_a_cased_vocabulary_warns(tmp_path: Path, corpus: Path) -> None:
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("".join(f"{w.title()}\n" for w in MUSIC), encoding="utf-8")
    out = tmp_path / "art"
    code, _, stderr = _cli_streams(*_build(corpus, out, "--vocab", vocab, "--lowercase"))
    assert code == 0
    # coverage is fine (the lowercase fallback), but encoded text never holds "Guitar"
    [line] = _warnings(stderr)
    assert line.startswith(f"the tokenizer lowercases text but {vocab} is cased")


def test_vocabulary_tokens_the_tokenizer_splits_warn(tmp_path: Path, corpus: Path) -> None:
    vocab = tmp_path / "vocab.txt"
    tokens = [*MUSIC, "the guitar", "rock-and-roll"]  # the regex tokenizer splits both
    vocab.write_text("".join(f"{w}\n" for w in tokens), encoding="utf-8")
    out = tmp_path / "art"
    code, _, stderr = _cli_streams(*_build(corpus, out, "--vocab", vocab, "--tokenizer", "regex"))
    assert code == 0
    [line] = _warnings(stderr)
    assert line.startswith(f"2 of the {len(tokens)} tokens of {vocab} can never come out of the")
    assert "'the guitar', 'rock-and-roll'" in line


def test_wrong_vocabulary_file_warns(tmp_path: Path, corpus: Path) -> None:
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("chanson\nfromage\nvoiture\nmaison\nguitar\n" * 1, encoding="utf-8")
    words = "".join(f"mot{i}\n" for i in range(20))
    vocab.write_text(vocab.read_text() + words, encoding="utf-8")
    out = tmp_path / "art"
    code, stdout, stderr = _cli_streams(*_build(corpus, out, "--vocab", vocab, "--json"))
    assert code == 0
    [line] = _warnings(stderr)
    assert line.startswith("low coverage (4.0% of types): 1 of 25 words of")
    assert "the most frequent missing are 'chanson', 'fromage', 'voiture'" in line
    assert "check that both are the files you meant" in line
    assert json.loads(stdout)["warnings"] == [line]


def test_a_good_build_has_no_warnings(tmp_path: Path, corpus: Path, vocab_file: Path) -> None:
    code, stdout, stderr = _cli_streams(
        *_build(corpus, tmp_path / "art", "--vocab", vocab_file, "--json")
    )
    assert code == 0 and stderr == "" and json.loads(stdout)["warnings"] == []


def test_min_coverage_failure_prints_the_table_and_the_cause(tmp_path: Path, corpus: Path) -> None:
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("".join(f"{w.title()}\t3\n" for w in MUSIC), encoding="utf-8")
    out = tmp_path / "art"
    code, stdout, stderr = _cli_streams(
        *_build(corpus, out, "--vocab", vocab, "--no-lowercase-fallback", "--min-coverage", 0.5)
    )
    assert code == 1 and stdout == ""
    lines = stderr.splitlines()
    assert lines[0] == "coverage: 0/8 types (0.0%), 0/24 tokens (0.0%)"
    assert any(line.startswith("warning: low coverage") and "is cased" in line for line in lines)
    assert lines[-1] == (
        "Error: token coverage 0.000 is below --min-coverage 0.5; add pretrained vectors with "
        "more of the vocabulary, enable more fallbacks, or lower --min-coverage"
    )
    _nothing_left(tmp_path, out)
