"""GloVe (Pennington, Socher and Manning, 2014) in torch, on CPU or CUDA.

Minimises the weighted least-squares objective over the non-zero entries of a
co-occurrence matrix ``X``::

    J = sum_ij f(X_ij) (w_i · w~_j + b_i + b~_j - log X_ij)^2
    f(x) = (x / x_max) ** alpha  if x < x_max  else 1

with AdaGrad on shuffled minibatches of pairs. Each minibatch is one sparse
matrix over the words and contexts it touches: its dot products are a sampled
dense-dense product (SDDMM) of their rows, and the gradients (and AdaGrad's
per-pair squared gradients) sparse-dense products, so no per-pair copy of the
vectors is ever made. Same seed on CPU: bit-identical results.

The biases ride along as two extra columns, ``[w | b | 1]`` and
``[w~ | 1 | b~]``: one dot product then gives ``w·w~ + b + b~``, and one AdaGrad
update moves vectors and biases together (the gradient of each constant column
is zeroed, so it stays exactly 1).

Example:
    >>> from aligner.corpus import Corpus
    >>> from aligner.train.cooccur import count_cooccurrences, count_vocab
    >>> corpus = Corpus("data_samples/corpus.txt")  # doctest: +SKIP
    >>> vocab = count_vocab(corpus)  # doctest: +SKIP
    >>> cooc = count_cooccurrences(corpus, vocab)  # doctest: +SKIP
    >>> wv = train_glove(cooc, vocab, GloveParams(dim=50))  # doctest: +SKIP
    >>> wv.vectors.shape  # doctest: +SKIP
    (512, 50)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from aligner.errors import InputError, TrainingError
from aligner.progress import SILENT, Progress
from aligner.train.defaults import GLOVE_EPOCHS, GLOVE_X_MAX, seed_of
from aligner.vectors import WordVectors

if TYPE_CHECKING:
    import torch

__all__ = [
    "OUTPUTS",
    "CooccurrencesLike",
    "GloveModel",
    "GloveParams",
    "fit_glove",
    "glove_loss",
    "resolve_device",
    "train_glove",
    "weighting",
]

OUTPUTS = ("sum", "word", "context", "concat")
DEVICES = ("auto", "cpu", "cuda")


class CooccurrencesLike(Protocol):
    """What training reads: the non-zero entries ``X[rows[k], cols[k]] = values[k]``."""

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    vocab_size: int


class VocabLike(Protocol):
    """The words of the co-occurrence rows, in row order."""

    words: list[str]


@dataclass(frozen=True)
class GloveParams:
    """GloVe hyper-parameters.

    Attributes:
        dim: vector size.
        epochs: passes over the non-zero co-occurrences.
        x_max: co-occurrence count at which the weight ``f`` reaches 1. The
            paper's 100 was set for corpora of billions of tokens; on 1 M and
            10 M tokens 10 is better (WordSim353 0.241 vs 0.123 on 1 M, 0.321
            vs 0.249 on 10 M; ``benchmarks/README.md``, "Quality").
        alpha: exponent of the weight below ``x_max``.
        learning_rate: scales the vector gradients before AdaGrad sums their
            squares, as the reference implementation's ``-eta`` does: a
            coordinate's first step is about ``learning_rate`` times its
            gradient. Biases take no learning rate (as there).
        batch_size: co-occurrence pairs per minibatch.
        output: the vectors returned: ``"sum"`` (``W + W~``, as the paper
            does), ``"word"`` (``W``), ``"context"`` (``W~``) or ``"concat"``
            (``[W, W~]``, twice ``dim`` wide).
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
        threads: CPU threads for torch during training; ``None`` keeps
            torch's setting.
        seed: seeds initialisation and the shuffles; on CPU the same seed
            gives bit-identical vectors. ``None`` (unset) trains with the
            build's seed (:class:`~aligner.pipeline.BuildConfig` ``seed``), else 0.
    """

    dim: int = 100
    epochs: int = GLOVE_EPOCHS
    x_max: float = GLOVE_X_MAX
    alpha: float = 0.75
    learning_rate: float = 0.05
    batch_size: int = 2**16
    output: str = "sum"
    device: str = "auto"
    threads: int | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("dim", "epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise InputError(f"GloVe {name} must be at least 1, got {getattr(self, name)}")
        if self.threads is not None and self.threads < 1:
            raise InputError(f"GloVe threads must be at least 1 or None, got {self.threads}")
        if not (self.x_max > 0 and self.learning_rate > 0 and self.alpha >= 0):
            raise InputError(
                "GloVe needs x_max > 0, learning_rate > 0 and alpha >= 0, got "
                f"x_max={self.x_max}, learning_rate={self.learning_rate}, alpha={self.alpha}"
            )
        if self.output not in OUTPUTS:
            raise InputError(
                f"unknown GloVe output {self.output!r}; choose one of: {', '.join(OUTPUTS)}"
            )
        _check_device_name(self.device)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters, for the manifest."""
        return asdict(self)


