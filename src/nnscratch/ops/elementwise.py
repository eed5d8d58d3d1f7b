"""Element-wise math: exp, log, sqrt, abs, sin, cos, clamp, maximum/minimum, where, masked_fill."""

from __future__ import annotations

from ..autograd.function import Function
from .broadcast import shape_of, unbroadcast


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved
        return gy * y  # d e^x/dx = e^x


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.log(x)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved
        return gy / x  # d ln x/dx = 1/x


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, gy):
        (y,) = ctx.saved
        return gy / (2 * y)  # d sqrt(x)/dx = 1 / (2 sqrt(x))


class Abs(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.abs(x)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved
        return gy * ctx.xp.sign(x)  # sign(0) = 0, as PyTorch


class Sin(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.sin(x)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved
        return gy * ctx.xp.cos(x)


class Cos(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.cos(x)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved
        return -gy * ctx.xp.sin(x)


class Clamp(Function):
    """min(max(x, low), high); the gradient passes where low <= x <= high (PyTorch)."""

    @staticmethod
    def forward(ctx, x, low=None, high=None):
        ctx.save_for_backward(x)
        ctx.low, ctx.high = low, high
        return ctx.xp.clip(x, low, high)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved
        inside = True
        if ctx.low is not None:
            inside = x >= ctx.low
        if ctx.high is not None:
            inside = inside & (x <= ctx.high)
        return gy * inside


class Maximum(Function):
    """Element-wise max(a, b); at ties the gradient is split evenly (PyTorch)."""

    @staticmethod
    def forward(ctx, a, b, largest=True):
        ctx.save_for_backward(a, b)
        ctx.largest = largest
        return ctx.xp.maximum(a, b) if largest else ctx.xp.minimum(a, b)

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        a_wins = (a > b) if ctx.largest else (a < b)
        share_a = a_wins + 0.5 * (a == b)
        ga = unbroadcast(gy * share_a, shape_of(a)) if need_a else None
        gb = unbroadcast(gy * (1 - share_a), shape_of(b)) if need_b else None
        return ga, gb


class Where(Function):
    """condition ? a : b; the condition gets no gradient."""

    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.save_for_backward(condition)
        ctx.shapes = (shape_of(a), shape_of(b))
        return ctx.xp.where(condition, a, b)

    @staticmethod
    def backward(ctx, gy):
        (condition,) = ctx.saved
        xp = ctx.xp
        _, need_a, need_b = ctx.needs_input_grad
        zero = xp.zeros((), dtype=gy.dtype)
        ga = unbroadcast(xp.where(condition, gy, zero), ctx.shapes[0]) if need_a else None
        gb = unbroadcast(xp.where(condition, zero, gy), ctx.shapes[1]) if need_b else None
        return None, ga, gb


class MaskedFill(Function):
    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.save_for_backward(mask)
        ctx.shape = x.shape
        return ctx.xp.where(mask, ctx.xp.asarray(value, dtype=x.dtype), x)

    @staticmethod
    def backward(ctx, gy):
        (mask,) = ctx.saved
        g = ctx.xp.where(mask, ctx.xp.zeros((), dtype=gy.dtype), gy)
        return unbroadcast(g, ctx.shape), None
