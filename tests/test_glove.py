"""GloVe in torch: the objective by hand, one step against autograd, convergence, determinism,
outputs, devices, errors, progress, and topical neighbours on the bundled corpus (real torch)."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from aligner.corpus import Corpus
from aligner.errors import InputError, TrainingError
from aligner.train.glove import (
    GloveModel,
    GloveParams,
    fit_glove,
    glove_loss,
    resolve_device,
    train_glove,
    weighting,
)
from aligner.vectors import WordVectors

from .helpers import RecordingBar as _RecordingBar
from .helpers import RecordingProgress as _RecordingProgress

SAMPLE_CORPUS = Path(__file__).resolve().parent.parent / "data_samples" / "corpus.txt"
# One thread: these problems are tiny, and a second thread only adds waiting on a busy machine.
FAST = {"device": "cpu", "threads": 1}


@dataclass
class _Cooc:
    """The shape of aligner.train.cooccur.Cooccurrences, built here."""

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    vocab_size: int


@dataclass
class _Vocab:
    words: list[str]
    counts: np.ndarray


def _cooc(pairs: list[tuple[int, int, float]], vocab_size: int) -> _Cooc:
    rows, cols, values = zip(*pairs, strict=True)
    return _Cooc(
        np.array(rows, dtype=np.int32),
        np.array(cols, dtype=np.int32),
        np.array(values, dtype=np.float32),
        vocab_size,
    )


def _low_rank(vocab_size: int = 120, rank: int = 4, density: float = 0.4, seed: int = 0) -> _Cooc:
    """log X = U V^T + c on a random sparsity pattern: GloVe can fit it exactly."""
    rng = np.random.default_rng(seed)
    u = rng.normal(size=(vocab_size, rank)) / 2
    v = rng.normal(size=(vocab_size, rank)) / 2
    rows, cols = np.nonzero(rng.random((vocab_size, vocab_size)) < density)
    values = np.exp((u[rows] * v[cols]).sum(1) + 2.0)
    return _Cooc(
        rows.astype(np.int32), cols.astype(np.int32), values.astype(np.float32), vocab_size
    )


@pytest.fixture
def whole_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let one minibatch hold every pair (normally at most 1/16 of them)."""
    from aligner.train import glove_engine

    monkeypatch.setattr(glove_engine, "MAX_BATCH_SHARE", 1.0)


def _params(**overrides: object) -> GloveParams:
    # x_max 100: these problems were set up for the paper's weighting (default 10)
    values = {"dim": 8, "epochs": 5, "batch_size": 512, "x_max": 100.0} | FAST | overrides
    return GloveParams(**values)  # type: ignore[arg-type]


def _vocab(size: int) -> _Vocab:
    return _Vocab([f"w{i}" for i in range(size)], np.arange(size, 0, -1))


# --- the objective by hand ------------------------------------------------------------------


def test_weighting_by_hand() -> None:
    f = weighting(torch.tensor([25.0, 100.0, 400.0, 1.0]), 100.0, 0.75)
    assert f.tolist() == pytest.approx([0.25**0.75, 1.0, 1.0, 0.01**0.75])
    assert weighting(torch.tensor([50.0]), 10.0, 0.5).item() == 1.0  # capped at x_max


# Two pairs, dim 2: (0, 1) with X = 25 (f = 0.25^0.75) and (1, 0) with X = 400 (f = 1).
HAND = GloveModel(
    word=np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32),
    context=np.array([[1.0, 1.0], [0.5, 2.0]], dtype=np.float32),
    word_bias=np.array([0.5, -0.25], dtype=np.float32),
    context_bias=np.array([1.0, 0.75], dtype=np.float32),
)
HAND_COOC = _cooc([(0, 1, 25.0), (1, 0, 400.0)], 2)
# pair (0, 1): w0·c1 = 0.25 - 2 = -1.75; + b0 + c~1 = -1.75 + 0.5 + 0.75 = -0.5; - log 25
# pair (1, 0): w1·c0 = 2 + 0.25 = 2.25; + b1 + c~0 = 2.25 - 0.25 + 1 = 3;   - log 400
HAND_DIFFS = (-0.5 - math.log(25.0), 3.0 - math.log(400.0))
HAND_LOSS = (0.25**0.75 * HAND_DIFFS[0] ** 2 + 1.0 * HAND_DIFFS[1] ** 2) / 2


