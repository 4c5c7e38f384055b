"""Several processes sharing one cache: one writes an entry, the others wait and reuse it.

Real subprocesses of the ``aligner`` command and threads of this process, a
real HTTP server on 127.0.0.1 (a plain one, a gensim-data release server, a
stand-in for the Hugging Face Hub: every source goes through one download
path). After each case: no traceback, one complete verified file, no
temporary or partial file left behind.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

from aligner.pretrained.cache import read_record
from aligner.pretrained.download import cached_path, download

from .test_build_pretrained import SAMPLES, fasttext_model
from .test_download import BODY, BODY_SHA, FileServer, kept
from .test_hub import HubServer

ALIGNER = str(Path(sys.executable).with_name("aligner"))


@pytest.fixture
def server() -> Iterator[FileServer]:
    running = FileServer()
    yield running
    running.close()


def start(*args: object, cache: Path) -> subprocess.Popen[str]:
    env = os.environ | {"ALIGNER_CACHE": str(cache)}
    return subprocess.Popen(
        [ALIGNER, *(str(a) for a in args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    assert "Traceback" not in err, err
    return process.returncode, out, err


def wait_for(condition: object, seconds: float = 30.0) -> None:
    ends = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < ends, "timed out"
        time.sleep(0.01)


def no_temporaries(root: Path) -> None:
    assert not [p for p in root.rglob("*") if p.name.endswith((".tmp", ".part"))]


def test_two_processes_and_a_thread_download_one_url_once(
    server: FileServer, tmp_path: Path
) -> None:
    url = server.serve("/v.bin", BODY)
    server.paced["/v.bin"] = (65536, 0.005)  # long enough for the others to arrive
    cache = tmp_path / "cache"
    processes = [start("download", url, cache=cache) for _ in range(2)]
    found: list[Path] = []
    thread = threading.Thread(target=lambda: found.append(download(url, cache=cache)))
    thread.start()
    results = [finish(p) for p in processes]
    thread.join(timeout=120)
    final = cached_path(url, cache)
    assert [(code, out.strip()) for code, out, _ in results] == [(0, str(final))] * 2
    assert found == [final] and final.read_bytes() == BODY
    record = read_record(final)
    assert record is not None and record.digest == BODY_SHA
    assert len(server.requests) == 1  # the others waited and reused it
    assert kept(final) == ["v.bin", "v.bin.sha256"]
    no_temporaries(cache)


def test_threads_of_one_process_download_once(server: FileServer, tmp_path: Path) -> None:
    url = server.serve("/v.bin", BODY)
    server.paced["/v.bin"] = (65536, 0.002)
    found: list[Path] = []
    errors: list[BaseException] = []

    def fetch_it() -> None:
        try:
            found.append(download(url, cache=tmp_path, sha256=BODY_SHA))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=fetch_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and len(set(found)) == 1 and len(found) == 4
    assert found[0].read_bytes() == BODY and len(server.requests) == 1


def test_a_process_waits_while_another_holds_the_entry(server: FileServer, tmp_path: Path) -> None:
    url = server.serve("/v.bin", BODY)
    final = cached_path(url, tmp_path)
    final.parent.mkdir(parents=True)
    with FileLock(str(final) + ".lock"):
        waiting = start("download", url, cache=tmp_path)
        time.sleep(0.5)
        assert waiting.poll() is None and server.requests == []
    code, out, _ = finish(waiting)
    assert code == 0 and out.strip() == str(final) and len(server.requests) == 1


def test_writer_killed_mid_download_the_next_one_resumes(
    server: FileServer, tmp_path: Path
) -> None:
    url = server.serve("/v.bin", BODY)
    server.headers["/v.bin"] = {"ETag": '"body-1"'}  # what a resume needs to be trusted
    server.paced["/v.bin"] = (16384, 0.01)
    final = cached_path(url, tmp_path)
    part = final.with_name("v.bin.part")
    first = start("download", url, cache=tmp_path)
    wait_for(lambda: part.exists() and part.stat().st_size > 100_000)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=30)
    server.paced.clear()
    code, out, _ = finish(start("download", url, cache=tmp_path))
    assert code == 0 and out.strip() == str(final) and final.read_bytes() == BODY
    assert server.requests[-1][1] is not None  # asked for the rest only
    assert server.if_ranges[-1] == '"body-1"'  # of the same file
    assert kept(final) == ["v.bin", "v.bin.sha256"]


def vectors(artifact: Path) -> np.ndarray:
    import aligner

    return np.asarray(aligner.load(artifact).vectors)


def plain_vectors(model: Path, out: Path) -> np.ndarray:
    """The vectors a build from the uncompressed model gives (built in this process)."""
    import aligner

    config = aligner.BuildConfig(pretrained=model, vocab=SAMPLES / "vocab.txt", out=out)
    return np.asarray(aligner.load(aligner.build(config).path).vectors)


def test_two_builds_from_one_compressed_fasttext_model(tmp_path: Path) -> None:
    model = fasttext_model(tmp_path / "model.bin", bucket=50_000)
    packed = tmp_path / "model.bin.gz"
    packed.write_bytes(gzip.compress(model.read_bytes(), 1))
    cache = tmp_path / "cache"
    vocab = SAMPLES / "vocab.txt"

    def build(source: Path, out: str) -> subprocess.Popen[str]:
        return start(
            "build", "--pretrained", source, "--vocab", vocab, "--out", tmp_path / out,
            cache=cache,
        )  # fmt: skip

    # Hold the entry's lock while both start: each must wait, then one decompresses.
    from aligner.pretrained.fasttext_bin import _extract_key

    key = _extract_key(packed, None, "model.bin")
    target = cache / "extracted" / key / "model.bin"
    target.parent.mkdir(parents=True)
    with FileLock(str(target) + ".lock"):
        builds = [build(packed, "a"), build(packed, "b")]
        time.sleep(0.5)
        assert [b.poll() for b in builds] == [None, None]
    results = [finish(b) for b in builds]
    assert [code for code, _, _ in results] == [0, 0], results
    plain = plain_vectors(model, tmp_path / "plain")
    for out in ("a", "b"):
        assert np.array_equal(vectors(tmp_path / out), plain)
    assert target.read_bytes() == model.read_bytes()
    assert sorted(p.name for p in target.parent.iterdir()) == [
        "model.bin",
        "model.bin.lock",
        "model.bin.sha256",
    ]
    no_temporaries(cache)


def test_two_builds_race_freely_on_one_compressed_model(tmp_path: Path) -> None:
    model = fasttext_model(tmp_path / "model.bin", bucket=100_000)
    packed = tmp_path / "model.bin.gz"
    packed.write_bytes(gzip.compress(model.read_bytes(), 1))
    cache = tmp_path / "cache"
    args = ["--vocab", SAMPLES / "vocab.txt"]
    builds = [
        start("build", "--pretrained", packed, *args, "--out", tmp_path / o, cache=cache)
        for o in ("a", "b")
    ]
    assert [finish(b)[0] for b in builds] == [0, 0]
    plain = plain_vectors(model, tmp_path / "plain")
    for out in ("a", "b"):
        assert np.array_equal(vectors(tmp_path / out), plain)
    [extracted] = (cache / "extracted").rglob("model.bin")
    assert extracted.read_bytes() == model.read_bytes()
    no_temporaries(cache)


# --- gensim-data: and hf:// sources take the same path, and the same lock ------------------------

#: runs ``aligner`` with a small model added to gensim-data's table, after touching a file
#: that says the process is about to start (everything imported)
GENSIM_BOOT = """
import sys
from pathlib import Path

