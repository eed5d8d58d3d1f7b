"""The fused loss Functions of ops/loss.py: finite-difference gradchecks, extreme logits, and
the cross-entropy backward's memory (no dense one-hot / eye(C))."""

import numpy as np
import pytest
import torch

import nnscratch as ns
import nnscratch.nn.functional as F
from harness import numeric_gradcheck


def _targets(rng, shape, classes, ignore=None):
    t = rng.integers(0, classes, shape)
    if ignore is not None:
        t.reshape(-1)[0] = ignore
    return ns.tensor(t)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_gradcheck_index_targets(rng, reduction, smoothing, weighted):
    x = rng.standard_normal((3, 4))
    t = _targets(rng, (3,), 4, ignore=-1)
    w = ns.tensor(rng.random(4) + 0.5, dtype=ns.float64) if weighted else None
    numeric_gradcheck(lambda a: F.cross_entropy(a, t, weight=w, ignore_index=-1,
                                                reduction=reduction, label_smoothing=smoothing), x)


def test_cross_entropy_gradcheck_k_dim_targets(rng):
    x = rng.standard_normal((2, 3, 2, 2))
    t = _targets(rng, (2, 2, 2), 3, ignore=-100)
    w = ns.tensor(rng.random(3) + 0.5, dtype=ns.float64)
    numeric_gradcheck(lambda a: F.cross_entropy(a, t, weight=w, label_smoothing=0.2), x)


def test_cross_entropy_gradcheck_probability_targets_both_inputs(rng):
    x = rng.standard_normal((3, 4))
    q = rng.random((3, 4))
    q /= q.sum(1, keepdims=True)
    w = ns.tensor(rng.random(4) + 0.5, dtype=ns.float64)
    numeric_gradcheck(lambda a, b: F.cross_entropy(a, b, weight=w, label_smoothing=0.1), x, q)
    numeric_gradcheck(lambda a, b: F.cross_entropy(a, b, reduction="none"), x, q)


def test_nll_gradcheck(rng):
    x = rng.standard_normal((4, 3))
    t = _targets(rng, (4,), 3, ignore=-100)
    w = ns.tensor(rng.random(3) + 0.5, dtype=ns.float64)
    numeric_gradcheck(lambda a: F.nll_loss(a, t, weight=w), x)
    numeric_gradcheck(lambda a: F.nll_loss(a, t, reduction="none"), x)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses_gradcheck_both_inputs(rng, reduction):
    x, y = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    numeric_gradcheck(lambda a, b: F.mse_loss(a, b, reduction=reduction), x, y)
    numeric_gradcheck(lambda a, b: F.l1_loss(a, b, reduction=reduction), x, y)


def test_bce_gradcheck_input_target_weight(rng):
    x = rng.uniform(0.1, 0.9, (2, 3))
    y = rng.uniform(0, 1, (2, 3))
    w = rng.uniform(0.5, 1.5, (3,))
    numeric_gradcheck(lambda a, b, c: F.binary_cross_entropy(a, b, weight=c), x, y, w)


def test_bce_with_logits_gradcheck_every_input(rng):
    x = rng.standard_normal((2, 3)) * 3
    y = rng.uniform(0, 1, (2, 3))
    w = rng.uniform(0.5, 1.5, (2, 3))
    pw = rng.uniform(0.5, 3.0, (3,))
    numeric_gradcheck(
        lambda a, b, c, d: F.binary_cross_entropy_with_logits(a, b, weight=c, pos_weight=d),
        x, y, w, pw)


def test_cross_entropy_extreme_logits_stay_finite_and_match_torch():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [5e3, 5e3, -1e4]], dtype=np.float32)
    t = np.array([1, 2, 0])
    for smoothing in (0.0, 0.1):
        a = ns.tensor(x, requires_grad=True)
        loss = F.cross_entropy(a, ns.tensor(t), label_smoothing=smoothing)
        loss.backward()
        b = torch.tensor(x, requires_grad=True)
        expected = torch.nn.functional.cross_entropy(b, torch.tensor(t), label_smoothing=smoothing)
        expected.backward()
        assert np.isfinite(loss.item()) and np.isfinite(a.grad.numpy()).all()
        np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-6)


def test_bce_with_logits_extreme_logits_stay_finite():
    x = np.array([1e4, -1e4, 50.0, -50.0], dtype=np.float32)
    y = np.array([0.0, 1.0, 1.0, 0.0], dtype=np.float32)
    a = ns.tensor(x, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(a, ns.tensor(y), pos_weight=ns.tensor([2.0]))
    loss.backward()
    b = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        b, torch.tensor(y), pos_weight=torch.tensor([2.0]))
    expected.backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-7)


