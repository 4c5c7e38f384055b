"""build and train refuse what does not apply, and check --out before any work.

Every case goes through the CLI: exit status 2 (usage) or 1 (input), one line
naming the option (or path) and the remedy, and nothing written.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from aligner_cli.main import cli

from .helpers import write_corpus

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
GLOVE = SAMPLES / "vectors.glove.txt"


@pytest.fixture(autouse=True)
def _cache(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("ALIGNER_CACHE", str(tmp_path_factory.mktemp("cache")))


def _run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


def _one_line(output: str) -> str:
    """The one error line; a usage error has only click's usage hint before it."""
    lines = [line for line in output.splitlines() if line.strip()]
    hint = lines[:-1]
    assert not hint or (len(hint) == 2 and hint[0].startswith("Usage:")), output
    assert lines[-1].startswith("Error: "), output
    return lines[-1]


def _inputs(tmp_path: Path) -> tuple[Path, Path]:
    corpus = write_corpus(tmp_path / "corpus.txt", lines=200)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("guitar\nfootball\n", encoding="utf-8")
    return corpus, vocab


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--method", "glove", "--cbow"], "--cbow applies to --method word2vec and fasttext"),
        (["--method", "glove", "--sg"], "--sg applies to --method word2vec and fasttext"),
        (["--method", "glove", "--min-n", 2], "--min-n applies to --method fasttext, not glove"),
        (["--method", "glove", "--workers", 2], "--workers applies to --method word2vec and"),
        (["--device", "cuda"], "--device applies to --method glove, not word2vec"),
        (["--method", "fasttext", "--x-max", 5], "--x-max applies to --method glove, not fasttext"),
        (["--max-n", 4], "--max-n applies to --method fasttext, not word2vec"),
        (["--bucket", 100], "--bucket applies to --method fasttext, not word2vec"),
        (["--memory-gb", 1], "--memory-gb applies to --method glove, not word2vec"),
        (["--sp-model-type", "bpe"], "--sp-model-type applies when training one with"),
        (["--method", "fasttext", "--subword-pieces", 50], "fasttext composes them from its own"),
    ],
)  # fmt: skip
def test_build_refuses_options_of_another_method(
    tmp_path: Path, options: list[object], message: str
) -> None:
    corpus, vocab = _inputs(tmp_path)
    out = tmp_path / "art"
    code, output = _run("build", "--corpus", corpus, "--vocab", vocab, "--out", out, *options)
    assert code == 2, output
    assert message in _one_line(output)
    assert not out.exists()


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--epochs", 3], "--epochs applies"),
        (["--method", "glove"], "--method applies"),
        (["--window", 2, "--cbow"], "--window, --cbow apply"),
        (["--min-count", 5], "--min-count applies"),  # given, even at its default value
        (["--device", "cpu"], "--device applies"),
    ],
)
def test_build_refuses_training_options_with_pretrained(
    tmp_path: Path, options: list[object], named: str
) -> None:
    out = tmp_path / "art"
    code, output = _run("build", "--pretrained", GLOVE, "--vocab", SAMPLES / "vocab.txt",
                        "--out", out, *options)  # fmt: skip
    assert code == 2, output
    line = _one_line(output)
    assert named in line and "training on --corpus" in line and "--dim checks their size" in line
    assert not out.exists()


def test_defaults_and_dim_with_pretrained_are_fine(tmp_path: Path) -> None:
    out = tmp_path / "art"
    code, output = _run("build", "--pretrained", GLOVE, "--vocab", SAMPLES / "vocab.txt",
                        "--out", out, "--dim", 10, "--seed", 4)  # fmt: skip
    assert code == 0, output
    assert (out / "manifest.json").is_file()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--method", "glove", "--negative", 3], "--negative applies to --method word2vec and"),
        (["--method", "word2vec", "--alpha", 0.5], "--alpha applies to --method glove, not"),
        (["--method", "fasttext", "--threads", 2], "--threads applies to --method glove"),
        (["--sp-model-type", "bpe"], "--sp-model-type applies"),
    ],
)  # fmt: skip
def test_train_refuses_options_of_another_method(
    tmp_path: Path, options: list[object], message: str
) -> None:
    corpus, _ = _inputs(tmp_path)
    out = tmp_path / "vectors.txt"
    code, output = _run("train", "--corpus", corpus, "--out", out, *options)
    assert code == 2, output
    assert message in _one_line(output)
    assert not out.exists()


