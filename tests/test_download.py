"""The download cache against a real HTTP server on 127.0.0.1: resume, checksums, errors."""

from __future__ import annotations

import hashlib
import io
import random
import re
import socket
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from aligner.errors import ChecksumError, DownloadError, UnknownNameError, VectorsFormatError
from aligner.pretrained import download as dl
from aligner.pretrained.download import cache_dir, cached_path, download, fetch, file_sha256
from aligner.pretrained.registry import Entry
from aligner.progress import ProgressBar

BODY = random.Random(0).randbytes(2_500_000)  # over two 1 MiB chunks
BODY_SHA = hashlib.sha256(BODY).hexdigest()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        owner = self.server.owner
        rng = self.headers.get("Range")
        owner.requests.append((self.path, rng))
        owner.if_ranges.append(self.headers.get("If-Range"))
        owner.auths.append(self.headers.get("Authorization"))
        if self.path in owner.redirects:
            self._headers(302, 0, {"Location": owner.redirects[self.path]})
            return
        body = owner.files.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        extra = dict(owner.headers.get(self.path, {}))
        start, end = 0, len(body)
        match = re.fullmatch(r"bytes=(\d+)-", rng or "")
        if_range = self.headers.get("If-Range")
        current = {extra.get("ETag"), extra.get("Last-Modified")} - {None}
        if if_range is not None and if_range not in current and not owner.ignore_if_range:
            match = None  # the file changed since: RFC 9110 says send it whole
        if match and not owner.ignore_range:
            start = int(match.group(1))
            if start >= len(body) or owner.bare_416:
                extra |= {} if owner.bare_416 else {"Content-Range": f"bytes */{len(body)}"}
                self._headers(416, 0, extra)
                return
            if self.path in owner.short_206:  # a smaller range than asked for, said honestly
                end = start + (len(body) - start) // 2
            extra["Content-Range"] = f"bytes {start}-{end - 1}/{len(body)}"
            self._headers(206, end - start, extra)
        elif self.path in owner.no_length or self.path in owner.endless:
            self._headers(200, None, extra)
        else:
            self._headers(200, len(body), extra)
        self._body(owner, body[start:end])

    def _body(self, owner: FileServer, payload: bytes) -> None:
        if self.path in owner.held:  # headers sent; the body waits for the test's signal
            owner.held[self.path].wait(30)
        if self.path in owner.cut_once:  # full Content-Length sent, half the body, then cut
            owner.cut_once.discard(self.path)
            self.wfile.write(payload[: len(payload) // 2])
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.path in owner.silent:  # headers, then nothing at all
            owner.closing.wait(30)
            return
        size, pause = owner.paced.get(self.path, (len(payload) or 1, 0.0))
        while not owner.closing.is_set():
            for at in range(0, len(payload), size):
                if owner.closing.is_set():
                    return
                self.wfile.write(payload[at : at + size])
                self.wfile.flush()
                if pause:
                    time.sleep(pause)
            if self.path not in owner.endless:
                return

    def _headers(self, status: int, length: int | None, extra: dict[str, str]) -> None:
        self.send_response(status)
        if length is not None:
            self.send_header("Content-Length", str(length))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: FileServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that hung up early
            super().handle_error(request, client_address)


class FileServer:
    """Serves chosen bytes by path; records (path, Range header) of every request.

    Misbehaviours, by path: ``headers`` (extra headers, e.g. a Content-Type),
    ``cut_once`` (half the body, then the connection drops), ``no_length`` (no
    Content-Length: the body ends when the connection closes), ``endless`` (the
    body repeats forever, without a length), ``paced`` ((bytes, seconds): that
    many bytes, then a pause), ``silent`` (headers, then nothing), ``short_206``
    (a resumed request gets half the rest), ``redirects`` (302 to a location),
    ``held`` (headers, then the body once the event is set);
    and for every path ``ignore_range`` (200 with the whole body), ``bare_416``
    (416 without Content-Range) and ``ignore_if_range`` (a range even when the
    ``If-Range`` validator is not the path's current ``ETag`` / ``Last-Modified``).
    ``if_ranges`` and ``auths`` record each request's If-Range and Authorization.
    """

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.headers: dict[str, dict[str, str]] = {}
        self.cut_once: set[str] = set()
        self.no_length: set[str] = set()
        self.endless: set[str] = set()
        self.paced: dict[str, tuple[int, float]] = {}
        self.silent: set[str] = set()
        self.short_206: set[str] = set()
        self.redirects: dict[str, str] = {}
        self.held: dict[str, threading.Event] = {}
        self.ignore_range = False
        self.bare_416 = False
        self.ignore_if_range = False
        self.if_ranges: list[str | None] = []
        self.auths: list[str | None] = []
        self.closing = threading.Event()
        self.requests: list[tuple[str, str | None]] = []
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.owner = self
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def serve(self, path: str, body: bytes) -> str:
        self.files[path] = body
        return self.url(path)

    def close(self) -> None:
        self.closing.set()
        for gate in self.held.values():
            gate.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def server() -> Iterator[FileServer]:
    running = FileServer()
    yield running
    running.close()


class RecordingProgress:
    """A Progress that records each bar's description, total and updates."""

    def __init__(self) -> None:
        self.bars: list[tuple[str, int | None, str, list[int]]] = []

    @contextmanager
    def bar(
        self, description: str, *, total: int | None = None, unit: str = "it"
    ) -> Iterator[ProgressBar]:
        updates: list[int] = []
        self.bars.append((description, total, unit, updates))

        class _Bar:
            def update(self, n: int = 1) -> None:
                updates.append(n)

            def status(self, text: str) -> None:
                pass

        yield _Bar()


def zip_bytes(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(zipfile.ZipInfo(name), b"the 0.1 0.2\n")
    return buffer.getvalue()


def kept(final: Path) -> list[str]:
    """What the cache holds for ``final``'s URL, but the entry's lock file (which stays)."""
    if not final.parent.exists():
        return []
    return sorted(p.name for p in final.parent.iterdir() if p.name != f"{final.name}.lock")


def test_cache_dir_from_env_then_platformdirs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ALIGNER_CACHE", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    monkeypatch.delenv("ALIGNER_CACHE")
    assert cache_dir().name == "aligner" or "aligner" in cache_dir().parts


def test_cached_path_layout(tmp_path: Path) -> None:
    url = "https://example.org/a/b/vectors.txt.gz?x=1"
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    assert cached_path(url, tmp_path) == tmp_path / "downloads" / key / "vectors.txt.gz"
    assert cached_path("https://example.org/", tmp_path).name == "download"


def test_full_download_verifies_and_records(server: FileServer, tmp_path: Path) -> None:
    url = server.serve("/v/vectors.bin", BODY)
    progress = RecordingProgress()
    path = download(url, sha256=BODY_SHA.upper(), size=len(BODY), cache=tmp_path, progress=progress)
    assert path == cached_path(url, tmp_path)
    assert path.read_bytes() == BODY
    assert kept(path) == ["vectors.bin", "vectors.bin.sha256"]
    assert file_sha256(path) == BODY_SHA
    [(description, total, unit, updates)] = progress.bars
    assert (description, total, unit) == ("download vectors.bin", len(BODY), "B")
    assert sum(updates) == len(BODY)


def test_cut_connection_then_resume(server: FileServer, tmp_path: Path) -> None:
    url = server.serve("/big.vec", BODY)
    server.cut_once.add("/big.vec")
    with pytest.raises(DownloadError, match=r"interrupted.*resume") as info:
        download(url, sha256=BODY_SHA, cache=tmp_path)
    assert "--pretrained" in str(info.value)
    final = cached_path(url, tmp_path)
    part = final.with_name("big.vec.part")
    half = len(BODY) // 2
    assert not final.exists() and part.stat().st_size == half

    progress = RecordingProgress()
    assert download(url, sha256=BODY_SHA, cache=tmp_path, progress=progress) == final
    assert server.requests[-1] == ("/big.vec", f"bytes={half}-")
    assert final.read_bytes() == BODY and not part.exists()
    assert hashlib.sha256(final.read_bytes()).hexdigest() == BODY_SHA
    [(_, total, _, updates)] = progress.bars
    assert total == len(BODY) and updates[0] == half and sum(updates) == len(BODY)


def test_server_ignoring_range_starts_over(server: FileServer, tmp_path: Path) -> None:
    url = server.serve("/v.txt", BODY)
    part = cached_path(url, tmp_path).with_name("v.txt.part")
    part.parent.mkdir(parents=True)
    part.write_bytes(b"junk" * 10)
    server.ignore_range = True
    assert download(url, sha256=BODY_SHA, cache=tmp_path).read_bytes() == BODY


def test_complete_part_answered_416_is_verified(server: FileServer, tmp_path: Path) -> None:
    url = server.serve("/v.txt", BODY)
    part = cached_path(url, tmp_path).with_name("v.txt.part")
    part.parent.mkdir(parents=True)
    part.write_bytes(BODY)
    assert download(url, sha256=BODY_SHA, cache=tmp_path).read_bytes() == BODY
    assert server.requests == [("/v.txt", f"bytes={len(BODY)}-")]


def test_wrong_checksum_leaves_nothing(server: FileServer, tmp_path: Path) -> None:
    url = server.serve("/v.txt", BODY)
    wrong = "0" * 64
    with pytest.raises(ChecksumError) as info:
        download(url, sha256=wrong, cache=tmp_path)
    message = str(info.value)
    assert url in message and wrong in message and BODY_SHA in message
    assert kept(cached_path(url, tmp_path)) == []


def test_wrong_size_is_refused_before_downloading(server: FileServer, tmp_path: Path) -> None:
    url = server.serve("/v.txt", BODY)
    with pytest.raises(ChecksumError, match=f"{len(BODY)} bytes.*expected size is 10 bytes"):
        download(url, size=10, cache=tmp_path)
    assert kept(cached_path(url, tmp_path)) == []


def test_http_404(server: FileServer, tmp_path: Path) -> None:
    url = server.url("/missing.txt")
    with pytest.raises(DownloadError, match="404") as info:
        download(url, cache=tmp_path)
    assert url in str(info.value)


def test_refused_connection_says_offline(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DownloadError, match="offline") as info:
        download(f"http://127.0.0.1:{port}/v.txt", cache=tmp_path, timeout=5)
    assert "local" in str(info.value) or "--pretrained" in str(info.value)


def test_zip_with_climbing_member_is_refused(server: FileServer, tmp_path: Path) -> None:
    url = server.serve("/evil.zip", zip_bytes("ok.txt", "../evil.txt"))
    with pytest.raises(VectorsFormatError, match="outside the archive"):
        download(url, cache=tmp_path)
    assert kept(cached_path(url, tmp_path)) == []
    assert not (tmp_path / "evil.txt").exists()


def test_safe_zip_is_kept_unextracted(server: FileServer, tmp_path: Path) -> None:
    url = server.serve("/good.zip", zip_bytes("glove.6B.50d.txt", "glove.6B.100d.txt"))
    path = download(url, cache=tmp_path)
    assert kept(path) == ["good.zip", "good.zip.sha256"]


def test_cached_file_needs_no_request(
    server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALIGNER_CACHE", str(tmp_path))
    url = server.serve("/v.txt", BODY)
    first = download(url, sha256=BODY_SHA)
    assert first.is_relative_to(tmp_path) and len(server.requests) == 1
    assert download(url, sha256=BODY_SHA, size=len(BODY)) == first
    assert len(server.requests) == 1


def test_cached_file_disagreeing_with_expected_is_fetched_again(
    server: FileServer, tmp_path: Path
) -> None:
    url = server.serve("/v.txt", b"old bytes")
    download(url, cache=tmp_path)
    server.files["/v.txt"] = BODY
    assert download(url, sha256=BODY_SHA, cache=tmp_path).read_bytes() == BODY
    assert len(server.requests) == 2


def test_fetch_local_url_and_name(
    server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = tmp_path / "mine.txt"
    local.write_text("the 0.1\n")
    assert fetch(local) == (local, None)

    url = server.serve("/by-url.txt", BODY)
    assert fetch(url, cache=tmp_path)[0].read_bytes() == BODY

    entry = Entry(
        name="tiny", url=server.serve("/tiny.txt", BODY), format="glove", dim=3,
        vocab_size=None, size=len(BODY), sha256=BODY_SHA, licence=None, member=None,
        description="test",
    )  # fmt: skip
    monkeypatch.setattr(dl, "get", lambda name: entry)
    path, found = fetch("tiny", cache=tmp_path)
    assert found is entry and path.read_bytes() == BODY


def test_fetch_unknown_name_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="did you mean crawl-300d-2M"):
        fetch("crawl-300d-2m-typo", cache=tmp_path)
    with pytest.raises(UnknownNameError, match=r"file not found: missing/vectors\.txt") as info:
        fetch("missing/vectors.txt", cache=tmp_path)
    assert "\n" not in str(info.value) and "http(s) URL" in str(info.value)
    assert not (tmp_path / "downloads").exists()


BODY_MD5 = hashlib.md5(BODY).hexdigest()


def test_md5_is_computed_in_the_same_pass_and_recorded(
    server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aligner.pretrained import cache

    def no_second_read(*args: object, **kwargs: object) -> object:
        raise AssertionError("read the file again after downloading it")

    monkeypatch.setattr(cache, "hash_file", no_second_read)
    url = server.serve("/v.bin", BODY)
    path = download(url, md5=BODY_MD5.upper(), size=len(BODY), cache=tmp_path)
    record = dl.entries.read_record(path)
    assert record is not None and (record.digest, record.others) == (BODY_SHA, {"md5": BODY_MD5})
    assert f"# also md5={BODY_MD5}" in path.with_name("v.bin.sha256").read_text()
    assert download(url, md5=BODY_MD5, cache=tmp_path) == path and len(server.requests) == 1


def test_wrong_md5_leaves_nothing(server: FileServer, tmp_path: Path) -> None:
    url = server.serve("/v.txt", BODY)
    wrong = "0" * 32
    with pytest.raises(ChecksumError) as info:
        download(url, md5=wrong, cache=tmp_path)
    message = str(info.value)
    assert "\n" not in message and f"md5 mismatch: expected {wrong}, got {BODY_MD5}" in message
    assert kept(cached_path(url, tmp_path)) == []


@pytest.mark.parametrize(
    ("expected", "fragment"),
    [
        ({"md5": "abc"}, "expected md5 'abc'"),
        ({"sha256": "g" * 64}, "is not 64 hex digits"),
        ({"git_sha1": "a" * 40}, "checked only with its size"),
    ],
)
def test_expected_digests_that_no_file_can_have(
    server: FileServer, tmp_path: Path, expected: dict[str, str], fragment: str
) -> None:
    from aligner.errors import InputError

    url = server.serve("/v.txt", BODY)
    with pytest.raises(InputError, match=re.escape(fragment)):
        download(url, cache=tmp_path, **expected)  # type: ignore[arg-type]
    assert server.requests == []
