"""What the vectors are worth: method x corpus size -> similarity, analogies, time, memory.

Trains every method on a 1 M-token and a 10 M-token corpus and scores the vectors
with ``aligner.evaluate`` (WordSim353 and SimLex-999 Spearman rho, Google
analogies by 3CosAdd within the 300,000 most frequent words: the figures of
gensim's ``evaluate_word_pairs`` / ``evaluate_word_analogies`` defaults).

Rows (``--methods``):

* ``aligner-glove``, ``aligner-word2vec``, ``aligner-fasttext``: ``aligner.train``
  with its defaults, nothing tuned (as ``aligner train --method M`` runs), only
  ``--threads`` threads;
* ``aligner-glove-ref``: GloVe at the settings of the reference implementation's
  published run on this corpus (dim 100, window 15, min-count 5, 5 epochs,
  x_max 10), to set beside its figures (``REFERENCE`` below);
* ``gensim-word2vec``, ``gensim-fasttext``: gensim itself, called directly, at
  the settings aligner's defaults chose for that corpus (read back from the
  aligner row's ``source``), so the two rows of a method differ only in who
  drives gensim.

Each run is a fresh Python subprocess (this script with ``--child``): the time
is the training wall time (counting included, evaluation excluded), the peak
memory the child's ``VmHWM``. The corpora are made once under ``--out``: the
10 M corpus decompressed, the 1 M corpus every tenth line of it.

Usage:
    python benchmarks/bench_quality.py                       # everything: about an hour
    python benchmarks/bench_quality.py --sizes 1M --methods aligner-word2vec,gensim-word2vec
    python benchmarks/bench_quality.py --json /tmp/aligner-bench/quality.json
    python benchmarks/bench_quality.py --sizes 1M --methods aligner-word2vec --set epochs=20 \
        --set window=10 --set seed=2                           # one setting of the sweep
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "data" / "gutenberg_dev_10M.txt.gz"
OUT = Path("/tmp/aligner-bench/quality")
METHODS = (
    "aligner-glove",
    "aligner-glove-ref",
    "aligner-word2vec",
    "gensim-word2vec",
    "aligner-fasttext",
    "gensim-fasttext",
)
#: the reference C implementation of GloVe on the 10 M corpus (shared/data/README.md)
REFERENCE = {"ws353": 0.250, "simlex": 0.153, "analogy": 0.174}
REF_SETTINGS = {"dim": 100, "window": 15, "min_count": 5, "epochs": 5, "x_max": 10.0}
MB = 1024 * 1024


def corpora(source: Path, out: Path) -> dict[str, Path]:
    """The 10 M corpus as plain text and slices: 1 M (every tenth line), 3 M, 5 M (3 or 5 in 10)."""
    out.mkdir(parents=True, exist_ok=True)
    full, small = out / "corpus_10M.txt", out / "corpus_1M.txt"
    if not full.exists():
        with gzip.open(source, "rb") as src, open(f"{full}.part", "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.replace(f"{full}.part", full)
    if not small.exists():
        with open(full, "rb") as src, open(f"{small}.part", "wb") as dst:
            dst.writelines(line for n, line in enumerate(src) if n % 10 == 0)
        os.replace(f"{small}.part", small)
    slices = {"1M": small, "3M": out / "corpus_3M.txt", "5M": out / "corpus_5M.txt"}
    for tenths, path in ((3, slices["3M"]), (5, slices["5M"])):
        if not path.exists():
            with open(full, "rb") as src, open(f"{path}.part", "wb") as dst:
                dst.writelines(line for n, line in enumerate(src) if n % 10 < tenths)
            os.replace(f"{path}.part", path)
    return slices | {"10M": full}


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _train_aligner(
    method: str, corpus: Path, threads: int, overrides: dict[str, Any]
) -> tuple[list[str], Any, dict]:
    from aligner.corpus import Corpus
    from aligner.train import train

    if method == "glove-ref":
        params: dict[str, Any] = REF_SETTINGS | {"threads": threads, "device": "cpu", "seed": 1}
        method = "glove"
    elif method == "glove":
        params = {"threads": threads, "device": "cpu"}
    else:
        params = {"workers": threads}
    wv = train(Corpus(corpus), method, params | overrides)
    return list(wv.keys), wv.vectors, wv.source


def _train_gensim(method: str, corpus: Path, settings: dict[str, Any], threads: int) -> Any:
    """gensim's own model, from the settings aligner used (its ``source['params']``)."""
    from gensim.models import FastText, Word2Vec

    kwargs = {
        "sg": int(settings["sg"]),
        "vector_size": settings["dim"],
        "window": settings["window"],
        "min_count": settings["min_count"],
        "negative": settings["negative"],
        "sample": settings["sample"],
        "epochs": settings["epochs"],
        "seed": settings["seed"],
        "workers": threads,
    }
    if method == "fasttext":
        kwargs |= {k: settings[k] for k in ("min_n", "max_n", "bucket")}
    model = (FastText if method == "fasttext" else Word2Vec)(corpus_file=str(corpus), **kwargs)
    return list(model.wv.index_to_key), model.wv.vectors


