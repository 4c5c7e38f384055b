"""Time GloVe vocabulary and co-occurrence counting on a generated corpus.

Writes (seeded, once) a topical corpus of about 12 million tokens to
``/tmp/aligner-bench-glove/`` (``--data``; never inside the repository), then,
for every ``--memory-gb`` value, runs in a fresh Python subprocess:

1. ``count_vocab(corpus, min_count=5)``
2. ``count_cooccurrences(corpus, vocab, window=15, memory_gb=...)``

and reports wall time of each step, the number of non-zero pairs, how many
partial runs were spilled to disk, and the child's peak RSS (``VmHWM`` in
``/proc/self/status``). The corpus is read through :class:`aligner.corpus.Corpus`
(whitespace tokenizer), so the times include reading and splitting the text,
as the reference tools' times include theirs. The load average is printed
before and after (the machine may be shared).

Each child checks its result without timing it: the matrix is symmetric, its
rows/cols are sorted and unique, and its total weight equals the closed form
``sum over lines, d=1..window of 2 * max(0, n - d) / d`` (``n`` = in-vocabulary
tokens of the line). A failed check is printed and makes the exit status 1.

The corpus: a 50,000-word vocabulary of made-up words; 120 function words
drawn from one Zipf law (45 % of tokens); 400 topics of 2,500 content words
each, every topic a Zipf law over its own words (words shared between topics,
frequent words in more of them); documents of 8 lines on 1 topic (80 % of
content tokens) or from the global content Zipf law (20 %); line lengths
1 + Poisson(21).

``--save-npz FILE`` also writes the matrix of the first run as ``rows``,
``cols``, ``values``, ``vocab_size`` (the layout ``bench_glove.py`` reads; it
picks up ``/tmp/aligner-bench-glove/cooccurrences.npz`` when present).

Usage:
    python benchmarks/bench_cooccur.py --memory-gb 1 --memory-gb 0.25 \
        --json /tmp/aligner-bench-glove/cooccur-results.json
    python benchmarks/bench_cooccur.py --tokens 200000 --memory-gb 0.01   # a quick run
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = "/tmp/aligner-bench-glove"
MIN_COUNT, WINDOW = 5, 15
GEN = {
    "seed": 2024,
    "vocab": 50_000,
    "function_words": 120,
    "function_share": 0.45,
    "topics": 400,
    "topic_words": 2_500,
    "topic_share": 0.8,
    "lines_per_doc": 8,
    "mean_line": 22,
    "zipf_s": 1.05,
}
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"] + ["th", "ch", "sh"]


def _words(n: int) -> list[str]:
    """n distinct lowercase made-up words, shorter ones first."""
    base = len(SYLLABLES)
    out: list[str] = []
    length = 1
    while len(out) < n:
        for i in range(base**length):
            parts, k = [], i
            for _ in range(length):
                parts.append(SYLLABLES[k % base])
                k //= base
            out.append("".join(parts))
            if len(out) == n:
                break
        length += 1
    return out


def _zipf_cdf(n: int, s: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** s
    return np.cumsum(weights) / weights.sum()


def _draw(rng: np.random.Generator, cdf: np.ndarray, size: int) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, rng.random(size)), len(cdf) - 1)


def generate(path: Path, tokens: int) -> dict[str, Any]:
    """Write the corpus to ``path``; return its description."""
    g = GEN
    rng = np.random.default_rng(g["seed"])
    words = np.array(_words(g["vocab"]), dtype=object)
    nf, nv = g["function_words"], g["vocab"]
    # Content words: global Zipf ranks nf..nv; each topic takes topic_words of them,
    # drawn with the global law, so frequent words belong to many topics.
    content_cdf = _zipf_cdf(nv - nf, g["zipf_s"])
    topics = np.empty((g["topics"], g["topic_words"]), dtype=np.int64)
    for t in range(g["topics"]):
        pool = np.unique(_draw(rng, content_cdf, g["topic_words"] * 3))
        topics[t] = nf + rng.permutation(pool)[: g["topic_words"]]
    lengths = 1 + rng.poisson(g["mean_line"] - 1, size=tokens // (g["mean_line"] - 2))
    lengths = lengths[: np.searchsorted(np.cumsum(lengths), tokens) + 1]
    n = int(lengths.sum())
    line_doc = np.arange(len(lengths)) // g["lines_per_doc"]
    doc_topic = rng.integers(0, g["topics"], size=int(line_doc[-1]) + 1)
    token_topic = np.repeat(doc_topic[line_doc], lengths)
    ids = nf + _draw(rng, content_cdf, n)
    in_topic = rng.random(n) < g["topic_share"]
    ranks = _draw(rng, _zipf_cdf(g["topic_words"], g["zipf_s"]), n)
    ids[in_topic] = topics[token_topic[in_topic], ranks[in_topic]]
    function = rng.random(n) < g["function_share"]
    ids[function] = _draw(rng, _zipf_cdf(nf, 1.0), int(function.sum()))
    ends = np.cumsum(lengths)
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as out:
        tokens_text = words[ids]
        for start, end in zip(ends - lengths, ends, strict=True):
            out.write(" ".join(tokens_text[start:end]))
            out.write("\n")
    tmp.replace(path)
    return {"params": g, "tokens": n, "lines": len(lengths), "bytes": path.stat().st_size}


def ensure_corpus(data: Path, tokens: int) -> Path:
    """The corpus for ``tokens``, generated unless it exists with the same parameters."""
    data.mkdir(parents=True, exist_ok=True)
    path = data / f"corpus-{tokens}.txt"
    meta_path = data / f"corpus-{tokens}.json"
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("params") == GEN and meta.get("bytes") == path.stat().st_size:
            return path
    start = time.perf_counter()
    meta = generate(path, tokens)
    meta["seconds"] = round(time.perf_counter() - start, 1)
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    print(f"generated {path}: {meta['tokens']:,} tokens, {meta['lines']:,} lines", flush=True)
    return path


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _Recorder:
    """A Progress that keeps the last status of every bar (e.g. "spilled 3 parts")."""

    def __init__(self) -> None:
        self.statuses: dict[str, str] = {}

    def bar(self, description: str, *, total: int | None = None, unit: str = "it") -> Any:
        from contextlib import contextmanager

        recorder = self

        class _Bar:
            def update(self, n: int = 1) -> None:
                pass

            def status(self, text: str) -> None:
                recorder.statuses[description] = text

        @contextmanager
        def _cm() -> Any:
            yield _Bar()

        return _cm()


def _check(corpus: Any, vocab: Any, cooc: Any) -> list[str]:
    """Invariants of a symmetric, distance-weighted count; an empty list if all hold."""
    problems = []
    keys = cooc.rows.astype(np.int64) * cooc.vocab_size + cooc.cols
    if len(keys) and not np.all(keys[1:] > keys[:-1]):
        problems.append("pairs are not sorted and unique")
    order = np.lexsort((cooc.rows, cooc.cols))
    same = np.array_equal(cooc.rows, cooc.cols[order]) and np.array_equal(
        cooc.values, cooc.values[order]
    )
    if not same:
        problems.append("the matrix is not symmetric")
    index = vocab.index()
    lengths = np.array([sum(t in index for t in tokens) for tokens in corpus], dtype=np.int64)
    d = np.arange(1, WINDOW + 1)
    expected = float((2 * np.maximum(lengths[:, None] - d, 0) / d).sum())
    total = float(cooc.values.astype(np.float64).sum())
    if abs(total - expected) > 1e-5 * expected:
        problems.append(f"total weight {total:.1f} is not the closed form {expected:.1f}")
    return problems


def child(path: Path, memory_gb: float, save_npz: Path | None) -> dict[str, Any]:
    from aligner.corpus import Corpus
    from aligner.train.cooccur import count_cooccurrences, count_vocab

    corpus = Corpus(path)
    recorder = _Recorder()
    start = time.perf_counter()
    vocab = count_vocab(corpus, min_count=MIN_COUNT)
    vocab_s = time.perf_counter() - start
    start = time.perf_counter()
    cooc = count_cooccurrences(corpus, vocab, window=WINDOW, memory_gb=memory_gb, progress=recorder)
    cooc_s = time.perf_counter() - start
    peak = _peak_rss_mb()
    problems = _check(corpus, vocab, cooc)
    if save_npz is not None:
        tmp = save_npz.with_suffix(".tmp.npz")
        arrays = {"rows": cooc.rows, "cols": cooc.cols, "values": cooc.values}
        np.savez(tmp, **arrays, vocab_size=np.array(cooc.vocab_size))
        tmp.replace(save_npz)
    return {
        "memory_gb": memory_gb,
        "vocab_s": round(vocab_s, 2),
        "cooccur_s": round(cooc_s, 2),
        "total_s": round(vocab_s + cooc_s, 2),
        "peak_rss_mb": round(peak),
        "vocab_size": len(vocab),
        "tokens": corpus.tokens_read,
        "nonzero_pairs": len(cooc),
        "status": recorder.statuses,
        "problems": problems,
    }


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(DEFAULT_DATA))
    parser.add_argument("--tokens", type=int, default=12_000_000)
    parser.add_argument("--memory-gb", type=float, action="append", dest="memory")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--save-npz", type=Path, help="write the first run's matrix here")
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.corpus, args.child, args.save_npz)))
        return 0
    if REPO in args.data.resolve().parents:
        parser.error("--data must be outside the repository")
    path = ensure_corpus(args.data, args.tokens)
    print(f"corpus {path}; load average {_loadavg()}; {os.cpu_count()} CPUs", flush=True)
    results, failed = [], False
    for run, memory_gb in enumerate(args.memory or [1.0]):
        before = _loadavg()
        command = [sys.executable, __file__, "--child", str(memory_gb), "--corpus", str(path)]
        if args.save_npz and run == 0:
            command += ["--save-npz", str(args.save_npz.resolve())]
        env = dict(os.environ, PYTHONPATH=str(REPO))
        out = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["loadavg_before"], result["loadavg_after"] = before, _loadavg()
        result["cpus"] = os.cpu_count()
        results.append(result)
        failed |= bool(result["problems"])
        print(json.dumps(result), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