from aligner.pretrained import gensim_data
from aligner_cli.main import cli

name, size, md5, ready = sys.argv[1:5]
gensim_data.MODELS[name] = gensim_data.Model(name, name + ".gz", 1, int(size), md5, 2, "test")
Path(ready).touch()
cli(sys.argv[5:], prog_name="aligner")
"""


def start_python(code: str, *args: object, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *(str(a) for a in args)],
        env=os.environ | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def one_copy(cache: Path, name: str, body: bytes, outputs: list[str]) -> None:
    """Both printed the one cached file, which is whole, verified and alone."""
    [final] = {Path(out.strip()) for out in outputs}
    assert final.name == name and final.read_bytes() == body
    assert kept(final) == [name, f"{name}.sha256"]
    no_temporaries(cache)


def test_two_processes_fetch_one_gensim_data_model_once(server: FileServer, tmp_path: Path) -> None:
    name, body = "tiny-vectors-3", gzip.compress(b"2 3\nguitar 1 2 3\npiano 4 5 6\n", mtime=0)
    path = f"/releases/{name}/{name}.gz"
    server.serve(path, body)
    server.held[path] = threading.Event()
    cache, ready = tmp_path / "cache", [tmp_path / "ready-a", tmp_path / "ready-b"]
    env = {"ALIGNER_CACHE": str(cache), "ALIGNER_GENSIM_DATA_URL": server.url("/releases")}
    md5 = hashlib.md5(body).hexdigest()
    args = (name, len(body), md5)
    processes = [
        start_python(GENSIM_BOOT, *args, r, "download", f"gensim-data:{name}", env=env)
        for r in ready
    ]
    wait_for(lambda: all(r.exists() for r in ready) and len(server.requests) == 1)
    time.sleep(0.3)  # the one not downloading is at the entry's lock by now
    assert [p.poll() for p in processes] == [None, None]
    server.held[path].set()
    results = [finish(p) for p in processes]
    assert [code for code, _, _ in results] == [0, 0], results
    one_copy(cache, f"{name}.gz", body, [out for _, out, _ in results])
    record = read_record(cached_path(server.url(path), cache))
    assert record is not None and record.others == {"md5": md5}
    assert len(server.requests) == 1


def test_two_processes_fetch_one_hub_file_once(tmp_path: Path) -> None:
    hub = HubServer()
    try:
        body = gzip.compress(b"2 3\nguitar 1 2 3\npiano 4 5 6\n" * 50, mtime=0)
        hub.commit("me/vecs", {"v.txt.gz": (body, True)})
        hub.held = threading.Event()
        cache = tmp_path / "cache"
        env = {"HF_ENDPOINT": hub.endpoint, "ALIGNER_CACHE": str(cache)}
        processes = [
            start_python("from aligner_cli.main import cli; cli()", *args, env=env)
            for args in [("download", "hf://me/vecs/v.txt.gz")] * 2
        ]
        wait_for(lambda: len(hub.paths("HEAD", "/")) == 2 and hub.paths("GET", "/cdn/"))
        time.sleep(0.3)  # the one not downloading is at the entry's lock by now
        assert [p.poll() for p in processes] == [None, None]
        hub.held.set()
        results = [finish(p) for p in processes]
    finally:
        hub.close()
    assert [code for code, _, _ in results] == [0, 0], results
    one_copy(cache, "v.txt.gz", body, [out for _, out, _ in results])
    assert len(hub.paths("GET", "/cdn/")) == 1  # one download; the other waited and used it
