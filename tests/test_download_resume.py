"""Resuming only the same file, credentials never shown, one-line messages, remedies by errno.

Every case runs ``aligner download`` (CliRunner) against a real HTTP server on
127.0.0.1 and checks the exit status, the one-line message and what the cache
holds afterwards.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from aligner.pretrained import cache as entries
from aligner.pretrained.cache import read_record, validator_path
from aligner.pretrained.download import cached_path
from aligner_cli.main import cli

from .test_build_pretrained import SAMPLES, fasttext_model
from .test_download import BODY, BODY_SHA, FileServer, kept

NEW = random.Random(1).randbytes(len(BODY))  # the file after it changed on the server
NEW_SHA = hashlib.sha256(NEW).hexdigest()


@pytest.fixture
def server() -> Iterator[FileServer]:
    running = FileServer()
    yield running
    running.close()


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


def one_line_error(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), output
    return lines[0]


def interrupted_then_changed(server: FileServer, headers: dict[str, str], tmp_path: Path) -> Path:
    """First run: cut halfway. Then the file (and, if given, its validator) changes."""
    url = server.serve("/v.bin", BODY)
    server.headers["/v.bin"] = headers
    server.cut_once.add("/v.bin")
    code, output = run("download", url, "--cache-dir", tmp_path)
    assert code == 1 and "interrupted" in one_line_error(output)
    final = cached_path(url, tmp_path)
    assert final.with_name("v.bin.part").stat().st_size == len(BODY) // 2
    server.files["/v.bin"] = NEW
    server.headers["/v.bin"] = {k: v.replace("1", "2") for k, v in headers.items()}
    return final


def assert_whole_new_file(final: Path) -> None:
    assert final.read_bytes() == NEW
    record = read_record(final)
    assert record is not None and record.digest == NEW_SHA
    assert kept(final) == ["v.bin", "v.bin.sha256"]  # no part, no validator left


# --- 1. a resumed download is only ever the rest of the same file -------------------------------


@pytest.mark.parametrize(
    "headers",
    [{"ETag": '"rev-1"'}, {"Last-Modified": "Mon, 01 Jan 2024 00:00:01 GMT"}],
    ids=["etag", "last-modified"],
)
def test_a_file_changed_on_the_server_is_sent_whole_not_spliced(
    server: FileServer, tmp_path: Path, headers: dict[str, str]
) -> None:
    final = interrupted_then_changed(server, headers, tmp_path)
    assert validator_path(final.with_name("v.bin.part")).is_file()
    code, output = run("download", final_url(server), "--cache-dir", tmp_path)
    assert code == 0 and output.strip() == str(final)
    assert server.requests[-1] == ("/v.bin", f"bytes={len(BODY) // 2}-")
    assert server.if_ranges[-1] == next(iter(headers.values()))  # asked: the same file?
    assert_whole_new_file(final)


def final_url(server: FileServer) -> str:
    return server.url("/v.bin")


def test_without_a_validator_the_download_starts_over(server: FileServer, tmp_path: Path) -> None:
    final = interrupted_then_changed(server, {}, tmp_path)
    assert not validator_path(final.with_name("v.bin.part")).exists()
    code, _ = run("download", final_url(server), "--cache-dir", tmp_path)
    assert code == 0
    assert server.requests[-1] == ("/v.bin", None)  # no blind Range request
    assert_whole_new_file(final)


def test_a_206_for_another_etag_is_not_spliced(server: FileServer, tmp_path: Path) -> None:
    final = interrupted_then_changed(server, {"ETag": '"rev-1"'}, tmp_path)
    server.ignore_if_range = True  # a broken server: a range of the new file
    code, _ = run("download", final_url(server), "--cache-dir", tmp_path)
    assert code == 0
    assert server.requests[-2:] == [("/v.bin", f"bytes={len(BODY) // 2}-"), ("/v.bin", None)]
    assert_whole_new_file(final)


def test_a_206_whose_total_differs_from_the_first_reply_is_not_spliced(
    server: FileServer, tmp_path: Path
) -> None:
    final = interrupted_then_changed(server, {"ETag": '"same"'}, tmp_path)
    server.files["/v.bin"] = grown = BODY + b"appended"
    code, _ = run("download", final_url(server), "--cache-dir", tmp_path)
    assert code == 0 and final.read_bytes() == grown
    assert server.requests[-1] == ("/v.bin", None)


def test_a_splice_without_validator_is_caught_by_the_known_sha256(
    server: FileServer, tmp_path: Path
) -> None:
    from aligner.errors import ChecksumError
    from aligner.pretrained.download import download

    url = server.serve("/v.bin", BODY)
    server.cut_once.add("/v.bin")
    with pytest.raises(Exception, match="interrupted"):
        download(url, sha256=BODY_SHA, cache=tmp_path)
    server.files["/v.bin"] = NEW
    with pytest.raises(ChecksumError, match="sha256 mismatch") as info:
        download(url, sha256=BODY_SHA, cache=tmp_path)
    assert "\n" not in str(info.value)
    # resumed (a sha256 guards it), found spliced, started over from byte 0, still not it
    assert server.requests[-2:] == [("/v.bin", f"bytes={len(BODY) // 2}-"), ("/v.bin", None)]
    assert kept(cached_path(url, tmp_path)) == []


# --- 2. credentials in a URL ---------------------------------------------------------------------


def test_credentials_are_sent_but_never_shown(server: FileServer, tmp_path: Path) -> None:
    url = server.url("/missing.txt").replace("http://", "http://alice:s3cr3t@")
    code, output = run("download", url, "--cache-dir", tmp_path)
    line = one_line_error(output)
    assert code == 1 and "s3cr3t" not in output and "alice:***@127.0.0.1" in line
    assert server.auths[-1] == "Basic YWxpY2U6czNjcjN0"  # alice:s3cr3t
    assert not any("s3cr3t" in str(p) for p in tmp_path.rglob("*"))

    server.serve("/v.bin", BODY)
    server.cut_once.add("/v.bin")
    url = url.replace("/missing.txt", "/v.bin")
    code, output = run("download", url, "--cache-dir", tmp_path)
    assert code == 1 and "interrupted" in output and "s3cr3t" not in output
    code, output = run("download", url, "--cache-dir", tmp_path)
    assert code == 0 and Path(output.strip()).read_bytes() == BODY


def test_secrets_in_a_refused_url_are_hidden(tmp_path: Path) -> None:
    code, output = run("download", "ftp://bob:hunter2@example.org/v.txt", "--cache-dir", tmp_path)
    assert code == 1 and "hunter2" not in output and "bob:***@" in one_line_error(output)
    url = "https://example.org/v%00.txt?X-Amz-Signature=abcdef123"
    code, output = run("download", url, "--cache-dir", tmp_path)
    assert code == 1 and "abcdef123" not in one_line_error(output)


def test_credentials_are_not_forwarded_on_a_redirect(server: FileServer, tmp_path: Path) -> None:
    server.serve("/v.bin", BODY)
    server.redirects["/old.bin"] = server.url("/v.bin")
    url = server.url("/old.bin").replace("http://", "http://alice:s3cr3t@")
    code, _ = run("download", url, "--cache-dir", tmp_path)
    assert code == 0 and server.auths[-2:] == ["Basic YWxpY2U6czNjcjN0", None]


# --- 3. one line, whatever the foreign text ------------------------------------------------------


def test_a_redirect_loop_is_one_line(server: FileServer, tmp_path: Path) -> None:
    server.redirects["/loop.txt"] = server.url("/loop.txt")
    code, output = run("download", server.url("/loop.txt"), "--cache-dir", tmp_path)
    line = one_line_error(output)
    assert code == 1 and "HTTP 302" in line and "redirects in a loop" in line
    assert kept(cached_path(server.url("/loop.txt"), tmp_path)) == []


# --- 4. the remedy follows the errno -------------------------------------------------------------


def fail_with(monkeypatch: pytest.MonkeyPatch, code: int, target: str = "write_record") -> None:
    def refuse(path: Path, *args: object, **kwargs: object) -> None:
        raise OSError(code, errno.errorcode[code], str(path))

    monkeypatch.setattr(entries, target, refuse)


@pytest.mark.parametrize(
    ("code", "says", "not_says"),
    [
        (errno.EACCES, "make the folder writable", "bigger disk"),
        (errno.EROFS, "make the folder writable", "bigger disk"),
        (errno.ENOSPC, "free some space", "writable"),
    ],
)
def test_download_cache_write_remedy_per_errno(
    server: FileServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    code: int,
    says: str,
    not_says: str,
) -> None:
    url = server.serve("/v.bin", BODY)
    fail_with(monkeypatch, code)
    status, output = run("download", url, "--cache-dir", tmp_path)
    line = one_line_error(output)
    assert status == 1 and says in line and not_says not in line and "ALIGNER_CACHE" in line
    assert not cached_path(url, tmp_path).with_name("v.bin.sha256").exists()


@pytest.mark.parametrize(
    ("code", "says", "not_says"),
    [(errno.EACCES, "make the folder writable", "bigger disk"), (errno.ENOSPC, "free", "writ")],
)
def test_decompressing_a_fasttext_model_remedy_per_errno(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, says: str, not_says: str
) -> None:
    packed = tmp_path / "model.bin.gz"
    packed.write_bytes(gzip.compress(fasttext_model(tmp_path / "model.bin").read_bytes(), 1))
    fail_with(monkeypatch, code, "locked")
    out = tmp_path / "art"
    args = ["build", "--pretrained", packed, "--vocab", SAMPLES / "vocab.txt", "--out", out]
    status, output = run(*args, "--cache-dir", tmp_path / "cache")
    line = one_line_error(output)
    assert status == 1 and "cannot decompress into" in line
    assert says in line and not_says not in line
    assert not out.exists() and not list((tmp_path / "cache").rglob("model.bin"))


def test_a_splice_without_validator_is_caught_by_the_known_md5(
    server: FileServer, tmp_path: Path
) -> None:
    import hashlib

    from aligner.errors import ChecksumError
    from aligner.pretrained.download import download

    url = server.serve("/v.bin", BODY)
    server.cut_once.add("/v.bin")
    md5 = hashlib.md5(BODY).hexdigest()
    with pytest.raises(Exception, match="interrupted"):
        download(url, md5=md5, cache=tmp_path)
    server.files["/v.bin"] = NEW
    with pytest.raises(ChecksumError, match="md5 mismatch"):
        download(url, md5=md5, cache=tmp_path)
    assert server.requests[-2:] == [("/v.bin", f"bytes={len(BODY) // 2}-"), ("/v.bin", None)]
    assert kept(cached_path(url, tmp_path)) == []


def test_a_bearer_token_is_sent_to_the_host_only_and_never_shown(
    server: FileServer, tmp_path: Path
) -> None:
    from aligner.errors import DownloadError
    from aligner.pretrained.download import download

    token = "hf_not_to_be_seen_42"
    with pytest.raises(DownloadError, match="404") as info:
        download(server.url("/missing.txt"), bearer=token, cache=tmp_path)
    assert token not in str(info.value) and server.auths[-1] == f"Bearer {token}"
    server.serve("/v.bin", BODY)
    server.redirects["/old.bin"] = server.url("/v.bin")
    assert download(server.url("/old.bin"), bearer=token, cache=tmp_path).read_bytes() == BODY
    assert server.auths[-2:] == [f"Bearer {token}", None]  # not sent on after the redirect
    assert not any(
        token in p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()
    )
