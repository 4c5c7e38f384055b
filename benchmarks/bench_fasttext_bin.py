"""Time and peak memory of reading a task vocabulary's vectors from a fastText ``.bin`` model.

Writes a synthetic fastText model in Facebook's binary format (``--dir``,
default ``/tmp/aligner-bench/fasttext``): ``--words`` random words (lengths 1
to 14, a few with accents or CJK characters), ``--bucket`` n-gram rows,
``--dim`` columns, values drawn from a seeded normal distribution; the output
matrix is a sparse run of zeros (no reader of word vectors uses it). The
defaults (200,000 words, 2,000,000 buckets, dim 300) make a 2.6 GB input
matrix, like the 2,000,000 buckets of Facebook's ``cc.*.300.bin`` models
(those have 2,000,000 words as well: 7 GB). The task vocabulary is
``--vocab-size`` words: 90 % drawn from the table (the frequent words first),
10 % words the table does not have (composed from their n-grams).

Each method runs in its own fresh Python subprocess, after the model has been
read once (``cat``) so that every run finds it in the page cache:

    gensim          gensim.models.fasttext.load_facebook_vectors + ``wv[token]`` per token
    aligner-read    aligner.pretrained.fasttext_bin.read_fasttext_bin (exact, then subword)
    aligner-build   the whole ``aligner build --pretrained MODEL --vocab V --out DIR``, in-process

Time is wall time inside the child, from before the first aligner/gensim
import to holding the rows (to the written artifact for ``aligner-build``).
Peak memory is the child's ``VmHWM`` (its own RSS high-water mark, mapped
file pages included). The rows of ``gensim`` and ``aligner-read`` are compared
bit for bit (exit status 1 on a mismatch).

Targets (issue 14): peak memory of aligner <= output + touched rows + 150 MB;
time <= gensim's load.

Usage:
    .venv/bin/python benchmarks/bench_fasttext_bin.py --repeat 3
    .venv/bin/python benchmarks/bench_fasttext_bin.py --words 20000 --bucket 100000 --dim 100 \\
        --vocab-size 5000 --repeat 1          # a quick check at a small size
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MAGIC, VERSION = 793712314, 12
LETTERS = "etaoinshrdlcumwfgypbvkjxqz"
EXTRA = "éèüöñçß中文語"


def _word(rng: random.Random) -> str:
    length = min(14, max(1, int(rng.lognormvariate(1.7, 0.45))))
    word = "".join(rng.choice(LETTERS) for _ in range(length))
    if rng.random() < 0.03:
        at = rng.randrange(len(word))
        word = word[:at] + rng.choice(EXTRA) + word[at + 1 :]
    return word


def make_words(count: int, seed: int, avoid: frozenset[str] | set[str] = frozenset()) -> list[str]:
    rng = random.Random(seed)
    words: dict[str, None] = {}
    while len(words) < count:
        word = _word(rng)
        if word not in avoid:
            words.setdefault(word)
    return list(words)


def write_model(path: Path, words: list[str], dim: int, bucket: int, seed: int) -> None:
    """A fastText model file: header, dictionary, input matrix, output matrix (sparse zeros)."""
    rng = np.random.default_rng(seed)
    args = (dim, 5, 5, 1, 5, 1, 2, 2, bucket, 3, 6, 100)
    with path.open("wb") as fh:
        fh.write(struct.pack("<ii12id", MAGIC, VERSION, *args, 1e-4))
        fh.write(struct.pack("<3i2q", len(words), len(words), 0, 10 * len(words), -1))
        for i, word in enumerate(words):
            fh.write(word.encode() + b"\x00" + struct.pack("<qb", len(words) - i, 0))
        rows = len(words) + bucket
        fh.write(struct.pack("<?2q", False, rows, dim))
        step = max(1, (64 << 20) // (4 * dim))
        for start in range(0, rows, step):
            block = rng.standard_normal((min(step, rows - start), dim), np.float32)
            fh.write((block * np.float32(0.1)).astype("<f4").tobytes())
        fh.write(struct.pack("<?2q", False, len(words), dim))
        fh.truncate(fh.tell() + len(words) * dim * 4)


def peak_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _gensim(model: Path, tokens: list[str]) -> tuple[list[str], np.ndarray]:
    from gensim.models.fasttext import load_facebook_vectors

    wv = load_facebook_vectors(str(model))
    return tokens, np.stack([wv[t] for t in tokens])


def _aligner_read(model: Path, tokens: list[str]) -> tuple[list[str], np.ndarray]:
    from aligner.pretrained.fasttext_bin import read_fasttext_bin
    from aligner.vocab import Vocab

    result = read_fasttext_bin(model, Vocab(tokens), fallbacks=("exact", "subword"))
    return result.vectors.keys, result.vectors.vectors


def _aligner_build(model: Path, vocab: Path, out: Path) -> None:
    from aligner_cli.main import cli

    args = ["build", "--pretrained", str(model), "--vocab", str(vocab), "--out", str(out)]
    cli.main([*args, "--force", "--json"], standalone_mode=False)


def child(method: str, model: Path, vocab: Path, save: Path) -> None:
    tokens = vocab.read_text(encoding="utf-8").split("\n")[:-1]
    start = time.perf_counter()
    if method == "aligner-build":
        with tempfile.TemporaryDirectory(dir=save.parent) as tmp:
            _aligner_build(model, vocab, Path(tmp) / "art")
            seconds = time.perf_counter() - start
        keys: list[str] = []
    else:
        run = _gensim if method == "gensim" else _aligner_read
        keys, rows = run(model, tokens)
        seconds = time.perf_counter() - start
        np.save(save, rows)
    report = {"method": method, "seconds": seconds, "peak_mb": peak_rss_mb(), "keys": keys}
    print(json.dumps(report))


def _measure(method: str, model: Path, vocab: Path, save: Path) -> dict[str, Any]:
    subprocess.run(["cat", str(model)], stdout=subprocess.DEVNULL, check=True)
    cmd = [sys.executable, __file__, "--child", method, "--model", str(model)]
    cmd += ["--vocab-file", str(vocab), "--save", str(save)]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"{method} failed:\n{done.stderr}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    report["process_seconds"] = time.perf_counter() - started
    return report


def _compare(gensim: dict[str, Any], ours: dict[str, Any], folder: Path) -> str:
    theirs = np.load(folder / "gensim.npy")
    mine = np.load(folder / "aligner-read.npy")
    row = {token: i for i, token in enumerate(gensim["keys"])}
    same = sum(
        mine[i].tobytes() == theirs[row[key]].tobytes() for i, key in enumerate(ours["keys"])
    )
    return f"{same}/{len(ours['keys'])} rows of aligner-read equal gensim's bit for bit"


def touched_rows(words: list[str], tokens: list[str], bucket: int) -> int:
    """The distinct input-matrix rows the vocabulary's vectors use (own rows and n-gram rows)."""
    from aligner.pretrained.fasttext_subword import ngram_buckets

    index = {w: i for i, w in enumerate(words)}
    ids, _ = ngram_buckets(tokens, 3, 6, bucket)
    own = {index[t] for t in tokens if t in index}
    return len(own) + len(np.unique(ids))


