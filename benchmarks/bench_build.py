"""Time the whole ``aligner build --pretrained`` command, as a user waits for it.

Reads the files written by ``benchmarks/make_vectors.py`` (``--data``, default
``/tmp/aligner-bench``: the 1 GB GloVe text file, 400,000 x 300, and its
50,000-token vocabulary). Every run is a fresh process, started from this
small parent (stdlib only, so that no large high-water mark is carried into
the child through exec), with the text file in the page cache (it is read once
more before every run) and a fresh ``--out``.

Methods:
    bytes        cat vectors.txt > /dev/null: the floor
    plain-loop   a fresh Python process that keeps the vocabulary's rows with a
                 plain loop (bench_read.py's plain-loop, exact + first lowercase
                 match), np.stack at the end; no artifact written
    aligner-wN   aligner build --pretrained vectors.txt --vocab vocab.tsv --out DIR
                 --workers N (one per --workers value)

A run's wall time is measured around the child process (interpreter start,
imports, reading, aligning, filling, writing the artifact, exit). Peak RSS is
GNU time's ``%M`` of the command: the largest of the process and its workers
(not their sum). ``PSS sum`` samples, every 20 ms, the proportional set size
of the command and all its descendants (``/proc/PID/smaps_rollup``) and keeps
the largest sum: the memory the whole command holds, shared pages counted
once (it can miss a peak shorter than the interval).

Each build gets its own cache folder, filled by one untimed build first: the
file digest that decides reuse is then cached, as on a user's second build
from the same file (the first build of a file also hashes all of it: about
1.5 s per GB here, reported as ``first build`` when ``--first`` is given).
The artifacts of every ``--workers`` value must be byte-identical (the same
data file digests and manifest, but for its creation time); otherwise the
script prints MISMATCH and exits with 1.

``--stages`` also runs each aligner method once in-process with a timer
around each stage of the build (imports, vocabulary, read, align, fill, write)
and prints them.

``aligner build --workers`` is passed to the real console script when it
takes it with --pretrained (``--entry cli``); before that (``--entry driver``)
a three-line driver sets ``BuildConfig.workers`` and runs the same click
command in one process (the default ``auto`` tries the console script first).

Usage:
    python benchmarks/bench_build.py --repeat 3 --workers 1,2 --json /tmp/aligner-bench/build.json
    python benchmarks/bench_build.py --data /tmp/aligner-bench-small --repeat 1 --stages
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
DEFAULT_DATA = "/tmp/aligner-bench"
TEXT_NAME, VOCAB_NAME, META_NAME = "vectors.txt", "vocab.tsv", "meta.json"
ALIGNER = Path(sys.executable).parent / "aligner"
MB = 1024 * 1024
RSS_ALLOWANCE_MB = 150.0
SAMPLE_SECONDS = 0.02

DRIVER = """
import dataclasses, sys, aligner.pipeline as pipeline
from aligner_cli.main import cli
build, workers = pipeline.build, int(sys.argv.pop(1))
pipeline.build = lambda config, **kw: build(dataclasses.replace(config, workers=workers), **kw)
sys.argv[0] = "aligner"
cli()
"""

STAGES = """
import sys, time
started = time.perf_counter()
import dataclasses, json, aligner.pipeline as pipeline
from aligner_cli.main import cli
imports = time.perf_counter() - started
stages = {}
def timed(module, name, label):
    inner = getattr(module, name)
    def outer(*args, **kwargs):
        t = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            stages[label] = stages.get(label, 0.0) + time.perf_counter() - t
    setattr(module, name, outer)
for name, label in [("read_vocab", "vocabulary"), ("_pretrained", "resolve source"),
                    ("build_inputs", "build key"), ("align", "align"),
                    ("build_warnings_of", "warnings"), ("fill", "fill"),
                    ("write_artifact", "write"), ("load_manifest", "manifest")]:
    if hasattr(pipeline, name):
        timed(pipeline, name, label)
