"""fill: copied rows, zero padding, the three fill methods and per-token reproducibility."""

from __future__ import annotations

import hashlib
import importlib
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aligner.align import Alignment, align
from aligner.errors import InputError
from aligner.fill import METHODS, fill, token_rng
from aligner.vectors import WordVectors
from aligner.vocab import Vocab

# Each dimension has mean 0 over these found rows; dimension 0 has std 1, dimension 1 std 2,
# so the found vectors' standard deviation is sqrt((1 + 4) / 2) = sqrt(2.5) either way it is
# pooled, and the default uniform scale is sqrt(3 * 2.5) = sqrt(7.5).
FOUND = {"a": [1.0, -2.0], "b": [-1.0, 2.0], "c": [1.0, 2.0], "d": [-1.0, -2.0]}


def _setup(tokens: list[str], found: dict[str, list[float]] = FOUND, **vocab_kwargs: object):
    dim = len(next(iter(found.values()))) if found else 2
    matrix = np.array(list(found.values()), dtype=np.float32).reshape(len(found), dim)
    vectors = WordVectors(list(found), matrix)
    return align(Vocab(tokens, **vocab_kwargs), vectors), vectors  # type: ignore[arg-type]


def _rows_by_token(alignment: Alignment, matrix: np.ndarray) -> dict[str, np.ndarray]:
    return dict(zip(alignment.vocab.tokens, matrix, strict=True))


@pytest.mark.parametrize("method", METHODS)
def test_found_rows_copied_exactly_and_pad_row_zero(method: str) -> None:
    alignment, vectors = _setup(["c", "miss1", "a", "miss2"])
    matrix = fill(alignment, vectors, method=method, seed=3).matrix
    assert matrix.shape == (6, 2)
    assert np.array_equal(matrix[2], vectors.vectors[2])
    assert np.array_equal(matrix[4], vectors.vectors[0])
    assert not matrix[0].any()  # <pad>


@pytest.mark.parametrize("method", METHODS)
def test_custom_pad_row_zero_and_no_pad_means_no_zero_row(method: str) -> None:
    alignment, vectors = _setup(["x", "a"], pad="[PAD]", unk="[UNK]")
    assert not fill(alignment, vectors, method=method).matrix[0].any()
    alignment, vectors = _setup(["x", "a"], pad=None)
    matrix = fill(alignment, vectors, method=method).matrix
    assert alignment.kinds == ["special", "fill", "exact"]
    assert matrix[0].any() == (method != "zeros")


@pytest.mark.parametrize("method", METHODS)
def test_dtype_layout_and_params(method: str) -> None:
    alignment, vectors = _setup(["a", "zz"])
    result = fill(alignment, vectors, method=method, seed=9)
    assert result.matrix.dtype == np.float32 and result.matrix.flags.c_contiguous
    assert result.params["method"] == method and result.params["seed"] == 9


def test_zeros() -> None:
    alignment, vectors = _setup(["a", "miss", "b"])
    result = fill(alignment, vectors, method="zeros", seed=5)
    assert result.matrix.tolist() == [[0, 0], [0, 0], [1, -2], [0, 0], [-1, 2]]
    assert result.params == {"method": "zeros", "seed": 5}


def test_unk_row_is_filled_like_a_missing_row() -> None:
    alignment, vectors = _setup(["a", "miss"])
    matrix = fill(alignment, vectors, method="uniform", scale=1.0, seed=0).matrix
    assert matrix[1].any() and not np.array_equal(matrix[1], matrix[3])


def test_uniform_bounds_with_explicit_scale() -> None:
    missing = [f"m{i}" for i in range(500)]
    alignment, vectors = _setup(["a", *missing])
    result = fill(alignment, vectors, method="uniform", scale=0.25, seed=1)
    filled = result.matrix[3:]
    assert np.all(np.abs(filled) <= np.float32(0.25))
    # 1000 uniform draws on [-0.25, 0.25] reach close to both ends and are centred.
    assert filled.max() > 0.24 and filled.min() < -0.24
    assert abs(float(filled.mean())) < 0.02
    assert result.params["scale"] == 0.25


def test_uniform_default_scale_matches_the_found_spread() -> None:
    missing = [f"m{i}" for i in range(500)]
    alignment, vectors = _setup(["a", "b", "c", "d", *missing])
    result = fill(alignment, vectors, method="uniform", seed=1)
    scale = result.params["scale"]
    assert scale == pytest.approx(math.sqrt(7.5))
    filled = result.matrix[6:]
    assert np.all(np.abs(filled) <= np.float32(scale))
    # Same variance as the found vectors (2.5), up to sampling error.
    assert float(filled.var()) == pytest.approx(2.5, rel=0.1)


