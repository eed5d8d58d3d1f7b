"""Shape ops: reshape, permute, expand, repeat, cat, stack, split, pad."""

from __future__ import annotations

from ..autograd.function import Function
from .broadcast import unbroadcast


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, gy):
        return gy.reshape(ctx.shape)


class Permute(Function):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, gy):
        inverse = [0] * len(ctx.axes)
        for position, axis in enumerate(ctx.axes):
            inverse[axis] = position
        return gy.transpose(inverse)


class Expand(Function):
    """A broadcast view; its gradient sums the copies back."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return ctx.xp.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, gy):
        return unbroadcast(gy, ctx.shape)


class Repeat(Function):
    """Tile ``x`` ``reps`` times along each dim (torch.Tensor.repeat)."""

    @staticmethod
    def forward(ctx, x, reps):
        ctx.input_shape = x.shape
        ctx.shape = (1,) * (len(reps) - x.ndim) + x.shape
        ctx.reps = reps
        return ctx.xp.tile(x.reshape(ctx.shape), reps)

    @staticmethod
    def backward(ctx, gy):
        # split every axis into (repeat, size) and sum over the repeats
        split_shape = []
        for rep, size in zip(ctx.reps, ctx.shape):
            split_shape += [rep, size]
        g = gy.reshape(split_shape).sum(axis=tuple(range(0, len(split_shape), 2)))
        return g.reshape(ctx.input_shape)


class Concatenate(Function):
    @staticmethod
    def forward(ctx, *arrays, axis=0):
        ctx.axis = axis
        ctx.sizes = [a.shape[axis] for a in arrays]
        return ctx.xp.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, gy):
        bounds = []
        total = 0
        for size in ctx.sizes[:-1]:
            total += size
            bounds.append(total)
        return tuple(ctx.xp.split(gy, bounds, axis=ctx.axis))


class Stack(Function):
    @staticmethod
    def forward(ctx, *arrays, axis=0):
        ctx.axis = axis
        return ctx.xp.stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, gy):
        return tuple(ctx.xp.moveaxis(gy, ctx.axis, 0))


class Split(Function):
    """Several outputs: the pieces of ``x`` between ``bounds`` along ``axis``."""

    @staticmethod
    def forward(ctx, x, bounds, axis=0):
        ctx.shape, ctx.axis = x.shape, axis
        pieces = tuple(ctx.xp.split(x, bounds, axis=axis))
        ctx.piece_shapes = [p.shape for p in pieces]
        return pieces

    @staticmethod
    def backward(ctx, *grads):
        xp = ctx.xp
        dtype = next(g.dtype for g in grads if g is not None)
        filled = [
            xp.zeros(shape, dtype=dtype) if g is None else g
            for g, shape in zip(grads, ctx.piece_shapes)
        ]
        return xp.concatenate(filled, axis=ctx.axis)


class Pad(Function):
    """Pad the last dims: ``widths`` is numpy's ((before, after), …) for every axis."""

    @staticmethod
    def forward(ctx, x, widths, mode="constant", value=0.0):
        ctx.shape, ctx.widths, ctx.mode = x.shape, widths, mode
        if mode == "constant":
            return ctx.xp.pad(x, widths, mode="constant", constant_values=value)
        numpy_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
        return ctx.xp.pad(x, widths, mode=numpy_mode)

    @staticmethod
    def backward(ctx, gy):
        xp = ctx.xp
        if ctx.mode == "constant":
            index = tuple(slice(b, gy.shape[i] - a) for i, (b, a) in enumerate(ctx.widths))
            return gy[index]
        # reflect/replicate/circular: each output element came from one input element; scatter
        # the gradient back through the same index map (np.add.at accumulates repeats).
        numpy_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[ctx.mode]
        flat_index = xp.arange(int(xp.prod(xp.asarray(ctx.shape))) if ctx.shape else 1)
        source = xp.pad(flat_index.reshape(ctx.shape), ctx.widths, mode=numpy_mode)
        gx = xp.zeros(int(flat_index.size), dtype=gy.dtype)
        xp.add.at(gx, source.ravel(), gy.ravel())
        return gx.reshape(ctx.shape)