def prepare(args: argparse.Namespace) -> tuple[Path, Path, int]:
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"w{args.words}-b{args.bucket}-d{args.dim}"
    model, vocab = folder / f"{stem}.bin", folder / f"{stem}-vocab{args.vocab_size}.txt"
    words = make_words(args.words, seed=1)
    if not model.exists():
        print(f"writing {model} ...", file=sys.stderr)
        write_model(model, words, args.dim, args.bucket, seed=2)
    known = int(args.vocab_size * 0.9)
    rng = random.Random(3)
    head = words[: max(known, args.words // 2)]
    tokens = rng.sample(head, min(known, len(head)))
    tokens += make_words(args.vocab_size - len(tokens), seed=4, avoid=set(words))
    vocab.write_text("".join(t + "\n" for t in tokens), encoding="utf-8")
    args.touched = touched_rows(words, tokens, args.bucket)
    return model, vocab, len(tokens) - known


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", default="/tmp/aligner-bench/fasttext")
    parser.add_argument("--words", type=int, default=200_000)
    parser.add_argument("--bucket", type=int, default=2_000_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--vocab-size", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="gensim,aligner-read,aligner-build")
    parser.add_argument("--json", help="write the results here too")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--vocab-file", help=argparse.SUPPRESS)
    parser.add_argument("--save", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.model), Path(args.vocab_file), Path(args.save))
        return
    model, vocab, oov = prepare(args)
    size = model.stat().st_size
    matrix = (args.words + args.bucket) * args.dim * 4
    output = args.vocab_size * args.dim * 4 / 2**20
    touched = args.touched * args.dim * 4 / 2**20
    print(f"model {model}: {size / 2**20:,.0f} MiB (input matrix {matrix / 2**20:,.0f} MiB)")
    print(f"task vocabulary: {args.vocab_size:,} words, {oov:,} not in the table")
    print(f"output {output:,.1f} MiB; touched rows {args.touched:,} ({touched:,.0f} MiB)")
    print(f"target peak for aligner: output + touched + 150 = {output + touched + 150:,.0f} MiB")
    results: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for method in args.only.split(","):
            for _ in range(args.repeat):
                save = Path(tmp) / f"{method}.npy"
                results.setdefault(method, []).append(_measure(method, model, vocab, save))
        if {"gensim", "aligner-read"} <= results.keys():
            print(_compare(results["gensim"][-1], results["aligner-read"][-1], Path(tmp)))
    print(f"{'method':<14} {'seconds (median)':>17} {'runs':>24} {'peak MiB':>9}")
    for method, runs in results.items():
        seconds = [r["seconds"] for r in runs]
        listed = " ".join(f"{s:.2f}" for s in seconds)
        peak = max(r["peak_mb"] for r in runs)
        print(f"{method:<14} {statistics.median(seconds):>17.2f} {listed:>24} {peak:>9.0f}")
    if args.json:
        for runs in results.values():
            for run in runs:
                run.pop("keys", None)
        machine = {"cpus": os.cpu_count(), "load": os.getloadavg()}
        Path(args.json).write_text(json.dumps({"machine": machine, "results": results}, indent=1))


if __name__ == "__main__":
    main()
