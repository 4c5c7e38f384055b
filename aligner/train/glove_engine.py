"""The GloVe training engine behind :func:`aligner.train.glove.fit_glove`.

Each minibatch of co-occurrence pairs becomes one sparse matrix: the dot
products are one sampled matrix product and the gradients sparse-times-dense
products, so vectors are never copied per pair. Biases ride along as two extra
columns. AdaGrad accumulates each word's squared gradients pair by pair, with
the reference implementation's scaling (see :func:`_accumulators`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from aligner.errors import InputError
from aligner.progress import ProgressBar
from aligner.train.defaults import seed_of
from aligner.train.glove import GloveModel, GloveParams, weighting


@dataclass
class _Pairs:
    """The pairs on the training device: indices int32, values float32."""

    rows: torch.Tensor
    cols: torch.Tensor
    values: torch.Tensor

    @classmethod
    def create(
        cls, rows: np.ndarray, cols: np.ndarray, values: np.ndarray, device: torch.device
    ) -> _Pairs:
        import torch

        def put(a: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.ascontiguousarray(a)).to(device)

        return cls(put(rows), put(cols), put(values))

    @property
    def size(self) -> int:
        return int(self.values.shape[0])


@dataclass
class _State:
    """Parameters ``[W | b | 1]``, ``[W~ | 1 | b~]``, their AdaGrad sums, scratch space."""

    word: torch.Tensor
    context: torch.Tensor
    word_sq: torch.Tensor
    context_sq: torch.Tensor
    mark: torch.Tensor
    slot: torch.Tensor

    @classmethod
    def create(
        cls, vocab_size: int, params: GloveParams, init: GloveModel | None, device: torch.device
    ) -> _State:
        import torch

        shapes = [(vocab_size, params.dim)] * 2 + [(vocab_size,)] * 2
        if init is None:
            gen = torch.Generator().manual_seed(seed_of(params))
            parts = [(torch.rand(shape, generator=gen) - 0.5) / params.dim for shape in shapes]
        else:
            arrays = (init.word, init.context, init.word_bias, init.context_bias)
            parts = [torch.from_numpy(np.asarray(a, dtype=np.float32)) for a in arrays]
            if [tuple(p.shape) for p in parts] != shapes:
                raise InputError(
                    f"init parameters of shapes {[tuple(p.shape) for p in parts]} do not fit "
                    f"{vocab_size} words of dimension {params.dim}"
                )
        w, c, bw, bc = parts
        one = torch.ones(vocab_size, 1)
        word = torch.cat([w, bw[:, None], one], 1).to(device)
        context = torch.cat([c, one, bc[:, None]], 1).to(device)
        return cls(
            word=word,
            context=context,
            word_sq=_accumulators(word, params),
            context_sq=_accumulators(context, params),
            mark=torch.zeros(vocab_size, dtype=torch.bool, device=device),
            slot=torch.zeros(vocab_size, dtype=torch.int64, device=device),
        )

    def model(self, losses: list[float], device: str) -> GloveModel:
        dim = self.word.shape[1] - 2
        word, context = self.word.cpu().numpy(), self.context.cpu().numpy()
        return GloveModel(
            word=np.ascontiguousarray(word[:, :dim]),
            context=np.ascontiguousarray(context[:, :dim]),
            word_bias=np.ascontiguousarray(word[:, dim]),
            context_bias=np.ascontiguousarray(context[:, dim + 1]),
            loss_per_epoch=losses,
            device=device,
        )


def _accumulators(param: torch.Tensor, params: GloveParams) -> torch.Tensor:
    """AdaGrad's starting sums: ``1/learning_rate²`` for vector columns, 1 for the bias.

    With a step of 1, a vector coordinate then moves by
    ``g / sqrt(1/lr² + Σg²) = lr·g / sqrt(1 + Σ(lr·g)²)``, and a bias by
    ``g / sqrt(1 + Σg²)``: the rule of the reference implementation, where the
    learning rate scales the gradient *before* it is squared and biases take
    no learning rate at all.
    """
    import torch

    sums = torch.full_like(param, 1.0 / params.learning_rate**2)
    sums[:, params.dim :] = 1.0  # the bias; the constant column's gradient is always 0
    return sums


#: a minibatch holds at most this share of all pairs (see :func:`batch_size`)
MAX_BATCH_SHARE = 1 / 16


def batch_size(requested: int, pairs: int) -> int:
    """The minibatch size used: ``requested``, but at most 1/16 of the pairs.

    The pairs of a minibatch all step from the same point. On a small corpus
    a large minibatch would hold a large part of every word's pairs, and the
    stale, simultaneous steps overshoot (measured on the bundled sample, 48k
    pairs, x_max 10: the loss of the first epoch is 2.2 with batches of 1/8 of
    them, 8.2 with 1/4 and divergent with 1/2; 0.24 with batches of 1,000,
    as the reference implementation's per-pair steps reach 0.22).

    Example:
        >>> batch_size(65536, 48_440), batch_size(65536, 31_007_869)
        (3028, 65536)
    """
    return max(1, min(requested, math.ceil(pairs * MAX_BATCH_SHARE)))


def _epoch(
    state: _State, data: _Pairs, params: GloveParams, shuffle: torch.Generator, bar: ProgressBar
) -> float:
    """One pass in a fresh order; returns the summed weighted loss."""
    import torch

    device = data.values.device
    order = torch.randperm(data.size, generator=shuffle, device=device, dtype=torch.int32)
    total = torch.zeros((), dtype=torch.float64, device=device)
    size = batch_size(params.batch_size, data.size)
    for start in range(0, data.size, size):
        # Sorted, the indices give the minibatch in (row, col) order: CSR order.
        batch = _Batch.take(state, data, order[start : start + size].sort().values)
        total += _step(state, batch, params)
        bar.update(batch.size)
    return float(total)


@dataclass
class _Batch:
    """A minibatch as a sparse matrix over the distinct words and contexts it touches.

    Stored twice, CSR by word and CSR by context, so that both gradient
    products are plain CSR-times-dense products.
    """

    x: torch.Tensor
    word_ids: torch.Tensor
    context_ids: torch.Tensor
    row_ptr: torch.Tensor
    col: torch.Tensor
    col_ptr: torch.Tensor
    row: torch.Tensor
    by_col: torch.Tensor

    @classmethod
    def take(cls, state: _State, data: _Pairs, batch: torch.Tensor) -> _Batch:
        import torch

        rows = data.rows.index_select(0, batch).long()
        context_ids, col = _compact(state, data.cols.index_select(0, batch).long())
        word_ids, per_word = torch.unique_consecutive(rows, return_counts=True)
        by_col = torch.argsort(col, stable=True)
        row = torch.repeat_interleave(torch.arange(len(word_ids), device=rows.device), per_word)
        return cls(
            x=data.values.index_select(0, batch),
            word_ids=word_ids,
            context_ids=context_ids,
            row_ptr=_offsets(per_word),
            col=col,
            col_ptr=_offsets(torch.bincount(col, minlength=len(context_ids))),
            row=row.index_select(0, by_col),
            by_col=by_col,
        )

    @property
    def size(self) -> int:
        return int(self.x.shape[0])

    def by_word(self, values: torch.Tensor) -> torch.Tensor:
        """The (words x contexts) sparse matrix holding ``values`` (in batch order)."""
        import torch

        shape = (len(self.word_ids), len(self.context_ids))
        return torch.sparse_csr_tensor(
            self.row_ptr, self.col, values, shape, check_invariants=False
        )

    def by_context(self, values: torch.Tensor) -> torch.Tensor:
        """The transposed (contexts x words) sparse matrix holding ``values``."""
        import torch

        shape = (len(self.context_ids), len(self.word_ids))
        values = values.index_select(0, self.by_col)
        return torch.sparse_csr_tensor(
            self.col_ptr, self.row, values, shape, check_invariants=False
        )


def _offsets(counts: torch.Tensor) -> torch.Tensor:
    import torch

    out = torch.zeros(len(counts) + 1, dtype=torch.int64, device=counts.device)
    torch.cumsum(counts, 0, out=out[1:])
    return out


def _compact(state: _State, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The sorted distinct ``ids`` and each id's position among them (no sort needed)."""
    import torch

    state.mark.zero_()
    state.mark[ids] = True
    distinct = state.mark.nonzero().squeeze(1)
    state.slot[distinct] = torch.arange(len(distinct), device=ids.device)
    return distinct, state.slot.index_select(0, ids)


def _step(state: _State, batch: _Batch, params: GloveParams) -> torch.Tensor:
    """One AdaGrad step on a minibatch (see :func:`fit_glove`); returns its summed loss.

    A row's squared gradients are summed pair by pair (``S² @ C²``), not
    squared after summing: with the latter, a frequent word would take one
    bounded step per minibatch however many pairs it has in it, and large
    minibatches would learn far less per epoch than per-pair updates do.
    """
    import torch

    word = state.word.index_select(0, batch.word_ids)
    context = state.context.index_select(0, batch.context_ids)
    # beta=0: the pattern's values (here x) are ignored; the result is w·w~ + b + b~ per pair.
    dots = torch.sparse.sampled_addmm(batch.by_word(batch.x), word, context.T, beta=0.0)
    diff = dots.values().sub_(batch.x.log())
    weighted = weighting(batch.x, params.x_max, params.alpha).mul_(diff)
    loss = torch.dot(weighted, diff).double()
    squared = weighted * weighted
    dim = params.dim
    grad_word = batch.by_word(weighted) @ context
    grad_word[:, dim + 1] = 0.0  # the constant 1 facing b~
    sq_word = batch.by_word(squared) @ context.square()
    grad_context = batch.by_context(weighted) @ word
    grad_context[:, dim] = 0.0  # the constant 1 facing b
    sq_context = batch.by_context(squared) @ word.square()
    _adagrad(state.word, state.word_sq, batch.word_ids, word, grad_word, sq_word)
    _adagrad(state.context, state.context_sq, batch.context_ids, context, grad_context, sq_context)
    return loss


def _adagrad(
    param: torch.Tensor,
    sq: torch.Tensor,
    ids: torch.Tensor,
    current: torch.Tensor,
    grad: torch.Tensor,
    grad_sq: torch.Tensor,
) -> None:
    """Rows ``ids`` of ``param`` (now ``current``) take an AdaGrad step; ``sq`` sums squares.

    The step is 1: the learning rate lives in the starting sums (:func:`_accumulators`).
    """
    acc = sq.index_select(0, ids).add_(grad_sq)
    sq.index_copy_(0, ids, acc)
    param.index_copy_(0, ids, current.sub_(grad.div_(acc.sqrt_())))
