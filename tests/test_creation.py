"""creation.py: the factories against torch's semantics.

Deterministic factories (zeros, ones, full, arange, linspace, eye, the ``*_like``) give torch's
shape, dtype and values. Random ones are checked for reproducibility under ``ns.manual_seed``
and for their distribution's moments; every draw comes from a fixed seed, so a bound either
always holds or always fails: the bounds are several standard errors wide, and a wrong
distribution (a shifted mean, a wrong scale, a skipped category) misses them by far.
"""

from __future__ import annotations

import contextlib
import sys
import types

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import nnscratch as ns
from nnscratch._tensor import Tensor

shapes = st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple)


def _torch_dtype_name(t: torch.Tensor) -> str:
    return str(t.dtype).replace("torch.", "")


@settings(max_examples=25, deadline=None)
@given(shape=shapes, fill=st.sampled_from(["zeros", "ones", "empty"]),
       dtype=st.sampled_from([None, "float64", "int64", "float32"]))
def test_filled_factories_take_both_shape_forms_and_dtypes(shape, fill, dtype):
    ns_dtype = getattr(ns, dtype) if dtype else None
    torch_dtype = getattr(torch, dtype) if dtype else None
    expected = getattr(torch, fill)(shape, dtype=torch_dtype)
    for ours in (getattr(ns, fill)(shape, dtype=ns_dtype), getattr(ns, fill)(*shape, dtype=ns_dtype)):
        assert tuple(ours.shape) == tuple(expected.shape)
        assert str(ours.dtype) == _torch_dtype_name(expected)
        assert ours.device == ns.device("cpu")
        if fill != "empty":
            np.testing.assert_array_equal(ours.numpy(), expected.numpy())


@pytest.mark.parametrize("fill_value", [3, 2.5, True, -0.0])
def test_full_infers_its_dtype_like_torch(fill_value):
    ours, expected = ns.full((2, 3), fill_value), torch.full((2, 3), fill_value)
    assert str(ours.dtype) == _torch_dtype_name(expected)
    np.testing.assert_array_equal(ours.numpy(), expected.numpy())


def test_full_like_and_empty_like_take_the_other_tensors_shape_dtype_and_device():
    other = ns.zeros(2, 5, dtype=ns.float64)
    like = ns.full_like(other, 7)
    assert tuple(like.shape) == (2, 5) and like.dtype == ns.float64 and like.device == other.device
    np.testing.assert_array_equal(like.numpy(), torch.full_like(torch.zeros(2, 5, dtype=torch.float64), 7))
    assert ns.full_like(other, 7, dtype=ns.int64).dtype == ns.int64
    empty = ns.empty_like(other)
    assert tuple(empty.shape) == (2, 5) and empty.dtype == ns.float64
    assert not np.shares_memory(empty.numpy(), other.numpy())
    assert ns.empty_like(other, dtype=ns.float32).dtype == ns.float32
    for like_fn in (ns.zeros_like, ns.ones_like, ns.empty_like):
        grown = like_fn(other, requires_grad=True)
        assert grown.requires_grad and grown.is_leaf


@pytest.mark.parametrize("args", [(5,), (2, 7), (1, 2, 0.25), (-3.0, 3.0, 0.5), (10, 0, -3), (0,)])
def test_arange_values_and_dtype_match_torch(args):
    ours, expected = ns.arange(*args), torch.arange(*args)
    assert str(ours.dtype) == _torch_dtype_name(expected)
    np.testing.assert_allclose(ours.numpy(), expected.numpy(), rtol=0, atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(start=st.floats(-100, 100), end=st.floats(-100, 100), steps=st.integers(1, 40),
       dtype=st.sampled_from(["float32", "float64"]))
def test_linspace_matches_torch(start, end, steps, dtype):
    ours = ns.linspace(start, end, steps, dtype=getattr(ns, dtype))
    expected = torch.linspace(start, end, steps, dtype=getattr(torch, dtype))
    assert ours.dtype == getattr(ns, dtype) and tuple(ours.shape) == (steps,)
    tol = 1e-12 if dtype == "float64" else 2e-5
    np.testing.assert_allclose(ours.numpy(), expected.numpy(), rtol=tol, atol=tol * 100)
    assert ns.linspace(0, 1, 5).dtype == ns.float32  # the default dtype


@settings(max_examples=20, deadline=None)
@given(n=st.integers(0, 6), m=st.one_of(st.none(), st.integers(0, 6)))
def test_eye_matches_torch(n, m):
    ours = ns.eye(n, m)
    expected = torch.eye(n) if m is None else torch.eye(n, m)
    assert ours.dtype == ns.float32
    np.testing.assert_array_equal(ours.numpy(), expected.numpy())
    assert ns.eye(n, m, dtype=ns.int64).dtype == ns.int64


@pytest.mark.parametrize("factory", [
    lambda **kw: ns.zeros(2, 3, **kw), lambda **kw: ns.ones(2, **kw), lambda **kw: ns.rand(3, **kw),
    lambda **kw: ns.randn(3, **kw), lambda **kw: ns.full((2,), 1.5, **kw),
    lambda **kw: ns.linspace(0, 1, 4, **kw), lambda **kw: ns.eye(3, **kw),
    lambda **kw: ns.arange(0.0, 1.0, 0.25, **kw),
])
def test_factories_make_leaves_that_require_grad_on_request(factory):
    plain = factory(device="cpu")
    assert not plain.requires_grad and plain.device == ns.device("cpu")
    leaf = factory(requires_grad=True)
    assert leaf.requires_grad and leaf.is_leaf and leaf.grad is None
    (leaf * 2).sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), np.full(leaf.shape, 2.0))