def child(args: argparse.Namespace) -> None:
    """One training run and its figures, printed as one JSON line."""
    import numpy as np

    import aligner
    from aligner.vectors import WordVectors

    who, method = args.method.split("-", 1)
    start = time.perf_counter()
    if who == "aligner":
        overrides = dict(_setting(item) for item in args.set)
        words, vectors, source = _train_aligner(method, args.corpus, args.threads, overrides)
        settings = source.get("params", {})
    else:
        settings = json.loads(args.settings)
        words, vectors = _train_gensim(method, args.corpus, settings, args.threads)
    seconds = time.perf_counter() - start
    result = aligner.evaluate(WordVectors(words, np.asarray(vectors, dtype=np.float32), {}))
    ws, simlex = (s.spearman for s in result.similarity[:2])
    print(
        json.dumps(
            {
                "method": args.method,
                "ws353": ws,
                "simlex": simlex,
                "analogy": result.analogy[0].accuracy("3cosadd"),
                "coverage": {s.name: [s.used, s.pairs] for s in result.similarity}
                | {a.name: [a.used, a.questions] for a in result.analogy},
                "rows": len(words),
                "train_s": seconds,
                "peak_mb": _peak_mb(),
                "settings": settings,
            }
        )
    )


def _setting(item: str) -> tuple[str, Any]:
    """``KEY=VALUE`` with VALUE read as JSON where it parses (``epochs=20``, ``sg=false``)."""
    key, _, value = item.partition("=")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def run_one(
    method: str, corpus: Path, args: argparse.Namespace, settings: dict | None
) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", "--method", method, "--corpus", str(corpus)]
    cmd += ["--threads", str(args.threads), "--settings", json.dumps(settings or {})]
    cmd += [f"--set={item}" for item in args.set]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{method} on {corpus} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def _fmt(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:.1f} %" if percent else f"{value:.3f}"


def table(rows: list[dict[str, Any]]) -> str:
    head = "| corpus | method | WordSim353 ρ | SimLex-999 ρ | analogies | words | train s | peak MB"
    lines = [head + " |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['size']} | {r['method']} | {_fmt(r['ws353'])} | {_fmt(r['simlex'])} | "
            f"{_fmt(r['analogy'], True)} | {r['rows']:,} | {r['train_s']:.0f} | "
            f"{r['peak_mb']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the 10 M-token corpus (.gz)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--sizes", default="1M,10M")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, help="write every row here as JSON")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a training setting for the aligner rows (gensim rows follow), e.g. window=10",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--method", help=argparse.SUPPRESS)
    parser.add_argument("--settings", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    paths = corpora(args.corpus, args.out)
    methods = args.methods.split(",")
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        parser.error(f"unknown methods {unknown}; choose from {', '.join(METHODS)}")
    rows: list[dict[str, Any]] = []
    for size in args.sizes.split(","):
        chosen: dict[str, dict] = {}
        for method in methods:
            base = method.split("-", 1)[1]
            if method.startswith("gensim") and base not in chosen:
                print(f"{method} needs aligner-{base} first (its settings)", file=sys.stderr)
                continue
            row = run_one(method, paths[size], args, chosen.get(base))
            if method.startswith("aligner"):
                chosen.setdefault(base, row["settings"])
            rows.append(row | {"size": size})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(table(rows))
    print(f"\nreference C GloVe on 10M at {REF_SETTINGS}: {REFERENCE}")
    print(f"machine: {os.cpu_count()} cores, {_cpu()}, Python {platform.python_version()}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
