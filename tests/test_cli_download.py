"""``aligner download`` through click's CliRunner, against a local HTTP server."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from aligner_cli.main import cli

from .test_download import FileServer

BODY = b"the 0.1 0.2 0.3\nguitar 0.4 0.5 0.6\n" * 1000


@pytest.fixture
def server() -> Iterator[FileServer]:
    running = FileServer()
    yield running
    running.close()


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["download", *(str(a) for a in args)])
    return result.exit_code, result.output


def test_help_ends_with_an_example() -> None:
    code, output = run("--help")
    tail = output.rstrip().splitlines()
    assert code == 0 and tail[-3].strip() == "Example:"
    assert tail[-2].strip().startswith("aligner download gensim-data:")
    assert tail[-1].strip().startswith("aligner download hf://")


def test_list_table_and_json() -> None:
    code, output = run("--list")
    lines = output.splitlines()
    header = ["name", "format", "dim", "vocab", "size", "verified", "licence"]
    assert code == 0 and lines[0].split() == header
    table = lines[1 : lines.index("")]  # the notes follow a blank line
    rows = {line.split()[0]: line.split() for line in table}
    assert rows["glove.6B.300d"][-3:] == ["MB", "size", "PDDL-1.0"]  # a size, no checksum
    assert rows["crawl-300d-2M-subword"][-3:] == ["-", "none", "CC-BY-SA-3.0"]
    gensim = rows["gensim-data:glove-wiki-gigaword-100"]
    assert gensim[1:3] == ["detected", "100"] and gensim[-2:] == ["md5+size", "-"]
    assert any("cc.<lang>.300" in line and "none" in line for line in lines)
    assert any(line.startswith("also: hf://") for line in lines)

    code, output = run("--list", "--json")
    listed = {row["name"]: row for row in json.loads(output)}
    assert code == 0 and "crawl-300d-2M" in listed
    assert set(listed["crawl-300d-2M"]) >= {
        "name", "url", "format", "dim", "vocab_size", "size", "sha256", "md5", "verified",
    }  # fmt: skip
    assert (listed["crawl-300d-2M"]["sha256"], listed["crawl-300d-2M"]["verified"]) == (
        None,
        "size",
    )
    gensim_row = listed["gensim-data:glove-twitter-25"]
    assert gensim_row["md5"] == "50db0211d7e7a2dcd362c6b774762793"
    assert (gensim_row["size"], gensim_row["verified"]) == (109885004, "md5+size")
    unchecked = [name for name, row in listed.items() if row["verified"] == "none"]
    assert unchecked == ["wiki-news-300d-1M-subword", "crawl-300d-2M-subword"]


def test_download_by_url_into_cache_dir(server: FileServer, tmp_path: Path) -> None:
    url = server.serve("/vectors.txt", BODY)
    code, output = run(url, "--cache-dir", tmp_path / "cache")
    assert code == 0, output
    path = Path(output.strip())
    assert path.is_relative_to(tmp_path / "cache") and path.read_bytes() == BODY

    code, output = run(url, "--cache-dir", tmp_path / "cache", "--json")
    data = json.loads(output)
    assert code == 0 and len(server.requests) == 1  # the second run used the cache
    assert data == {
        "name": url,
        "path": str(path),
        "bytes": len(BODY),
        "sha256": hashlib.sha256(BODY).hexdigest(),
    }


def test_cache_from_environment(
    server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALIGNER_CACHE", str(tmp_path / "env-cache"))
    code, output = run(server.serve("/v.txt", BODY))
    assert code == 0 and Path(output.strip()).is_relative_to(tmp_path / "env-cache")


def test_errors_are_one_line(server: FileServer, tmp_path: Path) -> None:
    code, output = run("glove.6B.50", "--cache-dir", tmp_path)
    lines = output.strip().splitlines()
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith("Error:") and "did you mean glove.6B.50d" in lines[0]

    code, output = run(server.url("/nope.txt"), "--cache-dir", tmp_path)
    assert code == 1 and output.strip().startswith("Error: HTTP 404")
    assert len(output.strip().splitlines()) == 1


def test_name_or_list_is_required() -> None:
    assert run()[0] == 2
    assert run("glove.6B.50d", "--list")[0] == 2


def test_help_names_the_download_limits() -> None:
    code, output = run("--help")
    assert code == 0
    for variable in ("LOW_SPEED_BYTES", "LOW_SPEED_TIME", "DEADLINE"):
        assert f"ALIGNER_DOWNLOAD_{variable}" in output


def test_cache_dir_that_is_a_file(server: FileServer, tmp_path: Path) -> None:
    from aligner.errors import DownloadError
    from aligner.pretrained.download import download

    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    url = server.serve("/v.txt", BODY)
    code, output = run(url, "--cache-dir", blocker)
    assert code == 2 and "is a file" in output  # click's own check of --cache-dir
    with pytest.raises(DownloadError, match="cannot write to the cache folder") as info:
        download(url, cache=blocker)
    assert "\n" not in str(info.value) and str(blocker) in str(info.value)
    assert blocker.read_text() == "not a folder" and server.requests == []


def test_a_device_or_a_folder_is_not_downloaded_or_hashed(tmp_path: Path) -> None:
    for source, fragment in (("/dev/zero", "not a regular file"), (tmp_path, "is a folder")):
        code, output = run(source, "--cache-dir", tmp_path / "cache")
        lines = output.strip().splitlines()
        assert code == 1 and len(lines) == 1 and fragment in lines[0]
    assert not (tmp_path / "cache").exists()


# --- a cache folder whose name is not UTF-8 (issue 11) -------------------------------------------

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"


@pytest.mark.parametrize("given", ["--cache-dir", "ALIGNER_CACHE"])
@pytest.mark.parametrize("command", ["download", "build"])
def test_a_cache_folder_not_utf8_is_refused_up_front(
    server: FileServer, tmp_path: Path, given: str, command: str
) -> None:
    url = server.serve("/vectors.glove.txt", (SAMPLES / "vectors.glove.txt").read_bytes())
    bad = tmp_path / os.fsdecode(b"cache\xff")  # as Python receives it from a shell
    args = [url]
    if command == "build":
        args = ["--pretrained", url, "--vocab", str(SAMPLES / "vocab.txt")]
        args += ["--out", str(tmp_path / "art")]
    args += ["--cache-dir", str(bad)] if given == "--cache-dir" else []
    env = {"ALIGNER_CACHE": str(bad)} if given == "ALIGNER_CACHE" else {}
    result = CliRunner().invoke(cli, [command, *args], env=env)
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert lines[0] == (
        f"Error: the cache folder {tmp_path}/cache\\xff ({given}) holds bytes that are not "
        "UTF-8, and the cache's paths are recorded as text: give a folder whose name is UTF-8"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [] and server.requests == []


def test_an_env_cache_not_utf8_is_refused_for_a_local_build_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALIGNER_CACHE", str(tmp_path / os.fsdecode(b"c\xff")))
    args = ["build", "--pretrained", SAMPLES / "vectors.glove.txt"]
    args += ["--vocab", SAMPLES / "vocab.txt"]
    result = CliRunner().invoke(cli, [str(a) for a in [*args, "--out", tmp_path / "art"]])
    assert (
        result.exit_code == 1 and "(ALIGNER_CACHE) holds bytes that are not UTF-8" in result.output
    )
    assert list(tmp_path.iterdir()) == []
