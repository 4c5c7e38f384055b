"""Train a small GRU text classifier five ways, differing only in the embedding set-up.

The script builds an embedding artifact from ``data_samples/`` (word2vec on
``corpus.txt``, aligned to ``vocab.txt``), then trains the same classifier
(embedding → GRU → linear, Adam, same seed and hyper-parameters) on
``train.tsv`` and reports accuracy on ``test.tsv``. The five ways:

- ``random``: baseline, a fresh ``nn.Embedding`` with torch's default
  initialisation, trained with the rest of the model;
- ``init``: the pretrained vectors are only the *initial values*
  (``art.embedding("trainable")``), trained at the same learning rate;
- ``frozen``: the pretrained vectors never change
  (``art.embedding("frozen")``); the optimizer never sees them;
- ``slow``: trainable, but with a *slower learning rate* than the rest of
  the model (``aligner.param_groups(..., embedding_lr=lr / 10)``);
- ``partial``: *partial freezing* (``art.embedding("partial")``): rows that
  found a pretrained vector stay fixed, the randomly filled rows (words absent
  from the corpus, and ``<unk>``) are trained.

The first three are the textbook ways of using pretrained vectors; ``random``
is the baseline they are measured against. In ``test.tsv`` most topic words
never occur in ``train.tsv``, so a randomly initialised embedding has little
to go on, while word2vec places those words next to the seen words of their
topic.

Run it from the repository root::

    make example
    python examples/train_classifier.py [--artifact DIR] [--epochs N] [--seed S]

Without ``--artifact`` it builds a fresh artifact in a temporary directory
(a few seconds). Everything is seeded: two runs print the same table.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

import aligner

DATA = Path(__file__).resolve().parent.parent / "data_samples"
WAYS = ("random", "init", "frozen", "slow", "partial")
DIM, HIDDEN, BATCH, LR, SLOW_FACTOR = 50, 64, 32, 3e-3, 0.1


@dataclass
class Split:
    """Padded token ids, true lengths and label ids of one data split."""

    ids: torch.Tensor
    lengths: torch.Tensor
    labels: torch.Tensor


@dataclass
class Outcome:
    """What one way of training achieved."""

    way: str
    trainable: int
    train_acc: float
    test_acc: float


class Classifier(nn.Module):
    """Embedding → GRU → linear over the labels, from the last hidden state."""

    def __init__(self, hidden: int, n_labels: int, dim: int = DIM) -> None:
        super().__init__()
        self.gru = nn.GRU(dim, hidden, batch_first=True)
        self.out = nn.Linear(hidden, n_labels)
        self.embedding: nn.Module = nn.Identity()

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(
            self.embedding(ids), lengths, batch_first=True, enforce_sorted=False
        )
        _, last = self.gru(packed)
        return self.out(last[-1])


def read_tsv(path: Path) -> tuple[list[str], list[str]]:
    """Labels and texts of a ``label<TAB>text`` file."""
    rows = [line.split("\t", 1) for line in path.read_text(encoding="utf-8").splitlines()]
    return [label for label, _ in rows], [text for _, text in rows]


def make_split(path: Path, art: aligner.Artifact, label_ids: dict[str, int]) -> Split:
    """Encode a split with the artifact's tokenizer, padded with the pad id (its collate)."""
    labels, texts = read_tsv(path)
    collate = art.encoder().collate(text_key="text", label_key="label")
    pairs = zip(texts, labels, strict=True)
    examples = [{"text": text, "label": label_ids[label]} for text, label in pairs]
    batch = collate(examples)
    return Split(batch["input_ids"], batch["lengths"].clamp(min=1), batch["labels"])


def build_artifact(data: Path, out: Path, seed: int) -> Path:
    """Train word2vec on the corpus and write the aligned artifact to ``out``."""
    config = aligner.BuildConfig(
        corpus=data / "corpus.txt",
        vocab=data / "vocab.txt",
        out=out,
        params=aligner.Word2VecParams(dim=DIM, min_count=2, epochs=10, window=5),
        seed=seed,
        force=True,
    )
    return aligner.build(config).path