def _unwritable(tmp_path: Path) -> Path:
    """A directory nothing can be created in (root ignores modes: /sys refuses even root)."""
    if os.geteuid() == 0:
        return Path("/sys")
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


def test_build_into_a_read_only_place_fails_before_any_work(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")  # training on it would fail: the output is checked first
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("guitar\n")
    folder = _unwritable(tmp_path)
    out = folder / "aligner-test-never" / "art"
    started = time.monotonic()
    code, output = _run("build", "--corpus", empty, "--vocab", vocab, "--out", out)
    assert code == 1, output
    line = _one_line(output)
    assert line.startswith(f"Error: cannot write --out {out}: nothing can be created in {folder}")
    assert "choose another --out" in line
    assert time.monotonic() - started < 5
    assert not out.parent.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_build_under_a_file_fails_at_once(tmp_path: Path) -> None:
    corpus, vocab = _inputs(tmp_path)
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder\n")
    out = blocker / "deeper" / "art"
    code, output = _run("build", "--corpus", corpus, "--vocab", vocab, "--out", out)
    assert code == 1, output
    assert _one_line(output) == (
        f"Error: cannot write --out {out}: {blocker} is a file, not a directory; "
        "choose another --out"
    )
    assert blocker.read_text() == "a file, not a folder\n"


def test_train_into_a_read_only_place_fails_before_training(tmp_path: Path) -> None:
    corpus, _ = _inputs(tmp_path)
    folder = _unwritable(tmp_path)
    out = folder / "vectors.txt"
    code, output = _run("train", "--corpus", corpus, "--out", out, "--min-count", 1)
    assert code == 1, output
    assert _one_line(output).startswith(f"Error: cannot write --out {out}: nothing can be created")
    assert not out.exists()


def test_reuse_needs_no_write_permission(tmp_path: Path) -> None:
    # an identical artifact is reused even where nothing could be written
    corpus, vocab = _inputs(tmp_path)
    out = tmp_path / "art"
    args = ["build", "--corpus", corpus, "--vocab", vocab, "--out", out, "--dim", 4,
            "--min-count", 1, "--epochs", 1]  # fmt: skip
    assert _run(*args)[0] == 0
    if os.geteuid() == 0:
        pytest.skip("root writes everywhere; the read-only case is covered above")
    out.chmod(0o555)
    tmp_path.chmod(0o555)
    try:
        code, output = _run(*args)
    finally:
        tmp_path.chmod(0o755)
        out.chmod(0o755)
    assert code == 0 and output.startswith(f"reused {out}")


# Every training option against every method and source: what does not apply is refused.

#: a value for each option that applies to some methods only (the test fails when an
#: option is added to APPLIES without a case here)
SAMPLE = {
    "sg": ["--cbow"],
    "negative": ["--negative", 3],
    "workers": ["--workers", 2],
    "min_n": ["--min-n", 2],
    "max_n": ["--max-n", 7],
    "bucket": ["--bucket", 100],
    "x_max": ["--x-max", 5],
    "alpha": ["--alpha", 0.5],
    "learning_rate": ["--learning-rate", 0.1],
    "max_vocab": ["--max-vocab", 100],
    "memory_gb": ["--memory-gb", 2],
    "device": ["--device", "cuda"],
    "threads": ["--threads", 2],
    "dim": ["--dim", 8],
    "window": ["--window", 3],
    "min_count": ["--min-count", 2],
    "epochs": ["--epochs", 2],
    "method": ["--method", "fasttext"],
}


def _other_method_cases() -> list[tuple[str, str]]:
    from aligner_cli.training import APPLIES

    return [
        (name, method)
        for name, methods in APPLIES.items()
        for method in ("word2vec", "fasttext", "glove")
        if method not in methods
    ]


def test_every_option_of_some_methods_has_a_case() -> None:
    from aligner_cli.training import APPLIES, KEYS

    assert set(APPLIES) | set(KEYS) <= set(SAMPLE)


def _refused(code: int, output: str, *fragments: str) -> str:
    assert code == 2, output
    line = _one_line(output)
    for fragment in fragments:
        assert fragment in line, line
    return line


@pytest.mark.parametrize("command", ["build", "train"])
@pytest.mark.parametrize(("name", "method"), _other_method_cases())
def test_an_option_of_another_method_is_refused(
    tmp_path: Path, command: str, name: str, method: str
) -> None:
    corpus, vocab = _inputs(tmp_path)
    out = tmp_path / ("art" if command == "build" else "v.txt")
    args = ["--corpus", corpus, "--out", out, "--method", method, *SAMPLE[name]]
    if command == "build":
        args += ["--vocab", vocab]
    code, output = _run(command, *args)
    option = str(SAMPLE[name][0])
    _refused(code, output, f"{option} applies to --method", f"not {method}")
    assert not out.exists()


@pytest.mark.parametrize("name", [n for n in SAMPLE if n not in ("dim", "workers")])  # both read
def test_every_training_option_is_refused_with_pretrained(tmp_path: Path, name: str) -> None:
    out = tmp_path / "art"
    code, output = _run("build", "--pretrained", GLOVE, "--vocab", SAMPLES / "vocab.txt",
                        "--out", out, *SAMPLE[name])  # fmt: skip
    _refused(code, output, f"{SAMPLE[name][0]} applies to training on --corpus")
    assert not out.exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--method", "fasttext", "--min-n", 5, "--max-n", 4], "--min-n 5 is above --max-n 4"),
        (["--method", "fasttext", "--min-n", 7], "--min-n 7 is above --max-n 6"),
        (["--negative", 0], "0 is not in the range x>=1"),  # gensim would raise, untrained
        (["--tokenizer", "regex", "--sp-model", __file__], "need --tokenizer sentencepiece"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", ["build", "train"])
def test_values_that_cannot_train_are_usage_errors(
    tmp_path: Path, command: str, options: list[object], message: str
) -> None:
    corpus, vocab = _inputs(tmp_path)
    out = tmp_path / ("art" if command == "build" else "v.txt")
    extra = ["--vocab", vocab] if command == "build" else []
    code, output = _run(command, "--corpus", corpus, "--out", out, *extra, *options)
    _refused(code, output, message)
    assert not out.exists()


def _train_tsv(path: Path) -> Path:
    rows = [("music", "guitar piano song"), ("sports", "football goal team")] * 5
    path.write_text("".join(f"{label}\t{text}\n" for label, text in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("source", "options", "message"),
    [
        ("pretrained-vocab", ["--tokenizer", "sentencepiece", "--sp-vocab-size", 20],
         "has neither (--pretrained, --vocab); pass an existing --sp-model"),
        ("pretrained-data", ["--tokenizer", "sentencepiece", "--sp-vocab-size", 20,
                             "--sp-train-on", "corpus"], "--sp-train-on corpus needs --corpus"),
        ("corpus-vocab", ["--tokenizer", "sentencepiece", "--sp-vocab-size", 20,
                          "--sp-train-on", "data"], "--sp-train-on data needs --data"),
        ("corpus-vocab", ["--sp-train-on", "corpus"], "--sp-train-on applies when training"),
        ("pretrained-vocab", ["--subword-pieces", 20], "need --corpus"),
        ("pretrained-vocab", ["--text-column", "text"], "--text-column applies to --corpus"),
        ("corpus-vocab", ["--vocab-min-count", 2], "with --vocab, drop --vocab-min-count"),
        ("corpus-vocab", ["--data-text-column", 2], "with --vocab, drop --data-text-column"),
    ],
)  # fmt: skip
def test_build_refuses_options_its_sources_do_not_use(
    tmp_path: Path, source: str, options: list[object], message: str
) -> None:
    corpus, vocab = _inputs(tmp_path)
    data = _train_tsv(tmp_path / "train.tsv")
    vectors, task = source.split("-")
    args = ["--corpus", corpus] if vectors == "corpus" else ["--pretrained", GLOVE]
    args += ["--vocab", vocab] if task == "vocab" else ["--data", data, "--text-column", 2]
    out = tmp_path / "art"
    code, output = _run("build", *args, "--out", out, *options)
    _refused(code, output, message)
    assert not out.exists()


# One name for the text column: --text-column names the text column of every table input.


def _built_vocab(out: Path) -> list[str]:
    import aligner

    return list(aligner.load(out).vocab.tokens)


def _small(*extra: object) -> list[object]:
    return ["--dim", 4, "--min-count", 1, "--epochs", 1, *extra]


def test_text_column_names_the_data_column_when_the_corpus_is_plain_text(tmp_path: Path) -> None:
    corpus, _ = _inputs(tmp_path)
    data = _train_tsv(tmp_path / "train.tsv")
    out = tmp_path / "art"
    code, output = _run("build", "--corpus", corpus, "--data", data, "--text-column", 2,
                        "--out", out, *_small())  # fmt: skip
    assert code == 0, output
    words = _built_vocab(out)
    assert {"guitar", "football"} <= set(words) and "music" not in words  # not the label column


def test_text_column_names_corpus_and_data_tables_alike(tmp_path: Path) -> None:
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    corpus = tmp_path / "corpus.parquet"
    lines = write_corpus(tmp_path / "c.txt", lines=200).read_text().splitlines()
    pq.write_table(pa.table({"id": list(range(len(lines))), "text": lines}), corpus)
    data = tmp_path / "data.jsonl"
    data.write_text('{"text": "guitar piano", "label": "music"}\n' * 3, encoding="utf-8")
    out = tmp_path / "art"
    code, output = _run("build", "--corpus", corpus, "--data", data, "--text-column", "text",
                        "--out", out, *_small())  # fmt: skip
    assert code == 0, output
    assert set(_built_vocab(out)) == {"<pad>", "<unk>", "guitar", "piano"}
    inputs = json.loads((out / "manifest.json").read_text())["build"]["inputs"]
    assert inputs["source"]["corpus"]["text_column"] == "text"


def test_data_text_column_overrides_for_data(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    corpus = tmp_path / "corpus.parquet"
    lines = write_corpus(tmp_path / "c.txt", lines=200).read_text().splitlines()
    pq.write_table(pa.table({"body": lines}), corpus)
    data = _train_tsv(tmp_path / "train.tsv")
    out = tmp_path / "art"
    code, output = _run("build", "--corpus", corpus, "--data", data, "--text-column", "body",
                        "--data-text-column", 2, "--out", out, *_small())  # fmt: skip
    assert code == 0, output
    assert "football" in _built_vocab(out) and "music" not in _built_vocab(out)


def test_the_old_data_column_works_and_says_it_is_deprecated(tmp_path: Path) -> None:
    corpus, _ = _inputs(tmp_path)
    data = _train_tsv(tmp_path / "train.tsv")
    out = tmp_path / "art"
    args = ["build", "--corpus", corpus, "--data", data, "--data-column", 2, "--out", out]
    result = CliRunner().invoke(cli, [str(a) for a in [*args, *_small()]])
    assert result.exit_code == 0, result.output
    notes = result.stderr.splitlines()
    assert notes == [
        "note: --data-column is deprecated; use --text-column (the text column of --corpus "
        "and --data alike) or --data-text-column (of --data alone)"
    ]
    assert result.stdout.startswith(f"wrote {out}")
    assert "music" not in _built_vocab(out)


def test_both_names_of_the_data_column_are_refused(tmp_path: Path) -> None:
    corpus, _ = _inputs(tmp_path)
    data = _train_tsv(tmp_path / "train.tsv")
    out = tmp_path / "art"
    code, output = _run("build", "--corpus", corpus, "--data", data, "--data-column", 2,
                        "--data-text-column", 2, "--out", out)  # fmt: skip
    assert code == 2 and "--data-column is the old name of --data-text-column" in output
    assert not out.exists()


def test_text_column_where_no_input_is_a_table_is_refused(tmp_path: Path) -> None:
    corpus, _ = _inputs(tmp_path)
    data = tmp_path / "data.txt"
    data.write_text("guitar piano\n", encoding="utf-8")
    out = tmp_path / "art"
    code, output = _run("build", "--corpus", corpus, "--data", data, "--text-column", 2,
                        "--out", out)  # fmt: skip
    line = _refused(code, output, "--text-column applies to --corpus and --data tables")
    assert f"--corpus {corpus} and --data {data} hold plain text only" in line
    assert not out.exists()


def test_errors_about_the_data_column_name_its_own_option(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    corpus, _ = _inputs(tmp_path)
    data = tmp_path / "d.parquet"
    pq.write_table(pa.table({"body": ["a guitar"], "n": [1]}), data)
    out = tmp_path / "art"
    code, output = _run("build", "--corpus", corpus, "--data", data, "--out", out)
    assert code == 1 and "needs --data-text-column" in _one_line(output)
    code, output = _run("build", "--corpus", corpus, "--data", data, "--text-column", "n",
                        "--out", out)  # fmt: skip
    line = _one_line(output)
    assert code == 1 and "column 'n' is int64, not text" in line and "--data-text-column" in line
    assert not out.exists()


@pytest.mark.parametrize("method", ["word2vec", "glove"])
def test_a_subword_step_that_cannot_compose_is_refused(tmp_path: Path, method: str) -> None:
    corpus, vocab = _inputs(tmp_path)
    out = tmp_path / "art"
    common = ["build", "--corpus", corpus, "--vocab", vocab, "--out", out, "--method", method]
    code, output = _run(*common, "--fallbacks", "exact,subword", "--epochs", 1)
    assert code == 2 and "drop subword from --fallbacks" in _one_line(output)
    assert not out.exists()
    # the default chain holds subword too: it uses the steps that apply, and builds
    code, output = _run(*common, "--epochs", 1, "--min-count", 1, "--dim", 8)
    assert code == 0, output


def test_a_chain_without_exact_warns_with_the_remedy(tmp_path: Path) -> None:
    out = tmp_path / "art"
    code, output = _run(
        "build", "--pretrained", SAMPLES / "vectors.glove.txt", "--vocab", SAMPLES / "vocab.txt",
        "--fallbacks", "subword", "--out", out,
    )  # fmt: skip
    assert code == 0, output
    assert "has no exact step" in output and "put exact first in --fallbacks" in output


def test_vocabulary_tokens_the_normalisation_rewrites_are_named(tmp_path: Path) -> None:
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("guitar\n\ufb01re\n\uff47\uff55\uff49\uff54\uff41\uff52\n", encoding="utf-8")
    out = tmp_path / "art"
    common = ["build", "--pretrained", SAMPLES / "vectors.glove.txt", "--vocab", vocab]
    code, output = _run(*common, "--nfkc", "--out", out)
    assert code == 0, output
    warned = [line for line in output.splitlines() if "whose NFKC rewrites them" in line]
    assert len(warned) == 1 and "2 of the 3 tokens" in warned[0] and "\ufb01re -> fire" in warned[0]
    code, output = _run(*common, "--out", tmp_path / "plain")  # no --nfkc: nothing rewritten
    assert code == 0 and "rewrites them" not in output


@pytest.mark.parametrize("workers", ["0", "x"])
def test_pretrained_workers_below_one_is_a_usage_error(tmp_path: Path, workers: str) -> None:
    out = tmp_path / "o"
    code, output = _run(
        "build", "--pretrained", SAMPLES / "vectors.glove.txt", "--vocab", SAMPLES / "vocab.txt",
        "--out", out, "--workers", workers,
    )  # fmt: skip
    assert code == 2 and "--workers" in output and "Traceback" not in output
    assert not out.exists()


def test_pretrained_workers_write_the_same_artifact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aligner.pretrained.parallel as parallel

    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)  # scan even this small file in parts
    files = []
    for n in ("1", "3"):
        out = tmp_path / n
        code, output = _run(
            "build", "--pretrained", SAMPLES / "vectors.glove.txt", "--vocab",
            SAMPLES / "vocab.txt", "--out", out, "--workers", n,
        )  # fmt: skip
        assert code == 0, output
        files.append(sorted(p.name for p in out.iterdir() if p.name != "manifest.json"))
    assert files[0] == files[1]  # data files are named by their content's digest
