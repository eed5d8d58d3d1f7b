"""Dropout: mask statistics, scaling, evaluation identity, gradient = mask, seeding, errors."""

import numpy as np
import pytest
import torch

import nnscratch as ns
import nnscratch.nn as nn
import nnscratch.nn.functional as F


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_mask_fraction_is_p_and_survivors_are_scaled(p):
    x = ns.ones(200, 500)
    y = nn.Dropout(p)(x).numpy()
    dropped = (y == 0).mean()
    # binomial standard error of the fraction over 100,000 draws is at most 0.0016
    assert abs(dropped - p) < 0.01
    np.testing.assert_allclose(y[y != 0], 1 / (1 - p), rtol=1e-6)
    assert abs(y.mean() - 1) < 0.05  # inverted dropout keeps the expectation


def test_eval_mode_is_the_identity():
    layer = nn.Dropout(0.5).eval()
    x = ns.randn(3, 4, requires_grad=True)
    assert layer(x) is x
    assert F.dropout(x, 0.5, training=False) is x


def test_gradient_equals_the_scaled_mask(rng):
    x = ns.tensor(rng.uniform(1, 2, (20, 30)).astype(np.float32), requires_grad=True)
    y = F.dropout(x, 0.3)
    upstream = rng.standard_normal((20, 30)).astype(np.float32)
    (y * ns.tensor(upstream)).sum().backward()
    mask = y.numpy() / x.numpy()  # 0 or 1/(1-p) per element
    assert np.all((mask == 0) | np.isclose(mask, 1 / 0.7, rtol=1e-6))
    np.testing.assert_allclose(x.grad.numpy(), upstream * mask, rtol=1e-6)


def test_p_zero_and_p_one():
    x = ns.randn(4, 5, requires_grad=True)
    assert F.dropout(x, 0.0) is x
    y = F.dropout(x, 1.0)
    assert not np.any(y.numpy())
    y.sum().backward()
    assert not np.any(x.grad.numpy())


def test_float32_and_float64_are_kept():
    for dtype in (ns.float32, ns.float64):
        x = ns.ones(10, dtype=dtype, requires_grad=True)
        y = F.dropout(x, 0.5)
        y.sum().backward()
        assert y.dtype == x.grad.dtype == dtype


def test_mask_follows_the_library_seed():
    ns.manual_seed(3)
    first = F.dropout(ns.ones(50), 0.5).numpy()
    ns.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(ns.ones(50), 0.5).numpy(), first)
    assert not np.array_equal(F.dropout(ns.ones(50), 0.5).numpy(), first)


def test_inplace_outside_the_graph_overwrites_the_input():
    x = ns.ones(100)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and (x.numpy() == 0).any()


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_invalid_probability_is_rejected(p):
    with pytest.raises(ValueError, match=str(p)):
        nn.Dropout(p)
    with pytest.raises(ValueError, match=str(p)):
        F.dropout(ns.ones(3), p)


def test_repr_matches_torch():
    assert repr(nn.Dropout(0.2)) == repr(torch.nn.Dropout(0.2))
