"""Activations: tanh, sigmoid, relu, leaky relu, softmax, log-softmax (and a few extras)."""

from __future__ import annotations

import math
from typing import Any

import numpy

from ..autograd.function import Function


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved
        return gy * (1 - y * y)  # d tanh(x)/dx = 1 - tanh(x)^2


def sigmoid_array(xp: Any, x: Any, out: Any = None) -> Any:
    """σ(x) = 1 / (1 + e^-x) element-wise, the one sigmoid of nnscratch (ops, losses, RNN gates).

    ``x`` is any array; the result has its shape (and dtype, for floating ``x``). With ``out``
    (an array of x's shape; ``out`` may be ``x`` itself) it is computed in place there with no
    allocation, which is how the fused recurrent kernels apply it to slices of their gates buffer.

    Accurate to a few ulp (relative) for every x: for x ≪ 0, e^-x overflows to inf and
    1 / (1 + inf) = 0, the correctly rounded value once σ(x) is below the smallest normal
    number, as PyTorch gives; for x ≫ 0, e^-x underflows to 0 and σ = 1. (The identity
    σ(x) = ½ tanh(x/2) + ½ is as fast but loses the relative accuracy of small σ(x): it gives 0
    for σ(-17) in float32.)
    """
    if out is None:
        out = xp.empty(x.shape, dtype=xp.result_type(x, 1.0))
    with numpy.errstate(over="ignore"):  # e^-x = inf is intended (see above)
        return sigmoid_into(xp, x, out)


def sigmoid_into(xp: Any, x: Any, out: Any) -> Any:
    """:func:`sigmoid_array` into ``out``, for a caller that already holds
    ``numpy.errstate(over="ignore")`` (the recurrent kernels, once around their time loop,
    instead of once per gate block and step)."""
    xp.negative(x, out=out)
    xp.exp(out, out=out)  # e^-x
    out += 1
    return xp.reciprocal(out, out=out)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        y = sigmoid_array(ctx.xp, x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved
        return gy * y * (1 - y)  # dσ/dx = σ (1 - σ)


class ReLU(Function):
    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved
        return gy * (y > 0)  # d relu/dx = 1 where x > 0 (0 at x = 0, as PyTorch)


class LeakyReLU(Function):
    @staticmethod
    def forward(ctx, x, negative_slope=0.01):
        ctx.save_for_backward(x)
        ctx.slope = negative_slope
        return ctx.xp.where(x > 0, x, x * negative_slope)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved
        return ctx.xp.where(x > 0, gy, gy * ctx.slope)


class ELU(Function):
    @staticmethod
    def forward(ctx, x, alpha=1.0):
        xp = ctx.xp
        y = xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))
        ctx.save_for_backward(x, y)
        ctx.alpha = alpha
        return y

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved
        return ctx.xp.where(x > 0, gy, gy * (y + ctx.alpha))  # d/dx α(e^x - 1) = y + α


class Softplus(Function):
    """log(1 + e^x), stable: max(x, 0) + log1p(e^-|x|)."""

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        ctx.save_for_backward(x)
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved
        return gy * sigmoid_array(ctx.xp, x)


class GELU(Function):
    """x Φ(x) with the exact normal CDF (PyTorch's default approximate='none')."""

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        ctx.save_for_backward(x)
        cdf = 0.5 * (1 + _erf(xp, x / math.sqrt(2)))
        return x * cdf

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved
        xp = ctx.xp
        cdf = 0.5 * (1 + _erf(xp, x / math.sqrt(2)))
        pdf = xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return gy * (cdf + x * pdf)


def _erf(xp, x):
    from .special import erf  # float64-accurate vectorised erf (Cody 1969)

    return erf(xp, x)


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, axis):
        xp = ctx.xp
        e = xp.exp(x - x.max(axis=axis, keepdims=True))
        e /= e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(e)
        ctx.axis = axis
        return e

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved
        # dL/dx = y ⊙ (dL/dy - Σ_j dL/dy_j y_j)
        gx = gy * y
        gx -= y * gx.sum(axis=ctx.axis, keepdims=True)
        return gx


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, axis):
        xp = ctx.xp
        shifted = x - x.max(axis=axis, keepdims=True)
        y = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved
        # dL/dx = dL/dy - softmax(x) Σ_j dL/dy_j
        return gy - ctx.xp.exp(y) * gy.sum(axis=ctx.axis, keepdims=True)
