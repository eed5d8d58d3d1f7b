"""clip_grad_norm_ / clip_grad_value_ and parameter flattening against torch.nn.utils."""

import math

import numpy as np
import pytest
import torch

import nnscratch as ns
import nnscratch.nn as nn

SHAPES = [(3, 4), (5,), (2, 2, 2)]
TOL = {"float64": dict(rtol=1e-12, atol=1e-14), "float32": dict(rtol=1e-6, atol=1e-7)}


def make_pair(dtype, scale, with_missing_grad=False):
    rng = np.random.default_rng(3)
    ours, theirs = [], []
    for index, shape in enumerate(SHAPES):
        value = rng.standard_normal(shape).astype(dtype)
        grad = (scale * rng.standard_normal(shape)).astype(dtype)
        p, q = nn.Parameter(ns.tensor(value)), torch.nn.Parameter(torch.tensor(value))
        if not (with_missing_grad and index == 1):
            p.grad, q.grad = ns.tensor(grad), torch.tensor(grad)
        ours.append(p)
        theirs.append(q)
    return ours, theirs


def assert_grads_equal(ours, theirs, dtype):
    for p, q in zip(ours, theirs):
        if q.grad is None:
            assert p.grad is None
            continue
        assert p.grad.dtype == np.dtype(dtype)
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), **TOL[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("norm_type", [2.0, math.inf, 1.0, 3.0])
@pytest.mark.parametrize("scale", [0.01, 10.0], ids=["no-clip", "clip"])
def test_clip_grad_norm_matches_pytorch(scale, norm_type, dtype):
    ours, theirs = make_pair(dtype, scale, with_missing_grad=norm_type == 2.0)
    total = nn.utils.clip_grad_norm_(ours, max_norm=1.5, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm=1.5, norm_type=norm_type)
    assert isinstance(total, ns.Tensor) and total.shape == ()
    assert total.dtype == np.dtype(dtype)
    np.testing.assert_allclose(total.numpy(), expected.numpy(), **TOL[dtype])
    assert_grads_equal(ours, theirs, dtype)


def test_clipped_norm_is_max_norm_and_small_grads_untouched():
    ours, _ = make_pair("float64", 10.0)
    nn.utils.clip_grad_norm_(ours, max_norm=2.0)
    flat = np.concatenate([p.grad.numpy().ravel() for p in ours])
    assert np.linalg.norm(flat) == pytest.approx(2.0, rel=1e-6)
    small, _ = make_pair("float64", 1e-3)
    before = [p.grad.numpy().copy() for p in small]
    nn.utils.clip_grad_norm_(small, max_norm=2.0)
    for p, b in zip(small, before):
        np.testing.assert_array_equal(p.grad.numpy(), b)


def test_single_tensor_and_no_grads():
    p = nn.Parameter(ns.tensor([3.0, 4.0]))
    p.grad = ns.tensor([3.0, 4.0])
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), np.array([3.0, 4.0]) / (5.0 + 1e-6), rtol=1e-6)
    q = nn.Parameter(ns.randn(3))
    assert nn.utils.clip_grad_norm_([q], 1.0).item() == 0.0


def test_non_finite_norm():
    ours, theirs = make_pair("float64", 1.0)
    ours[0].grad.array[0, 0] = np.inf
    theirs[0].grad[0, 0] = math.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    assert ours[2].grad.numpy()[0, 0, 0] == theirs[2].grad.numpy()[0, 0, 0]  # unchanged
    total = nn.utils.clip_grad_norm_(ours, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert math.isinf(total.item()) and math.isinf(expected.item())
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())  # nan where inf, else 0


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_clip_grad_value_matches_pytorch(dtype):
    ours, theirs = make_pair(dtype, 2.0)
    assert nn.utils.clip_grad_value_(ours, 0.7) is None
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    assert_grads_equal(ours, theirs, dtype)


def test_parameters_to_vector_and_back():
    ours, theirs = make_pair("float64", 1.0)
    vector = nn.utils.parameters_to_vector(ours)
    np.testing.assert_array_equal(vector.numpy(),
                                  torch.nn.utils.parameters_to_vector(theirs).detach().numpy())
    storages = [p.array for p in ours]
    nn.utils.vector_to_parameters(vector * 2.0, ours)
    for p, q, storage in zip(ours, theirs, storages):
        np.testing.assert_array_equal(p.numpy(), 2.0 * q.detach().numpy())
        assert p.array is storage
    with pytest.raises(ValueError, match=r"\(3,\).*25"):
        nn.utils.vector_to_parameters(ns.zeros(3), ours)
    with pytest.raises(TypeError, match="Tensor"):
        nn.utils.vector_to_parameters(np.zeros(25), ours)


def test_parameters_to_vector_is_differentiable():
    a, b = nn.Parameter(ns.randn(2, 2)), nn.Parameter(ns.randn(3))
    weights = ns.arange(7).float()
    (nn.utils.parameters_to_vector([a, b]) * weights).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy().ravel(), [0, 1, 2, 3])
    np.testing.assert_array_equal(b.grad.numpy(), [4, 5, 6])
