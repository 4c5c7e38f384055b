"""Downloads that are not what they claim, slow or endless servers, bad URLs, a cache that rots.

Each case runs against a real HTTP server on 127.0.0.1 and checks the exit
status or error, the one-line message, and what the cache holds afterwards:
nothing promoted that was not confirmed, no temporary file left behind.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from filelock import FileLock

from aligner.errors import ChecksumError, DownloadError, InputError, VectorsFormatError
from aligner.pretrained.cache import write_validator
from aligner.pretrained.download import cached_path, download, fetch, file_sha256
from aligner.pretrained.urls import wire
from aligner_cli.main import cli

from .test_download import BODY, BODY_SHA, FileServer, kept

HTML = b"\n  <!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>login</body></html>\n"
SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"


@pytest.fixture
def server() -> Iterator[FileServer]:
    running = FileServer()
    yield running
    running.close()


def cli_run(*args: object, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    return result.exit_code, result.output


def one_line_error(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), output
    assert "Traceback" not in output
    return lines[0]


def no_temporaries(root: Path) -> None:
    left = [p for p in root.rglob("*") if p.name.endswith((".tmp", ".part"))]
    assert left == []


# --- not what they claim ------------------------------------------------------------------------


def test_html_page_served_200_is_refused_through_the_cli(
    server: FileServer, tmp_path: Path
) -> None:
    url = server.serve("/vectors.txt", HTML)
    server.headers["/vectors.txt"] = {"Content-Type": "text/html; charset=utf-8"}
    code, output = cli_run("download", url, "--cache-dir", tmp_path)
    line = one_line_error(output)
    assert code == 1 and url in line and "web page" in line and "nothing was kept" in line
    assert kept(cached_path(url, tmp_path)) == []


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/octet-stream"])
def test_html_body_under_another_type_is_refused(
    server: FileServer, tmp_path: Path, content_type: str | None
) -> None:
    url = server.serve("/glove.txt", b"\xef\xbb\xbf \r\n<html lang=en>" + HTML)
    if content_type:
        server.headers["/glove.txt"] = {"Content-Type": content_type}
    with pytest.raises(DownloadError, match="web page") as info:
        download(url, cache=tmp_path)
    assert "\n" not in str(info.value)
    assert kept(cached_path(url, tmp_path)) == []


def test_build_from_an_html_url_leaves_no_artifact_and_no_cache(
    server: FileServer, tmp_path: Path
) -> None:
    url = server.serve("/cc.en.300.vec.gz", HTML)
    server.headers["/cc.en.300.vec.gz"] = {"Content-Type": "text/html"}
    args = ["build", "--pretrained", url, "--vocab", SAMPLES / "vocab.txt"]
    args += ["--out", tmp_path / "art", "--cache-dir", tmp_path / "cache"]
    for _ in range(2):  # the rerun does not find anything to reuse either
        code, output = cli_run(*args)
        assert code == 1 and "web page" in one_line_error(output)
    assert not (tmp_path / "art").exists()
    assert kept(cached_path(url, tmp_path / "cache")) == []
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("name", "body", "fragment"),
    [
        ("/v.txt", b"", "it is empty"),
        ("/v.txt.gz", b"the 0.1 0.2\n", "not gzip data"),
        ("/v.txt.bz2", gzip.compress(b"the 0.1\n"), "not bzip2 data"),
        ("/v.txt.xz", b"PK\x03\x04junk", "not xz data"),
    ],
)
def test_bytes_that_are_not_what_the_name_says(
    server: FileServer, tmp_path: Path, name: str, body: bytes, fragment: str
) -> None:
    url = server.serve(name, body)
    with pytest.raises(VectorsFormatError, match=fragment):
        download(url, cache=tmp_path)
    assert kept(cached_path(url, tmp_path)) == []


def test_real_gzip_is_kept(server: FileServer, tmp_path: Path) -> None:
    url = server.serve("/v.txt.gz", gzip.compress(b"the 0.1 0.2\n"))
    assert download(url, cache=tmp_path).read_bytes()[:2] == b"\x1f\x8b"


def test_416_without_content_range_does_not_promote_the_part(
    server: FileServer, tmp_path: Path
) -> None:
    url = server.serve("/v.bin", BODY)
    server.headers["/v.bin"] = {"ETag": '"v1"'}
    final = cached_path(url, tmp_path)
    final.parent.mkdir(parents=True)
    (final.parent / "v.bin.part").write_bytes(BODY[: len(BODY) // 2])
    write_validator(final.parent / "v.bin.part", {"if_range": '"v1"', "etag": '"v1"'})
    server.bare_416 = True
    assert download(url, cache=tmp_path).read_bytes() == BODY  # started over, not promoted
    assert server.requests == [("/v.bin", f"bytes={len(BODY) // 2}-"), ("/v.bin", None)]
    assert kept(final) == ["v.bin", "v.bin.sha256"]


def test_416_without_content_range_and_a_known_size_that_matches_is_whole(
    server: FileServer, tmp_path: Path
) -> None:
    url = server.serve("/v.bin", BODY)
    final = cached_path(url, tmp_path)
    final.parent.mkdir(parents=True)
    (final.parent / "v.bin.part").write_bytes(BODY)
    server.bare_416 = True
    assert download(url, size=len(BODY), sha256=BODY_SHA, cache=tmp_path).read_bytes() == BODY
    assert len(server.requests) == 1


def test_a_shorter_range_than_asked_is_not_promoted(server: FileServer, tmp_path: Path) -> None:
    url = server.serve("/v.bin", BODY)
    final = cached_path(url, tmp_path)
    final.parent.mkdir(parents=True)
    part = final.parent / "v.bin.part"
    part.write_bytes(BODY[:1000])
    server.headers["/v.bin"] = {"Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"}
    write_validator(part, {"if_range": server.headers["/v.bin"]["Last-Modified"]})
    server.short_206.add("/v.bin")
    with pytest.raises(DownloadError, match="interrupted") as info:
        download(url, cache=tmp_path)
    assert f"of {len(BODY)} bytes" in str(info.value)
    assert not final.exists() and part.read_bytes() == BODY[: 1000 + (len(BODY) - 1000) // 2]


# --- endless, slow and silent servers ------------------------------------------------------------


def test_endless_body_stops_as_soon_as_it_passes_the_known_size(
    server: FileServer, tmp_path: Path
) -> None:
    url = server.serve("/v.txt", b"x" * 4096)
    server.endless.add("/v.txt")
    began = time.monotonic()
    with pytest.raises(ChecksumError, match="more than the 10000 bytes expected") as info:
        download(url, size=10_000, cache=tmp_path)
    assert time.monotonic() - began < 5 and "\n" not in str(info.value)
    assert kept(cached_path(url, tmp_path)) == []


def test_endless_body_of_unknown_size_stops_at_the_limit_through_the_cli(
    server: FileServer, tmp_path: Path
) -> None:
    url = server.serve("/v.txt", b"y" * 4096)
    server.endless.add("/v.txt")
    env = {"ALIGNER_DOWNLOAD_MAX_BYTES": "200000"}
    code, output = cli_run("download", url, "--cache-dir", tmp_path, env=env)
    line = one_line_error(output)
    assert code == 1 and "more than 200000 bytes" in line and "ALIGNER_DOWNLOAD_MAX_BYTES" in line
    assert kept(cached_path(url, tmp_path)) == []


def test_body_without_length_that_ends_is_kept(server: FileServer, tmp_path: Path) -> None:
    url = server.serve("/v.txt", BODY)
    server.no_length.add("/v.txt")
    assert download(url, sha256=BODY_SHA, cache=tmp_path).read_bytes() == BODY


def test_slow_drip_is_stopped_and_what_came_is_kept_for_resuming(
    server: FileServer, tmp_path: Path
) -> None:
    url = server.serve("/v.txt", BODY)
    server.paced["/v.txt"] = (1, 0.02)  # 50 bytes a second
    began = time.monotonic()
    with pytest.raises(DownloadError, match=r"fewer than 1024 bytes came in 0\.3 s") as info:
        download(url, cache=tmp_path, low_speed_bytes=1024, low_speed_time=0.3)
    assert time.monotonic() - began < 3
    message = str(info.value)
    assert url in message and "resume" in message and "ALIGNER_DOWNLOAD_LOW_SPEED" in message
    final = cached_path(url, tmp_path)
    assert not final.exists() and 0 < (final.parent / "v.txt.part").stat().st_size < 1024


def test_slow_drip_through_the_cli_with_limits_from_the_environment(
    server: FileServer, tmp_path: Path
) -> None:
    url = server.serve("/v.txt", BODY)
    server.paced["/v.txt"] = (1, 0.02)
    env = {"ALIGNER_DOWNLOAD_LOW_SPEED_BYTES": "4096", "ALIGNER_DOWNLOAD_LOW_SPEED_TIME": "0.3"}
    code, output = cli_run("download", url, "--cache-dir", tmp_path, env=env)
    assert code == 1 and "fewer than 4096 bytes" in one_line_error(output)
    assert not cached_path(url, tmp_path).exists()


def test_silent_server_is_stopped(server: FileServer, tmp_path: Path) -> None:
    url = server.serve("/v.txt", BODY)
    server.silent.add("/v.txt")
    began = time.monotonic()
    with pytest.raises(DownloadError, match=r"no data came for 0\.3 s"):
        download(url, cache=tmp_path, low_speed_time=0.3)
    assert time.monotonic() - began < 3
    assert not cached_path(url, tmp_path).exists()


def test_deadline_stops_a_steady_but_long_transfer(server: FileServer, tmp_path: Path) -> None:
    url = server.serve("/v.txt", BODY)
    server.paced["/v.txt"] = (8192, 0.01)  # fast enough for the low-speed limit, too long
    with pytest.raises(DownloadError, match=r"deadline of 0\.3 s") as info:
        download(url, cache=tmp_path, deadline=0.3)
    assert "ALIGNER_DOWNLOAD_DEADLINE" in str(info.value)
    assert not cached_path(url, tmp_path).exists()
    server.paced.clear()
    assert download(url, cache=tmp_path, sha256=BODY_SHA).read_bytes() == BODY  # resumed
    assert server.requests[-1][1] is not None


@pytest.mark.parametrize("value", ["abc", "-1", "0", "inf"])
def test_bad_limit_in_the_environment_is_one_line(
    server: FileServer, tmp_path: Path, value: str
) -> None:
    url = server.serve("/v.txt", BODY)
    env = {"ALIGNER_DOWNLOAD_DEADLINE": value}
    code, output = cli_run("download", url, "--cache-dir", tmp_path, env=env)
    assert code == 1 and "ALIGNER_DOWNLOAD_DEADLINE" in one_line_error(output)
    assert server.requests == []


# --- URLs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/vec%00tors.txt", "control character"),
        ("/a%0Ab.txt", "control character"),
        ("/a b.txt", "percent-encode"),
        ("/a\nb.txt", "percent-encode"),
        ("/a\x7fb.txt", "percent-encode"),
    ],
)
def test_url_with_control_characters_is_one_line(
    server: FileServer, tmp_path: Path, path: str, fragment: str
) -> None:
    code, output = cli_run("download", server.url("") + path, "--cache-dir", tmp_path)
    assert code == 1 and fragment in one_line_error(output)
    assert server.requests == [] and not (tmp_path / "downloads").exists()


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://example.org/v.txt", "not http:// or https://"),
        ("file:///etc/passwd", "not http:// or https://"),
        ("http:///v.txt", "no host"),
        ("http://127.0.0.1:99999/v.txt", "not valid"),
        ("http://[::1/v.txt", "not valid"),
        ("http://a..b/v.txt", "host name that cannot be looked up (label empty or too long)"),
        (os.fsdecode(b"http://h\xff.example/v.txt"), "h\\xff.example/v.txt has a host name"),
        (
            os.fsdecode(b"http://h\xff.example/v.txt"),
            "cannot be looked up (bytes that are not UTF-8)",
        ),
    ],
)
def test_urls_that_cannot_be_downloaded(tmp_path: Path, url: str, fragment: str) -> None:
    code, output = cli_run("download", url, "--cache-dir", tmp_path)
    assert code == 1 and fragment in one_line_error(output)
    assert not (tmp_path / "downloads").exists()


def test_long_file_name_in_a_url_is_shortened(server: FileServer, tmp_path: Path) -> None:
    name = "v" * 400 + ".txt"
    path = download(server.serve(f"/{name}", BODY), cache=tmp_path)
    assert path.read_bytes() == BODY and path.name.endswith("v.txt") and len(path.name) <= 200


def test_fetch_refuses_a_folder_a_device_and_a_nul(tmp_path: Path) -> None:
    with pytest.raises(VectorsFormatError, match="is a folder"):
        fetch(tmp_path)
    with pytest.raises(VectorsFormatError, match="not a regular file"):
        fetch("/dev/zero")
    with pytest.raises(InputError, match="NUL"):
        fetch("vec\x00tors.txt")
    code, output = cli_run("download", "x" * 300 + ".txt", "--cache-dir", tmp_path)
    assert code == 1 and "file not found" in one_line_error(output)


# --- a cache that changed after it was written --------------------------------------------------


def corrupt_in_place(path: Path) -> None:
    """Change bytes without changing the size, as bit rot or a stray write would."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stat = path.stat()
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_corrupted_cached_file_with_a_right_sidecar_is_downloaded_again(
    server: FileServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = server.serve("/v.bin", BODY)
    path = download(url, cache=tmp_path)
    sidecar = path.with_name("v.bin.sha256").read_text()
    assert sidecar.startswith(f"{BODY_SHA}  v.bin\n# verified size={len(BODY)} ")
    corrupt_in_place(path)
    with caplog.at_level(logging.WARNING):
        assert download(url, cache=tmp_path).read_bytes() == BODY
    assert "sha256 differs" in caplog.text and len(server.requests) == 2
    assert file_sha256(path) == BODY_SHA
    no_temporaries(tmp_path)


def test_corrupted_cached_file_offline_is_removed_with_one_line(
    server: FileServer, tmp_path: Path
) -> None:
    url = server.serve("/v.bin", BODY)
    path = download(url, cache=tmp_path)
    corrupt_in_place(path)
    server.close()
    code, output = cli_run("download", url, "--cache-dir", tmp_path)
    line = one_line_error(output)
    assert code == 1 and "cannot download" in line and "cached copy was removed" in line
    assert kept(path) == []


def test_truncated_cached_file_is_caught_by_its_size(server: FileServer, tmp_path: Path) -> None:
    url = server.serve("/v.bin", BODY)
    path = download(url, cache=tmp_path)
    with path.open("r+b") as handle:
        handle.truncate(1000)
    code, output = cli_run("download", url, "--cache-dir", tmp_path, "--json")
    assert code == 0 and f'"bytes": {len(BODY)}' in output
    assert path.read_bytes() == BODY and len(server.requests) == 2


def test_unchanged_cached_file_is_not_hashed_again(
    server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aligner.pretrained import cache

    url = server.serve("/v.bin", BODY)
    download(url, cache=tmp_path)

    def no_hashing(*args: object) -> object:
        raise AssertionError("hashed a verified, unchanged file")

    monkeypatch.setattr(cache, "hash_file", no_hashing)
    assert download(url, cache=tmp_path, sha256=BODY_SHA).read_bytes() == BODY
    assert len(server.requests) == 1


def test_sidecar_of_an_older_version_is_verified_once_then_stamped(
    server: FileServer, tmp_path: Path
) -> None:
    url = server.serve("/v.bin", BODY)
    path = cached_path(url, tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(BODY)
    sidecar = path.with_name("v.bin.sha256")
    sidecar.write_text(f"{BODY_SHA}  v.bin\n")  # the one-line sidecar of earlier versions
    assert download(url, cache=tmp_path) == path and server.requests == []
    assert "# verified" in sidecar.read_text()
    sidecar.write_text(f"{BODY_SHA}  v.bin\n")
    corrupt_in_place(path)
    assert download(url, cache=tmp_path).read_bytes() == BODY and len(server.requests) == 1


def test_cached_web_page_of_an_older_version_is_replaced(
    server: FileServer, tmp_path: Path
) -> None:
    url = server.serve("/v.txt", BODY)
    path = cached_path(url, tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(HTML)
    path.with_name("v.txt.sha256").write_text(f"{hashlib.sha256(HTML).hexdigest()}  v.txt\n")
    assert download(url, cache=tmp_path).read_bytes() == BODY


def test_temporaries_of_crashed_writers_are_swept(server: FileServer, tmp_path: Path) -> None:
    url = server.serve("/v.bin", BODY)
    final = cached_path(url, tmp_path)
    final.parent.mkdir(parents=True)
    stale = [final.parent / ".v.bin.999999.0badcafe.tmp", final.parent / ".v.bin.sha256.1.2.tmp"]
    for path in stale:
        path.write_bytes(b"half")
    download(url, cache=tmp_path)
    assert kept(final) == ["v.bin", "v.bin.sha256"]


# --- the entry's lock ---------------------------------------------------------------------------


def test_lock_held_too_long_is_one_line(server: FileServer, tmp_path: Path) -> None:
    url = server.serve("/v.bin", BODY)
    final = cached_path(url, tmp_path)
    final.parent.mkdir(parents=True)
    with FileLock(str(final) + ".lock"):
        code, output = cli_run(
            "download", url, "--cache-dir", tmp_path, env={"ALIGNER_LOCK_TIMEOUT": "0.2"}
        )
    line = one_line_error(output)
    assert code == 1 and "another process" in line and "ALIGNER_LOCK_TIMEOUT" in line
    assert server.requests == [] and kept(final) == []


@pytest.mark.parametrize(
    ("kwargs", "fragment"), [({"sha256": "xyz"}, "64 hex"), ({"size": -1}, "negative")]
)
def test_expected_values_that_cannot_be_right(
    server: FileServer, tmp_path: Path, kwargs: dict[str, object], fragment: str
) -> None:
    url = server.serve("/v.txt", BODY)
    with pytest.raises(InputError, match=fragment):
        download(url, cache=tmp_path, **kwargs)  # type: ignore[arg-type]
    assert server.requests == [] and not (tmp_path / "downloads").exists()


def test_stale_sidecar_of_a_deleted_file_is_not_trusted(server: FileServer, tmp_path: Path) -> None:
    url = server.serve("/v.bin", BODY)
    path = download(url, cache=tmp_path)
    path.unlink()  # the file is gone, its sidecar stays
    server.files["/v.bin"] = BODY[::-1]
    assert download(url, cache=tmp_path).read_bytes() == BODY[::-1]
    assert file_sha256(path) == hashlib.sha256(BODY[::-1]).hexdigest()


# --- redirects, TLS, bytes in URLs, the lock's setting (issue 11) --------------------------------


@pytest.mark.parametrize(
    "target",
    ["file:///etc/passwd", "ftp://127.0.0.1:1/v.txt", "FTP://127.0.0.1:1/v.txt", "data:,the%200.1"],
)
def test_a_redirect_off_http_is_refused_by_name(
    server: FileServer, tmp_path: Path, target: str
) -> None:
    server.redirects["/v.txt"] = target
    url = server.url("/v.txt")
    code, output = cli_run("download", url, "--cache-dir", tmp_path)
    line = one_line_error(output)
    said = f"{url} redirects to {target}, which is not http:// or https://"
    assert code == 1 and said.lower() in line.lower()  # a scheme is read in any case
    assert "loop" not in line and kept(cached_path(url, tmp_path)) == []


def test_https_to_a_plain_http_server_says_tls_failed_not_offline(
    server: FileServer, tmp_path: Path
) -> None:
    url = server.serve("/v.txt", BODY).replace("http://", "https://")
    code, output = cli_run("download", url, "--cache-dir", tmp_path)
    line = one_line_error(output)
    assert code == 1 and f"cannot download {url}: the TLS handshake failed" in line
    assert "check the scheme (http:// or https://) and the port" in line
    assert "offline" not in line and "resume" not in line
    assert kept(cached_path(url, tmp_path)) == []


@pytest.mark.parametrize(
    ("raw", "sent"), [(b"/v\xff.txt", "/v%FF.txt"), ("/vé.txt".encode(), "/v%C3%A9.txt")]
)
def test_bytes_beyond_ascii_in_a_url_are_sent_percent_encoded(
    server: FileServer, tmp_path: Path, raw: bytes, sent: str
) -> None:
    server.serve(sent, BODY)
    url = server.url("") + os.fsdecode(raw)  # as Python receives it on a command line
    code, output = cli_run("download", url, "--cache-dir", tmp_path)
    assert code == 0 and "Traceback" not in output, output
    path = Path(output.strip())
    assert path.read_bytes() == BODY and server.requests == [(sent, None)]
    assert path.name in ("v_.txt", "vé.txt")  # a cache name is UTF-8


def test_a_url_with_bytes_not_utf8_is_shown_escaped(server: FileServer, tmp_path: Path) -> None:
    url = server.url("") + os.fsdecode(b"/gone\xff.txt")
    code, output = cli_run("download", url, "--cache-dir", tmp_path)
    assert code == 1 and "HTTP 404" in one_line_error(output) and "/gone\\xff.txt" in output


@pytest.mark.parametrize("value", ["xyz", "-1", "0", "inf"])
def test_a_wrong_lock_timeout_is_refused_before_anything_is_asked(
    server: FileServer, tmp_path: Path, value: str
) -> None:
    url = server.serve("/v.txt", BODY)
    env = {"ALIGNER_LOCK_TIMEOUT": value}
    code, output = cli_run("download", url, "--cache-dir", tmp_path, env=env)
    line = one_line_error(output)
    assert code == 1 and f"ALIGNER_LOCK_TIMEOUT='{value}' is not a positive number" in line
    assert server.requests == [] and not (tmp_path / "downloads").exists()


def test_a_redirect_without_an_address_says_so(server: FileServer, tmp_path: Path) -> None:
    server.redirects["/v.txt"] = ""  # a 302 whose Location is empty
    code, output = cli_run("download", server.url("/v.txt"), "--cache-dir", tmp_path)
    line = one_line_error(output)
    assert code == 1 and "names no address to go to (no Location)" in line
    assert kept(cached_path(server.url("/v.txt"), tmp_path)) == []


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_a_certificate_that_cannot_be_verified_is_named(tmp_path: Path) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-subj", "/CN=127.0.0.1",
         "-days", "1", "-keyout", key, "-out", cert],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        url = f"https://127.0.0.1:{httpd.server_address[1]}/v.txt"
        code, output = cli_run("download", url, "--cache-dir", tmp_path / "cache")
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
    line = one_line_error(output)
    assert code == 1 and "the server's TLS certificate could not be verified" in line
    assert "SSL_CERT_FILE" in line and "resume" not in line
    assert kept(cached_path(url, tmp_path / "cache")) == []


def test_a_url_beyond_ascii_is_sent_in_ascii() -> None:
    url = "http://例え.jp:8080/vé/v\udcff.txt?lang=né"
    assert wire(url) == "http://xn--r8jz45g.jp:8080/v%C3%A9/v%FF.txt?lang=n%C3%A9"
    assert wire("http://127.0.0.1:80/v.txt") == "http://127.0.0.1:80/v.txt"