@pytest.mark.skipif(ns.cuda.is_available(), reason="a GPU is present")
def test_a_cuda_factory_without_a_gpu_is_a_clear_error():
    with pytest.raises(RuntimeError, match="CuPy"):
        ns.zeros(2, device="cuda")


@pytest.mark.parametrize("draw", [
    lambda: ns.rand(50), lambda: ns.randn(4, 5), lambda: ns.randint(0, 10, (30,)),
    lambda: ns.randperm(20), lambda: ns.normal(1.0, 2.0, (10,)),
    lambda: ns.multinomial(ns.tensor([0.1, 0.2, 0.7]), 20, replacement=True),
])
def test_a_seed_reproduces_every_random_draw(draw):
    ns.manual_seed(123)
    first = draw().numpy().copy()
    ns.manual_seed(123)
    np.testing.assert_array_equal(draw().numpy(), first)
    ns.manual_seed(124)
    assert not np.array_equal(draw().numpy(), first)


def test_rand_is_uniform_on_the_unit_interval():
    ns.manual_seed(7)
    x = ns.rand(200_000, dtype=ns.float64).numpy()
    assert x.min() >= 0.0 and x.max() < 1.0
    # U(0,1): mean 1/2, variance 1/12; standard errors ≈ 6.5e-4 and 1.9e-4
    assert abs(x.mean() - 0.5) < 0.005 and abs(x.var() - 1 / 12) < 0.002
    assert ns.rand(3, 2).dtype == ns.float32 and tuple(ns.rand(3, 2).shape) == (3, 2)


def test_randn_and_normal_have_their_mean_and_std():
    ns.manual_seed(7)
    z = ns.randn(200_000, dtype=ns.float64).numpy()
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1.0) < 0.01  # standard errors ≈ 2.2e-3, 1.6e-3
    y = ns.normal(3.0, 0.5, (200_000,)).numpy()
    assert y.dtype == np.float32
    assert abs(y.mean() - 3.0) < 0.005 and abs(y.std() - 0.5) < 0.005


def test_randint_covers_its_half_open_range_uniformly():
    ns.manual_seed(7)
    x = ns.randint(-3, 4, (70_000,))
    assert x.dtype == ns.int64 and x.dtype == np.dtype(str(torch.randint(-3, 4, (2,)).dtype)[6:])
    counts = np.bincount(x.numpy() + 3, minlength=7)
    assert len(counts) == 7  # never 4
    assert np.all(np.abs(counts - 10_000) < 600)  # binomial sd ≈ 93
    assert tuple(ns.randint(5, (2, 3)).shape) == (2, 3) and ns.randint(5, (40,)).numpy().max() < 5


@settings(max_examples=25, deadline=None)
@given(n=st.integers(0, 60))
def test_randperm_is_a_permutation_of_range_n(n):
    perm = ns.randperm(n)
    assert perm.dtype == ns.int64 and tuple(perm.shape) == (n,)
    np.testing.assert_array_equal(np.sort(perm.numpy()), np.arange(n))
    assert ns.randperm(n, dtype=ns.int32).dtype == ns.int32


def test_randperm_is_uniform_over_positions():
    ns.manual_seed(3)
    first = np.array([ns.randperm(5).numpy()[0] for _ in range(5000)])
    assert np.all(np.abs(np.bincount(first, minlength=5) - 1000) < 150)  # sd ≈ 28


