"""Element-wise math and activations against PyTorch, including extreme inputs."""

import numpy as np
import pytest
import torch

import nnscratch as ns
from harness import check_op, numeric_gradcheck

UNARY = [
    ("exp", lambda t: t.exp(), lambda t: t.exp()),
    ("log", lambda t: (t.abs() + 0.1).log(), lambda t: (t.abs() + 0.1).log()),
    ("sqrt", lambda t: (t.abs() + 0.1).sqrt(), lambda t: (t.abs() + 0.1).sqrt()),
    ("abs", lambda t: t.abs(), lambda t: t.abs()),
    ("sin", ns.sin, torch.sin),
    ("cos", ns.cos, torch.cos),
    ("tanh", lambda t: t.tanh(), lambda t: t.tanh()),
    ("sigmoid", lambda t: t.sigmoid(), lambda t: t.sigmoid()),
    ("relu", lambda t: t.relu(), lambda t: t.relu()),
    ("clamp", lambda t: t.clamp(-0.5, 0.7), lambda t: t.clamp(-0.5, 0.7)),
    ("clamp_min", lambda t: t.clamp(min=0.1), lambda t: t.clamp(min=0.1)),
    ("rsqrt", lambda t: (t.abs() + 1).rsqrt(), lambda t: (t.abs() + 1).rsqrt()),
]


@pytest.mark.parametrize("name, ns_fn, torch_fn", UNARY, ids=[u[0] for u in UNARY])
def test_unary(rng, name, ns_fn, torch_fn, device):
    check_op(ns_fn, torch_fn, [rng.standard_normal((3, 5))], device=device)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_log_softmax(rng, dim):
    x = rng.standard_normal((4, 6)) * 3
    check_op(lambda t: t.softmax(dim), lambda t: t.softmax(dim), [x])
    check_op(lambda t: ns.log_softmax(t, dim=dim), lambda t: torch.log_softmax(t, dim=dim), [x])


def test_extreme_values_stay_finite():
    x = np.array([[-1e4, 0.0, 1e4], [800.0, -800.0, 30.0]])
    check_op(lambda t: t.softmax(-1), lambda t: t.softmax(-1), [x])
    check_op(lambda t: t.log_softmax(-1), lambda t: t.log_softmax(-1), [x])
    check_op(lambda t: t.sigmoid(), lambda t: t.sigmoid(), [x])
    check_op(lambda t: t.tanh(), lambda t: t.tanh(), [x])
    check_op(lambda t: t.logsumexp(1), lambda t: t.logsumexp(1), [x])


def test_where_and_masked_fill(rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4,))
    mask = rng.random((3, 4)) > 0.5
    check_op(lambda x, y: ns.where(ns.tensor(mask), x, y),
             lambda x, y: torch.where(torch.tensor(mask), x, y), [a, b])
    check_op(lambda x: x.masked_fill(ns.tensor(mask[0]), -1.5),
             lambda x: x.masked_fill(torch.tensor(mask[0]), -1.5), [a])
    with pytest.raises(RuntimeError, match="masked_fill"):
        ns.zeros(3, 4).masked_fill(ns.ones(3, 4), 0.0)


def test_extra_activations(rng):
    from nnscratch.ops import activation

    x = rng.standard_normal((3, 4)) * 2
    check_op(lambda t: activation.LeakyReLU.apply(t, negative_slope=0.2),
             lambda t: torch.nn.functional.leaky_relu(t, 0.2), [x])
    check_op(lambda t: activation.ELU.apply(t), lambda t: torch.nn.functional.elu(t), [x])
    check_op(lambda t: activation.Softplus.apply(t), lambda t: torch.nn.functional.softplus(t), [x])
    check_op(lambda t: activation.GELU.apply(t), lambda t: torch.nn.functional.gelu(t), [x])


def test_elementwise_gradcheck(rng):
    x = rng.standard_normal((2, 3))
    numeric_gradcheck(lambda t: t.exp() * t.sigmoid() + t.tanh() - (t * t + 1).log(), x)
    numeric_gradcheck(lambda t: t.softmax(-1) * t.log_softmax(0), x)