def test_cross_entropy_backward_builds_no_class_by_class_matrix():
    # eye(C) for C = 200_000 would need 160 GB; the scatter backward needs only (N, C).
    classes = 200_000
    x = ns.tensor(np.random.default_rng(0).standard_normal((2, classes)).astype(np.float32),
                  requires_grad=True)
    loss = F.cross_entropy(x, ns.tensor([3, classes - 1]), label_smoothing=0.1)
    loss.backward()
    assert x.grad.shape == (2, classes)
    assert x.grad.dtype == ns.float32
    np.testing.assert_allclose(x.grad.numpy().sum(axis=1), 0.0, atol=1e-6)


def test_cross_entropy_float32_stays_float32(rng):
    x = ns.tensor(rng.standard_normal((4, 5)).astype(np.float32), requires_grad=True)
    w = ns.tensor(rng.random(5).astype(np.float32))
    t = _targets(rng, (4,), 5, ignore=-100)
    for reduction in ("mean", "sum", "none"):
        loss = F.cross_entropy(x, t, weight=w, reduction=reduction, label_smoothing=0.1)
        assert loss.dtype == ns.float32
        loss.sum().backward()
        assert x.grad.dtype == ns.float32
        x.grad = None


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_backward_twice_with_retain_graph_accumulates(rng, smoothing, weighted, reduction):
    # without retain_graph the backward writes its gradient over the saved softmax; with it,
    # the second backward must still see the softmax intact
    x = ns.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    weight = ns.tensor(rng.random(4)) if weighted else None
    loss = F.cross_entropy(x, ns.tensor([0, 1, 2]), weight=weight, label_smoothing=smoothing,
                           reduction=reduction).sum()
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-12)
    reference = torch.tensor(x.numpy(), requires_grad=True)
    torch.nn.functional.cross_entropy(
        reference, torch.tensor([0, 1, 2]), label_smoothing=smoothing, reduction=reduction,
        weight=None if weight is None else torch.tensor(weight.numpy())).sum().backward()
    np.testing.assert_allclose(first, reference.grad.numpy(), rtol=1e-10, atol=1e-12)


def torch_raises(call):
    """The exception PyTorch raises for ``call()`` (the test's truth)."""
    with pytest.raises(Exception) as raised:  # noqa: PT011 - any type: it is what we learn
        call()
    return raised.value


BAD_PROBABILITIES = {"nan": [0.5, float("nan")], "above 1": [1.5, 0.2], "below 0": [-1e-7, 0.5],
                     "inf": [float("inf"), 0.0], "-inf": [0.3, float("-inf")]}


@pytest.mark.parametrize("case", list(BAD_PROBABILITIES))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_refuses_input_outside_0_1_as_torch_does(case, dtype):
    values = np.array(BAD_PROBABILITIES[case], dtype=dtype)
    target = np.ones(2, dtype)
    expected = torch_raises(lambda: torch.nn.functional.binary_cross_entropy(
        torch.tensor(values), torch.tensor(target)))
    assert "between 0 and 1" in str(expected)
    with pytest.raises(type(expected), match="binary_cross_entropy: all elements of input "
                       "should be between 0 and 1") as error:
        F.binary_cross_entropy(ns.tensor(values), ns.tensor(target))
    assert isinstance(error.value, ValueError)
    bad = values[~((values >= 0) & (values <= 1))][0]
    assert f"got {bad}" in str(error.value) and "(2,)" in str(error.value)


def test_bce_accepts_the_closed_interval():
    values = np.array([0.0, 1.0, 0.5])
    target = np.array([0.0, 1.0, 1.0])
    expected = torch.nn.functional.binary_cross_entropy(torch.tensor(values), torch.tensor(target))
    got = F.binary_cross_entropy(ns.tensor(values), ns.tensor(target))
    np.testing.assert_allclose(got.item(), expected.item(), rtol=1e-12)


INTEGER_INPUTS = ["int64", "int32", "uint8", "bool"]


@pytest.mark.parametrize("dtype", INTEGER_INPUTS)
def test_cross_entropy_refuses_integer_logits_as_torch_does(dtype):
    logits = np.array([[1, 0], [0, 1]], dtype=dtype)
    target = np.array([0, 1])
    expected = torch_raises(lambda: torch.nn.functional.cross_entropy(
        torch.tensor(logits), torch.tensor(target)))
    with pytest.raises(type(expected), match=f"cross_entropy: input \\(logits\\) of dtype {dtype}"):
        F.cross_entropy(ns.tensor(logits), ns.tensor(target))


@pytest.mark.parametrize("dtype", INTEGER_INPUTS)
def test_bce_refuses_integer_input_as_torch_does(dtype):
    probabilities = np.array([1, 0], dtype=dtype)
    target = np.array([1, 0], dtype=dtype)  # torch wants the input's dtype for the target
    expected = torch_raises(lambda: torch.nn.functional.binary_cross_entropy(
        torch.tensor(probabilities), torch.tensor(target)))
    with pytest.raises(type(expected), match=f"binary_cross_entropy: input of dtype {dtype}"):
        F.binary_cross_entropy(ns.tensor(probabilities), ns.tensor(target))
