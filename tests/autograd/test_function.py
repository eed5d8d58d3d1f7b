"""User-defined ops (ns.autograd.Function) and gradcheck."""

import numpy as np
import pytest

import nnscratch as ns


class Cube(ns.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x * x


class WrongCube(Cube):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 2 * x * x  # deliberately wrong


class ScaleBy(ns.autograd.Function):
    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        return x * factor

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.factor, None


def test_custom_function_forward_and_backward():
    x = ns.tensor([1.0, -2.0, 0.5], requires_grad=True)
    y = Cube.apply(x)
    assert isinstance(y, ns.Tensor) and y.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.array([1.0, 4.0, 0.25]))


def test_custom_function_with_non_tensor_argument():
    x = ns.tensor([1.0, 2.0], dtype=ns.float64, requires_grad=True)
    assert ns.autograd.gradcheck(lambda t: ScaleBy.apply(t, 2.5), (x,))


def test_gradcheck_passes_right_and_catches_wrong_backward():
    x = ns.tensor(np.random.default_rng(0).standard_normal(4), dtype=ns.float64,
                  requires_grad=True)
    assert ns.autograd.gradcheck(Cube.apply, (x,))
    with pytest.raises(RuntimeError, match="input 0"):
        ns.autograd.gradcheck(WrongCube.apply, (x,))
    assert ns.autograd.gradcheck(WrongCube.apply, (x,), raise_exception=False) is False


def test_gradcheck_requires_float64():
    x = ns.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="float64"):
        ns.autograd.gradcheck(Cube.apply, (x,))