import aligner.pretrained.formats as formats
timed(formats, "read_vectors", "read")
build, workers = pipeline.build, int(sys.argv.pop(1))
pipeline.build = lambda config, **kw: build(dataclasses.replace(config, workers=workers), **kw)
sys.argv[0] = "aligner"
t = time.perf_counter()
try:
    cli()
except SystemExit as exc:
    if exc.code:
        raise
stages["command"] = time.perf_counter() - t
stages["imports"] = imports
print("STAGES " + json.dumps(stages), file=sys.stderr)
"""

PLAIN_LOOP = """
import sys
sys.path.insert(0, sys.argv[1])
from bench_read import run_plain_loop
with open(sys.argv[3], encoding="utf-8") as fh:
    words = [line.rstrip("\\n").split("\\t")[0] for line in fh if line.strip()]
keys, matrix = run_plain_loop(sys.argv[2], words)
print(len(keys), matrix.shape, file=sys.stderr)
"""


# --------------------------------------------------------------------------- measuring


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (from /proc/PID/task/*/children)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except OSError:
            continue
    return found


def pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeSampler(threading.Thread):
    """The largest PSS sum of a process tree, sampled until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.procs = pid, 0, 1
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(SAMPLE_SECONDS):
            tree = descendants(self.pid)
            self.procs = max(self.procs, len(tree))
            self.peak_kb = max(self.peak_kb, sum(pss_kb(p) for p in tree))


def warm(path: Path) -> float:
    start = time.perf_counter()
    with open(path, "rb") as fh:
        while fh.read(1 << 24):
            pass
    return time.perf_counter() - start


