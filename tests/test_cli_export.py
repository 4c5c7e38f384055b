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


# ---------------------------------------------------------------- outputs that are not plain


@pytest.mark.parametrize("force", [False, True])
def test_a_dangling_link_is_named_and_replaced_only_with_force(
    built: Path, tmp_path: Path, force: bool
) -> None:
    out = tmp_path / "e.vec"
    out.symlink_to(tmp_path / "nowhere" / "v.vec")
    result = run(built, "--out", out, *(["--force"] if force else []))
    if not force:
        assert one_error(result, 1) == (
            f"output {out} is a symbolic link to {tmp_path / 'nowhere' / 'v.vec'}, which does "
            "not exist; pass --force to replace the link itself (what it points to is left "
            "alone), or choose another --out"
        )
        assert out.is_symlink() and names(tmp_path) == ["e.vec"]
        return
    assert result.exit_code == 0, result.output
    assert not out.is_symlink() and out.read_text().startswith("5 12\n")
    assert names(tmp_path) == ["e.vec"]


def test_a_link_to_a_file_is_replaced_itself_never_its_target(built: Path, tmp_path: Path) -> None:
    target = tmp_path / "theirs.kv"
    target.write_text("someone else's file")
    out = tmp_path / "e.kv"
    out.symlink_to(target)
    assert "is a symbolic link to" in one_error(run(built, "--out", out), 1)
    assert run(built, "--out", out, "--force").exit_code == 0
    assert target.read_text() == "someone else's file" and not out.is_symlink()
    assert names(tmp_path) == ["e.kv", "e.kv.vectors.npy", "theirs.kv"]


def test_names_that_are_not_utf8_are_shown_one_way(built: Path, tmp_path: Path) -> None:
    import os

    out = Path(os.fsdecode(bytes(tmp_path) + b"/e\xff.vec"))
    shown = f"{tmp_path}/e\\xff.vec"
    first = run(built, "--out", out)
    assert first.exit_code == 0 and first.output.startswith(f"wrote {shown}: 5 rows")
    assert one_error(run(built, "--out", out), 1) == (
        f"output file {shown} already exists; pass --force to replace it"
    )
    as_json = run(built, "--out", out, "--force", "--json")
    assert f'"path": "{tmp_path}/e\\udcff.vec"' in as_json.output  # as every --json prints it


def test_a_file_too_large_names_the_output_and_leaves_nothing(built: Path, tmp_path: Path) -> None:
    import resource
    import subprocess
    import sys

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (300, 300))

    aligner = Path(sys.executable).parent / "aligner"
    out = tmp_path / "out" / "e.kv"
    done = subprocess.run(
        [str(aligner), "export", str(built), "--out", str(out)],
        capture_output=True, text=True, preexec_fn=small_files, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        f"Error: {out}.vectors.npy: the file is too large for its file system or for the size "
        "limit of this process; write to another disk, or raise the limit (ulimit -f)"
    )
    assert names(tmp_path) == []  # nor the folder made for it


def test_gz_is_written_at_the_fast_level(built: Path, tmp_path: Path) -> None:
    import gzip

    out = tmp_path / "e.vec.gz"
    assert run(built, "--out", out).exit_code == 0
    head = out.read_bytes()[:10]
    assert head[8] == 4  # XFL 4: compressed with the fastest level (gzip's default gives 2)
    assert gzip.decompress(out.read_bytes()).startswith(b"5 12\n")


def test_what_killed_exports_left_in_the_folder_is_swept(built: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True).stdout)  # fmt: skip
    (tmp_path / f".big.vec.{dead}.0123abcd.tmp").write_bytes(b"x" * 1000)
    (tmp_path / f".e.kv.{dead}.0123abcd.tmp").mkdir()
    (tmp_path / f".e.kv.{dead}.0123abcd.tmp" / "e.kv.vectors.npy").write_bytes(b"x")
    alive = tmp_path / f".other.vec.{os_pid()}.0123abcd.tmp"
    alive.write_text("a live writer's")
    assert run(built, "--out", tmp_path / "new.safetensors").exit_code == 0
    assert names(tmp_path) == sorted([alive.name, "new.safetensors"])


def os_pid() -> int:
    import os

    return os.getppid()  # pytest's parent: alive while the test runs


@pytest.mark.parametrize(
    ("version", "message"),
    [(None, "has no format_version: it is damaged, or not the manifest of an aligner "
            "artifact; rebuild the artifact"),
     ("2", "has format_version '2': it is damaged, or not the manifest of an aligner "
           "artifact; rebuild the artifact"),
     (99, "format_version 99 is newer than this aligner reads (up to 2); upgrade aligner")],
)  # fmt: skip
def test_a_manifest_without_a_usable_version_says_what_to_do(
    built: Path, tmp_path: Path, version: object, message: str
) -> None:
    import shutil

    from aligner_cli.main import cli

    art = tmp_path / "art"
    shutil.copytree(built, art)
    manifest = json.loads((art / "manifest.json").read_text())
    manifest.pop("format_version")
    if version is not None:
        manifest["format_version"] = version
    (art / "manifest.json").write_text(json.dumps(manifest))
    for args in (["info", art], ["export", art, "--out", tmp_path / "e.kv"]):
        result = CliRunner().invoke(cli, [str(a) for a in args])
        assert one_error(result, 1) == f"{art / 'manifest.json'} {message}".replace(
            "json format_version 99", "json: format_version 99"
        )
    assert names(tmp_path) == ["art"]


def test_a_matrix_cut_short_is_never_placed(tmp_path: Path) -> None:
    import resource
    import subprocess
    import sys

    matrix = np.random.default_rng(0).standard_normal((300, 50)).astype(np.float32)
    art = write_artifact(
        tmp_path / "a", matrix, Vocab([f"w{i}" for i in range(300)], pad=None, unk=None),
        ["exact"] * 300,
    )  # fmt: skip

    def limit() -> None:  # the .kv file (a few kB) fits, the 60 kB matrix does not
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    out = tmp_path / "out" / "e.kv"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "aligner"), "export", str(art), "--out", str(out)],
        capture_output=True, text=True, preexec_fn=limit, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith(f"Error: {out}.vectors.npy: the file is too large")
    assert names(tmp_path) == ["a"]