@dataclass
class GloveModel:
    """Trained GloVe parameters as float32 numpy arrays.

    Attributes:
        word: ``W``, shape ``(vocab_size, dim)``.
        context: ``W~``, shape ``(vocab_size, dim)``.
        word_bias: ``b``, shape ``(vocab_size,)``.
        context_bias: ``b~``, shape ``(vocab_size,)``.
        loss_per_epoch: each epoch's mean weighted loss (see :func:`fit_glove`).
        device: where it was trained, e.g. ``"cpu"`` or ``"cuda:0"``.
    """

    word: np.ndarray
    context: np.ndarray
    word_bias: np.ndarray
    context_bias: np.ndarray
    loss_per_epoch: list[float] = field(default_factory=list)
    device: str = "cpu"

    def vectors(self, output: str = "sum") -> np.ndarray:
        """The word vectors of one of :data:`OUTPUTS`.

        Raises:
            InputError: an unknown output.
        """
        if output == "sum":
            return self.word + self.context
        if output == "word":
            return self.word.copy()
        if output == "context":
            return self.context.copy()
        if output == "concat":
            return np.concatenate([self.word, self.context], axis=1)
        raise InputError(f"unknown GloVe output {output!r}; choose one of: {', '.join(OUTPUTS)}")


def _check_device_name(name: str) -> None:
    if name in DEVICES or (name.startswith("cuda:") and name[5:].isdigit()):
        return
    raise InputError(f"unknown device {name!r}; choose one of: auto, cpu, cuda (or cuda:N)")