def test_glove_loss_on_two_pairs_by_hand() -> None:
    assert glove_loss(HAND, HAND_COOC, x_max=100.0) == pytest.approx(HAND_LOSS, rel=1e-6)
    # x_max below both counts: both weights are 1
    plain = (HAND_DIFFS[0] ** 2 + HAND_DIFFS[1] ** 2) / 2
    assert glove_loss(HAND, HAND_COOC, x_max=10.0) == pytest.approx(plain, rel=1e-6)


@pytest.mark.usefixtures("whole_batches")
def test_trainer_reports_the_hand_loss_before_its_first_step() -> None:
    # One minibatch holds both pairs, so epoch 1's loss is taken at the initial parameters.
    model = fit_glove(HAND_COOC, _params(dim=2, epochs=1), init=HAND)
    assert model.loss_per_epoch == [pytest.approx(HAND_LOSS, rel=1e-5)]


def _pair_gradients(
    init: GloveModel, cooc: _Cooc, x_max: float, alpha: float
) -> list[list[torch.Tensor]]:
    """Autograd gradients of ½ f(X) (w·w~ + b + b~ - log X)² for each pair alone."""
    out: list[list[torch.Tensor]] = []
    for r, c, x in zip(cooc.rows, cooc.cols, cooc.values, strict=True):
        params = [
            torch.tensor(a, dtype=torch.float64, requires_grad=True)
            for a in (init.word, init.context, init.word_bias, init.context_bias)
        ]
        w, wc, b, bc = params
        diff = w[r] @ wc[c] + b[r] + bc[c] - math.log(x)
        (0.5 * weighting(torch.tensor(float(x)), x_max, alpha) * diff**2).backward()
        grads = [p.grad for p in params]
        out.append([g for g in grads if g is not None])
    return out