@pytest.mark.parametrize("found", [{}, {"a": [3.0, 4.0, 0.0, 0.0]}])
def test_uniform_default_scale_without_statistics(found: dict[str, list[float]]) -> None:
    # Fewer than two found rows: unit-norm rows, per-dimension std 1/sqrt(dim) -> sqrt(3 / dim).
    if not found:
        vectors = WordVectors([], np.zeros((0, 4), dtype=np.float32))
        alignment = align(Vocab(["x", "y"]), vectors)
    else:
        alignment, vectors = _setup(["a", "x", "y"], found)
    result = fill(alignment, vectors, method="uniform")
    assert result.params["scale"] == pytest.approx(math.sqrt(3 / 4))


def test_normal_matches_found_statistics_on_a_large_fill() -> None:
    rng = np.random.default_rng(12345)
    mean = np.array([0.5, -1.0, 0.0, 2.0])
    std = np.array([0.1, 1.0, 0.5, 3.0])
    found_vectors = (mean + std * rng.standard_normal((400, 4))).astype(np.float32)
    found = {f"f{i}": list(v) for i, v in enumerate(found_vectors)}
    missing = [f"m{i}" for i in range(5000)]
    alignment, vectors = _setup([*found, *missing], found)
    result = fill(alignment, vectors, method="normal", seed=2)
    filled = result.matrix[2 + len(found) :].astype(np.float64)
    target_mean = found_vectors.astype(np.float64).mean(axis=0)
    target_std = found_vectors.astype(np.float64).std(axis=0)
    # Standard error of the mean is std / sqrt(5000) ~ std / 70; allow about 5 of them.
    assert np.all(np.abs(filled.mean(axis=0) - target_mean) < 0.07 * target_std)
    assert np.allclose(filled.std(axis=0), target_std, rtol=0.05)
    assert result.params["mean_norm"] == pytest.approx(np.linalg.norm(target_mean), rel=1e-5)
    assert result.params["std_mean"] == pytest.approx(target_std.mean(), rel=1e-5)


def test_same_seed_same_values_other_seed_other_values() -> None:
    alignment, vectors = _setup(["a", "b", "miss1", "miss2"])
    for method in ("normal", "uniform"):
        first = fill(alignment, vectors, method=method, seed=0).matrix
        again = fill(alignment, vectors, method=method, seed=0).matrix
        other = fill(alignment, vectors, method=method, seed=1).matrix
        assert np.array_equal(first, again)
        filled = [1, 4, 5]  # <unk>, miss1, miss2
        assert not np.any(first[filled] == other[filled])
        assert np.array_equal(first[[0, 2, 3]], other[[0, 2, 3]])


def test_different_tokens_get_different_values() -> None:
    alignment, vectors = _setup(["miss1", "miss2", "a", "b"])
    matrix = fill(alignment, vectors, method="normal").matrix
    assert not np.array_equal(matrix[2], matrix[3])


def test_token_rng_depends_only_on_seed_and_token() -> None:
    draw = token_rng(7, "guitar").standard_normal(4)
    assert np.array_equal(draw, token_rng(7, "guitar").standard_normal(4))
    assert not np.array_equal(draw, token_rng(8, "guitar").standard_normal(4))
    assert not np.array_equal(draw, token_rng(7, "Guitar").standard_normal(4))


_TOKENS = st.lists(
    st.text(alphabet="abcxyzé\u00df", min_size=1, max_size=5).map(lambda t: "m_" + t),
    min_size=1,
    max_size=10,
    unique=True,
)


@settings(max_examples=50, deadline=None)
@given(
    missing=_TOKENS,
    extra=_TOKENS,
    method=st.sampled_from(["normal", "uniform"]),
    seed=st.integers(0, 2**32),
    data=st.data(),
)
def test_filled_row_depends_only_on_seed_and_token(
    missing: list[str], extra: list[str], method: str, seed: int, data: st.DataObject
) -> None:
    # Same found vectors (whose statistics are exact in float arithmetic, so their order does
    # not matter), other missing tokens added and the whole vocabulary shuffled.
    first_tokens = [*FOUND, *missing]
    second_tokens = data.draw(st.permutations([*FOUND, *dict.fromkeys(missing + extra)]))
    first_alignment, vectors = _setup(first_tokens)
    second_alignment, _ = _setup(list(second_tokens))
    first = _rows_by_token(
        first_alignment, fill(first_alignment, vectors, method=method, seed=seed).matrix
    )
    second = _rows_by_token(
        second_alignment, fill(second_alignment, vectors, method=method, seed=seed).matrix
    )
    for token in [*missing, "<unk>"]:
        assert np.array_equal(first[token], second[token]), token