def timed_run(cmd: list[str], env: dict[str, str], sample: bool) -> dict[str, Any]:
    """Run ``cmd`` under GNU time; wall seconds, peak RSS (MB), PSS sum (MB)."""
    with tempfile.NamedTemporaryFile(prefix="bench-time-", delete=False) as tmp:
        time_out = Path(tmp.name)
    gnu_time = Path("/usr/bin/time")
    full = [str(gnu_time), "-f", "%M", "-o", str(time_out), *cmd] if gnu_time.exists() else cmd
    start = time.perf_counter()
    proc = subprocess.Popen(
        full, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    sampler = TreeSampler(proc.pid)
    if sample:
        sampler.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - start
    sampler.halt.set()
    result: dict[str, Any] = {"seconds": seconds, "exit": proc.returncode, "stderr": err[-2000:]}
    if sample:
        sampler.join()
        result["pss_sum_mb"] = sampler.peak_kb / 1024
        result["processes"] = sampler.procs - (1 if gnu_time.exists() else 0)
    if gnu_time.exists():
        words = time_out.read_text().split()
        result["peak_rss_mb"] = int(words[-1]) / 1024 if words else None
    time_out.unlink(missing_ok=True)
    return result


# --------------------------------------------------------------------------- commands


def build_args(data: Path, out: Path, cache: Path) -> list[str]:
    return ["build", "--pretrained", str(data / TEXT_NAME), "--vocab", str(data / VOCAB_NAME),
            "--out", str(out), "--cache-dir", str(cache)]  # fmt: skip


def aligner_cmd(entry: str, workers: int, args: list[str]) -> list[str]:
    if entry == "cli":
        return [str(ALIGNER), *args, "--workers", str(workers)]
    return [sys.executable, "-c", DRIVER, str(workers), *args]


def probe_entry(tmp: Path) -> str:
    """``cli`` when the console script takes --workers with --pretrained, else ``driver``."""
    vectors, vocab = tmp / "probe.txt", tmp / "probe-vocab.txt"
    vectors.write_text("a 0.5 0.25\nb 0.125 1\n")
    vocab.write_text("a\n")
    args = build_args(tmp, tmp / "probe-out", tmp / "probe-cache")
    args[2], args[4] = str(vectors), str(vocab)
    done = subprocess.run([str(ALIGNER), *args, "--workers", "2"], capture_output=True, cwd=REPO)
    return "cli" if done.returncode == 0 else "driver"


def artifact_identity(out: Path) -> tuple[list[str], dict[str, Any]]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest.pop("created", None)
    return sorted(os.listdir(out)), manifest


def vectors_bytes(out: Path) -> int:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return int(manifest["vectors"]["bytes"])


# --------------------------------------------------------------------------- the runs


def run_method(
    method: str, args: argparse.Namespace, tmp: Path, entry: str
) -> tuple[dict[str, Any], tuple[list[str], dict[str, Any]] | None]:
    data = args.data
    env = dict(os.environ)
    identity = None
    runs: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}
    if method.startswith("aligner-w"):
        workers = int(method.removeprefix("aligner-w"))
        cache = tmp / f"cache-{method}"
        first = timed_run(
            aligner_cmd(entry, workers, build_args(data, tmp / f"{method}-first", cache)),
            env,
            sample=False,
        )  # untimed: fills the digest cache (timed when --first)
        if first["exit"] != 0:
            return {"method": method, "error": first["stderr"]}, None
        if args.first:
            extra["first_build_seconds"] = first["seconds"]
        identity = artifact_identity(tmp / f"{method}-first")
        extra["output_mb"] = vectors_bytes(tmp / f"{method}-first") / MB
        shutil.rmtree(tmp / f"{method}-first")
    for i in range(args.repeat):
        warm(data / TEXT_NAME)
        if method == "bytes":
            cmd = ["sh", "-c", f"cat '{data / TEXT_NAME}' > /dev/null"]
        elif method == "plain-loop":
            cmd = [sys.executable, "-c", PLAIN_LOOP, str(BENCH), str(data / TEXT_NAME),
                   str(data / VOCAB_NAME)]  # fmt: skip
        else:
            out = tmp / f"{method}-{i}"
            cmd = aligner_cmd(entry, workers, build_args(data, out, cache))
        res = timed_run(cmd, env, sample=not args.no_sample)
        if res["exit"] != 0:
            return {"method": method, "error": res["stderr"]}, None
        if method.startswith("aligner-w"):
            shutil.rmtree(out, ignore_errors=True)
        runs.append(res)
        print(
            f"  {method} run {i + 1}: {res['seconds']:.3f} s, peak RSS "
            f"{res.get('peak_rss_mb') or 0:.0f} MB, PSS sum {res.get('pss_sum_mb', 0):.0f} MB",
            file=sys.stderr,
        )
    summary = {
        "method": method,
        "seconds": statistics.median(r["seconds"] for r in runs),
        "runs": [r["seconds"] for r in runs],
        "peak_rss_mb": max((r.get("peak_rss_mb") or 0) for r in runs),
        "pss_sum_mb": max((r.get("pss_sum_mb") or 0) for r in runs),
        "processes": max((r.get("processes") or 0) for r in runs),
        **extra,
    }
    return summary, identity


