"""nn.init against closed forms and PyTorch's formulas: gains, fans, bounds and standard
deviations of the random fills, orthogonality, in-place behaviour outside the graph, seeding."""

import math

import numpy as np
import pytest
import torch

import nnscratch as ns
import nnscratch.nn as nn
from nnscratch.nn import init


@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("selu", None),
])
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15)


def test_calculate_gain_rejects_unknown_nonlinearity():
    with pytest.raises(ValueError, match="softsign"):
        init.calculate_gain("softsign")


@pytest.mark.parametrize("shape", [(3, 4), (5, 2, 3), (6, 4, 3, 3)])
def test_fan_in_and_fan_out_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(ns.empty(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


def test_fans_need_two_dims():
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions.*\(5,\)"):
        init.xavier_uniform_(ns.empty(5))


def _uniform_check(values, bound):
    """Max |value| is within the bound and reaches close to it; std is bound/√3."""
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.98 * bound
    np.testing.assert_allclose(values.std(), bound / math.sqrt(3), rtol=0.03)


@pytest.mark.parametrize("a, mode, nonlinearity", [
    (0, "fan_in", "leaky_relu"), (math.sqrt(5), "fan_in", "leaky_relu"), (0, "fan_out", "relu"),
    (0.1, "fan_in", "tanh"),
])
def test_kaiming_uniform_bound_is_the_closed_form(a, mode, nonlinearity):
    w = ns.empty(64, 32, 3, 3)
    init.kaiming_uniform_(w, a=a, mode=mode, nonlinearity=nonlinearity)
    fan = 32 * 9 if mode == "fan_in" else 64 * 9
    gain = init.calculate_gain(nonlinearity, a)
    _uniform_check(w.numpy(), gain * math.sqrt(3.0 / fan))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_normal_std_is_gain_over_sqrt_fan(mode):
    w = ns.empty(200, 300)
    init.kaiming_normal_(w, mode=mode, nonlinearity="relu")
    fan = 300 if mode == "fan_in" else 200
    np.testing.assert_allclose(w.numpy().std(), math.sqrt(2.0) / math.sqrt(fan), rtol=0.02)
    assert abs(w.numpy().mean()) < 0.01 * math.sqrt(2.0 / fan)


def test_xavier_bounds_and_std():
    w = ns.empty(200, 100)
    init.xavier_uniform_(w, gain=2.0)
    _uniform_check(w.numpy(), 2.0 * math.sqrt(6.0 / 300))
    init.xavier_normal_(w, gain=0.5)
    np.testing.assert_allclose(w.numpy().std(), 0.5 * math.sqrt(2.0 / 300), rtol=0.02)


def test_uniform_normal_constant_fills():
    w = ns.empty(100, 100)
    init.uniform_(w, -2.0, 3.0)
    assert w.numpy().min() >= -2.0 and w.numpy().max() < 3.0
    np.testing.assert_allclose(w.numpy().mean(), 0.5, atol=0.03)
    init.normal_(w, mean=1.0, std=0.5)
    np.testing.assert_allclose([w.numpy().mean(), w.numpy().std()], [1.0, 0.5], atol=0.01)
    assert not np.any(init.zeros_(w).numpy())
    assert np.all(init.ones_(w).numpy() == 1)
    assert np.all(init.constant_(w, 0.25).numpy() == 0.25)
    init.trunc_normal_(w, std=1.0, a=-0.5, b=0.5)
    assert w.numpy().min() >= -0.5 and w.numpy().max() <= 0.5
    np.testing.assert_array_equal(init.eye_(ns.empty(2, 3)).numpy(), np.eye(2, 3))


@pytest.mark.parametrize("shape", [(4, 4), (3, 7), (7, 3), (4, 2, 3)])
def test_orthogonal_rows_or_columns_are_orthonormal_times_gain(shape):
    w = init.orthogonal_(ns.empty(*shape, dtype=ns.float64), gain=1.5)
    flat = w.numpy().reshape(shape[0], -1)
    rows, cols = flat.shape
    product = flat @ flat.T if rows <= cols else flat.T @ flat
    np.testing.assert_allclose(product, 1.5**2 * np.eye(min(rows, cols)), atol=1e-12)


def test_fills_are_in_place_return_the_tensor_and_record_no_graph():
    p = nn.Parameter(ns.zeros(3, 4))
    storage = p.array
    for fill in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_uniform_,
                 init.kaiming_normal_, init.orthogonal_, init.zeros_):
        out = fill(p)
        assert out is p and p.array is storage and p.is_leaf and p.grad is None
        assert p.requires_grad and p.dtype == ns.float32


def test_draws_follow_the_library_seed_and_the_dtype_does_not_change_them():
    ns.manual_seed(11)
    a = init.normal_(ns.empty(5, dtype=ns.float64)).numpy()
    ns.manual_seed(11)
    b = init.normal_(ns.empty(5, dtype=ns.float32)).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-6)
    assert not np.array_equal(init.normal_(ns.empty(5)).numpy(), b)


def test_a_given_generator_is_used():
    first = init.uniform_(ns.empty(4), generator=np.random.default_rng(5)).numpy().copy()
    second = init.uniform_(ns.empty(4), generator=np.random.default_rng(5)).numpy()
    np.testing.assert_array_equal(first, second)


def test_zero_sized_tensors_are_left_alone():
    assert init.kaiming_uniform_(ns.empty(0, 3)).shape == (0, 3)
