"""``hf://`` sources against a local stand-in for the Hugging Face Hub (HF_ENDPOINT points at it).

The server answers as the Hub does: ``/[datasets/]OWNER/REPO/resolve/REV/PATH``
names the commit in ``X-Repo-Commit``; a file stored in LFS is a 302 to its
storage on another host name (``localhost`` instead of ``127.0.0.1``) with its
sha256 in ``X-Linked-Etag`` and its size in ``X-Linked-Size``; a small file is
served directly with its git blob id as ``ETag``; refusals carry ``X-Error-Code``.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner

from aligner.errors import ChecksumError, DownloadError, UnknownNameError
from aligner.pretrained.cache import read_record
from aligner.pretrained.download import cached_path, fetch
from aligner.pretrained.hub import HubFile, parse
from aligner_cli.main import cli

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
VECTORS = b"3 4\nguitar 0.1 0.2 0.3 0.4\npiano 0.5 0.6 0.7 0.8\nthe 0.9 1.0 1.1 1.2\n"
TOKEN = "hf_test_secret_0123456789"


def git_blob_id(body: bytes) -> str:
    """The git blob id of ``body``, as git itself computes it."""
    done = subprocess.run(
        ["git", "hash-object", "--stdin"], input=body, capture_output=True, check=True
    )
    return done.stdout.decode().strip()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def _answer(self, *, send_body: bool) -> None:
        hub = self.server.hub
        host = self.headers.get("Host", "")
        hub.requests.append((self.command, host, self.path, self.headers.get("Authorization")))
        if self.path in hub.redirects:
            self._send(302, {"Location": hub.redirects[self.path]}, b"", send_body)
            return
        path = unquote(urlsplit(self.path).path)
        if path.startswith("/cdn/"):
            body = hub.cdn.get(path[len("/cdn/") :])
            if body is None:
                self._send(404, {}, b"", send_body)
                return
            headers = {"ETag": f'"{path[5:]}"', "Content-Type": "application/octet-stream"}
            self._send(200, headers, hub.tampered.get(path[5:], body), send_body, hub.held)
            return
        self._resolve(urlsplit(self.path).path, send_body)

    def _resolve(self, raw: str, send_body: bool) -> None:
        hub = self.server.hub
        repo, _, rest = raw.lstrip("/").partition("/resolve/")
        revision, _, name = (unquote(part) for part in rest.partition("/"))  # %2F: in the revision
        auth = self.headers.get("Authorization")
        if hub.basic is not None and auth != hub.basic:  # the whole endpoint wants a login
            self._send(401, {}, b"", send_body)
            return
        if repo not in hub.branches or (repo in hub.private and auth != f"Bearer {hub.token}"):
            self._send(401, {"X-Error-Code": "RepoNotFound"}, b"", send_body)
            return
        commit = hub.branches[repo].get(revision, revision)
        files = hub.commits.get(commit)
        if files is None:
            self._send(404, {"X-Error-Code": "RevisionNotFound"}, b"", send_body)
            return
        if name not in files:
            self._send(404, {"X-Error-Code": "EntryNotFound"}, b"", send_body)
            return
        body, lfs = files[name]
        headers = {"X-Repo-Commit": commit}
        if lfs:
            sha = hashlib.sha256(body).hexdigest()
            hub.cdn[sha] = body
            headers |= {
                "X-Linked-Etag": f'"{sha}"',
                "X-Linked-Size": str(len(body)),
                "ETag": f'"{"0" * 40}"',  # the LFS pointer's blob id, not the file's
                "Location": f"http://localhost:{hub.port}/cdn/{sha}",
            }
            if hub.unlinked:
                del headers["X-Linked-Etag"]
            self._send(302, headers, b"", send_body)
            return
        blob_id = hashlib.sha1(b"blob %d\x00" % len(body) + body).hexdigest()  # as git does
        headers |= {"ETag": f'"{blob_id}"', "Content-Type": "text/plain"}
        self._send(200, headers, hub.tampered.get(name, body), send_body)

    def _send(
        self,
        status: int,
        headers: dict[str, str],
        body: bytes,
        send_body: bool,
        held: threading.Event | None = None,
    ) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and body:
            if held is not None:
                held.wait(30)
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hub: HubServer


class HubServer:
    """Repositories by ``[datasets/]OWNER/REPO``: branches → commits → files (bytes, in LFS?).

    ``private`` repositories need ``Authorization: Bearer <token>``; ``tampered``
    serves other bytes (by sha256 for LFS files, by path for small ones) under
    the same headers; ``held``, once set to an event, holds the bodies of LFS
    files until it is set; ``unlinked`` leaves ``X-Linked-Etag`` out of LFS
    redirects; ``redirects`` answers a request path with a 302 to a location;
    ``basic``, once set to an ``Authorization`` value, is what every resolve
    request must carry (a mirror behind a login); ``requests`` records (method,
    Host, path, Authorization) of each request.
    """

    def __init__(self) -> None:
        self.branches: dict[str, dict[str, str]] = {}
        self.commits: dict[str, dict[str, tuple[bytes, bool]]] = {}
        self.cdn: dict[str, bytes] = {}
        self.tampered: dict[str, bytes] = {}
        self.private: set[str] = set()
        self.token = TOKEN
        self.held: threading.Event | None = None
        self.unlinked = False
        self.redirects: dict[str, str] = {}
        self.basic: str | None = None
        self.requests: list[tuple[str, str, str, str | None]] = []
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.hub = self
        self.port = self.httpd.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def commit(self, repo: str, files: dict[str, tuple[bytes, bool]], branch: str = "main") -> str:
        """A new commit on ``branch`` adding ``files`` to what it held; its id."""
        before = self.commits.get(self.branches.get(repo, {}).get(branch, ""), {})
        commit = hashlib.sha1(f"{repo} {len(self.commits)}".encode()).hexdigest()
        self.commits[commit] = before | files
        self.branches.setdefault(repo, {})[branch] = commit
        return commit

    def paths(self, method: str, prefix: str) -> list[str]:
        """The paths of the ``method`` requests that start with ``prefix``."""
        return [p for m, _, p, _ in self.requests if m == method and p.startswith(prefix)]

    def close(self) -> None:
        if self.held is not None:
            self.held.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubServer]:
    running = HubServer()
    monkeypatch.setenv("HF_ENDPOINT", running.endpoint + "/")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    yield running
    running.close()


def cache_files(root: Path) -> list[str]:
    """Every file the download cache holds (lock files aside), relative to ``root``."""
    found = root.rglob("*") if root.exists() else iter(())
    return sorted(
        str(p.relative_to(root)) for p in found if p.is_file() and not p.name.endswith(".lock")
    )


def run(*args: object, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


# --- spelling ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("hf://me/vecs/v.txt", HubFile("", "me/vecs", "main", "v.txt")),
        ("hf://models/me/vecs/sub/v.txt", HubFile("", "me/vecs", "main", "sub/v.txt")),
        ("hf://me/vecs@v1/sub/v.txt", HubFile("", "me/vecs", "v1", "sub/v.txt")),
        ("hf://me/vecs/sub/v.txt@v1", HubFile("", "me/vecs", "v1", "sub/v.txt")),
        ("hf://datasets/me/d@refs/pr/3/v.txt", HubFile("datasets/", "me/d", "refs/pr/3", "v.txt")),
        (
            "hf://datasets/me/d@refs%2Fpr%2F3/v.txt",
            HubFile("datasets/", "me/d", "refs/pr/3", "v.txt"),
        ),
        ("hf://spaces/me/s/v.txt", HubFile("spaces/", "me/s", "main", "v.txt")),
        ("hf://me/vecs@main/a@b.txt", HubFile("", "me/vecs", "main", "a@b.txt")),
    ],
)
def test_spellings_of_a_hub_file(source: str, expected: HubFile) -> None:
    assert parse(source) == expected


def test_resolve_url_quotes_the_revision_and_path() -> None:
    file = parse("hf://datasets/me/d@refs/pr/3/my vectors.txt")
    assert file.url("https://hub.example") == (
        "https://hub.example/datasets/me/d/resolve/refs%2Fpr%2F3/my%20vectors.txt"
    )


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("hf://me/vecs", "is not a file on the Hub"),
        ("hf://gpt2/", "is not a file on the Hub"),
        ("hf://me/vecs/dir/", "is not a file on the Hub"),
        ("hf://me/vecs/../x.txt", "'..'"),
        ("hf://buckets/me/b/x.txt", "only model, dataset and space files"),
        ("hf://me/vecs/a\tb.txt", "holds a control character"),
    ],
)
def test_what_is_not_a_hub_file_is_one_line(source: str, fragment: str, tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match=fragment) as info:
        fetch(source, cache=tmp_path)
    assert "\n" not in str(info.value) and "hf://" in str(info.value)
    code, output = run("download", source, "--cache-dir", tmp_path)
    lines = output.strip().splitlines()
    assert code == 1 and len(lines) == 1 and fragment in lines[0]
    assert cache_files(tmp_path) == []


# --- what is checked ------------------------------------------------------------------------------


def test_lfs_file_is_pinned_to_the_commit_and_its_sha256_checked(
    hub: HubServer, tmp_path: Path
) -> None:
    commit = hub.commit("me/vecs", {"vectors.txt": (VECTORS, True)})
    path, entry = fetch("hf://me/vecs/vectors.txt", cache=tmp_path)
    sha = hashlib.sha256(VECTORS).hexdigest()
    assert path.read_bytes() == VECTORS and entry is not None
    assert entry.url == f"{hub.endpoint}/me/vecs/resolve/{commit}/vectors.txt"
    assert (entry.revision, entry.sha256, entry.size, entry.git_sha1) == (
        commit, sha, len(VECTORS), None,
    )  # fmt: skip
    assert entry.verified == "sha256+size" and entry.format is None
    assert path == cached_path(entry.url, tmp_path)
    record = read_record(path)
    assert record is not None and record.digest == sha
    assert [(m, p) for m, _, p, _ in hub.requests] == [
        ("HEAD", "/me/vecs/resolve/main/vectors.txt"),
        ("GET", f"/me/vecs/resolve/{commit}/vectors.txt"),
        ("GET", f"/cdn/{sha}"),
    ]


def test_small_file_in_git_is_checked_by_its_blob_id(hub: HubServer, tmp_path: Path) -> None:
    commit = hub.commit("datasets/me/d", {"v.txt": (VECTORS, False)})
    path, entry = fetch("hf://datasets/me/d/v.txt", cache=tmp_path)
    assert path.read_bytes() == VECTORS and entry is not None
    assert entry.url == f"{hub.endpoint}/datasets/me/d/resolve/{commit}/v.txt"
    assert entry.git_sha1 == git_blob_id(VECTORS) and entry.sha256 is None
    assert entry.verified == "git-sha1+size"
    assert f"# also git-sha1={git_blob_id(VECTORS)}" in path.with_name("v.txt.sha256").read_text()


@pytest.mark.parametrize("lfs", [True, False])
def test_content_that_differs_from_what_the_hub_reports_is_refused(
    hub: HubServer, tmp_path: Path, lfs: bool
) -> None:
    hub.commit("me/vecs", {"v.txt": (VECTORS, lfs)})
    other = VECTORS.replace(b"guitar", b"violin")
    sha = hashlib.sha256(VECTORS).hexdigest()
    hub.tampered[sha if lfs else "v.txt"] = other
    with pytest.raises(ChecksumError) as info:
        fetch("hf://me/vecs/v.txt", cache=tmp_path)
    message = str(info.value)
    kind, expected, actual = (
        ("sha256", sha, hashlib.sha256(other).hexdigest())
        if lfs
        else ("git-sha1", git_blob_id(VECTORS), git_blob_id(other))
    )
    assert "\n" not in message and message.startswith("hf://me/vecs/v.txt: ")
    assert f"{kind} mismatch: expected {expected}, got {actual}" in message
    assert [f for f in cache_files(tmp_path) if f.startswith("downloads")] == []


def test_a_moved_branch_is_a_new_cache_entry_never_mixed(hub: HubServer, tmp_path: Path) -> None:
    first = hub.commit("me/vecs", {"v.txt": (VECTORS, True)})
    old_path, _ = fetch("hf://me/vecs/v.txt", cache=tmp_path)
    newer = VECTORS.replace(b"0.1", b"0.7")
    second = hub.commit("me/vecs", {"v.txt": (newer, True)})
    new_path, entry = fetch("hf://me/vecs/v.txt", cache=tmp_path)
    assert entry is not None and entry.revision == second != first
    assert new_path != old_path and new_path.read_bytes() == newer
    assert old_path.read_bytes() == VECTORS  # the first commit's file, untouched
    pinned, _ = fetch(f"hf://me/vecs@{first}/v.txt", cache=tmp_path)
    assert pinned == old_path and len(hub.paths("GET", "/cdn/")) == 2  # no third download


def test_a_cached_file_is_used_offline_at_the_commit_it_was_resolved(
    hub: HubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit = hub.commit("me/vecs", {"v.txt": (VECTORS, True)})
    path, _ = fetch("hf://me/vecs/v.txt", cache=tmp_path)
    hub.close()
    again, entry = fetch("hf://me/vecs/v.txt", cache=tmp_path)
    assert again == path and entry is not None and entry.revision == commit
    with pytest.raises(DownloadError, match="cannot reach the Hub") as info:
        fetch("hf://me/vecs/v.txt", cache=tmp_path / "fresh")
    assert "\n" not in str(info.value)
    assert not (tmp_path / "fresh" / "downloads").exists()


# --- refusals and the token -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("hf://me/vecs/missing.txt", "HTTP 404 EntryNotFound; the repository has no such file"),
        ("hf://me/vecs@v9/v.txt", "HTTP 404 RevisionNotFound; no such branch, tag or commit"),
        ("hf://me/nothing/v.txt", "HTTP 401 RepoNotFound; no such repository, or a private one"),
    ],
)
def test_refusals_of_the_hub_are_one_line(
    hub: HubServer, tmp_path: Path, source: str, fragment: str
) -> None:
    hub.commit("me/vecs", {"v.txt": (VECTORS, True)})
    code, output = run("download", source, "--cache-dir", tmp_path)
    lines = output.strip().splitlines()
    assert code == 1 and len(lines) == 1 and fragment in lines[0]
    assert lines[0].startswith(f"Error: {source}: the Hub answered")
    assert cache_files(tmp_path) == []


def test_token_goes_to_the_hub_only_and_is_never_shown(
    hub: HubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub.commit("me/private", {"v.txt": (VECTORS, True)})
    hub.private.add("me/private")
    with pytest.raises(DownloadError, match="or set HF_TOKEN"):
        fetch("hf://me/private/v.txt", cache=tmp_path)

    monkeypatch.setenv("HF_TOKEN", TOKEN)
    path, _ = fetch("hf://me/private/v.txt", cache=tmp_path)
    assert path.read_bytes() == VECTORS
    sent = {
        (method, host.split(":")[0], path.split("/")[1]): auth
        for method, host, path, auth in hub.requests
    }
    assert sent[("HEAD", "127.0.0.1", "me")] == f"Bearer {TOKEN}"
    assert sent[("GET", "127.0.0.1", "me")] == f"Bearer {TOKEN}"
    assert sent[("GET", "localhost", "cdn")] is None  # the storage host never sees it

    code, output = run("download", "hf://me/private/nope.txt", "--cache-dir", tmp_path)
    assert code == 1 and TOKEN not in output and "EntryNotFound" in output


# --- through the commands -------------------------------------------------------------------------


def test_download_json_says_what_was_verified(hub: HubServer, tmp_path: Path) -> None:
    commit = hub.commit("me/vecs", {"v.txt": (VECTORS, True)})
    code, output = run("download", "hf://me/vecs/v.txt", "--cache-dir", tmp_path, "--json")
    data = json.loads(output)
    assert code == 0 and data["verified"] == "sha256+size" and data["revision"] == commit
    assert data["sha256"] == hashlib.sha256(VECTORS).hexdigest()
    assert Path(data["path"]).read_bytes() == VECTORS


def test_wrong_checksum_through_the_cli_leaves_nothing(hub: HubServer, tmp_path: Path) -> None:
    packed = gzip.compress(VECTORS)
    hub.commit("me/vecs", {"v.txt.gz": (packed, True)})
    sha = hashlib.sha256(packed).hexdigest()
    middle = len(packed) // 2  # one byte flipped on the way: same size, other content
    hub.tampered[sha] = packed[:middle] + bytes([packed[middle] ^ 1]) + packed[middle + 1 :]
    code, output = run("download", "hf://me/vecs/v.txt.gz", "--cache-dir", tmp_path)
    lines = output.strip().splitlines()
    assert code == 1 and len(lines) == 1 and lines[0].startswith("Error: hf://me/vecs/v.txt.gz: ")
    assert f"sha256 mismatch: expected {sha}" in lines[0]
    assert [f for f in cache_files(tmp_path) if f.startswith("downloads")] == []


def test_build_from_a_hub_file_records_the_source(hub: HubServer, tmp_path: Path) -> None:
    commit = hub.commit("me/vecs", {"w2v/vectors.txt.gz": (gzip.compress(VECTORS), True)})
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("guitar\npiano\nzorblax\n", encoding="utf-8")
    out = tmp_path / "art"
    source = "hf://me/vecs/w2v/vectors.txt.gz"
    args = ["build", "--pretrained", source, "--vocab", vocab, "--out", out]
    code, output = run(*args, "--cache-dir", tmp_path / "cache")
    assert code == 0, output
    manifest: dict[str, Any] = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    recorded = manifest["source"]
    assert recorded["name"] == source and recorded["format"] == "word2vec"  # detected
    assert recorded["url"] == f"{hub.endpoint}/me/vecs/resolve/{commit}/w2v/vectors.txt.gz"


def test_a_redirect_without_the_lfs_sha256_checks_the_size_only(
    hub: HubServer, tmp_path: Path
) -> None:
    hub.commit("me/vecs", {"v.txt": (VECTORS, True)})
    hub.unlinked = True  # the redirect's own ETag is the pointer's blob id: not the file's
    path, entry = fetch("hf://me/vecs/v.txt", cache=tmp_path)
    assert path.read_bytes() == VECTORS and entry is not None
    assert (entry.sha256, entry.git_sha1, entry.verified) == (None, None, "size")


def test_an_endpoint_that_is_no_address_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "ftp://hub.example")
    code, output = run("download", "hf://me/vecs/v.txt", "--cache-dir", tmp_path)
    lines = output.strip().splitlines()
    assert code == 1 and len(lines) == 1 and "HF_ENDPOINT='ftp://hub.example'" in lines[0]
    assert "fix or unset it" in lines[0] and cache_files(tmp_path) == []


# --- hostile or mistaken input (issue 11) ---------------------------------------------------------

SECRET = "hf_SECRETSECRET"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_credentials_in_hf_endpoint_are_basic_auth_to_it_only_and_never_shown(
    hub: HubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit = hub.commit("me/vecs", {"v.txt": (VECTORS, True), "w.txt": (VECTORS, False)})
    hub.basic = basic("u", SECRET)
    code, output = run("download", "hf://me/vecs/v.txt", "--cache-dir", tmp_path)
    assert code == 1 and "HTTP 401" in output  # the mirror wants its login

    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint.replace("http://", f"http://u:{SECRET}@"))
    for name in ("v.txt", "w.txt"):  # in LFS (storage elsewhere), and in git (served here)
        code, output = run("download", f"hf://me/vecs/{name}", "--cache-dir", tmp_path, "--json")
        data = json.loads(output)
        assert code == 0 and Path(data["path"]).read_bytes() == VECTORS
        assert data["url"] == f"{hub.endpoint}/me/vecs/resolve/{commit}/{name}"  # no login
    sent = {(m, host.split(":")[0], p.split("/")[1]): a for m, host, p, a in hub.requests[1:]}
    assert sent[("HEAD", "127.0.0.1", "me")] == sent[("GET", "127.0.0.1", "me")] == hub.basic
    assert sent[("GET", "localhost", "cdn")] is None  # the storage host never sees it

    code, output = run("download", "hf://me/vecs/nope.txt", "--cache-dir", tmp_path)
    assert code == 1 and "EntryNotFound" in output and SECRET not in output
    hub.close()
    code, output = run("download", "hf://me/vecs/v.txt", "--cache-dir", tmp_path / "fresh")
    assert code == 1 and "cannot reach the Hub" in output and SECRET not in output
    assert not any(SECRET in str(p) for p in tmp_path.rglob("*"))


def test_a_build_through_an_endpoint_with_credentials_records_none(
    hub: HubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub.commit("me/vecs", {"v.txt": (VECTORS, True)})
    hub.basic = basic("u", SECRET)
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint.replace("http://", f"http://u:{SECRET}@"))
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("guitar\npiano\n", encoding="utf-8")
    args = ["build", "--pretrained", "hf://me/vecs/v.txt", "--vocab", vocab]
    code, output = run(*args, "--out", tmp_path / "art", "--cache-dir", tmp_path / "c")
    assert code == 0, output
    manifest = (tmp_path / "art" / "manifest.json").read_text(encoding="utf-8")
    assert SECRET not in output + manifest and "u:" not in manifest and hub.endpoint in manifest


@pytest.mark.parametrize("scheme", ["ftp", "http"])
def test_an_endpoint_with_credentials_is_never_shown_when_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    endpoint = f"{scheme}://u:{SECRET}@127.0.0.1:1/?x=1"  # not http(s), or with a query
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    code, output = run("download", "hf://me/vecs/v.txt", "--cache-dir", tmp_path)
    lines = output.strip().splitlines()
    assert code == 1 and len(lines) == 1 and SECRET not in output
    assert f"HF_ENDPOINT='{scheme}://u:***@127.0.0.1:1/?x=1'" in lines[0]
    assert cache_files(tmp_path) == []


@pytest.mark.parametrize(
    "revision", ["..", ".", "%2e%2e", "%2E", "main%2F..", "%2F", "x%00", "x%0A", "a%2F%2Fb"]
)
def test_revisions_that_name_nothing_are_refused_before_asking(
    hub: HubServer, tmp_path: Path, revision: str
) -> None:
    hub.commit("me/vecs", {"v.txt": (VECTORS, True)})
    source = f"hf://me/vecs@{revision}/v.txt"
    code, output = run("download", source, "--cache-dir", tmp_path)
    lines = output.strip().splitlines()
    assert code == 1 and len(lines) == 1 and lines[0].startswith(f"Error: {source}: ")
    assert "names no branch, tag or commit" in lines[0] and "HF_ENDPOINT" not in lines[0]
    assert hub.requests == [] and cache_files(tmp_path) == []


def test_a_dot_in_the_path_is_refused(hub: HubServer, tmp_path: Path) -> None:
    code, output = run("download", "hf://me/vecs/./v.txt", "--cache-dir", tmp_path)
    assert code == 1 and "a path with '.' names no file" in output and hub.requests == []


@pytest.mark.parametrize(
    ("where", "target"),
    [("HEAD", "file:///etc/passwd"), ("HEAD", "data:text/plain,x"), ("GET", "ftp://{host}/v")],
)
def test_a_redirect_off_http_is_refused_by_name(
    hub: HubServer, tmp_path: Path, where: str, target: str
) -> None:
    commit = hub.commit("me/vecs", {"v.txt": (VECTORS, False)})
    revision = "main" if where == "HEAD" else commit  # the resolve, or the download
    target = target.format(host=f"127.0.0.1:{hub.port}")
    hub.redirects[f"/me/vecs/resolve/{revision}/v.txt"] = target
    code, output = run("download", "hf://me/vecs/v.txt", "--cache-dir", tmp_path)
    lines = output.strip().splitlines()
    assert code == 1 and len(lines) == 1 and lines[0].startswith("Error: hf://me/vecs/v.txt: ")
    assert f"redirects to {target}, which is not http:// or https://" in lines[0]
    assert "loop" not in lines[0]
    assert [f for f in cache_files(tmp_path) if f.startswith("downloads")] == []
    assert hub.paths("GET", "/v") == []  # nothing followed it


@pytest.mark.parametrize("scheme", ["HF://", "Hf://", "hF://"])
def test_the_scheme_in_any_case_is_a_hub_source(
    hub: HubServer, tmp_path: Path, scheme: str
) -> None:
    hub.commit("me/vecs", {"v.txt": (VECTORS, True)})
    path, entry = fetch(f"{scheme}me/vecs/v.txt", cache=tmp_path)
    assert path.read_bytes() == VECTORS and entry is not None
    assert entry.name == "hf://me/vecs/v.txt"


def test_bytes_that_are_not_utf8_are_named_as_such(hub: HubServer, tmp_path: Path) -> None:
    source = os.fsdecode(b"hf://me/vecs/v\xff.txt")  # as Python receives it on a command line
    code, output = run("download", source, "--cache-dir", tmp_path)
    lines = output.strip().splitlines()
    assert code == 1 and len(lines) == 1
    assert "hf://me/vecs/v\\xff.txt holds bytes that are not UTF-8 (\\xff)" in lines[0]
    assert "rename the file" not in lines[0] and hub.requests == []


def test_a_revision_with_a_slash_gets_the_percent_encoded_spelling(
    hub: HubServer, tmp_path: Path
) -> None:
    hub.commit("me/vecs", {"v.txt": (VECTORS, True)}, branch="feature/x")
    for source, fixed in [
        ("hf://me/vecs@feature/x/v.txt", "hf://me/vecs@feature%2Fx/v.txt"),
        ("hf://me/vecs/v.txt@feature/x", "hf://me/vecs/v.txt@feature%2Fx"),
    ]:
        code, output = run("download", source, "--cache-dir", tmp_path)
        lines = output.strip().splitlines()
        assert code == 1 and len(lines) == 1 and "HTTP 404" in lines[0]
        assert lines[0].endswith(
            f"(if you meant a revision with a slash, write it as %2F: {fixed})"
        )
        code, output = run("download", fixed, "--cache-dir", tmp_path)
        assert code == 0 and Path(output.strip()).read_bytes() == VECTORS


def test_pull_request_refs_keep_their_slashes(hub: HubServer, tmp_path: Path) -> None:
    hub.commit("me/vecs", {"v.txt": (VECTORS, True)}, branch="refs/pr/1")
    path, entry = fetch("hf://me/vecs@refs/pr/1/v.txt", cache=tmp_path)
    assert path.read_bytes() == VECTORS and entry is not None
    assert hub.paths("HEAD", "/me/vecs/resolve/") == ["/me/vecs/resolve/refs%2Fpr%2F1/v.txt"]
    code, output = run("download", "hf://me/vecs@refs/pr/1/nope.txt", "--cache-dir", tmp_path)
    assert code == 1 and "EntryNotFound" in output and "%2F" not in output  # no hint needed


def test_https_to_a_plain_http_endpoint_says_tls_failed(
    hub: HubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint.replace("http://", "https://"))
    code, output = run("download", "hf://me/vecs/v.txt", "--cache-dir", tmp_path)
    lines = output.strip().splitlines()
    assert code == 1 and len(lines) == 1 and "the TLS handshake failed" in lines[0]
    assert "check the scheme (http:// or https://) and the port of HF_ENDPOINT" in lines[0]
    assert "offline" not in lines[0] and "run it again" not in lines[0]
    assert cache_files(tmp_path) == []


def test_a_wrong_lock_timeout_is_refused_before_asking_the_hub(
    hub: HubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub.commit("me/vecs", {"v.txt": (VECTORS, True)})
    monkeypatch.setenv("ALIGNER_LOCK_TIMEOUT", "xyz")
    code, output = run("download", "hf://me/vecs/v.txt", "--cache-dir", tmp_path)
    lines = output.strip().splitlines()
    assert code == 1 and lines == [
        "Error: ALIGNER_LOCK_TIMEOUT='xyz' is not a positive number; fix or unset it"
    ]
    assert hub.requests == [] and cache_files(tmp_path) == []
