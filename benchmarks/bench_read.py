"""Time reading the task's rows of a pretrained vectors file, method by method.

Reads the files written by ``benchmarks/make_vectors.py`` (``--data``, default
``/tmp/aligner-bench``). Each run of each method is its own fresh Python
subprocess. Before every run its files are read once more, so that it finds
them in the page cache (0.1 s when they are cached; the page cache was seen
to drop a file between runs on a shared machine, and the re-read time is kept
in the JSON).

A run's time is wall time measured inside the child, from reading the
vocabulary to holding the float32 matrix of the kept rows; interpreter start
and the import of the entry module (``gensim.models``,
``aligner.pretrained.formats``) are excluded, whatever they import lazily is
included. ``bytes`` times ``cat FILE > /dev/null`` run by the child.

Peak RSS is the child's ``VmHWM`` (``/proc/self/status``), the high-water mark
of its own address space; for ``bytes`` it is cat's, from GNU time. The
child's ``ru_maxrss`` is kept in the JSON but is *not* per process: on Linux,
exec carries the spawning process's high-water mark over (subprocess spawns
with vfork), so a child of a 300 MB parent reports at least 300 MB.

Methods:
    bytes           cat vectors.txt > /dev/null: the floor for any text reader
    plain-loop      Python loop over the text lines; floats parsed for kept rows only
    gensim-text     KeyedVectors.load_word2vec_format(no_header=True) + row lookup (slow)
    gensim-binary   the same on vectors.bin (binary=True)
    aligner-text    aligner.pretrained.formats.read_vectors(..., format="glove")
    aligner-binary  read_vectors(..., format="word2vec-binary")

A row is kept when its token is a vocabulary token, or lowercases to the
lowercase form of one (the first such row per lowercase key), as aligner does.
Each child then aligns the vocabulary to its rows with ``aligner.align.align``
(exact, then lowercase), outside the timed part, and reports the number of
vocabulary rows found and a SHA-256 of the aligned matrix; all methods must
agree, and sampled rows are compared value by value. A mismatch is printed
loudly and makes the exit status 1.

Usage:
    python benchmarks/bench_read.py --repeat 3 --json /tmp/aligner-bench/results.json
    python benchmarks/bench_read.py --only aligner-text,aligner-binary --repeat 3
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = "/tmp/aligner-bench"
TEXT_NAME, BINARY_NAME = "vectors.txt", "vectors.bin"
VOCAB_NAME, META_NAME = "vocab.tsv", "meta.json"
METHODS = ("bytes", "plain-loop", "gensim-text", "gensim-binary", "aligner-text", "aligner-binary")
SLOW = ("gensim-text",)
FILE_OF = {
    "bytes": TEXT_NAME,
    "plain-loop": TEXT_NAME,
    "gensim-text": TEXT_NAME,
    "gensim-binary": BINARY_NAME,
    "aligner-text": TEXT_NAME,
    "aligner-binary": BINARY_NAME,
}
SAMPLE_ROWS = 500
MB = 1024 * 1024
RSS_ALLOWANCE_MB = 150.0


# --------------------------------------------------------------------------- child side


class Wanted:
    """aligner's keep rule: exact vocabulary tokens, then first row per lowercase key."""

    def __init__(self, words: Sequence[str]) -> None:
        self.exact = set(words)
        self.lower = {w.lower() for w in words}
        self.kept_exact: set[str] = set()
        self.kept_lower: set[str] = set()

    def keep(self, key: str) -> bool:
        if key in self.exact:
            if key in self.kept_exact:
                return False
            self.kept_exact.add(key)
            return True
        low = key.lower()
        if low not in self.lower or low in self.kept_lower:
            return False
        self.kept_lower.add(low)
        return True


def maxrss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """``ru_maxrss`` in MiB (KiB on Linux); includes a pre-exec high-water mark."""
    return resource.getrusage(who).ru_maxrss / 1024.0