def run_stages(method: str, args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    workers = int(method.removeprefix("aligner-w"))
    cache = tmp / f"cache-{method}"
    warm(args.data / TEXT_NAME)
    cmd = [sys.executable, "-c", STAGES, str(workers), *build_args(args.data, tmp / "st", cache)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    shutil.rmtree(tmp / "st", ignore_errors=True)
    for line in done.stderr.splitlines():
        if line.startswith("STAGES "):
            stages: dict[str, float] = json.loads(line.removeprefix("STAGES "))
            return stages
    raise RuntimeError(f"{method} --stages failed:\n{done.stderr[-2000:]}")


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform()}  # fmt: skip


def report(results: dict[str, dict[str, Any]], meta: dict[str, Any]) -> dict[str, Any]:
    """Print the table and the ratios; the ratios."""
    print()
    print(f"Data: {meta['rows']:,} x {meta['dim']} GloVe text "
          f"({meta['files'][TEXT_NAME]['bytes'] / MB:,.0f} MB), vocabulary "
          f"{meta['vocab_size']:,} tokens.")  # fmt: skip
    print()
    header = "| method | wall s (median) | runs | peak RSS MB (largest process) | PSS sum MB |"
    print(header + " processes |")
    print("|---|---:|---|---:|---:|---:|")
    for m, r in results.items():
        if "error" in r:
            print(f"| {m} | FAILED | - | - | - | - |")
            continue
        runs = ", ".join(f"{s:.2f}" for s in r["runs"])
        print(f"| {m} | {r['seconds']:.3f} | {runs} | {r['peak_rss_mb']:.0f} | "
              f"{r['pss_sum_mb']:.0f} | {r['processes']} |")  # fmt: skip
    ratios: dict[str, Any] = {}
    plain = results.get("plain-loop", {}).get("seconds")
    print()
    for m, r in results.items():
        if not m.startswith("aligner-w") or "error" in r:
            continue
        limit = 2 * r["output_mb"] + RSS_ALLOWANCE_MB
        if plain:
            ratios[f"plain-loop / {m}"] = plain / r["seconds"]
            print(f"plain-loop / {m}: {plain / r['seconds']:.2f}x (target >= 3x)")
        peak = max(r["peak_rss_mb"], r["pss_sum_mb"])
        print(f"{m}: peak memory {peak:.0f} MB, target <= 2 x output "
              f"({r['output_mb']:.0f} MB) + 150 MB = {limit:.0f} MB")  # fmt: skip
        if "first_build_seconds" in r:
            print(f"{m}: first build of the file (hashes it too): {r['first_build_seconds']:.2f} s")
    return ratios


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(DEFAULT_DATA), help="generated files")
    parser.add_argument("--repeat", type=int, default=3, help="runs per method (median)")
    parser.add_argument("--workers", default="1,2", help="aligner --workers values (1,2)")
    parser.add_argument("--skip", default="", help="methods to leave out, e.g. plain-loop")
    parser.add_argument("--entry", choices=["auto", "cli", "driver"], default="auto")
    parser.add_argument("--first", action="store_true", help="report the first (hashing) build")
    parser.add_argument("--stages", action="store_true", help="also time each build stage")
    parser.add_argument("--no-sample", action="store_true", help="do not sample PSS")
    parser.add_argument("--json", type=Path, help="write the results to this JSON file")
    args = parser.parse_args(argv)
    meta_path = args.data / META_NAME
    if not meta_path.is_file():
        parser.error(f"{meta_path} not found; run benchmarks/make_vectors.py --out {args.data}")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    methods = ["bytes", "plain-loop"] + [f"aligner-w{int(w)}" for w in args.workers.split(",")]
    methods = [m for m in methods if m not in args.skip.split(",")]
    info = machine()
    load = os.getloadavg()
    print(f"machine: {info['nproc']} cores, {info['cpu']}, Python {info['python']}; load "
          f"average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", file=sys.stderr)  # fmt: skip
    results: dict[str, dict[str, Any]] = {}
    identities: dict[str, Any] = {}
    stages: dict[str, dict[str, float]] = {}
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="aligner-bench-build-") as name:
        tmp = Path(name)
        entry = probe_entry(tmp) if args.entry == "auto" else args.entry
        print(f"aligner entry: {entry}", file=sys.stderr)
        for method in methods:
            results[method], identity = run_method(method, args, tmp, entry)
            if identity is not None:
                identities[method] = identity
            if "error" in results[method]:
                problems.append(f"{method} failed: {results[method]['error']}")
            elif args.stages and method.startswith("aligner-w"):
                stages[method] = run_stages(method, args, tmp)
    ratios = report(results, meta)
    if stages:
        print()
        for method, times in stages.items():
            shown = ", ".join(f"{k} {v:.3f}" for k, v in times.items())
            print(f"stages of {method} (s): {shown}")
    first = next(iter(identities.values()), None)
    for method, identity in identities.items():
        if identity != first:
            problems.append(f"{method} wrote another artifact than {next(iter(identities))}")
    if len(identities) > 1 and not problems:
        print(f"\nagreement: {', '.join(identities)} wrote byte-identical artifacts")
    for problem in problems:
        print(f"MISMATCH: {problem}")
    if args.json:
        payload = {"machine": info, "load_average": load, "data": str(args.data), "meta": meta,
                   "entry": entry, "results": results, "ratios": ratios, "stages": stages,
                   "problems": problems, "time": time.strftime("%Y-%m-%d %H:%M:%S %z")}  # fmt: skip
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
