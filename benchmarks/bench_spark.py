"""Local engine vs Spark ``local[N]``: vocabulary counting and GloVe co-occurrence counting.

Splits ``../shared/data/gutenberg_dev_10M.txt.gz`` (``--data``; ``--limit-lines`` for a
quick run) into ``--shards`` plain-text shards under ``--work`` (default
``/tmp/aligner-bench-spark``, never inside the repository; written once), then runs each
measurement in a fresh Python subprocess:

======================  =====================================================================
``vocab``     local     ``aligner.vocab_build.count_tokens`` + ``select_tokens`` (``aligner vocab``)
``vocab``     spark     ``aligner.engines.spark.build_vocab_report`` (same report, checked)
``cooccur``   local     ``count_vocab`` + ``count_cooccurrences`` (window 15, min-count 5,
                        ``--memory-gb``)
``cooccur``   spark     ``cooccurrence_shards`` (same counts; the shards are written)
``encode``    both      with ``--artifact``: ``encode_file`` per shard vs ``encode_files``
======================  =====================================================================

For each: wall time (for Spark after starting the session and a warm-up run on the first
shard, both shown apart: the first job starts the Python workers and compiles), peak
memory of the driver (the Python process's ``VmHWM``; for Spark also the JVM's peak RSS,
which in ``local`` mode holds the executors too, and the largest Python worker seen),
tokens per second and tokens per second per core (the local engine uses one core).

Then a projection to a 100 B-token corpus on N executors of C cores, as a calculation:
``time = 100e9 / (per-core rate x N x C)``, with the per-core rate measured here; it
assumes the work scales linearly (counting is embarrassingly parallel and its shuffle
holds only per-partition sums), which a real cluster's I/O and shuffle will reduce.

Usage (the full run, on a quiet machine)::

    .venv/bin/python benchmarks/bench_spark.py --cores 2 \\
        --json /tmp/aligner-bench-spark/results.json

A quick check that it runs::

    .venv/bin/python benchmarks/bench_spark.py --limit-lines 20000 --work /tmp/bench-spark-small
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "gutenberg_dev_10M.txt.gz"
DEFAULT_WORK = "/tmp/aligner-bench-spark"
MIN_COUNT, WINDOW = 5, 15
TARGET_TOKENS = 100e9
EXECUTORS = (10, 50, 200)
EXECUTOR_CORES = 4


def _status_kb(pid: int | str, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    """Child processes of ``pid``, whichever of its threads started them."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


class _Sampler:
    """Polls the RSS of a process tree (the JVM and its Python workers) twice a second."""

    def __init__(self) -> None:
        self.jvm: int | None = None
        self.worker_mb = 0.0
        self.jvm_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self, jvm: int) -> None:
        self.jvm = jvm
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.sample()

    def sample(self) -> None:
        if self.jvm is None:
            return
        self.jvm_mb = max(self.jvm_mb, _status_kb(self.jvm, "VmHWM") / 1024)
        stack = _children(self.jvm)
        while stack:
            pid = stack.pop()
            self.worker_mb = max(self.worker_mb, _status_kb(pid, "VmRSS") / 1024)
            stack.extend(_children(pid))

    def stop(self) -> None:
        self._stop.set()
        self.sample()


