"""Time word2vec training through aligner against gensim called directly.

Trains skip-gram word2vec (dim 100, window 5, min_count 5, negative 5,
sample 1e-3, seed 0, ``--epochs`` 1) on the generated corpus of
``benchmarks/bench_cooccur.py`` (``/tmp/aligner-bench-glove/corpus-12000000.txt``;
generated through that script's ``ensure_corpus`` when missing), each method in
a fresh Python subprocess:

``gensim-stream``
    ``Word2Vec(sentences=<re-iterable: the file line by line, str.split()>, workers=1)``
``aligner-stream``
    ``train_word2vec(Corpus(path), Word2VecParams(..., workers=1))`` (aligner
    streams the corpus with one worker)
``gensim-corpus-file``
    ``Word2Vec(corpus_file=path, workers=W)``
``aligner-corpus-file``
    ``train_word2vec(Corpus(path), Word2VecParams(..., workers=W))``, which uses
    gensim's ``corpus_file`` mode for a plain text file and ``workers > 1``
    (checked: ``wv.source["reader"] == "corpus_file"``)

``W`` is ``--workers`` (default 2). The timed part is the whole training call
(vocabulary pass and training), after the imports. Reported: wall seconds,
words per second (``corpus_total_words * epochs / seconds``; for aligner the
corpus tokens it counted, checked equal to gensim's count), vocabulary size and
the child's peak RSS (``VmHWM`` in ``/proc/self/status``). The load average is
printed before and after each run (the machine may be shared).

``--repeat N`` (default 1) runs each method N times in N rounds, interleaved:
round ``r`` runs the methods in the given order for even ``r`` and in reverse
for odd ``r``, so drift in the machine's speed affects both sides of a pair
alike. Then, per method, the median and minimum wall seconds, the median and
best (from the minimum wall time) words per second and the spread
(``(max - min) / median`` wall seconds) are reported; the overheads are
computed from the median words per second. The JSON keeps every run.

Target: aligner's words per second at most 5 % below gensim's
(aligner-stream vs gensim-stream, aligner-corpus-file vs gensim-corpus-file).

Usage:
    python benchmarks/bench_word2vec.py --json /tmp/aligner-bench-glove/word2vec-results.json
    python benchmarks/bench_word2vec.py --tokens 200000 --only gensim-stream,aligner-stream
    python benchmarks/bench_word2vec.py --tokens 3000000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = "/tmp/aligner-bench-glove"
METHODS = ("gensim-stream", "aligner-stream", "gensim-corpus-file", "aligner-corpus-file")
PARAMS = {
    "sg": 1,
    "dim": 100,
    "window": 5,
    "min_count": 5,
    "negative": 5,
    "sample": 1e-3,
    "seed": 0,
}
PAIRS = (("aligner-stream", "gensim-stream"), ("aligner-corpus-file", "gensim-corpus-file"))
TARGET_OVERHEAD = 0.05


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class LineSentences:
    """The file line by line, each line ``str.split()``: what a user would write."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __iter__(self) -> Iterator[list[str]]:
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                yield line.split()


def _workers(method: str, workers: int) -> int:
    return 1 if method.endswith("-stream") else workers


def child(method: str, path: Path, workers: int, epochs: int) -> dict[str, Any]:
    """Train once with ``method``; the imports are not timed."""
    import logging

    from gensim.models import Word2Vec

    from aligner.corpus import Corpus
    from aligner.train.word2vec import Word2VecParams, train_word2vec

    logging.getLogger("gensim").setLevel(logging.WARNING)
    w = _workers(method, workers)
    gensim_kwargs = {
        "sg": PARAMS["sg"],
        "vector_size": PARAMS["dim"],
        "window": PARAMS["window"],
        "min_count": PARAMS["min_count"],
        "negative": PARAMS["negative"],
        "sample": PARAMS["sample"],
        "seed": PARAMS["seed"],
        "epochs": epochs,
        "workers": w,
    }
    reader = "stream" if method.endswith("-stream") else "corpus_file"
    rss_before = _peak_rss_mb()
    if method.startswith("gensim-"):
        source: dict[str, Any] = (
            {"sentences": LineSentences(path)}
            if method == "gensim-stream"
            else {"corpus_file": str(path)}
        )
        start = time.perf_counter()
        model = Word2Vec(**source, **gensim_kwargs)
        seconds = time.perf_counter() - start
        words, vocab_size = int(model.corpus_total_words), len(model.wv)
    else:
        corpus = Corpus(path)
        params = Word2VecParams(
            sg=bool(PARAMS["sg"]),
            dim=PARAMS["dim"],
            window=PARAMS["window"],
            min_count=PARAMS["min_count"],
            negative=PARAMS["negative"],
            sample=PARAMS["sample"],
            seed=PARAMS["seed"],
            epochs=epochs,
            workers=w,
        )
        start = time.perf_counter()
        wv = train_word2vec(corpus, params)
        seconds = time.perf_counter() - start
        words, vocab_size = int(corpus.tokens_read), len(wv.keys)
        if wv.source["reader"] != reader:
            raise SystemExit(f"{method}: aligner used reader {wv.source['reader']!r}, not {reader}")
    return {
        "method": method,
        "workers": w,
        "epochs": epochs,
        "reader": reader,
        "seconds": round(seconds, 3),
        "corpus_words": words,
        "words_per_second": round(words * epochs / seconds),
        "vocab_size": vocab_size,
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "rss_after_imports_mb": round(rss_before, 1),
    }


