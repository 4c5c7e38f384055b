"""Time text → ids encoding on one core: a plain Python loop against aligner's Encoder.

Generates (seeded, in memory, nothing written) a corpus of word-like tokens:
the word types of ``data_samples/`` (corpus and vocabulary) followed by
made-up words of 1 to 4 syllables, ranked so that shorter words tend to be
more frequent, drawn from a Zipf law (s = 1.05) over 70,000 types; rows of
20 to 30 tokens; 10 % of rows start with a capital, 6 % of tokens carry a
trailing ``,`` or ``.``. The vocabulary is the 50,000 most frequent types
(the rest, and the punctuated forms, are unknown tokens).

Methods (tokens/second = ids produced / best wall time):

  plain-loop        [[index.get(t, unk) for t in s.split()] for s in texts]
  encoder-list      Encoder(vocab, TokenizerSpec())(texts)          (Python list in and out)
  encoder-arrow     Encoder(...)(pa.array(texts))                   (one array; list<int32> out)
  encoder-batches   Encoder(...)(batch) for 64k-row record batches of a table
  plain-lower       the plain loop on s.lower().split()
  arrow-lower       Encoder with TokenizerSpec(lowercase=True) on the array
  arrow-regex       Encoder with TokenizerSpec(kind="regex") on the array
  python-regex      aligner.encode.encode() with the regex spec (the reference), on the
                    first tenth of the rows (it is slow), for scale

Every method's ids are checked equal to the reference for its tokenizer
(MISMATCH and exit status 1 otherwise). The process pins itself to one CPU
(``--cpu``, as ``taskset -c 0`` does) and sets pyarrow's CPU and I/O thread
counts to 1. Each method runs ``--repeat`` times (best taken), with the
garbage collector off during the timed call.

Usage:
    taskset -c 0 python benchmarks/bench_encode.py --repeat 5 --json /tmp/aligner-bench/encode.json
    python benchmarks/bench_encode.py --tokens 1000000 --repeat 2   # a quick run
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SEED = 20240613
TYPES, VOCAB_SIZE, ZIPF_S = 70_000, 50_000, 1.05
ROW_MIN, ROW_MAX = 20, 30
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"] + ["th", "ch", "sh", "qu"]


def word_types(rng: np.random.Generator) -> list[str]:
    """TYPES distinct lowercase words: data_samples' words, then made-up ones."""
    seen: dict[str, None] = {}
    for name in ("corpus.txt", "vocab.txt"):
        for line in (REPO / "data_samples" / name).read_text(encoding="utf-8").splitlines():
            for word in line.split("\t")[0].split():
                seen.setdefault(word.lower())
    sample = len(seen)
    sizes = rng.choice([1, 2, 3, 4], size=4 * TYPES, p=[0.08, 0.42, 0.35, 0.15])
    picks = rng.integers(0, len(SYLLABLES), size=(4 * TYPES, 4))
    for size, row in zip(sizes.tolist(), picks.tolist(), strict=True):
        seen.setdefault("".join(SYLLABLES[k] for k in row[:size]))
        if len(seen) >= TYPES:
            break
    words = list(seen)[:TYPES]
    made_up = sorted(words[sample:], key=lambda w: (len(w), w))
    return words[:sample] + made_up  # rank: sample words, then shorter made-up words first