def peak_rss_mb() -> float:
    """This process's own peak RSS in MiB: VmHWM, else ``ru_maxrss``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return maxrss_mb()


def run_plain_loop(path: Path, words: Sequence[str]) -> tuple[list[str], np.ndarray]:
    wanted = Wanted(words)
    keys: list[str] = []
    rows: list[np.ndarray] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            token, _, rest = line.partition(" ")
            if (token in wanted.exact or token.lower() in wanted.lower) and wanted.keep(token):
                keys.append(token)
                rows.append(np.array(rest.split(), dtype=np.float32))
    return keys, np.stack(rows)


def run_gensim(path: Path, words: Sequence[str], binary: bool) -> tuple[list[str], np.ndarray]:
    from gensim.models import KeyedVectors

    if binary:
        kv = KeyedVectors.load_word2vec_format(path, binary=True)
    else:
        kv = KeyedVectors.load_word2vec_format(path, binary=False, no_header=True)
    keep = Wanted(words).keep
    index = [i for i, key in enumerate(kv.index_to_key) if keep(key)]
    return [kv.index_to_key[i] for i in index], kv.vectors[index]


def run_aligner(path: Path, vocab: Any, fmt: str) -> tuple[list[str], np.ndarray, dict]:
    from aligner.pretrained.formats import read_vectors  # imported before the timed part

    res = read_vectors(path, vocab, format=fmt, fallbacks=("exact", "lowercase"))
    stats = res.stats
    if hasattr(stats, "to_dict"):
        stats = stats.to_dict()
    elif not isinstance(stats, dict):
        stats = dict(vars(stats))
    return res.vectors.keys, res.vectors.vectors, stats


def child(method: str, data: Path, sample_out: Path, formats: dict[str, str]) -> None:
    """One timed run; prints one JSON line."""
    sys.path.insert(0, str(REPO))
    from aligner.vocab import read_vocab

    path = data / FILE_OF[method]
    result: dict[str, Any] = {"method": method, "rss_before_mb": peak_rss_mb()}
    if method == "bytes":
        # cat's own peak RSS, from GNU time (its wait4 sees cat exec'd from a small process)
        # (a second, untimed run under it: GNU time adds a fork and an exec)
        cmd = ["cat", str(path)]
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
        result["seconds"] = time.perf_counter() - start
        gnu_time = Path("/usr/bin/time")
        if gnu_time.exists():
            timed = [str(gnu_time), "-f", "%M", "-o", str(sample_out), *cmd]
            subprocess.run(timed, stdout=subprocess.DEVNULL, check=True)
            result["peak_rss_mb"] = int(sample_out.read_text().split()[-1]) / 1024.0
            sample_out.unlink()
        else:
            result["peak_rss_mb"] = maxrss_mb(resource.RUSAGE_CHILDREN)
        print(json.dumps(result))
        return
    # The entry module is imported before the timed part; what it imports lazily is timed.
    if method.startswith("gensim"):
        import gensim.models  # noqa: F401
    elif method.startswith("aligner"):
        import aligner.pretrained.formats  # noqa: F401
    result["rss_before_mb"] = peak_rss_mb()
    stats = None
    start = time.perf_counter()
    vocab = read_vocab(data / VOCAB_NAME)
    words = vocab.tokens[len(vocab.specials) :]
    if method == "plain-loop":
        keys, matrix = run_plain_loop(path, words)
    elif method.startswith("gensim"):
        keys, matrix = run_gensim(path, words, binary=method == "gensim-binary")
    else:
        keys, matrix, stats = run_aligner(path, vocab, formats[method])
    result["seconds"] = time.perf_counter() - start
    result["peak_rss_mb"] = peak_rss_mb()
    result["ru_maxrss_mb"] = maxrss_mb()
    result["rows_kept"] = len(keys)
    result["out_bytes"] = int(matrix.nbytes)
    result["out_dtype"] = str(matrix.dtype)
    result["stats"] = stats

    # Not timed: align the vocabulary to the kept rows, as aligner's pipeline would.
    from aligner.align import align
    from aligner.vectors import WordVectors

    wv = WordVectors(list(keys), np.asarray(matrix, dtype=np.float32))
    alignment = align(vocab, wv, fallbacks=("exact", "lowercase"))
    found = alignment.found
    aligned = np.zeros((len(vocab), wv.dim), dtype=np.float32)
    aligned[found] = wv.vectors[alignment.source_rows[found]]
    result["found"] = alignment.coverage.found_types
    result["found_by_kind"] = alignment.coverage.types_by_kind
    result["aligned_sha256"] = hashlib.sha256(aligned.tobytes()).hexdigest()
    result["keys_sha256"] = hashlib.sha256("\n".join(sorted(keys)).encode("utf-8")).hexdigest()
    sample = np.linspace(len(vocab.specials), len(vocab) - 1, min(SAMPLE_ROWS, len(words)))
    sample = np.unique(sample.astype(np.int64))
    np.savez(sample_out, rows=sample, found=found[sample], vectors=aligned[sample])
    print(json.dumps(result))


# --------------------------------------------------------------------------- parent side


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(ram, 1),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
    }
    for dist in ("gensim", "pyarrow"):  # metadata only: importing gensim costs 100 MB
        try:
            info[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            info[dist] = None
    return info


def warm(path: Path) -> float:
    start = time.perf_counter()
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass
    return time.perf_counter() - start


def aligner_importable() -> str | None:
    """None if ``read_vectors`` imports in a fresh interpreter, else the reason."""
    code = (
        "from aligner.pretrained.formats import read_vectors\nfrom aligner.vocab import read_vocab"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    if proc.returncode == 0:
        return None
    lines = proc.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit status {proc.returncode}"


def run_child(method: str, args: argparse.Namespace, sample_out: Path) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        method,
        "--data",
        str(args.data),
        "--sample-out",
        str(sample_out),
        "--aligner-text-format",
        args.aligner_text_format,
        "--aligner-binary-format",
        args.aligner_binary_format,
    ]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-8:])
        return {"method": method, "error": f"exit status {proc.returncode}:\n{tail}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def fmt_s(x: float | None) -> str:
    return "-" if x is None else (f"{x:.3f}" if x < 10 else f"{x:.1f}")


def fmt_ratio(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}x"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(DEFAULT_DATA), help="generated files")
    parser.add_argument("--repeat", type=int, default=1, help="runs per method; best is reported")
    parser.add_argument("--slow-repeat", type=int, default=1, help="runs of slow methods (1)")
    parser.add_argument("--only", help=f"comma-separated methods among: {', '.join(METHODS)}")
    parser.add_argument("--skip-slow", action="store_true", help=f"omit {', '.join(SLOW)}")
    parser.add_argument("--json", type=Path, help="write all results to this JSON file")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a --json file of an earlier run on the same data: its methods not run now "
        "fill the table and the ratios (e.g. re-run only the aligner methods)",
    )
    parser.add_argument("--aligner-text-format", default="glove")
    parser.add_argument("--aligner-binary-format", default="word2vec-binary")
    parser.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--sample-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    formats = {"aligner-text": args.aligner_text_format}
    formats["aligner-binary"] = args.aligner_binary_format
    if args.child:
        child(args.child, args.data, args.sample_out, formats)
        return 0

    methods = list(METHODS)
    if args.only:
        methods = [m.strip() for m in args.only.split(",") if m.strip()]
        unknown = [m for m in methods if m not in METHODS]
        if unknown:
            parser.error(f"unknown method(s) {unknown}; choose among {', '.join(METHODS)}")
    if args.skip_slow:
        methods = [m for m in methods if m not in SLOW]
    meta_path = args.data / META_NAME
    if not meta_path.is_file():
        parser.error(f"{meta_path} not found; run benchmarks/make_vectors.py --out {args.data}")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))

    notes: list[str] = []
    skipped: dict[str, str] = {}
    if any(m.startswith("aligner") for m in methods):
        reason = aligner_importable()
        if reason is not None:
            for m in methods:
                if m.startswith("aligner"):
                    skipped[m] = f"not importable yet ({reason})"
            notes.append(
                f"aligner methods SKIPPED: read_vectors is not importable yet: {reason}. "
                "Re-run later with --only aligner-text,aligner-binary."
            )
            print(f"NOTE: {notes[-1]}", file=sys.stderr)
    methods = [m for m in methods if m not in skipped]

    info = machine()
    print(
        f"machine: {info['nproc']} cores, {info['cpu']}, {info['ram_gib']} GiB RAM; "
        f"Python {info['python']}, numpy {info['numpy']}, gensim {info['gensim']}, "
        f"pyarrow {info['pyarrow']}",
        file=sys.stderr,
    )
    print(
        f"data: {args.data}: {meta['rows']:,} x {meta['dim']}, vocabulary {meta['vocab_size']:,} "
        f"(expected found {meta['expected_found']:,})",
        file=sys.stderr,
    )
    for name in sorted({FILE_OF[m] for m in methods} | {VOCAB_NAME}):
        seconds = warm(args.data / name)
        size = (args.data / name).stat().st_size
        print(f"warmed {name}: {size / MB:,.0f} MB in {seconds:.2f} s", file=sys.stderr)

    results: dict[str, dict[str, Any]] = {}
    samples: dict[str, dict[str, np.ndarray]] = {}
    with tempfile.TemporaryDirectory(prefix="aligner-bench-") as tmp:
        for method in methods:
            runs = max(1, min(args.repeat, args.slow_repeat) if method in SLOW else args.repeat)
            load = os.getloadavg()
            print(
                f"{method}: {runs} run(s); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
                file=sys.stderr,
            )
            best: dict[str, Any] | None = None
            times: list[float] = []
            rss: list[float] = []
            for i in range(runs):
                sample_out = Path(tmp) / f"{method}-{i}.npz"
                # re-read before every run: the page cache was seen to drop the file meanwhile
                warm_s = warm(args.data / FILE_OF[method]) + warm(args.data / VOCAB_NAME)
                if warm_s > 1.0:
                    print(
                        f"  (file was not fully cached: re-read in {warm_s:.1f} s)", file=sys.stderr
                    )
                res = run_child(method, args, sample_out)
                res["warm_seconds"] = warm_s
                if "error" in res:
                    print(f"  run {i + 1}: FAILED {res['error']}", file=sys.stderr)
                    best = res
                    break
                times.append(res["seconds"])
                rss.append(res["peak_rss_mb"])
                print(
                    f"  run {i + 1}: {res['seconds']:.3f} s, peak RSS {res['peak_rss_mb']:.0f} MB"
                    + (f", found {res['found']:,}" if "found" in res else ""),
                    file=sys.stderr,
                )
                if best is None or res["seconds"] < best["seconds"]:
                    best = res
                    if sample_out.exists():
                        with np.load(sample_out) as z:
                            samples[method] = {k: z[k] for k in z.files}
            assert best is not None
            best["runs"] = times
            best["peak_rss_runs_mb"] = rss
            best["load_average"] = load
            results[method] = best

    if args.baseline:
        base = json.loads(args.baseline.read_text(encoding="utf-8"))
        if base["meta"]["files"] != meta["files"]:
            parser.error(f"--baseline {args.baseline} was measured on other data files")
        for m, r in base["results"].items():
            if m not in results and "error" not in r:
                results[m] = {**r, "from_baseline": str(args.baseline)}
                skipped.pop(m, None)
        notes.append(f"rows marked 'baseline' come from {args.baseline} ({base.get('time')})")

    # ---- agreement checks
    problems: list[str] = []
    checked = [m for m in METHODS if "found" in results.get(m, {})]
    ref = next((m for m in ("plain-loop", "gensim-binary", "gensim-text") if m in checked), None)
    if ref is None and checked:
        ref = checked[0]
    for m in checked:
        r = results[m]
        if r["found"] != meta["expected_found"]:
            problems.append(
                f"{m} found {r['found']:,} vocabulary rows; the generator expects "
                f"{meta['expected_found']:,}"
            )
        if ref is None or m == ref:
            continue
        rr = results[ref]
        if r["found"] != rr["found"] or r["found_by_kind"] != rr["found_by_kind"]:
            problems.append(f"{m} found {r['found_by_kind']} but {ref} found {rr['found_by_kind']}")
        if r["keys_sha256"] != rr["keys_sha256"]:
            problems.append(f"{m} kept a different set of file rows than {ref}")
        if r["aligned_sha256"] != rr["aligned_sha256"]:
            a, b = samples.get(m), samples.get(ref)
            detail = ""
            if a is not None and b is not None:
                both = a["found"] & b["found"]
                diff = np.abs(a["vectors"][both] - b["vectors"][both])
                bad = int((diff.max(axis=1) > 0).sum()) if both.any() else 0
                detail = (
                    f"; in {len(a['rows'])} sampled rows: {bad} differ, "
                    f"max |diff| {float(diff.max()) if diff.size else 0.0:g}, "
                    f"found-mask differences {int((a['found'] != b['found']).sum())}"
                )
            problems.append(f"{m} vectors differ from {ref} (aligned-matrix SHA-256){detail}")
    for m in methods:
        if "error" in results[m]:
            problems.append(f"{m} failed: {results[m]['error']}")

    # ---- table
    def best_s(m: str) -> float | None:
        r = results.get(m)
        return None if r is None or "error" in r else r["seconds"]

    print()
    print(
        f"Data: {meta['rows']:,} x {meta['dim']} "
        f"(text {meta['files'][TEXT_NAME]['bytes'] / MB:,.0f} MB, "
        f"binary {meta['files'][BINARY_NAME]['bytes'] / MB:,.0f} MB), "
        f"vocabulary {meta['vocab_size']:,} tokens "
        f"({meta['vocab_exact']:,} exact, {meta['vocab_case']:,} up to case, "
        f"{meta['vocab_absent']:,} absent)."
    )
    print()
    print("| method | file | wall s (best) | runs | peak RSS MB | rows kept | vocab rows found |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for m in METHODS:
        if m in skipped:
            print(f"| {m} | {FILE_OF[m]} | pending | - | pending | - | - |")
            continue
        r = results.get(m)
        if r is None:
            continue
        if "error" in r:
            print(f"| {m} | {FILE_OF[m]} | FAILED | - | - | - | - |")
            continue
        found = "-"
        if "found" in r:
            kinds = r["found_by_kind"]
            found = f"{r['found']:,} ({kinds['exact']:,} + {kinds['lowercase']:,} lc)"
        kept = f"{r['rows_kept']:,}" if "rows_kept" in r else "-"
        runs = f"{len(r['runs'])} (baseline)" if "from_baseline" in r else str(len(r["runs"]))
        print(
            f"| {m} | {FILE_OF[m]} | {fmt_s(r['seconds'])} | {runs} | "
            f"{max(r['peak_rss_runs_mb']):.0f} | {kept} | {found} |"
        )

    # ---- ratios
    def ratio(a: str, b: str) -> float | None:
        x, y = best_s(a), best_s(b)
        return None if x is None or y is None or y == 0 else x / y

    print()
    print("| ratio | measured | target |")
    print("|---|---:|---|")
    rows = [
        ("plain-loop / aligner-text (speed-up)", ratio("plain-loop", "aligner-text"), ">= 2x"),
        ("aligner-text / bytes", ratio("aligner-text", "bytes"), "<= 6x"),
        ("gensim-text / aligner-text", ratio("gensim-text", "aligner-text"), ">= 60x"),
        ("gensim-binary / aligner-binary", ratio("gensim-binary", "aligner-binary"), ">= 3x"),
    ]
    ratios: dict[str, Any] = {}
    for label, value, target in rows:
        ratios[label] = value
        print(f"| {label} | {fmt_ratio(value)} | {target} |")
    for m in ("aligner-text", "aligner-binary"):
        r = results.get(m)
        if r is None or "error" in r:
            continue
        out_mb = r["out_bytes"] / MB
        peak = max(r["peak_rss_runs_mb"])
        limit = 2 * out_mb + RSS_ALLOWANCE_MB
        ratios[f"{m} peak RSS / (out + 150 MB)"] = peak / (out_mb + RSS_ALLOWANCE_MB)
        print(
            f"| {m} peak RSS {peak:.0f} MB / (output {out_mb:.0f} MB + 150 MB) | "
            f"{peak / (out_mb + RSS_ALLOWANCE_MB):.2f}x | <= 2x output + 150 MB = {limit:.0f} MB "
            f"({'met' if peak <= limit else 'NOT met'}) |"
        )

    # ---- what aligner has to reach, from the baselines measured here
    budgets = []
    if best_s("plain-loop") is not None:
        budgets.append(("plain-loop / 2", best_s("plain-loop") / 2))
    if best_s("bytes") is not None:
        budgets.append(("6 x bytes", 6 * best_s("bytes")))
    if best_s("gensim-text") is not None:
        budgets.append(("gensim-text / 60", best_s("gensim-text") / 60))
    if budgets:
        text_budget = min(s for _, s in budgets)
        print()
        print(
            "aligner-text time budget: "
            + ", ".join(f"{name} = {s:.3f} s" for name, s in budgets)
            + f" -> at most {text_budget:.3f} s"
        )
    if best_s("gensim-binary") is not None:
        budget = best_s("gensim-binary") / 3
        print(f"aligner-binary time budget: gensim-binary / 3 = {budget:.3f} s")

    if notes:
        print()
        for note in notes:
            print(f"NOTE: {note}")
    if problems:
        print()
        print("!" * 78)
        for p in problems:
            print(f"MISMATCH: {p}")
        print("!" * 78)
    elif len(checked) > 1:
        print()
        print(
            f"agreement: {', '.join(checked)} found the same vocabulary rows and "
            "bit-identical vectors (aligned-matrix SHA-256)."
        )

    if args.json:
        payload = {
            "machine": info,
            "data": str(args.data),
            "meta": meta,
            "repeat": args.repeat,
            "results": results,
            "skipped": skipped,
            "ratios": ratios,
            "problems": problems,
            "notes": notes,
            "time": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
