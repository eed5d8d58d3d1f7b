"""Arithmetic with broadcasting: add, sub, mul, div, neg, pow, matmul."""

from __future__ import annotations

from typing import Any

from ..autograd.function import Function
from .broadcast import shape_of, unbroadcast


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        return a + b

    @staticmethod
    def backward(ctx, gy):
        need_a, need_b = ctx.needs_input_grad
        shape_a, shape_b = ctx.shapes
        # d(a + b)/da = d(a + b)/db = 1
        return (
            unbroadcast(gy, shape_a) if need_a else None,
            unbroadcast(gy, shape_b) if need_b else None,
        )


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        return a - b

    @staticmethod
    def backward(ctx, gy):
        need_a, need_b = ctx.needs_input_grad
        shape_a, shape_b = ctx.shapes
        return (
            unbroadcast(gy, shape_a) if need_a else None,
            unbroadcast(-gy, shape_b) if need_b else None,
        )


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        # d(a b)/da = b,  d(a b)/db = a
        return (
            unbroadcast(gy * b, shape_of(a)) if need_a else None,
            unbroadcast(gy * a, shape_of(b)) if need_b else None,
        )


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        ga = gy / b if need_a else None  # d(a/b)/da = 1/b
        gb = -gy * a / (b * b) if need_b else None  # d(a/b)/db = -a/b^2
        return (
            unbroadcast(ga, shape_of(a)) if need_a else None,
            unbroadcast(gb, shape_of(b)) if need_b else None,
        )


class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, gy):
        return -gy


class Pow(Function):
    """a ** b for tensors or numbers on either side."""

    @staticmethod
    def forward(ctx, a, b):
        y = a**b
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, gy):
        a, b, y = ctx.saved
        xp = ctx.xp
        need_a, need_b = ctx.needs_input_grad
        ga = gb = None
        if need_a:
            ga = unbroadcast(gy * b * a ** (b - 1), shape_of(a))  # d a^b / da = b a^(b-1)
        if need_b:
            gb = unbroadcast(gy * y * xp.log(a), shape_of(b))  # d a^b / db = a^b ln a
        return ga, gb


def _swap(x: Any) -> Any:
    return x.swapaxes(-1, -2)


class MatMul(Function):
    """Matrix product with numpy's rules for 1-D operands and broadcast batch dimensions."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.matmul(a, b)

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:
            # Y = A B:  dA = dY B^T,  dB = A^T dY
            return (gy @ b.T if need_a else None, a.T @ gy if need_b else None)
        if a.ndim == 1 and b.ndim == 1:  # inner product: y = a·b
            return (gy * b if need_a else None, gy * a if need_b else None)
        xp = ctx.xp
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = gy
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        ga = unbroadcast(xp.matmul(g2, _swap(b2)), a2.shape).reshape(a.shape) if need_a else None
        gb = unbroadcast(xp.matmul(_swap(a2), g2), b2.shape).reshape(b.shape) if need_b else None
        return ga, gb


class Linear(Function):
    """y = x W^T + b, fused: one matrix product forward, two backward, bias summed once.

    x: (*, in), W: (out, in), b: (out,) or None → y: (*, out).
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        y = x2 @ weight.T
        if bias is not None:
            y += bias
        return y.reshape(*x.shape[:-1], weight.shape[0]) if x.ndim != 2 else y

    @staticmethod
    def backward(ctx, gy):
        x, weight = ctx.saved
        need_x, need_w, need_b = (ctx.needs_input_grad + (False,))[:3]
        g2 = gy.reshape(-1, gy.shape[-1]) if gy.ndim != 2 else gy
        x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        gx = (g2 @ weight).reshape(x.shape) if need_x else None  # dL/dx = dL/dy W
        gw = g2.T @ x2 if need_w else None  # dL/dW = dL/dy^T x
        gb = g2.sum(axis=0) if need_b else None  # dL/db = sum over rows of dL/dy
        return gx, gw, gb