@pytest.mark.usefixtures("whole_batches")
def test_one_step_matches_autograd_and_adagrad_by_formula() -> None:
    # Repeated rows and columns: a word's step gathers all its pairs.
    cooc = _cooc([(0, 0, 3.0), (0, 2, 150.0), (1, 2, 0.5), (2, 1, 12.0), (2, 2, 40.0)], 3)
    rng = np.random.default_rng(1)
    shapes = ((3, 4), (3, 4), (3,), (3,))
    w, c, bw, bc = (rng.normal(size=shape).astype(np.float32) for shape in shapes)
    init = GloveModel(w, c, bw, bc)
    lr, x_max, alpha = 0.1, 100.0, 0.75
    params = _params(dim=4, epochs=1, learning_rate=lr, x_max=x_max, alpha=alpha)
    stepped = fit_glove(cooc, params, init=init)  # one minibatch: one step

    per_pair = _pair_gradients(init, cooc, x_max, alpha)
    before = (init.word, init.context, init.word_bias, init.context_bias)
    after = (stepped.word, stepped.context, stepped.word_bias, stepped.context_bias)
    for k, (start, end) in enumerate(zip(before, after, strict=True)):
        grads = torch.stack([pair[k] for pair in per_pair])
        # The reference's rule, its pairs summed: vectors take lr·g with squares of lr·g
        # summed from 1, biases g with squares of g summed from 1.
        scaled = lr * grads if k < 2 else grads
        expected = torch.from_numpy(start).double() - scaled.sum(0) / torch.sqrt(
            1.0 + (scaled**2).sum(0)
        )
        np.testing.assert_allclose(end, expected.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.usefixtures("whole_batches")
def test_one_pair_per_word_steps_exactly_like_the_reference() -> None:
    # Every word and context in one pair: the step is the reference's, written out as there:
    # lr·g / sqrt(1 + (lr·g)²) on vectors, g / sqrt(1 + g²) on biases.
    cooc = _cooc([(0, 1, 5.0), (1, 0, 20.0)], 2)
    init = GloveModel(*(np.full(shape, 0.1, np.float32) for shape in ((2, 3), (2, 3), (2,), (2,))))
    lr = 0.05
    stepped = fit_glove(cooc, _params(dim=3, epochs=1, learning_rate=lr, x_max=10.0), init=init)
    for r, col, x in ((0, 1, 5.0), (1, 0, 20.0)):
        fdiff = min(x / 10.0, 1.0) ** 0.75 * (0.03 + 0.2 - math.log(x))
        g = fdiff * 0.1
        np.testing.assert_allclose(
            stepped.word[r], 0.1 - lr * g / math.sqrt(1 + (lr * g) ** 2), rtol=1e-5
        )
        np.testing.assert_allclose(
            stepped.context_bias[col], 0.1 - fdiff / math.sqrt(1 + fdiff**2), rtol=1e-5
        )


def test_minibatches_hold_at_most_a_sixteenth_of_the_pairs() -> None:
    from aligner.train.glove_engine import batch_size

    assert batch_size(65536, 48_440) == 3028
    assert batch_size(65536, 31_007_869) == 65536
    assert batch_size(1000, 10) == 1
    cooc = _low_rank(vocab_size=30)
    progress = _RecordingProgress()
    fit_glove(cooc, _params(epochs=1, batch_size=2**16), progress=progress)
    [(_, _, _, bar)] = progress.bars
    assert max(bar.updates) == math.ceil(len(cooc.values) / 16)


# --- training -------------------------------------------------------------------------------


def test_loss_falls_on_a_low_rank_matrix() -> None:
    # The reference implementation's own curve on this matrix (sequential, one thread,
    # lr 0.1): 0.074 after epoch 1, a plateau near 0.035, then 0.023 after epoch 20.
    cooc = _low_rank()
    model = fit_glove(cooc, _params(epochs=20, learning_rate=0.1))
    losses = model.loss_per_epoch
    assert len(losses) == 20
    assert losses[-1] < 0.25 * losses[0] and losses[-1] < 0.03
    assert all(b < a for a, b in itertools.pairwise(losses[-8:]))
    # the reported loss tracks the exact loss of the result
    assert glove_loss(model, cooc, x_max=100.0) == pytest.approx(losses[-1], rel=0.25)


@pytest.mark.usefixtures("whole_batches")
def test_reported_loss_is_the_loss_of_the_previous_epochs_result() -> None:
    cooc = _low_rank(vocab_size=40)
    whole = len(cooc.values)  # one minibatch per epoch
    one = fit_glove(cooc, _params(batch_size=whole, epochs=1))
    two = fit_glove(cooc, _params(batch_size=whole, epochs=2))
    assert two.loss_per_epoch[0] == one.loss_per_epoch[0]
    assert two.loss_per_epoch[1] == pytest.approx(glove_loss(one, cooc, x_max=100.0), rel=1e-5)


def test_same_seed_is_bit_identical_and_another_seed_differs() -> None:
    cooc = _low_rank(vocab_size=60)
    # Two threads, few steps: on a shared 2-core machine every parallel op waits for a core.
    params = _params(threads=2, epochs=2, batch_size=len(cooc.values) // 2 + 1)
    first, second = (fit_glove(cooc, params) for _ in range(2))
    for a, b in zip(
        (first.word, first.context, first.word_bias, first.context_bias),
        (second.word, second.context, second.word_bias, second.context_bias),
        strict=True,
    ):
        assert np.array_equal(a, b)
    assert first.loss_per_epoch == second.loss_per_epoch
    other = fit_glove(cooc, _params(threads=2, epochs=1, seed=1))
    assert not np.array_equal(first.word, other.word)


def test_input_order_does_not_matter() -> None:
    cooc = _low_rank(vocab_size=30)
    order = np.random.default_rng(0).permutation(len(cooc.values))
    shuffled = _Cooc(cooc.rows[order], cooc.cols[order], cooc.values[order], cooc.vocab_size)
    a, b = fit_glove(cooc, _params(epochs=2)), fit_glove(shuffled, _params(epochs=2))
    assert np.array_equal(a.word, b.word) and a.loss_per_epoch == b.loss_per_epoch


@pytest.mark.parametrize(
    ("output", "width"), [("sum", 8), ("word", 8), ("context", 8), ("concat", 16)]
)
def test_output_modes(output: str, width: int) -> None:
    cooc = _low_rank(vocab_size=30)
    wv = train_glove(cooc, _vocab(30), _params(epochs=2, output=output))
    model = fit_glove(cooc, _params(epochs=2))
    assert wv.keys == _vocab(30).words
    assert wv.vectors.shape == (30, width) and wv.vectors.dtype == np.float32
    expected = {
        "sum": model.word + model.context,
        "word": model.word,
        "context": model.context,
        "concat": np.hstack([model.word, model.context]),
    }[output]
    assert np.array_equal(wv.vectors, expected)
    assert wv.source["params"]["output"] == output


def test_source_metadata() -> None:
    cooc = _low_rank(vocab_size=30)
    wv = train_glove(cooc, _vocab(30), _params(epochs=3))
    source = wv.source
    assert source["kind"] == "trained" and source["method"] == "glove"
    # an unset seed is recorded as the one trained with
    assert source["params"] == _params(epochs=3).to_dict() | {"seed": 0}
    assert len(source["loss_per_epoch"]) == 3 and source["device"] == "cpu"
    assert source["nonzero_pairs"] == len(cooc.values) and source["trained_vocab_size"] == 30


def test_progress_shows_the_loss_of_every_epoch() -> None:
    cooc = _low_rank(vocab_size=30)
    progress = _RecordingProgress()
    model = fit_glove(cooc, _params(epochs=3, batch_size=20), progress=progress)
    [(description, total, unit, bar)] = progress.bars
    n = len(cooc.values)
    assert (description, total, unit) == ("glove", 3 * n, "pair")
    assert sum(bar.updates) == 3 * n and max(bar.updates) == 20
    shown = [s for s in bar.statuses if "loss" in s]
    assert shown == [
        f"epoch {e}/3 loss {loss:.4f}" for e, loss in enumerate(model.loss_per_epoch, 1)
    ]


def test_threads_are_set_for_training_and_restored() -> None:
    before = torch.get_num_threads()
    seen: list[int] = []

    class _Spy(_RecordingProgress):
        @contextmanager
        def bar(
            self, description: str, *, total: int | None = None, unit: str = "it"
        ) -> Iterator[_RecordingBar]:
            seen.append(torch.get_num_threads())
            with super().bar(description, total=total, unit=unit) as bar:
                yield bar

    wanted = 1 if before != 1 else 2
    fit_glove(_low_rank(vocab_size=20), _params(epochs=1, threads=wanted), progress=_Spy())
    assert seen == [wanted]
    assert torch.get_num_threads() == before


# --- devices --------------------------------------------------------------------------------


def test_resolve_device() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    with pytest.raises(InputError, match="unknown device 'tpu'"):
        resolve_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_a_gpu_is_an_input_error() -> None:
    with pytest.raises(InputError, match="--device cuda: no CUDA GPU is available"):
        resolve_device("cuda")
    with pytest.raises(InputError, match="use --device cpu or auto"):
        fit_glove(_low_rank(vocab_size=10), _params(device="cuda"))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_trains_like_cpu() -> None:
    cooc = _low_rank()
    cpu = fit_glove(cooc, _params(epochs=10))
    cuda = fit_glove(cooc, _params(epochs=10, device="cuda"))
    assert cuda.device.startswith("cuda")
    # same initialisation; the shuffles come from the device's generator
    assert cuda.loss_per_epoch[0] == pytest.approx(cpu.loss_per_epoch[0], rel=0.05)
    assert cuda.loss_per_epoch[-1] == pytest.approx(cpu.loss_per_epoch[-1], rel=0.2)
    assert glove_loss(cuda, cooc) == pytest.approx(glove_loss(cpu, cooc), rel=0.2)


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"dim": 0}, "dim must be at least 1"),
        ({"epochs": 0}, "epochs must be at least 1"),
        ({"batch_size": 0}, "batch_size must be at least 1"),
        ({"threads": 0}, "threads must be at least 1"),
        ({"x_max": 0.0}, "x_max > 0"),
        ({"learning_rate": -1.0}, "learning_rate > 0"),
        ({"output": "mean"}, "unknown GloVe output 'mean'; choose one of: sum, word"),
        ({"device": "gpu"}, "unknown device 'gpu'"),
    ],
)
def test_bad_params(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        _params(**overrides)


def test_bad_cooccurrences() -> None:
    with pytest.raises(InputError, match=r"rows run from 0 to 5, outside the vocabulary of 3"):
        fit_glove(_cooc([(0, 1, 1.0), (5, 0, 1.0)], 3), _params())
    with pytest.raises(InputError, match="positive and finite"):
        fit_glove(_cooc([(0, 1, 1.0), (1, 0, 0.0)], 3), _params())
    with pytest.raises(InputError, match=r"the pair \(1, 0\) twice; sum them first"):
        fit_glove(_cooc([(1, 0, 1.0), (0, 1, 1.0), (1, 0, 2.0)], 3), _params())
    with pytest.raises(InputError, match="rows, cols and values of one length"):
        fit_glove(_Cooc(np.zeros(2, np.int32), np.zeros(3, np.int32), np.ones(3), 3), _params())
    with pytest.raises(TrainingError, match="no co-occurrences"):
        empty = np.zeros(0, np.int32)
        fit_glove(_Cooc(empty, empty, np.zeros(0, np.float32), 3), _params())
    with pytest.raises(
        InputError, match="vocabulary has 4 words but the co-occurrences are over 3"
    ):
        train_glove(_cooc([(0, 1, 1.0)], 3), _vocab(4), _params())
    with pytest.raises(InputError, match="do not fit 2 words of dimension 3"):
        fit_glove(HAND_COOC, _params(dim=3), init=HAND)


def test_diverging_loss_is_a_training_error() -> None:
    # AdaGrad's steps are bounded, so only parameters already out of range overflow.
    shapes = ((20, 8), (20, 8), (20,), (20,))
    huge = GloveModel(*(np.full(shape, 1e20, np.float32) for shape in shapes))
    with pytest.raises(TrainingError, match=r"became (nan|inf) in epoch 1; lower the learning"):
        fit_glove(_low_rank(vocab_size=20), _params(), init=huge)


# --- the bundled corpus ---------------------------------------------------------------------


def _count(path: Path, *, window: int, min_count: int) -> tuple[_Cooc, _Vocab]:
    """Symmetric co-occurrences weighted 1/distance, rare words dropped before windowing."""
    lines = list(Corpus(path))
    counts = Counter(token for line in lines for token in line)
    ranked = sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: -counts[w])
    index = {w: i for i, w in enumerate(ranked)}
    ids, line_of = [], []
    for n, line in enumerate(lines):
        kept = [index[t] for t in line if t in index]
        ids += kept
        line_of += [n] * len(kept)
    tokens, sentence = np.array(ids), np.array(line_of)
    keys, weights = [], []
    for distance in range(1, window + 1):
        same = sentence[:-distance] == sentence[distance:]
        left, right = tokens[:-distance][same], tokens[distance:][same]
        keys += [left * len(ranked) + right, right * len(ranked) + left]
        weights += [np.full(2 * len(left), 1.0 / distance)]
    unique, inverse = np.unique(np.concatenate(keys), return_inverse=True)
    values = np.bincount(inverse, weights=np.concatenate(weights))
    cooc = _Cooc(
        (unique // len(ranked)).astype(np.int32),
        (unique % len(ranked)).astype(np.int32),
        values.astype(np.float32),
        len(ranked),
    )
    return cooc, _Vocab(ranked, np.array([counts[w] for w in ranked]))


def _cosine(wv: WordVectors, a: str, b: str) -> float:
    u, v = wv.vectors[wv.row(a)], wv.vectors[wv.row(b)]
    return float(u @ v / np.linalg.norm(u) / np.linalg.norm(v))


# The eight most frequent nouns of each topic of data_samples/corpus.txt (see its README).
TOPIC_NOUNS = [
    ["guitar", "band", "song", "album", "concert", "piano", "singer", "melody"],
    ["movie", "actor", "director", "scene", "cinema", "camera", "actress", "script"],
    ["football", "team", "match", "goal", "coach", "player", "stadium", "referee"],
    ["recipe", "kitchen", "oven", "flour", "butter", "sauce", "garlic", "chef"],
]


def test_topical_neighbours_on_the_bundled_corpus() -> None:
    params = GloveParams(dim=30, epochs=15, batch_size=4096, **FAST)  # type: ignore[arg-type]
    try:
        from aligner.train.cooccur import count_cooccurrences, count_vocab
    except ImportError:  # aligner.train.cooccur is not there yet: count here
        cooc, vocab = _count(SAMPLE_CORPUS, window=10, min_count=5)
        wv = train_glove(cooc, vocab, params)
    else:
        corpus = Corpus(SAMPLE_CORPUS)
        counted = count_vocab(corpus, min_count=5)
        wv = train_glove(count_cooccurrences(corpus, counted, window=10), counted, params)
    losses = wv.source["loss_per_epoch"]
    # the reference implementation, sequential, on the same counts (x_max 10): 0.218 -> 0.068
    assert losses[-1] < 0.5 * losses[0] and losses[-1] < 0.075
    assert _cosine(wv, "guitar", "piano") > _cosine(wv, "guitar", "football")
    # GloVe vectors share a large common direction on this small, dense corpus, so raw
    # cosines are all high; the topics still show in which words are nearest.
    words = [w for topic in TOPIC_NOUNS for w in topic]
    topic = np.repeat(np.arange(len(TOPIC_NOUNS)), len(TOPIC_NOUNS[0]))
    cosines = np.array([[_cosine(wv, a, b) for b in words] for a in words])
    np.fill_diagonal(cosines, -np.inf)
    same = topic[:, None] == topic[None, :]
    nearest_in_topic = topic[cosines.argmax(1)] == topic
    strays = [w for w, ok in zip(words, nearest_in_topic, strict=True) if not ok]
    assert len(strays) <= 2, strays
    np.fill_diagonal(cosines, np.nan)
    within = np.nanmean(np.where(same, cosines, np.nan), 1)
    across = np.nanmean(np.where(same, np.nan, cosines), 1)
    assert (within > across).all()
