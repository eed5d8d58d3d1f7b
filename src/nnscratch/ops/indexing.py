"""Indexing with gradients: basic, integer-array, boolean-mask and mixed."""

from __future__ import annotations

from typing import Any

from ..autograd.function import Function


def is_basic(index: Any) -> bool:
    """True when ``x[index]`` is a view (ints, slices, None, Ellipsis only): no repeats."""
    items = index if isinstance(index, tuple) else (index,)
    return all(
        item is None or item is Ellipsis or isinstance(item, (int, slice)) for item in items
    )


class GetItem(Function):
    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx, gy):
        xp = ctx.xp
        gx = xp.zeros(ctx.shape, dtype=gy.dtype)
        if is_basic(ctx.index):
            gx[ctx.index] = gy
        else:
            # repeated indices must add up: np.add.at, never += on a fancy index
            xp.add.at(gx, ctx.index, gy)
        return gx


class Gather(Function):
    """out[i][j] = x[i][index[i][j]] along ``axis`` (torch.gather)."""

    @staticmethod
    def forward(ctx, x, index, axis):
        ctx.shape, ctx.axis = x.shape, axis
        ctx.index = index
        return ctx.xp.take_along_axis(x, index, axis=axis)

    @staticmethod
    def backward(ctx, gy, *_):
        xp = ctx.xp
        gx = xp.zeros(ctx.shape, dtype=gy.dtype)
        # scatter-add: several positions may gather the same element
        grid = list(xp.indices(ctx.index.shape, sparse=True))
        grid[ctx.axis] = ctx.index
        xp.add.at(gx, tuple(grid), gy)
        return gx, None