@settings(max_examples=30, deadline=None)
@given(missing=_TOKENS, found_count=st.integers(0, 4), seed=st.integers(0, 1000))
def test_uniform_row_with_fixed_scale_ignores_the_found_vectors(
    missing: list[str], found_count: int, seed: int
) -> None:
    found = dict(list(FOUND.items())[:found_count])
    base, vectors = _setup(missing, {})
    other, other_vectors = _setup([*found, *missing], found)
    base_rows = _rows_by_token(
        base, fill(base, vectors, method="uniform", scale=0.5, seed=seed).matrix
    )
    other_rows = _rows_by_token(
        other, fill(other, other_vectors, method="uniform", scale=0.5, seed=seed).matrix
    )
    for token in missing:
        assert np.array_equal(base_rows[token], other_rows[token])


def test_unknown_method() -> None:
    alignment, vectors = _setup(["a"])
    with pytest.raises(InputError) as info:
        fill(alignment, vectors, method="glorot")
    message = str(info.value)
    assert "'glorot'" in message and "choose one of: normal, uniform, zeros" in message


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan"), float("-inf")])
def test_non_positive_scale(scale: float) -> None:
    alignment, vectors = _setup(["a"])
    with pytest.raises(InputError, match="fill scale must be positive"):
        fill(alignment, vectors, method="uniform", scale=scale)


@pytest.mark.parametrize("scale", [float("inf"), 1e308])
def test_unusable_huge_scale_is_an_input_error(scale: float) -> None:
    alignment, vectors = _setup(["a", "miss"])
    with pytest.raises(InputError):
        fill(alignment, vectors, method="uniform", scale=scale)


@pytest.mark.parametrize("method", ["normal", "uniform"])
def test_identical_found_rows_still_give_distinct_random_rows(method: str) -> None:
    """No spread to match: filled rows fall back to unit-norm randomness, never all alike."""
    vocab = Vocab(["a", "b", "c", "x", "y"], pad="<pad>", unk=None)
    vectors = WordVectors(["a", "b", "c"], np.ones((3, 4), dtype=np.float32))
    result = fill(align(vocab, vectors), vectors, method=method, seed=0)
    filled = result.matrix[[vocab["x"], vocab["y"]]]
    assert (np.abs(filled).max(axis=1) > 0).all()  # no filled row is all zero
    assert not np.array_equal(filled[0], filled[1])
    assert np.isfinite(result.matrix).all()


def _old_fill_rows(found: np.ndarray, tokens: list[str], seed: int) -> np.ndarray:
    """The filled rows as numpy's std and mean of all found rows at once give them."""
    mean = found.mean(axis=0, dtype=np.float64)
    std = found.std(axis=0, dtype=np.float64)
    return np.array(
        [(mean + std * token_rng(seed, t).standard_normal(found.shape[1])) for t in tokens],
        dtype=np.float64,
    ).astype(np.float32)


@pytest.mark.parametrize(
    ("rows", "dim", "block"), [(3, 1, 1), (700, 1, 64), (5000, 2, 64), (2500, 300, 1000)]
)
def test_block_statistics_are_numpys_bit_for_bit(
    monkeypatch: pytest.MonkeyPatch, rows: int, dim: int, block: int
) -> None:
    fill_module = importlib.import_module("aligner.fill")
    monkeypatch.setattr(fill_module, "ROWS_AT_ONCE", block)
    rng = np.random.default_rng(rows + dim)
    table = rng.standard_normal((rows, dim)) * 10.0 ** rng.uniform(-8, 8, (rows, dim))
    keys = [f"k{i}" for i in range(rows)]
    vectors = WordVectors(keys, table.astype(np.float32))
    order = [keys[i] for i in rng.permutation(rows)] + ["m1", "m2", "m3"]
    alignment = align(Vocab(order), vectors)
    result = fill(alignment, vectors, seed=4)
    found = result.matrix[alignment.found]
    assert np.array_equal(found, vectors.vectors[alignment.source_rows[alignment.found]])
    expected = _old_fill_rows(found, ["<unk>", "m1", "m2", "m3"], 4)
    assert result.matrix[[1, -3, -2, -1]].tobytes() == expected.tobytes()
    # the manifest's figures are float64: equal, not close
    assert result.params["mean_norm"] == float(np.linalg.norm(found.mean(0, dtype=np.float64)))
    assert result.params["std_mean"] == float(found.std(0, dtype=np.float64).mean())


def test_token_rng_is_default_rng_of_the_keyed_digest() -> None:
    digest = hashlib.blake2b(b"caf\xc3\xa9", digest_size=16, key=b"7").digest()
    expected = np.random.default_rng(int.from_bytes(digest, "little")).standard_normal(5)
    assert np.array_equal(token_rng(7, "café").standard_normal(5), expected)
