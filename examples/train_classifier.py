"""Does a classifier on the bundled dataset 1 gain from vectors learned on dataset 0? (Python API)

The experiment of ``make example`` (``aligner compare``), from Python: build an
artifact from ``data_samples/`` (word2vec on ``corpus.txt``, aligned to
``vocab.txt``), then train the same GRU classifier on ``train.tsv`` five ways
that differ only in the embedding set-up (random, init, frozen, slow,
partial) over three seeds, and score each on ``test.tsv``.

In ``test.tsv`` most topic words never occur in ``train.tsv``, so a randomly
initialised embedding has little to go on, while word2vec places those words
next to the seen words of their topic.

Run it from the repository root::

    python examples/train_classifier.py [--artifact DIR] [--seeds N] [--model gru|cnn]

Without ``--artifact`` it builds a fresh artifact in a temporary directory
(a few seconds). Everything is seeded: two runs print the same numbers.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from pathlib import Path

import aligner
from aligner.compare import report_lines

DATA = Path(__file__).resolve().parent.parent / "data_samples"


def build_artifact(out: Path) -> Path:
    """Train word2vec on the sample corpus and write the aligned artifact to ``out``."""
    config = aligner.BuildConfig(
        corpus=DATA / "corpus.txt",
        vocab=DATA / "vocab.txt",
        out=out,
        params=aligner.Word2VecParams(dim=50, min_count=2, epochs=10),
        seed=1,
        force=True,
    )
    return aligner.build(config).path


def run(artifact: Path, args: argparse.Namespace) -> aligner.Comparison:
    """Every way, every seed, on the sample splits (the dev set: 10 % of train)."""
    return aligner.compare(
        artifact,
        DATA / "train.tsv",
        DATA / "test.tsv",
        text_column="2",  # label<TAB>text, no header line: columns by number
        label_column="1",
        ways=["random", "init", "frozen", "slow", "partial"],
        seeds=args.seeds,
        settings=aligner.ClassifierSettings(model=args.model),
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Build (or open) the artifact, compare the ways, print the table and the best way."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--artifact", type=Path, help="use this existing artifact directory")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per way (default 3)")
    parser.add_argument("--model", choices=["gru", "cnn"], default="gru")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="aligner-example-") as tmp:
        artifact = args.artifact or build_artifact(Path(tmp) / "artifact")
        result = run(artifact, args)
    for line in report_lines(result):
        print(line)
    best = max(result.summaries, key=lambda s: s.accuracy)
    baseline = next(s for s in result.summaries if s.way == "random")
    print(
        f"\nbest: {best.way}, test accuracy {best.accuracy:.3f} against "
        f"{baseline.accuracy:.3f} for random vectors"
    )


if __name__ == "__main__":
    main()
