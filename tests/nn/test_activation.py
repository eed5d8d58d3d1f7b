"""Activation layers against PyTorch (outputs and gradients), including extreme inputs, the
softplus threshold and implicit softmax dims; reprs like PyTorch's."""

import numpy as np
import pytest
import torch

import nnscratch as ns
import nnscratch.nn as nn
from harness import check_module

CASES = [
    ("ReLU", {}), ("LeakyReLU", {}), ("LeakyReLU", {"negative_slope": 0.2}), ("Sigmoid", {}),
    ("Tanh", {}), ("Softmax", {"dim": 1}), ("Softmax", {"dim": -1}), ("LogSoftmax", {"dim": 1}),
    ("LogSoftmax", {"dim": 0}), ("ELU", {}), ("ELU", {"alpha": 0.5}), ("GELU", {}),
    ("GELU", {"approximate": "tanh"}), ("Softplus", {}), ("Softplus", {"beta": 2.0, "threshold": 3.0}),
]


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}{k}" for n, k in CASES])
@pytest.mark.parametrize("shape", [(3, 4), (1, 1), (2, 3, 2)])
def test_activation_matches_torch(rng, name, kwargs, shape):
    x = rng.standard_normal(shape) * 3
    check_module(getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs), [x])


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}{k}" for n, k in CASES])
def test_activation_extreme_inputs_stay_finite_and_match_torch(name, kwargs):
    x = np.array([[-1e4, -50.0, -20.5, 0.0, 19.5, 20.5, 50.0, 1e4]])
    ours = getattr(nn, name)(**kwargs)(ns.tensor(x, requires_grad=True))
    theirs = getattr(torch.nn, name)(**kwargs)(torch.tensor(x))
    assert np.isfinite(ours.numpy()).all()
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}{k}" for n, k in CASES])
def test_activation_repr_matches_torch(name, kwargs):
    assert repr(getattr(nn, name)(**kwargs)) == repr(getattr(torch.nn, name)(**kwargs))


def test_inplace_flags_show_in_repr_like_torch():
    for name in ("ReLU", "LeakyReLU", "ELU"):
        assert repr(getattr(nn, name)(inplace=True)) == repr(getattr(torch.nn, name)(inplace=True))


def test_inplace_relu_writes_into_a_tensor_outside_the_graph():
    x = ns.tensor([-1.0, 2.0, -3.0])
    y = nn.ReLU(inplace=True)(x)
    assert y is x
    np.testing.assert_array_equal(x.numpy(), [0.0, 2.0, 0.0])


def test_inplace_relu_in_a_graph_keeps_correct_gradients():
    x = ns.tensor([-1.0, 2.0], requires_grad=True)
    y = nn.ReLU(inplace=True)(x * 1.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0])


@pytest.mark.parametrize("shape", [(4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)])
def test_softmax_implicit_dim_warns_and_follows_torch(rng, shape):
    x = rng.standard_normal(shape)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        ours = nn.Softmax()(ns.tensor(x))
    with pytest.warns(UserWarning):
        theirs = torch.nn.Softmax()(torch.tensor(x))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("sigmoid")


def test_activations_keep_float32(rng):
    x = ns.tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    for name, kwargs in CASES:
        y = getattr(nn, name)(**kwargs)(x)
        assert y.dtype == ns.float32, name