def corpus(tokens: int) -> tuple[list[str], list[str]]:
    """(texts, vocabulary words), seeded."""
    rng = np.random.default_rng(SEED)
    words = np.array(word_types(rng), dtype=object)
    cdf = np.cumsum(1.0 / np.arange(1, TYPES + 1) ** ZIPF_S)
    cdf /= cdf[-1]
    lengths = rng.integers(ROW_MIN, ROW_MAX + 1, size=tokens // ((ROW_MIN + ROW_MAX) // 2) + 1)
    lengths = lengths[: np.searchsorted(np.cumsum(lengths), tokens) + 1]
    drawn = words[np.minimum(np.searchsorted(cdf, rng.random(int(lengths.sum()))), TYPES - 1)]
    punct = rng.random(drawn.size)
    drawn[punct < 0.03] = drawn[punct < 0.03] + ","
    drawn[(punct >= 0.03) & (punct < 0.06)] = drawn[(punct >= 0.03) & (punct < 0.06)] + "."
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    capital = starts[rng.random(starts.size) < 0.10]
    drawn[capital] = [w[:1].upper() + w[1:] for w in drawn[capital]]
    bounds = np.concatenate([starts, [drawn.size]]).tolist()
    texts = [" ".join(drawn[a:b]) for a, b in pairwise(bounds)]
    return texts, words[:VOCAB_SIZE].tolist()


def best_of(repeat: int, func: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        result = None
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            result = func()
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best, result


def flat_ids(result: Any) -> np.ndarray:
    """All ids of a result (Python lists, an Arrow array or a list of arrays), flat."""
    import pyarrow as pa

    if isinstance(result, list) and result and isinstance(result[0], pa.Array):
        return np.concatenate([flat_ids(part) for part in result])
    if isinstance(result, pa.Array | pa.ChunkedArray):
        return np.asarray(result.flatten(), dtype=np.int64)
    return np.fromiter((i for row in result for i in row), dtype=np.int64)


def methods(texts: list[str], vocab: Any) -> dict[str, tuple[Callable[[], Any], str]]:
    """name → (timed call, reference name)."""
    import pyarrow as pa

    from aligner.encode import Encoder, encode
    from aligner.tokenize import TokenizerSpec

    index, unk = vocab._index, vocab.unk_id
    array = pa.array(texts, type=pa.string())
    table = pa.table({"text": array})
    batches = table.to_batches(max_chunksize=65_536)
    plain = Encoder(vocab, TokenizerSpec())
    lower = Encoder(vocab, TokenizerSpec(lowercase=True))
    regex = Encoder(vocab, TokenizerSpec(kind="regex"))
    tenth = texts[: len(texts) // 10]
    return {
        "plain-loop": (lambda: [[index.get(t, unk) for t in s.split()] for s in texts], "plain"),
        "encoder-list": (lambda: plain(texts), "plain"),
        "encoder-arrow": (lambda: plain(array), "plain"),
        "encoder-batches": (lambda: [plain(b, column="text") for b in batches], "plain"),
        "plain-lower": (
            lambda: [[index.get(t, unk) for t in s.lower().split()] for s in texts],
            "lower",
        ),
        "arrow-lower": (lambda: lower(array), "lower"),
        "arrow-regex": (lambda: regex(array), "regex"),
        "python-regex": (lambda: encode(tenth, vocab, TokenizerSpec(kind="regex")), "regex-10"),
    }


def references(texts: list[str], vocab: Any, needed: set[str]) -> dict[str, np.ndarray]:
    from aligner.encode import encode
    from aligner.tokenize import TokenizerSpec

    specs = {"plain": TokenizerSpec(), "lower": TokenizerSpec(lowercase=True)}
    specs["regex"] = specs["regex-10"] = TokenizerSpec(kind="regex")
    out = {}
    for name in needed:
        subset = texts[: len(texts) // 10] if name == "regex-10" else texts
        out[name] = flat_ids(encode(subset, vocab, specs[name]))
    return out


def machine() -> dict[str, Any]:
    import pyarrow as pa

    model = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "cpu_model": model,
        "nproc": os.cpu_count(),
        "affinity": sorted(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pyarrow": pa.__version__,
        "loadavg": os.getloadavg(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=10_500_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs per method; best taken")
    parser.add_argument("--cpu", type=int, default=0, help="the one CPU to run on")
    parser.add_argument("--only", help="comma-separated method names")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    os.sched_setaffinity(0, {args.cpu})
    import pyarrow as pa

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    from aligner.vocab import Vocab

    texts, words = corpus(args.tokens)
    vocab = Vocab(words)
    info = machine()
    n_bytes = sum(len(t.encode()) for t in texts)
    n_tokens = sum(len(t.split()) for t in texts)
    print(
        f"{len(texts):,} rows, {n_tokens:,} tokens (whitespace), {n_bytes / n_tokens - 1:.2f} "
        f"bytes per token, vocabulary {len(vocab):,}; {info['cpu_model']}, pinned to CPU "
        f"{args.cpu}; load average {info['loadavg'][0]:.2f}",
        flush=True,
    )
    table = methods(texts, vocab)
    chosen = args.only.split(",") if args.only else list(table)
    refs = references(texts, vocab, {table[name][1] for name in chosen})
    results, failed = [], False
    for name in chosen:
        func, ref = table[name]
        seconds, result = best_of(args.repeat, func)
        ids = flat_ids(result)
        ok = np.array_equal(ids, refs[ref])
        failed |= not ok
        results.append({"method": name, "tokens": int(ids.size), "seconds": seconds, "ok": ok})
        del result
        rate = ids.size / seconds / 1e6
        print(f"  {name:16s} {seconds:8.3f} s  {rate:7.2f} M tokens/s  {'' if ok else 'MISMATCH'}")
    base = {r["method"]: r["tokens"] / r["seconds"] for r in results}
    print()
    print("| method | tokens | best s | M tokens/s | × plain-loop |")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        rate = r["tokens"] / r["seconds"]
        ratio = f"{rate / base['plain-loop']:.2f}×" if "plain-loop" in base else "-"
        cells = [r["method"], f"{r['tokens']:,}", f"{r['seconds']:.3f}", f"{rate / 1e6:.2f}", ratio]
        print("| " + " | ".join(cells) + " |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        meta = {"tokens": n_tokens, "rows": len(texts), "bytes": n_bytes, "repeat": args.repeat}
        data = {"machine": info, "corpus": meta, "results": results}
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    if failed:
        print("MISMATCH: some method's ids differ from the reference", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
