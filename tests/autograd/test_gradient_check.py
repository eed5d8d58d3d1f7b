"""autograd/gradient_check.py: gradcheck passes correct backwards and catches wrong ones.

The checker is itself checked both ways: correct ops (the library's and a hand-written
Function whose derivative is a closed form) pass, and a Function whose backward is
deliberately wrong (off by a factor, the wrong sign, a transposed Jacobian, a missing input)
is caught, with a message naming the input and the element.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnscratch as ns
from nnscratch.autograd import Function, gradcheck


class Cube(Function):
    """y = x³, dy/dx = 3x²."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved
        return gy * 3.0 * x ** 2


class WrongCube(Cube):
    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved
        return gy * 2.9 * x ** 2  # 3 % off: the smallest kind of slip a reviewer misses


class FlippedSign(Function):
    """y = sin x with backward -cos x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.sin(x)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved
        return -gy * np.cos(x)


class UntransposedMatmul(Function):
    """y = a @ b whose dL/da forgets to transpose b (right only for a symmetric b)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved
        return gy @ b, a.T @ gy


class ProductForgettingB(Function):
    """y = a * b whose backward gives b no gradient."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved
        return gy * b, gy * 0.0


def _leaf(array) -> ns.Tensor:
    return ns.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


@settings(max_examples=15, deadline=None)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=3),
                    elements=st.floats(-2, 2)))
def test_a_correct_function_passes_and_its_gradient_is_the_closed_form(x):
    assert gradcheck(Cube.apply, [_leaf(x)])
    t = _leaf(x)
    Cube.apply(t).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), 3 * x ** 2, rtol=1e-12)


@pytest.mark.parametrize("fn, shapes", [
    (lambda a, b: (a @ b).tanh(), [(2, 3), (3, 4)]),
    (lambda a: ns.softmax(a, dim=-1), [(3, 4)]),
    (lambda a, b: (a * b + a / (b * b + 1)).sum(dim=0), [(3, 2), (3, 2)]),
    (lambda a: (a.exp() + 1).log().mean(), [(5,)]),
])
def test_library_ops_pass(rng, fn, shapes):
    assert gradcheck(fn, [_leaf(rng.standard_normal(s)) for s in shapes])


@pytest.mark.parametrize("fn, inputs, words", [
    (WrongCube.apply, [[0.5, -1.0, 1.5]], "input 0"),
    (FlippedSign.apply, [[0.1, 0.7]], "input 0"),
    (UntransposedMatmul.apply, [np.arange(6.0).reshape(2, 3) / 5, np.arange(9.0).reshape(3, 3) / 7],
     "input 0"),
    (ProductForgettingB.apply, [[1.0, 2.0], [3.0, -1.0]], "input 1"),
])
def test_a_wrong_backward_is_caught_and_named(fn, inputs, words):
    leaves = [_leaf(a) for a in inputs]
    with pytest.raises(RuntimeError, match="gradcheck: Jacobian mismatch") as caught:
        gradcheck(fn, leaves)
    assert words in str(caught.value) and "element" in str(caught.value)
    assert gradcheck(fn, leaves, raise_exception=False) is False


def test_the_checkers_numbers_are_pytorchs():
    """torch.autograd.gradcheck agrees on the same wrong and right backwards."""
    class TorchWrongCube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, gy):
            (x,) = ctx.saved_tensors
            return gy * 2.9 * x ** 2

    x = np.array([0.5, -1.0, 1.5])
    assert not torch.autograd.gradcheck(TorchWrongCube.apply, (torch.tensor(x, requires_grad=True),),
                                        raise_exception=False)
    assert not gradcheck(WrongCube.apply, [_leaf(x)], raise_exception=False)
    assert torch.autograd.gradcheck(torch.tanh, (torch.tensor(x, requires_grad=True),))
    assert gradcheck(ns.tanh, [_leaf(x)])


def test_float32_inputs_are_refused():
    x = ns.tensor([1.0, 2.0], dtype=ns.float32, requires_grad=True)
    with pytest.raises(RuntimeError, match="float64"):
        gradcheck(Cube.apply, [x])
    assert gradcheck(Cube.apply, [x], raise_exception=False) is False


def test_inputs_not_requiring_grad_are_not_checked_and_are_left_as_they_were():
    a, b = _leaf([1.0, 2.0]), ns.tensor([3.0, -1.0], dtype=ns.float64)
    assert gradcheck(ProductForgettingB.apply, [a, b])  # b's gradient is never asked for
    np.testing.assert_array_equal(b.numpy(), [3.0, -1.0])
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])  # perturbed and restored
    assert a.grad is None