def test_multinomial_with_replacement_follows_the_weights():
    ns.manual_seed(11)
    weights = np.array([1.0, 0.0, 3.0, 6.0])  # unnormalised, like torch
    draws = ns.multinomial(ns.tensor(weights), 40_000, replacement=True)
    expected = torch.multinomial(torch.tensor(weights), 40_000, replacement=True)
    assert draws.dtype == ns.int64 and str(expected.dtype) == "torch.int64"
    assert tuple(draws.shape) == tuple(expected.shape) == (40_000,)
    freq = np.bincount(draws.numpy(), minlength=4) / 40_000
    assert freq[1] == 0.0  # a zero weight is never drawn
    np.testing.assert_allclose(freq, weights / weights.sum(), atol=0.01)  # sd ≤ 2.5e-3


@settings(max_examples=20, deadline=None)
@given(rows=st.integers(1, 4), categories=st.integers(1, 8), data=st.data())
def test_multinomial_without_replacement_draws_distinct_indices(rows, categories, data):
    k = data.draw(st.integers(1, categories))
    probs = ns.rand(rows, categories) + 0.01
    draws = ns.multinomial(probs, k)
    assert tuple(draws.shape) == tuple(torch.multinomial(torch.rand(rows, categories), k).shape)
    for row in draws.numpy():
        assert len(set(row.tolist())) == k and row.min() >= 0 and row.max() < categories


def test_multinomial_without_replacement_first_draw_follows_the_weights():
    ns.manual_seed(5)
    probs = ns.tensor([[0.5, 0.3, 0.2]] * 8000)
    first = ns.multinomial(probs, 2).numpy()[:, 0]
    np.testing.assert_allclose(np.bincount(first, minlength=3) / 8000, [0.5, 0.3, 0.2], atol=0.03)  # sd ≤ 5.6e-3


@pytest.mark.parametrize("probs, k, replacement, words", [
    ([[[0.5, 0.5]]], 1, True, "1-D or 2-D"),
    ([0.5, 0.5], 0, True, "num_samples"),
    ([0.5, 0.5], 3, False, "without replacement"),
    # torch's documentation requires this too, though its CPU kernel now pads with the zero
    # weights' indices; numpy's choice refuses it, and so does ns
    ([0.5, 0.0], 2, False, "1 non-zero"),
    ([0.5, -0.1], 1, True, "finite and >= 0"),
    ([0.5, float("nan")], 1, True, "finite and >= 0"),
    ([[0.5, 0.5], [0.0, 0.0]], 1, True, "positive sum"),
])
def test_multinomial_bad_input_is_a_value_error_naming_it(probs, k, replacement, words):
    with pytest.raises(ValueError, match="multinomial") as caught:
        ns.multinomial(ns.tensor(probs), k, replacement=replacement)
    assert words in str(caught.value)
    if words != "1 non-zero":
        with pytest.raises(RuntimeError):  # torch refuses the same inputs
            torch.multinomial(torch.tensor(probs), k, replacement=replacement)


def test_multinomial_of_integer_weights_is_refused():
    with pytest.raises(ValueError, match="floating"):
        ns.multinomial(ns.tensor([1, 2]), 1)


class _FakeGpuArray:
    """Just enough of a CuPy array to live on "cuda:0": ``device_of`` looks at the module."""

    __module__ = "cupy._core.core"

    def __init__(self, array: np.ndarray) -> None:
        self.array = np.asarray(array)
        self.shape, self.dtype, self.ndim, self.size = (
            self.array.shape, self.array.dtype, self.array.ndim, self.array.size)
        self.device = types.SimpleNamespace(id=0)

    def get(self) -> np.ndarray:
        return self.array.copy()


@pytest.fixture
def fake_cupy(monkeypatch):
    module = types.ModuleType("cupy")
    module.asarray = _FakeGpuArray
    module.cuda = types.SimpleNamespace(Device=lambda index: contextlib.nullcontext())
    monkeypatch.setitem(sys.modules, "cupy", module)
    return module


def test_multinomial_returns_its_result_on_the_inputs_device(fake_cupy):
    probs = Tensor._make(_FakeGpuArray(np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])))
    assert probs.device == ns.device("cuda", 0)
    draws = ns.multinomial(probs, 2, replacement=True)
    assert draws.device == ns.device("cuda", 0)
    np.testing.assert_array_equal(draws.numpy(), [[1, 1], [2, 2]])
    assert ns.multinomial(ns.tensor([0.0, 1.0]), 1).device == ns.device("cpu")
