"""Time ``aligner compare``: 5 ways × 3 seeds × GRU on a dataset-1 task (TREC-6 by default).

The target (issue 10): random, init, frozen, slow and partial, 3 seeds each,
the GRU with its defaults, on TREC-6's 5,452 training questions, in at most
5 minutes on 2 CPU cores. The script runs exactly ``aligner.compare`` with
those settings (one torch thread, the default), prints the table, the wall
time of the whole call (reading, encoding, training, scoring; writing the
results under ``--out``) and the sum and slowest of the runs' own times, and
writes ``bench.json`` beside the results.

Usage:
    python benchmarks/bench_compare.py --artifact build/trec-w2v \\
        --train /work/shared/data/dataset1/trec6/train.tsv \\
        --test /work/shared/data/dataset1/trec6/test.tsv
    python benchmarks/bench_compare.py --artifact build/demo --train data_samples/train.tsv \\
        --test data_samples/test.tsv     # a quick check of the script itself
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import aligner  # noqa: E402
from aligner.compare import ClassifierSettings, report_lines  # noqa: E402

TARGET_S = 300.0
WAYS = "random,init,frozen,slow,partial"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--artifact", action="append", required=True, help="artifact directory")
    parser.add_argument("--train", required=True, help="training file (label<TAB>text)")
    parser.add_argument("--test", required=True, help="test file")
    parser.add_argument("--text-column", default="2")
    parser.add_argument("--label-column", default="1")
    parser.add_argument("--ways", default=WAYS)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--model", default="gru", choices=["gru", "cnn"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("/tmp/aligner-bench/compare"))
    return parser.parse_args()


def machine() -> dict[str, Any]:
    import torch

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    result = aligner.compare(
        args.artifact,
        args.train,
        args.test,
        text_column=args.text_column,
        label_column=args.label_column,
        ways=args.ways.split(","),
        seeds=args.seeds,
        settings=ClassifierSettings(model=args.model),
        threads=args.threads,
        out=args.out,
        force=True,
    )
    wall = time.perf_counter() - start
    for line in report_lines(result):
        print(line)
    run_seconds = [r.seconds for r in result.runs]
    slowest = max(result.runs, key=lambda r: r.seconds)
    print(
        f"\n{len(result.runs)} runs in {wall:.1f} s wall (target {TARGET_S:.0f} s: "
        f"{'met' if wall <= TARGET_S else 'MISSED'}); runs {sum(run_seconds):.1f} s in all, "
        f"slowest {slowest.way} seed {slowest.seed}: {slowest.seconds:.1f} s "
        f"({slowest.epochs_run} epochs)"
    )
    report = {
        "wall_s": wall,
        "runs_s": sum(run_seconds),
        "target_s": TARGET_S,
        "runs": len(result.runs),
        "machine": machine(),
        "result": result.to_dict(),
    }
    (args.out / "bench.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
