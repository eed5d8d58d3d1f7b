"""Reductions: sum, mean, max/min (over all or along a dim), var, logsumexp."""

from __future__ import annotations

from typing import Any

from ..autograd.function import Function


def _restore_dims(gy: Any, shape: tuple, axis: Any, keepdims: bool) -> Any:
    """Give a reduced gradient back its reduced axes as size 1 so it broadcasts to ``shape``."""
    if keepdims or axis is None and gy.ndim == 0:
        return gy
    axes = (axis,) if isinstance(axis, int) else (tuple(range(len(shape))) if axis is None else axis)
    axes = sorted(a % len(shape) for a in axes) if shape else []
    for a in axes:
        gy = gy.reshape(gy.shape[:a] + (1,) + gy.shape[a:])
    return gy


class Sum(Function):
    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        return x.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, gy):
        # every element contributes once: dL/dx = broadcast(dL/dy)
        gy = _restore_dims(gy, ctx.shape, ctx.axis, ctx.keepdims)
        return ctx.xp.broadcast_to(gy, ctx.shape)


class Mean(Function):
    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        y = x.mean(axis=axis, keepdims=keepdims)
        ctx.count = x.size // max(y.size, 1) if x.size else 0
        return y

    @staticmethod
    def backward(ctx, gy):
        gy = _restore_dims(gy, ctx.shape, ctx.axis, ctx.keepdims)
        return ctx.xp.broadcast_to(gy / ctx.count, ctx.shape)  # each of n elements gets 1/n


class MaxAll(Function):
    """max (or min) over every element; the gradient is split evenly among ties (PyTorch)."""

    @staticmethod
    def forward(ctx, x, largest=True):
        if x.size == 0:
            raise RuntimeError(
                f"max(): Expected reduction dim to be specified for input.numel() == 0, "
                f"got shape {tuple(x.shape)}"
            )
        y = x.max() if largest else x.min()
        ctx.save_for_backward(x, y)
        return ctx.xp.asarray(y)

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved
        mask = x == y
        return mask * (gy / mask.sum()).astype(x.dtype)


class MaxDim(Function):
    """(values, indices) of max/min along one axis; the gradient goes to the returned index."""

    @staticmethod
    def forward(ctx, x, axis, keepdims=False, largest=True):
        xp = ctx.xp
        if x.shape[axis] == 0:
            raise IndexError(
                f"max(): cannot reduce over a zero-size dimension {axis} of shape {tuple(x.shape)}"
            )
        indices = xp.argmax(x, axis=axis) if largest else xp.argmin(x, axis=axis)
        indices = xp.expand_dims(indices, axis)
        values = xp.take_along_axis(x, indices, axis=axis)
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        ctx.indices = indices
        if not keepdims:
            values = values.squeeze(axis)
            indices = indices.squeeze(axis)
        return values, indices.astype(xp.int64)

    @staticmethod
    def backward(ctx, gy, _gi):
        xp = ctx.xp
        if not ctx.keepdims:
            gy = xp.expand_dims(gy, ctx.axis)
        gx = xp.zeros(ctx.shape, dtype=gy.dtype)
        xp.put_along_axis(gx, ctx.indices, gy, axis=ctx.axis)
        return gx


class Var(Function):
    """Variance with Bessel's correction: sum((x - mean)^2) / (n - correction)."""

    @staticmethod
    def forward(ctx, x, axis=None, correction=1, keepdims=False):
        mean = x.mean(axis=axis, keepdims=True)
        centred = x - mean
        n = x.size // max(mean.size, 1)
        ctx.save_for_backward(centred)
        ctx.axis, ctx.keepdims, ctx.divisor = axis, keepdims, max(n - correction, 0)
        return (centred * centred).sum(axis=axis, keepdims=keepdims) / ctx.divisor

    @staticmethod
    def backward(ctx, gy):
        (centred,) = ctx.saved
        gy = _restore_dims(gy, centred.shape, ctx.axis, ctx.keepdims)
        return gy * (2.0 / ctx.divisor) * centred  # d var/dx_i = 2 (x_i - mean) / (n - c)


class LogSumExp(Function):
    """log(sum(exp(x))) along an axis, computed with the maximum subtracted."""

    @staticmethod
    def forward(ctx, x, axis, keepdims=False):
        xp = ctx.xp
        m = x.max(axis=axis, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        y = xp.log(xp.exp(x - m).sum(axis=axis, keepdims=True)) + m
        ctx.save_for_backward(x, y)
        ctx.axis, ctx.keepdims = axis, keepdims
        return y if keepdims else y.squeeze(axis)

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved
        if not ctx.keepdims:
            gy = ctx.xp.expand_dims(gy, ctx.axis)
        return gy * ctx.xp.exp(x - y)  # d lse/dx = softmax(x)
