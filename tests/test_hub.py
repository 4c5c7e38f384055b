"""``hf://`` sources against a local stand-in for the Hugging Face Hub (HF_ENDPOINT points at it).

The server answers as the Hub does: ``/[datasets/]OWNER/REPO/resolve/REV/PATH``
names the commit in ``X-Repo-Commit``; a file stored in LFS is a 302 to its
storage on another host name (``localhost`` instead of ``127.0.0.1``) with its
sha256 in ``X-Linked-Etag`` and its size in ``X-Linked-Size``; a small file is
served directly with its git blob id as ``ETag``; refusals carry ``X-Error-Code``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
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
        path = unquote(urlsplit(self.path).path)
        if path.startswith("/cdn/"):
            body = hub.cdn.get(path[len("/cdn/") :])
            if body is None:
                self._send(404, {}, b"", send_body)
                return
            headers = {"ETag": f'"{path[5:]}"', "Content-Type": "application/octet-stream"}
            self._send(200, headers, hub.tampered.get(path[5:], body), send_body, hub.held)
            return
        self._resolve(path, send_body)

    def _resolve(self, path: str, send_body: bool) -> None:
        hub = self.server.hub
        repo, _, rest = path.lstrip("/").partition("/resolve/")
        revision, _, name = rest.partition("/")
        auth = self.headers.get("Authorization")
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
    redirects; ``requests`` records (method, Host, path, Authorization) of each
    request.
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
    assert code == 1 and len(lines) == 1 and "HF_ENDPOINT is 'ftp://hub.example'" in lines[0]
    assert cache_files(tmp_path) == []