def split_corpus(source: Path, work: Path, shards: int, limit: int | None) -> Path:
    """Write the corpus as ``shards`` text files of consecutive lines (once per settings)."""
    folder = work / f"shards-{shards}-{limit or 'all'}"
    done = folder / ".done"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(source, "rt", encoding="utf-8") as fh:
        lines = [line for _, line in zip(range(limit or sys.maxsize), fh, strict=False)]
    size = -(-len(lines) // shards)
    for i in range(shards):
        part = lines[i * size : (i + 1) * size]
        (folder / f"part-{i:03d}.txt").write_text("".join(part), encoding="utf-8")
    done.write_text(json.dumps({"lines": len(lines), "shards": shards}))
    return folder


# ---------------------------------------------------------------- children


def _local(step: str, shards: Path, args: argparse.Namespace) -> dict[str, Any]:
    from aligner.corpus import Corpus
    from aligner.tokenize import TokenizerSpec
    from aligner.train.cooccur import count_cooccurrences, count_vocab
    from aligner.vocab_build import count_tokens, select_tokens

    start = time.perf_counter()
    if step == "vocab":
        counts = count_tokens(shards, tokenizer=TokenizerSpec())
        report = select_tokens(counts, min_count=MIN_COUNT)
        out = {"tokens": report.tokens_counted, "types": report.types_written}
    elif step == "cooccur":
        corpus = Corpus(shards)
        vocab = count_vocab(corpus, min_count=MIN_COUNT)
        cooc = count_cooccurrences(corpus, vocab, window=WINDOW, memory_gb=args.memory_gb)
        out = {"tokens": corpus.tokens_read, "types": len(vocab), "pairs": len(cooc)}
    else:
        out = _local_encode(shards, args)
    return out | {"seconds": time.perf_counter() - start, "cores": 1}


def _local_encode(shards: Path, args: argparse.Namespace) -> dict[str, Any]:
    from aligner import load
    from aligner.encode_files import encode_file

    encoder = load(args.artifact).encoder()
    target = Path(args.work) / "encoded-local"
    target.mkdir(parents=True, exist_ok=True)
    tokens = 0
    for part in sorted(shards.glob("part-*.txt")):
        tokens += encode_file(encoder, part, target / f"{part.stem}.parquet", force=True).tokens
    return {"tokens": tokens}


def _spark_step(
    session: Any, step: str, data: str, out_dir: Path, args: argparse.Namespace
) -> dict[str, Any]:
    import shutil

    from aligner.engines import spark as engine
    from aligner.tokenize import TokenizerSpec

    shutil.rmtree(out_dir, ignore_errors=True)
    if step == "vocab":
        report = engine.build_vocab_report(session, data, tokenizer=TokenizerSpec(),
                                           min_count=MIN_COUNT)  # fmt: skip
        return {"tokens": report.tokens_counted, "types": report.types_written}
    if step == "cooccur":
        found = engine.cooccurrence_shards(session, data, out_dir, min_count=MIN_COUNT,
                                           window=WINDOW)  # fmt: skip
        return {"tokens": found.tokens, "types": found.vocab_size, "pairs": found.pairs}
    result = engine.encode_files(session, data, args.artifact, out_dir)
    return {"tokens": result.tokens}


def _spark(step: str, shards: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The step on Spark: after the session starts, a warm-up on the first shard (the first
    job starts the Python workers and compiles Spark's code), then the measured run."""
    from aligner.engines import spark as engine

    begin = time.perf_counter()
    conf = {
        "spark.driver.memory": args.spark_memory,
        "spark.ui.enabled": "false",
        # local mode: a few shuffle partitions per core, not Spark's cluster default of 200
        "spark.sql.shuffle.partitions": str(4 * args.cores),
    }
    session = engine.get_session(master=f"local[{args.cores}]", conf=conf)
    sampler = _Sampler()
    sampler.start(int(session.sparkContext._jvm.java.lang.ProcessHandle.current().pid()))
    started = time.perf_counter()
    first = sorted(shards.glob("part-*.txt"))[0]
    _spark_step(session, step, str(first), Path(args.work) / f"spark-{step}-warm", args)
    warm = time.perf_counter()
    out = _spark_step(session, step, str(shards), Path(args.work) / f"spark-{step}", args)
    seconds = time.perf_counter() - warm
    sampler.stop()
    session.stop()
    return out | {
        "seconds": seconds,
        "session_seconds": started - begin,
        "warmup_seconds": warm - started,
        "cores": args.cores,
        "jvm_peak_mb": round(sampler.jvm_mb, 1),
        "worker_peak_mb": round(sampler.worker_mb, 1),
    }


def child(args: argparse.Namespace) -> None:
    engine, step = args.child
    run = _local if engine == "local" else _spark
    result = run(step, Path(args.shards), args)
    result["driver_peak_mb"] = round(_status_kb("self", "VmHWM") / 1024, 1)
    print(json.dumps(result))


# ---------------------------------------------------------------- parent


def _measure(engine: str, step: str, shards: Path, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", engine, step, "--shards", str(shards),
               "--cores", str(args.cores), "--memory-gb", str(args.memory_gb),
               "--spark-memory", args.spark_memory, "--work", args.work]  # fmt: skip
    if args.artifact:
        command += ["--artifact", args.artifact]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO)
    if done.returncode != 0:
        sys.exit(f"{engine} {step} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["tokens_per_s"] = result["tokens"] / result["seconds"]
    result["tokens_per_s_core"] = result["tokens_per_s"] / result["cores"]
    return result | {"engine": engine, "step": step}


def _row(r: dict[str, Any]) -> str:
    memory = f"{r['driver_peak_mb']:8.0f}"
    if r["engine"] == "spark":
        memory += f" (JVM {r['jvm_peak_mb']:.0f}, worker {r['worker_peak_mb']:.0f})"
    start = ""
    if "session_seconds" in r:
        start = f" (+{r['session_seconds']:.0f} s start, {r['warmup_seconds']:.0f} s warm-up)"
    return (f"{r['step']:8} {r['engine']:6} {r['seconds']:8.1f} s{start:30} "
            f"{r['tokens_per_s']:>12,.0f} {r['tokens_per_s_core']:>12,.0f}   {memory}")  # fmt: skip


def projection(results: list[dict[str, Any]]) -> list[str]:
    """Hours for 100 B tokens on N executors of EXECUTOR_CORES cores, per Spark step."""
    lines = [f"projection to {TARGET_TOKENS:.0e} tokens (linear scaling of the measured "
             f"per-core rate; {EXECUTOR_CORES} cores per executor):"]  # fmt: skip
    for r in results:
        if r["engine"] != "spark":
            continue
        rate = r["tokens_per_s_core"]
        cells = []
        for n in EXECUTORS:
            hours = TARGET_TOKENS / (rate * n * EXECUTOR_CORES) / 3600
            cells.append(f"{n} executors: {hours:,.1f} h")
        lines.append(f"  {r['step']:8} {rate:,.0f} tok/s/core -> " + "; ".join(cells))
        lines.append(f"           = 1e11 / ({rate:,.0f} x N x {EXECUTOR_CORES}) s")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--work", default=DEFAULT_WORK)
    parser.add_argument("--shards", default="16")
    parser.add_argument("--limit-lines", type=int, default=None)
    parser.add_argument("--cores", type=int, default=2, help="Spark local[N]")
    parser.add_argument("--memory-gb", type=float, default=1.0, help="local GloVe counting")
    parser.add_argument("--spark-memory", default="4g", help="spark.driver.memory")
    parser.add_argument("--steps", default="vocab,cooccur", help="vocab,cooccur,encode")
    parser.add_argument("--artifact", default=None, help="an artifact, for the encode step")
    parser.add_argument("--json", default=None, help="write the results here")
    parser.add_argument("--child", nargs=2, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    work = Path(args.work)
    shards = split_corpus(Path(args.data), work, int(args.shards), args.limit_lines)
    print(f"load average before: {os.getloadavg()}; shards in {shards}", flush=True)
    print(f"{'step':8} {'engine':6} {'wall':>10}{'':30} {'tokens/s':>12} {'tok/s/core':>12}   "
          "driver peak MB")  # fmt: skip
    results = []
    for step in args.steps.split(","):
        for engine in ("local", "spark"):
            results.append(_measure(engine, step, shards, args))
            print(_row(results[-1]), flush=True)
    _check(results)
    for line in projection(results):
        print(line)
    print(f"load average after: {os.getloadavg()}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


def _check(results: list[dict[str, Any]]) -> None:
    """Both engines must have counted the same: tokens, types and pairs."""
    by_step: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        by_step.setdefault(r["step"], []).append(r)
    for step, pair in by_step.items():
        keys = [k for k in ("tokens", "types", "pairs") if k in pair[0]]
        values = [[r[k] for k in keys] for r in pair]
        same = all(v == values[0] for v in values)
        counted = dict(zip(keys, values[0], strict=True))
        print(f"check {step}: {'same' if same else 'DIFFERENT'} {counted}")
        if not same:
            sys.exit(f"the engines disagree on {step}: {values}")


if __name__ == "__main__":
    main()
