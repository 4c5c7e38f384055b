"""``aligner export`` through click: summaries, --json, and every bad input as one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from aligner.artifact import write_artifact
from aligner.tokenize import TokenizerSpec, train_sentencepiece
from aligner.vocab import Vocab
from aligner_cli.export import export


def run(*args: object) -> Result:
    return CliRunner().invoke(export, [str(a) for a in args])


def one_error(result: Result, code: int) -> str:
    """The one ``Error:`` line of a failed run (no traceback), without the prefix."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    return errors[0].removeprefix("Error: ")


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_help_ends_with_an_example() -> None:
    result = run("--help")
    assert result.exit_code == 0
    lines = result.output.rstrip().splitlines()
    assert lines[-3].strip() == "Example:" and lines[-2].strip().startswith("aligner export ")


def test_gensim_from_the_suffix_with_a_one_line_summary(built: Path, tmp_path: Path) -> None:
    from gensim.models import KeyedVectors

    result = run(built, "--out", tmp_path / "e.kv")
    assert result.exit_code == 0, result.output
    (line,) = result.output.splitlines()
    assert line.startswith(
        f"wrote {tmp_path / 'e.kv'} + {tmp_path / 'e.kv.vectors.npy'}: 5 rows x 12"
    )
    assert "(gensim, float32); 4 rows without a found vector left out" in line
    assert "--include-filled keeps them" in line
    assert len(KeyedVectors.load(str(tmp_path / "e.kv"), mmap="r").index_to_key) == 5


def test_include_filled_and_json(built: Path, tmp_path: Path) -> None:
    result = run(
        built, "--to", "glove", "--out", tmp_path / "g.txt.gz", "--include-filled", "--json"
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary == {
        "path": str(tmp_path / "g.txt.gz"), "files": [str(tmp_path / "g.txt.gz")],
        "format": "glove", "rows": 9, "dim": 12, "dtype": "float32", "left_out": 0, "warnings": [],
    }  # fmt: skip


def test_tokenizer_and_safetensors_summaries(built: Path, tmp_path: Path) -> None:
    tok = run(built, "--out", tmp_path / "tokenizer.json", "--no-verify")
    assert tok.output == f"wrote {tmp_path / 'tokenizer.json'}: 9 tokens (tokenizer.json)\n"
    st = run(built, "--out", tmp_path / "e.safetensors")
    assert st.output == f"wrote {tmp_path / 'e.safetensors'}: 9 rows x 12 (safetensors, float32)\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--out", "{}/v.txt"], "may be word2vec text (with an 'N D' header) or GloVe text (without): "
      "name the format with --to word2vec or --to glove"),
     (["--out", "{}/v.npy"], "its name says no export format; name it NAME.vec"),
     (["--to", "gensim", "--out", "{}/v.bin"], "does not fit format gensim: name it NAME.kv, or "
      "choose the format that name says"),
     (["--to", "safetensors", "--out", "{}/v.safetensors.gz"], "does not fit format safetensors"),
     (["--out", "{}/v.safetensors", "--found-only"], "format safetensors keeps every row under its "
      "id, so it cannot leave rows out; drop --found-only"),
     (["--to", "fasttext", "--out", "{}/v.vec"], "Invalid value for '--to'"),
     (["--out", "{}"], "is a directory"),
     ([], "Missing option '--out'")],
)  # fmt: skip
def test_usage_errors_exit_2_and_write_nothing(
    built: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "out").mkdir()
    result = run(built, *(a.format(tmp_path / "out") for a in args))
    assert message in one_error(result, 2)
    assert names(tmp_path / "out") == []


def test_existing_output_needs_force(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "v.vec"
    out.write_text("mine\n")
    result = run(built, "--out", out)
    assert one_error(result, 1) == f"output file {out} already exists; pass --force to replace it"
    assert out.read_text() == "mine\n" and names(tmp_path) == ["v.vec"]
    assert run(built, "--out", out, "--force").exit_code == 0
    assert out.read_text().startswith("5 12\n")


def test_half_a_gensim_pair_on_disk_is_not_overwritten(built: Path, tmp_path: Path) -> None:
    (tmp_path / "e.kv.vectors.npy").write_bytes(b"someone's")
    result = run(built, "--out", tmp_path / "e.kv")
    assert "e.kv.vectors.npy already exists; pass --force" in one_error(result, 1)
    assert names(tmp_path) == ["e.kv.vectors.npy"]


@pytest.mark.parametrize(
    ("make", "code", "message"),
    [("empty", 1, "is not an aligner artifact: it has no manifest.json"),
     ("file", 2, "is a file"),
     ("missing", 2, "does not exist")],
)  # fmt: skip
def test_an_artifact_path_that_is_not_one(
    tmp_path: Path, make: str, code: int, message: str
) -> None:
    path = tmp_path / "art"
    if make == "empty":
        path.mkdir()
    elif make == "file":
        path.write_text("not an artifact")
    (tmp_path / "out").mkdir()
    assert message in one_error(run(path, "--out", tmp_path / "out" / "e.kv"), code)
    assert names(tmp_path / "out") == []


def test_a_corrupt_artifact_is_refused_unless_not_verified(built: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "art"
    shutil.copytree(built, copy)
    vectors = next(copy.glob("vectors*.npy"))
    data = bytearray(vectors.read_bytes())
    data[-1] ^= 0xFF
    vectors.write_bytes(bytes(data))
    assert "sha256" in one_error(run(copy, "--out", tmp_path / "e.safetensors"), 1)
    assert names(tmp_path) == ["art"]
    assert run(copy, "--out", tmp_path / "e.safetensors", "--no-verify").exit_code == 0
    assert names(tmp_path) == ["art", "e.safetensors"]


def test_sentencepiece_to_tokenizer_json_is_one_line(tmp_path: Path) -> None:
    spec = train_sentencepiece(["we play the guitar and the piano"] * 50, vocab_size=20)
    write_artifact(
        tmp_path / "a",
        np.ones((4, 2), np.float32),
        Vocab(spec("guitar")[:2]),
        ["pad", "special", "exact", "exact"],
        tokenizer=spec,
    )
    message = one_error(run(tmp_path / "a", "--out", tmp_path / "tokenizer.json"), 1)
    assert message.startswith(f"{tmp_path / 'a'} splits text with a sentencepiece model")
    assert names(tmp_path) == ["a"]


def test_tokenizer_warnings_go_to_stderr(tmp_path: Path) -> None:
    spec = TokenizerSpec(normalize="nfkc")
    vocab = Vocab(["a\u0316\u1ac1"])
    write_artifact(
        tmp_path / "a",
        np.ones((3, 2), np.float32),
        vocab,
        ["pad", "special", "exact"],
        tokenizer=spec,
    )
    result = run(tmp_path / "a", "--out", tmp_path / "t.json")
    assert result.exit_code == 0
    assert result.stdout == f"wrote {tmp_path / 't.json'}: 3 tokens (tokenizer.json)\n"
    (warning,) = result.stderr.splitlines()
    assert warning.startswith(f"warning: {tmp_path / 't.json'}: tokenizers' NFKC does not know")
