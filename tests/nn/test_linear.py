"""Linear and Bilinear against PyTorch; default initialisation; errors that name the layer."""

import math

import numpy as np
import pytest
import torch

import nnscratch as ns
import nnscratch.nn as nn
from harness import check_module


@pytest.mark.parametrize("in_features, out_features, shape", [
    (4, 3, (5, 4)), (4, 3, (1, 4)), (1, 1, (3, 1)), (4, 2, (2, 3, 4)), (3, 2, (3,)),
])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(rng, in_features, out_features, shape, bias):
    check_module(nn.Linear(in_features, out_features, bias=bias),
                 torch.nn.Linear(in_features, out_features, bias=bias),
                 [rng.standard_normal(shape)])


def test_linear_parameters_layout_and_repr_like_torch():
    ours, theirs = nn.Linear(4, 3), torch.nn.Linear(4, 3)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert repr(ours) == repr(theirs) == "Linear(in_features=4, out_features=3, bias=True)"
    assert repr(nn.Linear(2, 1, bias=False)) == repr(torch.nn.Linear(2, 1, bias=False))
    assert ours.weight.dtype == ns.float32 and ours.weight.requires_grad
    assert nn.Linear(2, 2, dtype=ns.float64).weight.dtype == ns.float64


def test_linear_default_init_is_uniform_within_one_over_sqrt_fan_in():
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=√5): √(2/(1+5)) · √(3/400)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.9 * bound
    np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.02)  # U(-a, a): std a/√3
    assert abs(w.mean()) < 0.01 * bound  # 6 standard errors of the mean of 120,000 draws


def test_linear_init_follows_the_library_seed():
    ns.manual_seed(7)
    first = nn.Linear(3, 2).weight.numpy().copy()
    ns.manual_seed(7)
    np.testing.assert_array_equal(nn.Linear(3, 2).weight.numpy(), first)
    assert not np.array_equal(nn.Linear(3, 2).weight.numpy(), first)


def test_reset_parameters_redraws_in_place():
    layer = nn.Linear(3, 2)
    weight = layer.weight
    before = weight.numpy().copy()
    layer.reset_parameters()
    assert layer.weight is weight and not np.array_equal(weight.numpy(), before)


def test_wrong_in_features_names_layer_and_both_sizes_and_changes_nothing():
    layer = nn.Linear(4, 3)
    before = layer.weight.numpy().copy()
    with pytest.raises(RuntimeError, match=r"Linear\(in_features=4, out_features=3\).*4.*\(2, 5\).*5"):
        layer(ns.randn(2, 5))
    np.testing.assert_array_equal(layer.weight.numpy(), before)
    assert layer.weight.grad is None


def test_functional_linear_reports_both_matrix_shapes():
    with pytest.raises(RuntimeError, match=r"2x5 and 4x3"):
        nn.functional.linear(ns.randn(2, 5), ns.randn(3, 4))


def test_linear_float32_end_to_end(rng):
    layer = nn.Linear(4, 3)
    y = layer(ns.tensor(rng.standard_normal((2, 4)).astype(np.float32)))
    y.sum().backward()
    assert y.dtype == layer.weight.grad.dtype == layer.bias.grad.dtype == ns.float32


@pytest.mark.parametrize("shape1, shape2", [((4, 3), (4, 2)), ((1, 3), (1, 2)), ((2, 2, 3), (2, 2, 2))])
def test_bilinear_matches_torch(rng, shape1, shape2):
    check_module(nn.Bilinear(3, 2, 4), torch.nn.Bilinear(3, 2, 4),
                 [rng.standard_normal(shape1), rng.standard_normal(shape2)])


def test_bilinear_init_repr_and_errors():
    layer = nn.Bilinear(5, 2, 3)
    assert repr(layer) == repr(torch.nn.Bilinear(5, 2, 3))
    assert np.abs(layer.weight.numpy()).max() <= 1 / math.sqrt(5)
    with pytest.raises(RuntimeError, match=r"Bilinear.*\(4, 5\).*\(4, 3\)"):
        layer(ns.randn(4, 5), ns.randn(4, 3))
