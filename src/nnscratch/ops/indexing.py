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


class IndexOutOfRangeError(IndexError, RuntimeError, ValueError):
    """An index or dim outside its range, or an index of the wrong kind. PyTorch raises
    IndexError or RuntimeError for these (which one depends on the op and the dim), so this is
    both; and a ValueError, as any bad input to nnscratch is."""


def check_index_select(shape: tuple, dim: Any, index: Any) -> tuple[int, Any]:
    """Check ``torch.index_select``'s operands: ``dim`` in [-ndim, ndim) and ``index`` an
    integer vector (or 0-d) whose every entry is in [0, shape[dim]), no negatives, as in
    PyTorch. Returns the axis (>= 0) and the index as a vector; a 0-d input takes dim 0 or -1
    and one index, 0. Raises :class:`IndexOutOfRangeError` naming the op, dim, size and the
    bad index."""
    ndim = len(shape)
    rank = max(ndim, 1)
    if isinstance(dim, bool) or not isinstance(dim, int) or not -rank <= dim < rank:
        raise IndexOutOfRangeError(
            f"index_select(): Dimension out of range (expected to be in range of "
            f"[{-rank}, {rank - 1}], but got {dim!r}) for input of shape {tuple(shape)}")
    kind = getattr(getattr(index, "dtype", None), "kind", None)
    if kind not in ("i", "u"):
        raise IndexOutOfRangeError(f"index_select(): Expected an integer index (int32 or int64), "
                                   f"got dtype {getattr(index, 'dtype', type(index).__name__)}")
    if index.ndim > 1:
        raise IndexOutOfRangeError(f"index_select(): Index is supposed to be a vector, got shape "
                                   f"{tuple(index.shape)}")
    index = index.reshape(-1)
    axis = dim % rank
    size = shape[axis] if ndim else 1
    if not ndim and index.size != 1:
        raise IndexOutOfRangeError(f"index_select(): Index to scalar can have only 1 value, got "
                                   f"{index.size} value(s)")
    bad = (index < 0) | (index >= size)
    if index.size and bool(bad.any()):
        value = int(index[bad][0])
        raise IndexOutOfRangeError(
            f"index_select(): index {value} is out of range for dim {dim} of size {size} (input "
            f"shape {tuple(shape)}): index out of range in self")
    return axis, index


class IndexSelect(Function):
    """out = x.take(index, axis) (torch.index_select): the slices ``index`` (a checked vector,
    see :func:`check_index_select`) of ``x`` along ``axis``; repeats allowed. A 0-d ``x`` is
    returned as it is."""

    @staticmethod
    def forward(ctx, x, index, axis):
        ctx.shape, ctx.axis, ctx.index = x.shape, axis, index
        if x.ndim == 0:
            return x.copy()
        return ctx.xp.take(x, index, axis=axis)

    @staticmethod
    def backward(ctx, gy, *_):
        if not ctx.shape:
            return gy, None
        gx = ctx.xp.zeros(ctx.shape, dtype=gy.dtype)
        # repeated indices add up: np.add.at, never += on a fancy index
        ctx.xp.add.at(gx, (slice(None),) * ctx.axis + (ctx.index,), gy)
        return gx, None
