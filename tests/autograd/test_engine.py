"""The backward engine: accumulation, graph freeing, retain_graph, deep graphs, grad modes."""

import numpy as np
import pytest
import torch

import nnscratch as ns


def test_tensor_used_twice_accumulates_like_torch():
    data = np.array([0.5, -1.0, 2.0])
    a = ns.tensor(data, requires_grad=True)
    ta = torch.tensor(data, requires_grad=True)
    (a * a + a.exp() * a).sum().backward()
    (ta * ta + ta.exp() * ta).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-12)


def test_backward_twice_needs_retain_graph_and_accumulates():
    x = ns.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_graph_is_freed_after_backward():
    x = ns.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = y.sum()
    z.backward()
    assert y._node.saved == ()


def test_backward_errors_as_torch():
    with pytest.raises(RuntimeError, match="scalar"):
        (ns.ones(3, requires_grad=True) * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        ns.ones(3).sum().backward()
    with pytest.raises(RuntimeError, match="floating point"):
        ns.tensor([1, 2], requires_grad=True)


def test_backward_with_gradient_argument():
    x = ns.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * 3).backward(ns.tensor([1.0, 0.5, 2.0]))
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 1.5, 6.0])


def test_deep_graph_needs_no_recursion():
    x = ns.tensor([0.5], dtype=ns.float64, requires_grad=True)
    h = x
    for _ in range(5000):
        h = h * 0.999 + 0.001
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.999**5000], rtol=1e-10)


def test_unused_branch_and_integer_outputs_are_fine():
    x = ns.tensor([[1.0, 5.0], [3.0, 2.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    _ = x * 2  # a branch never used by the loss
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1], [1, 0]])
    assert not indices.requires_grad


def test_no_grad_enable_grad_and_decorator():
    x = ns.ones(2, requires_grad=True)
    with ns.no_grad():
        assert not (x * 2).requires_grad
        assert not ns.is_grad_enabled()
        with ns.enable_grad():
            assert (x * 2).requires_grad
    assert ns.is_grad_enabled()

    @ns.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad
    assert ns.is_grad_enabled()


def test_detach_and_data_share_storage_without_history():
    x = ns.ones(3, requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf
    d.array[0] = 7.0
    assert y.numpy()[0] == 7.0
    assert x.data.array is x.array and not x.data.requires_grad


def test_leaf_grads_do_not_alias_each_other():
    a = ns.ones(3, requires_grad=True)
    b = ns.ones(3, requires_grad=True)
    (a + b).sum().backward()
    a.grad.array[...] *= 10  # e.g. clipping in place
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0, 1.0])


def test_hooks_and_retain_grad():
    x = ns.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    seen = []
    y.register_hook(lambda g: seen.append(g.numpy().copy()))
    x.register_hook(lambda g: g * 2)
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [6.0, 12.0])
    np.testing.assert_allclose(seen[0], [6.0, 12.0])
    np.testing.assert_allclose(x.grad.numpy(), [36.0, 72.0])