def resolve_device(name: str) -> torch.device:
    """The torch device meant by ``--device``.

    Args:
        name: ``"auto"`` (CUDA when available, else CPU), ``"cpu"``,
            ``"cuda"`` or ``"cuda:N"``.

    Raises:
        InputError: an unknown name, or CUDA asked for without a CUDA GPU.

    Example:
        >>> resolve_device("cpu")
        device(type='cpu')
    """
    import torch

    _check_device_name(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise InputError(f"--device {name}: no CUDA GPU is available; use --device cpu or auto")
        index = int(name[5:]) if ":" in name else None
        if index is not None and index >= torch.cuda.device_count():
            raise InputError(
                f"--device {name}: only {torch.cuda.device_count()} CUDA GPU(s) are visible; "
                "use --device cuda"
            )
    return torch.device(name)


def weighting(x: torch.Tensor, x_max: float, alpha: float) -> torch.Tensor:
    """GloVe's weight ``f(x) = min(x / x_max, 1) ** alpha`` (a new tensor)."""
    return (x / x_max).clamp_(max=1.0).pow_(alpha)


def glove_loss(
    model: GloveModel, cooc: CooccurrencesLike, *, x_max: float = GLOVE_X_MAX, alpha: float = 0.75
) -> float:
    """The mean weighted loss of ``model`` over the pairs of ``cooc``, in float64.

    ``sum_ij f(X_ij) (w_i · w~_j + b_i + b~_j - log X_ij)^2 / nnz``: the
    quantity that :func:`fit_glove` reports per epoch. A plain reference
    computation (one row per pair), for checks and evaluation.

    Example:
        >>> glove_loss(model, cooc)  # doctest: +SKIP
        0.0831
    """
    import torch

    rows = torch.from_numpy(np.asarray(cooc.rows, dtype=np.int64))
    cols = torch.from_numpy(np.asarray(cooc.cols, dtype=np.int64))
    x = torch.from_numpy(np.asarray(cooc.values, dtype=np.float64))
    w, c, bw, bc = (
        torch.from_numpy(np.asarray(a, dtype=np.float64))
        for a in (model.word, model.context, model.word_bias, model.context_bias)
    )
    diff = (w[rows] * c[cols]).sum(1) + bw[rows] + bc[cols] - x.log()
    return float((weighting(x, x_max, alpha) * diff * diff).mean())


def fit_glove(
    cooc: CooccurrencesLike,
    params: GloveParams | None = None,
    *,
    init: GloveModel | None = None,
    progress: Progress = SILENT,
) -> GloveModel:
    """Fit GloVe's ``W``, ``W~`` and biases to co-occurrence counts.

    Vectors and biases start uniform in ``(-0.5, 0.5) / dim`` (seeded), or
    from ``init``. Each epoch visits every pair once in a fresh seeded order,
    ``batch_size`` pairs at a time (at most 1/16 of all pairs); a minibatch
    first adds its terms to the epoch's loss, then takes one AdaGrad step on
    half its summed objective. The step rule is the reference
    implementation's: a vector coordinate moves by ``lr·g / sqrt(1 +
    Σ(lr·g)²)``, a bias by ``g / sqrt(1 + Σg²)``, the sums growing by the
    square of each pair's own gradient. A row's pairs in one minibatch are
    applied from the same point, their gradients summed, so progress per
    epoch hardly depends on ``batch_size``. An epoch's loss is the mean over
    all pairs of ``f(X_ij) (w_i·w~_j + b_i + b~_j - log
    X_ij)^2``, each term taken just before its own minibatch's step.

    Args:
        cooc: non-zero co-occurrences, e.g. from
            :func:`aligner.train.cooccur.count_cooccurrences`; any object
            with ``rows``, ``cols``, ``values`` and ``vocab_size``.
        params: hyper-parameters; defaults to :class:`GloveParams`.
        init: start from these parameters instead of random ones (AdaGrad's
            accumulators start afresh).
        progress: receives one bar in pairs over all epochs; its status shows
            ``epoch e/n loss L``.

    Returns:
        The fitted :class:`GloveModel`, with the loss of every epoch.

    Raises:
        InputError: malformed co-occurrences, an ``init`` of another shape, or
            an unusable device.
        TrainingError: no pairs, or the loss stopped being finite.
    """
    import torch

    params = params or GloveParams()
    rows, cols, values = _checked_arrays(cooc)
    device = resolve_device(params.device)
    with _threads(params.threads), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        from aligner.train.glove_engine import _epoch, _Pairs, _State

        state = _State.create(cooc.vocab_size, params, init, device)
        data = _Pairs.create(rows, cols, values, device)
        shuffle = torch.Generator(device=device).manual_seed(seed_of(params) + 1)
        losses: list[float] = []
        total = data.size * params.epochs
        with progress.bar("glove", total=total, unit="pair") as bar:
            for epoch in range(1, params.epochs + 1):
                bar.status(f"epoch {epoch}/{params.epochs}")
                loss = _epoch(state, data, params, shuffle, bar) / data.size
                if not math.isfinite(loss):
                    raise TrainingError(
                        f"GloVe loss became {loss} in epoch {epoch}; lower the learning rate "
                        f"(now {params.learning_rate}) or x_max (now {params.x_max})"
                    )
                losses.append(loss)
                bar.status(f"epoch {epoch}/{params.epochs} loss {loss:.4f}")
        return state.model(losses, str(device))


def train_glove(
    cooc: CooccurrencesLike,
    vocab: VocabLike,
    params: GloveParams | None = None,
    *,
    progress: Progress = SILENT,
) -> WordVectors:
    """Train GloVe vectors for the words of ``vocab``.

    Args:
        cooc: non-zero co-occurrences over ``vocab`` (row ``i`` is
            ``vocab.words[i]``).
        vocab: the counted vocabulary, e.g. from
            :func:`aligner.train.cooccur.count_vocab`.
        params: hyper-parameters; defaults to :class:`GloveParams`.
        progress: receives one bar in pairs; its status shows each epoch's loss.

    Returns:
        WordVectors keyed by ``vocab.words`` (``params.output`` chooses
        ``W + W~``, ``W``, ``W~`` or ``[W, W~]``); ``source`` holds the
        method, parameters, per-epoch loss and device.

    Raises:
        InputError: ``vocab`` and ``cooc`` disagree, or see :func:`fit_glove`.
        TrainingError: see :func:`fit_glove`.

    Example:
        >>> wv = train_glove(cooc, vocab, GloveParams(dim=50, epochs=15))  # doctest: +SKIP
        >>> wv.source["loss_per_epoch"][-1] < wv.source["loss_per_epoch"][0]  # doctest: +SKIP
        True
    """
    params = params or GloveParams()
    params = replace(params, seed=seed_of(params))
    if len(vocab.words) != cooc.vocab_size:
        raise InputError(
            f"the vocabulary has {len(vocab.words)} words but the co-occurrences are over "
            f"{cooc.vocab_size}; count them with the same vocabulary"
        )
    model = fit_glove(cooc, params, progress=progress)
    source = {
        "kind": "trained",
        "method": "glove",
        "params": params.to_dict(),
        "loss_per_epoch": model.loss_per_epoch,
        "device": model.device,
        "trained_vocab_size": len(vocab.words),
        "nonzero_pairs": len(cooc.values),
        "torch_version": _torch_version(),
    }
    return WordVectors(list(vocab.words), model.vectors(params.output), source)


def _torch_version() -> str:
    import torch

    return str(torch.__version__)


@contextmanager
def _threads(threads: int | None) -> Iterator[None]:
    import torch

    if threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _checked_arrays(cooc: CooccurrencesLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """rows, cols (int32) and values (float32), sorted by (row, col) and checked."""
    rows, cols = np.asarray(cooc.rows), np.asarray(cooc.cols)
    values = np.asarray(cooc.values, dtype=np.float32)
    n, vocab_size = len(values), int(cooc.vocab_size)
    if rows.shape != (n,) or cols.shape != (n,):
        raise InputError(
            f"co-occurrences need rows, cols and values of one length, got "
            f"{rows.shape}, {cols.shape} and {values.shape}"
        )
    if not (np.issubdtype(rows.dtype, np.integer) and np.issubdtype(cols.dtype, np.integer)):
        raise InputError(f"co-occurrence rows and cols must be integers, got {rows.dtype}")
    if n == 0:
        raise TrainingError("no co-occurrences to train on; lower min_count or use a larger corpus")
    for name, ids in (("rows", rows), ("cols", cols)):
        low, high = int(ids.min()), int(ids.max())
        if low < 0 or high >= vocab_size:
            raise InputError(
                f"co-occurrence {name} run from {low} to {high}, outside the vocabulary "
                f"of {vocab_size} words"
            )
    if not (np.isfinite(values).all() and values.min() > 0):
        raise InputError("co-occurrence values must be positive and finite (GloVe takes their log)")
    rows, cols = rows.astype(np.int32, copy=False), cols.astype(np.int32, copy=False)
    return _sorted_unique(rows, cols, values, vocab_size)


def _sorted_unique(
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, vocab_size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs in (row, col) order; they usually come so, and then are not copied."""
    step = 1 << 22
    ordered = True
    for start in range(0, len(rows), step):
        end = min(start + step + 1, len(rows))
        keys = rows[start:end].astype(np.int64) * vocab_size + cols[start:end]
        if not (keys[1:] > keys[:-1]).all():
            ordered = False
            break
    if ordered:
        return rows, cols, values
    keys = rows.astype(np.int64) * vocab_size + cols
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    if (keys[1:] == keys[:-1]).any():
        k = int(np.flatnonzero(keys[1:] == keys[:-1])[0])
        row, col = divmod(int(keys[k]), vocab_size)
        raise InputError(f"the co-occurrences hold the pair ({row}, {col}) twice; sum them first")
    return rows[order], cols[order], values[order]