def make_embedding(way: str, art: aligner.Artifact) -> nn.Module:
    """The embedding layer of one way.

    Each ``art.embedding()`` call maps the vectors afresh (copy-on-write), so
    training one way's layer never changes the starting values of the next.
    """
    if way == "random":
        return nn.Embedding(len(art.vocab), art.dim, padding_idx=art.vocab.pad_id)
    mode = {"init": "trainable", "slow": "trainable"}.get(way, way)
    return art.embedding(mode)


def make_optimizer(way: str, model: Classifier, lr: float) -> torch.optim.Optimizer:
    """Adam over the trainable parameters; ``slow`` gives the embedding lr / 10."""
    if way == "slow":
        groups = aligner.param_groups(model, model.embedding, lr=lr, embedding_lr=lr * SLOW_FACTOR)
        return torch.optim.Adam(groups)
    return torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)


def accuracy(model: Classifier, split: Split) -> float:
    """Share of the split classified correctly."""
    model.eval()
    with torch.no_grad():
        predicted = model(split.ids, split.lengths).argmax(dim=1)
    model.train()
    return float((predicted == split.labels).float().mean())


def train(
    model: Classifier, optimizer: torch.optim.Optimizer, data: Split, epochs: int, seed: int
) -> None:
    """Mini-batch training with cross-entropy, batches drawn by a seeded generator."""
    generator = torch.Generator().manual_seed(seed)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        for batch in torch.randperm(len(data.labels), generator=generator).split(BATCH):
            optimizer.zero_grad()
            logits = model(data.ids[batch], data.lengths[batch])
            loss_fn(logits, data.labels[batch]).backward()
            optimizer.step()


def run_way(
    way: str, art: aligner.Artifact, splits: tuple[Split, Split], args: argparse.Namespace
) -> Outcome:
    """Seed, build the model with this way's embedding, train, evaluate."""
    train_split, test_split = splits
    torch.manual_seed(args.seed)
    model = Classifier(args.hidden, int(train_split.labels.max()) + 1)
    model.embedding = make_embedding(way, art)
    optimizer = make_optimizer(way, model, args.lr)
    train(model, optimizer, train_split, args.epochs, args.seed)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return Outcome(way, trainable, accuracy(model, train_split), accuracy(model, test_split))


def print_table(outcomes: Sequence[Outcome]) -> None:
    """One line per way: trainable parameters, train and test accuracy."""
    print(f"{'way':<8} {'trainable':>9} {'train acc':>9} {'test acc':>9}")
    for o in outcomes:
        print(f"{o.way:<8} {o.trainable:>9,} {o.train_acc:>9.3f} {o.test_acc:>9.3f}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options; the defaults reproduce the documented table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--artifact", type=Path, help="use this existing artifact directory")
    parser.add_argument("--data", type=Path, default=DATA, help="directory of the sample data")
    parser.add_argument("--epochs", type=int, default=10, help="training epochs (default 10)")
    parser.add_argument("--seed", type=int, default=1, help="seed for everything (default 1)")
    parser.add_argument("--lr", type=float, default=LR, help=f"Adam learning rate ({LR})")
    parser.add_argument("--hidden", type=int, default=HIDDEN, help=f"GRU size ({HIDDEN})")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    return parser.parse_args(argv)


def run_all(artifact: Path, args: argparse.Namespace) -> list[Outcome]:
    """Train and evaluate every way on the artifact's encoding of the data."""
    art = aligner.load(artifact)
    labels, _ = read_tsv(args.data / "train.tsv")
    label_ids = {label: i for i, label in enumerate(sorted(set(labels)))}
    splits = (
        make_split(args.data / "train.tsv", art, label_ids),
        make_split(args.data / "test.tsv", art, label_ids),
    )
    coverage = art.coverage
    if coverage is not None:
        print(
            f"artifact: {len(art.vocab)} rows x {art.dim}, type coverage "
            f"{coverage.type_coverage:.1%}, token coverage {coverage.token_coverage:.1%}"
        )
    return [run_way(way, art, splits, args) for way in WAYS]


def main(argv: Sequence[str] | None = None) -> None:
    """Build (or open) the artifact, train every way, print the table."""
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.artifact is not None:
        outcomes = run_all(args.artifact, args)
    else:
        with tempfile.TemporaryDirectory(prefix="aligner-example-") as tmp:
            artifact = build_artifact(args.data, Path(tmp) / "artifact", args.seed)
            outcomes = run_all(artifact, args)
    print_table(outcomes)


if __name__ == "__main__":
    main()
