"""Moving data: dtype casts, device copies and clones, each passing gradients back."""

from __future__ import annotations

from ..autograd.function import Function
from ..backend import device_of, to_device


class Cast(Function):
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, gy):
        return gy.astype(ctx.dtype)


class ToDevice(Function):
    @staticmethod
    def forward(ctx, x, target):
        ctx.source = device_of(x)
        return to_device(x, target)

    @staticmethod
    def backward(ctx, gy):
        return to_device(gy, ctx.source)


class Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, gy):
        return gy


class Contiguous(Function):
    """The same values in a C-ordered buffer (a copy only when the layout differs)."""

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.ascontiguousarray(x)

    @staticmethod
    def backward(ctx, gy):
        return gy