def _corpus(data: Path, tokens: int) -> Path:
    path = data / f"corpus-{tokens}.txt"
    if path.exists():
        return path
    try:
        from bench_cooccur import ensure_corpus
    except ImportError as exc:  # pragma: no cover - run from elsewhere
        raise SystemExit(
            f"{path} is missing: run `python benchmarks/bench_cooccur.py --tokens {tokens}` first "
            f"({exc})"
        ) from exc
    print(f"{path} is missing; generating it as benchmarks/bench_cooccur.py does", flush=True)
    return Path(ensure_corpus(data, tokens))


def _table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| round | method              | workers | wall s | words/s   | corpus words | vocab  "
        "| peak RSS MB |",
        "|------:|---------------------|--------:|-------:|----------:|-------------:|-------:"
        "|------------:|",
    ]
    for r in results:
        lines.append(
            f"| {r['round']:>5} | {r['method']:<19} | {r['workers']:>7} | {r['seconds']:>6.2f} "
            f"| {r['words_per_second']:>9,} | {r['corpus_words']:>12,} | {r['vocab_size']:>6,} "
            f"| {r['peak_rss_mb']:>11,.0f} |"
        )
    return "\n".join(lines)


def _summary(methods: tuple[str, ...], results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per method: median and min wall seconds, median and best words/s, spread."""
    out = []
    for method in methods:
        runs = [r for r in results if r["method"] == method]
        seconds = [r["seconds"] for r in runs]
        median_s = statistics.median(seconds)
        out.append(
            {
                "method": method,
                "workers": runs[0]["workers"],
                "runs": len(runs),
                "seconds": seconds,
                "median_seconds": round(median_s, 3),
                "min_seconds": min(seconds),
                "max_seconds": max(seconds),
                "median_words_per_second": round(
                    statistics.median(r["words_per_second"] for r in runs)
                ),
                "best_words_per_second": max(r["words_per_second"] for r in runs),
                "spread": round((max(seconds) - min(seconds)) / median_s, 4),
            }
        )
    return out


def _summary_table(summary: list[dict[str, Any]]) -> str:
    lines = [
        "| method              | workers | runs | median s | min s  | median words/s "
        "| best words/s | spread |",
        "|---------------------|--------:|-----:|---------:|-------:|---------------:"
        "|-------------:|-------:|",
    ]
    for s in summary:
        lines.append(
            f"| {s['method']:<19} | {s['workers']:>7} | {s['runs']:>4} "
            f"| {s['median_seconds']:>8.2f} | {s['min_seconds']:>6.2f} "
            f"| {s['median_words_per_second']:>14,} | {s['best_words_per_second']:>12,} "
            f"| {s['spread']:>6.1%} |"
        )
    return "\n".join(lines)


def _overheads(summary: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """aligner against gensim, from the median words per second of each method."""
    by = {s["method"]: s["median_words_per_second"] for s in summary}
    out = []
    for ours, theirs in PAIRS:
        if ours in by and theirs in by:
            ratio = by[ours] / by[theirs]
            out.append(
                {
                    "aligner": ours,
                    "gensim": theirs,
                    "basis": "median words_per_second",
                    "ratio": round(ratio, 4),
                    "overhead": round(1 - ratio, 4),
                    "met": 1 - ratio <= TARGET_OVERHEAD,
                }
            )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(DEFAULT_DATA))
    parser.add_argument("--tokens", type=int, default=12_000_000)
    parser.add_argument("--workers", type=int, default=2, help="for the corpus_file methods")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per method, in interleaved rounds (odd rounds in reverse order)",
    )
    parser.add_argument("--only", help="comma-separated methods: " + ", ".join(METHODS))
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.corpus, args.workers, args.epochs)))
        return 0
    methods = METHODS if not args.only else tuple(m.strip() for m in args.only.split(","))
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        parser.error(f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(METHODS)}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    path = _corpus(args.data, args.tokens)
    print(f"corpus {path}; load average {_loadavg()}; {os.cpu_count()} CPUs", flush=True)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    results = []
    for round_ in range(args.repeat):
        order = methods if round_ % 2 == 0 else tuple(reversed(methods))
        for method in order:
            before = _loadavg()
            command = [sys.executable, __file__, "--child", method, "--corpus", str(path)]
            command += ["--workers", str(args.workers), "--epochs", str(args.epochs)]
            out = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
            result = {"round": round_} | json.loads(out.stdout.strip().splitlines()[-1])
            result["loadavg_before"], result["loadavg_after"] = before, _loadavg()
            results.append(result)
            print(json.dumps(result), flush=True)
    words = {r["corpus_words"] for r in results}
    problems = [] if len(words) <= 1 else [f"corpus word counts differ: {sorted(words)}"]
    print()
    print(_table(results))
    summary = _summary(methods, results)
    if args.repeat > 1:
        print()
        print(_summary_table(summary))
    overheads = _overheads(summary)
    if overheads:
        print()
    basis = "median " if args.repeat > 1 else ""
    for o in overheads:
        verdict = "met" if o["met"] else "NOT met"
        print(
            f"{o['aligner']} / {o['gensim']}: {o['ratio']:.3f} of gensim's {basis}words/s, "
            f"overhead {o['overhead']:+.1%} (target <= {TARGET_OVERHEAD:.0%}: {verdict})"
        )
    for problem in problems:
        print(f"PROBLEM: {problem}")
    if args.json:
        report = {"params": PARAMS | {"epochs": args.epochs}, "corpus": str(path)}
        report |= {"repeat": args.repeat, "results": results, "summary": summary}
        report |= {"overheads": overheads, "problems": problems}
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
