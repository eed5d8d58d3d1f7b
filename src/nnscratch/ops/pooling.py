"""Pooling over 2-D windows: ``max_pool2d``, ``avg_pool2d``, ``adaptive_avg_pool2d``.

Each is one fused Function. The windows are a strided view of the (padded) input; forward
copies the view once into a contiguous ``S`` of shape (kH·kW, N·C·OH·OW) and reduces over
its first axis (contiguous arithmetic is several times faster than strided), working in the
input's own memory order (channels-last arrays stay channels-last). Window ``(oh, ow)``
covers ``x_pad[oh·sH + i·dH, ow·sW + j·dW]`` for kernel offsets ``(i, j)``::

    max:  y = max_{i,j} x_pad[…]      (x_pad padded with -inf; the first maximum in
                                       row-major window order is the argmax, as PyTorch)
    avg:  y = Σ_{i,j} x_pad[…] / divisor(oh, ow)   (x_pad padded with zeros)

Backward: max routes each gradient to its window's argmax, ``dL/dx[argmax] += gy``; avg
spreads ``gy / divisor`` over the window. Windows that do not overlap (stride ≥ reach) are
written back with one strided copy; overlapping ones are accumulated offset by offset.

The Functions work on arrays; ``nnscratch/functional/pooling.py`` checks the arguments and
computes the :class:`PoolGeometry` they receive.
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Function
from .windows import is_channels_last, pad_spatial, scratch, window_view


class PoolGeometry:
    """Kernel, stride, padding, dilation and output size of one pooling call (all pairs)."""

    __slots__ = ("kernel", "stride", "padding", "dilation", "out_hw")

    def __init__(self, kernel, stride, padding, dilation, out_hw) -> None:
        self.kernel, self.stride, self.padding = kernel, stride, padding
        self.dilation, self.out_hw = dilation, out_hw

    def pads(self, size: tuple[int, int]) -> tuple[int, int, int, int]:
        """(top, bottom, left, right): the padding, extended (ceil_mode) to reach every window."""
        result = []
        for axis in (0, 1):
            reach = (self.out_hw[axis] - 1) * self.stride[axis]
            reach += self.dilation[axis] * (self.kernel[axis] - 1) + 1
            before = self.padding[axis]
            result += [before, max(0, reach - size[axis] - before)]
        return tuple(result)

    def disjoint(self) -> bool:
        """No input element belongs to two windows (stride ≥ dilation·(k-1) + 1)."""
        return all(s >= d * (k - 1) + 1 for s, d, k in zip(self.stride, self.dilation, self.kernel))

    def tiles(self, size: tuple[int, int]) -> bool:
        """The windows tile the padded (H, W) input exactly: each element in exactly one window."""
        top, bottom, left, right = self.pads(size)
        padded_hw = (size[0] + top + bottom, size[1] + left + right)
        return self.stride == self.kernel and self.dilation == (1, 1) and \
            padded_hw == (self.out_hw[0] * self.kernel[0], self.out_hw[1] * self.kernel[1])


def _working(x4: Any) -> tuple:
    """``x4`` (N, C, H, W) in its memory order: (view, spatial axes, channels_last)."""
    if is_channels_last(x4):
        return x4.transpose(0, 2, 3, 1), (1, 2), True
    return x4, (2, 3), False


def _logical(a: Any, channels_last: bool) -> Any:
    return a.transpose(0, 3, 1, 2) if channels_last else a


def _windows(xp, x4, geometry: PoolGeometry, fill: float) -> tuple:
    """Window view (kH, kW, *working shape with OH, OW) of ``x4`` padded with ``fill``, and
    whether the working layout is channels-last."""
    a, axes, channels_last = _working(x4)
    padded = pad_spatial(xp, a, axes, geometry.pads(x4.shape[2:]), fill, role="pool padded")
    view = window_view(xp, padded, axes, geometry.out_hw, geometry.kernel, geometry.stride,
                       geometry.dilation)
    return view, channels_last


def _gather(xp, view) -> Any:
    """S (kH·kW, M): a contiguous copy of every window (for the argmax loop)."""
    windows = scratch(xp, "pool windows", view.shape, view.dtype)
    xp.copyto(windows, view)
    return windows.reshape(view.shape[0] * view.shape[1], -1)


def _fold(xp, ufunc, view) -> Any:
    """ufunc folded over the kernel offsets in row-major order (a new array of the output's
    working shape): no copy of the windows where no argmax is needed."""
    kh, kw = view.shape[:2]
    if kh * kw == 1:
        return view[0, 0].copy()
    out = ufunc(view[0, 0], view[0, 1] if kw > 1 else view[1, 0])
    for k in range(2, kh * kw):
        ufunc(out, view[k // kw, k % kw], out=out)
    return out


def _scatter(xp, parts, x_shape, geometry: PoolGeometry, channels_last: bool) -> Any:
    """dL/dx (N, C, H, W) from the window gradients: ``parts`` is (kH·kW, M), one row per
    kernel offset, or (M,), the same for every offset. Each share goes back to the input
    element it came from, summed where windows overlap."""
    n, c, h, w = x_shape
    top, bottom, left, right = geometry.pads((h, w))
    hp, wp = h + top + bottom, w + left + right
    shape, axes = ((n, hp, wp, c), (1, 2)) if channels_last else ((n, c, hp, wp), (2, 3))
    kh, kw = geometry.kernel
    tiled = geometry.tiles((h, w))
    grad = xp.empty(shape, dtype=parts.dtype) if tiled else xp.zeros(shape, dtype=parts.dtype)
    view = window_view(xp, grad, axes, geometry.out_hw, geometry.kernel, geometry.stride,
                       geometry.dilation)
    per_offset = parts.ndim == 2
    parts = parts.reshape(view.shape if per_offset else view.shape[2:])
    if geometry.disjoint():  # every input element is in one window at most: one strided copy
        xp.copyto(view, parts)
    else:
        for i in range(kh):
            for j in range(kw):
                view[i, j] += parts[i, j] if per_offset else parts
    return _crop(grad, axes, (top, left), (h, w), channels_last)


def _crop(grad: Any, axes: tuple, start: tuple, size: tuple, channels_last: bool) -> Any:
    """The unpadded (N, C, H, W) part of a padded gradient in the working layout."""
    crop = [slice(None)] * 4
    crop[axes[0]], crop[axes[1]] = slice(start[0], start[0] + size[0]), slice(start[1], start[1] + size[1])
    return _logical(grad[tuple(crop)], channels_last)


def _tiled_max_grad(xp, grad_out, argmax, x_shape, geometry: PoolGeometry) -> Any:
    """dL/dx for channels-last windows that tile the input (the common 2x2 / stride 2 case).

    Every input element gets its window's gradient and argmax by repetition along H and W,
    and keeps the gradient where the argmax is its own offset ``(h mod kH)·kW + (w mod kW)``:
    all contiguous arithmetic, where a strided scatter would copy runs of only C elements.
    """
    n, c, h, w = x_shape
    top, bottom, left, right = geometry.pads((h, w))
    (oh, ow), (kh, kw) = geometry.out_hw, geometry.kernel
    grad = grad_out.reshape(n, oh, ow, c).repeat(kw, axis=2).repeat(kh, axis=1)
    chosen = argmax.reshape(n, oh, ow, c).repeat(kw, axis=2).repeat(kh, axis=1)
    rows, cols = xp.arange(oh * kh) % kh, xp.arange(ow * kw) % kw
    own = (rows[:, None] * kw + cols[None, :]).astype(argmax.dtype)  # (Hp, Wp)
    own = xp.ascontiguousarray(xp.broadcast_to(own[:, :, None], (oh * kh, ow * kw, c)))
    grad *= chosen == own  # one (H, W, C) pattern per image: long contiguous inner loops
    return _crop(grad, (1, 2), (top, left), (h, w), True)


def _working_grad(xp, gy4, channels_last: bool) -> Any:
    """The output gradient, contiguous in the forward's working layout, as one flat row."""
    gy = gy4.transpose(0, 2, 3, 1) if channels_last else gy4
    return xp.ascontiguousarray(gy).reshape(-1)


class MaxPool2d(Function):
    """Max over windows; returns ``(y, flat indices)`` when ``return_indices``."""

    @staticmethod
    def forward(ctx, x, *, geometry, return_indices=False):
        xp = ctx.xp
        x4 = x if x.ndim == 4 else x[None]
        view, channels_last = _windows(xp, x4, geometry, float("-inf"))
        if not (any(ctx.needs_input_grad) or return_indices):
            return _shape_like(x, _logical(_fold(xp, xp.maximum, view), channels_last))
        out_shape = view.shape[2:]
        y, argmax = _first_argmax(xp, _gather(xp, view))
        y = _shape_like(x, _logical(y.reshape(out_shape), channels_last))
        ctx.argmax, ctx.x_shape, ctx.channels_last = argmax, x4.shape, channels_last
        ctx.geometry = geometry
        if not return_indices:
            return y
        local = _shape_like(x, _logical(argmax.reshape(out_shape), channels_last))
        return y, _flat_indices(xp, local, geometry, x4.shape[3])

    @staticmethod
    def backward(ctx, gy, _grad_indices=None):
        xp = ctx.xp
        gy4 = gy if gy.ndim == 4 else gy[None]
        grad_out = _working_grad(xp, gy4, ctx.channels_last)
        argmax = ctx.argmax
        if ctx.channels_last and ctx.geometry.tiles(tuple(ctx.x_shape[2:])):
            grad = _tiled_max_grad(xp, grad_out, argmax, ctx.x_shape, ctx.geometry)
            return grad if gy.ndim == 4 else grad[0]
        count = ctx.geometry.kernel[0] * ctx.geometry.kernel[1]
        parts = scratch(xp, "pool windows", (count, grad_out.size), grad_out.dtype)
        chosen = scratch(xp, "pool mask", argmax.shape, bool)
        for k in range(count):  # dL/dx at offset k of each window = gy where argmax == k
            xp.equal(argmax, k, out=chosen)
            xp.multiply(grad_out, chosen, out=parts[k])
        grad = _scatter(xp, parts, ctx.x_shape, ctx.geometry, ctx.channels_last)
        return grad if gy.ndim == 4 else grad[0]


def _first_argmax(xp, windows: Any) -> Any:
    """Per column of S (K, M): the maximum, and the first row holding it (the last NaN, if
    any, as PyTorch's scan ``if (val > max || isnan(val))`` picks)."""
    count = len(windows)
    dtype = xp.int8 if count < 128 else xp.int32
    best = windows[0].copy()
    argmax = xp.zeros(best.shape, dtype=dtype)
    better = scratch(xp, "pool mask", best.shape, bool)
    for k in range(1, count):
        xp.greater(windows[k], best, out=better)
        # offsets only grow, so "argmax = k where better" is a maximum with k·better
        step = better.view(xp.int8) if dtype is xp.int8 else better.astype(dtype)
        step *= dtype(k)
        xp.maximum(argmax, step, out=argmax)
        xp.maximum(best, windows[k], out=best)
    if bool(xp.isnan(best).any()):
        for k in range(count):
            argmax = xp.where(xp.isnan(windows[k]), dtype(k), argmax)
    return best, argmax


def _flat_indices(xp, local, geometry: PoolGeometry, width: int) -> Any:
    """PyTorch's indices: ``h·W + w`` of each argmax in its unpadded (H, W) plane (int64)."""
    kh, kw = geometry.kernel
    (sh, sw), (dh, dw), (ph, pw) = geometry.stride, geometry.dilation, geometry.padding
    oh, ow = geometry.out_hw
    rows = xp.arange(oh, dtype=xp.int64) * sh - ph
    cols = xp.arange(ow, dtype=xp.int64) * sw - pw
    corner = rows[:, None] * width + cols[None, :]  # window origin (OH, OW)
    offsets = (xp.arange(kh, dtype=xp.int64)[:, None] * dh * width
               + xp.arange(kw, dtype=xp.int64)[None, :] * dw).reshape(-1)
    return offsets[local.astype(xp.intp)] + corner


def _shape_like(x: Any, y4: Any) -> Any:
    """Drop the batch axis that an unbatched (C, H, W) input was given."""
    return y4 if x.ndim == 4 else y4[0]


class AvgPool2d(Function):
    """Mean over windows: ``y = Σ window / divisor`` (PyTorch's divisor rules)."""

    @staticmethod
    def forward(ctx, x, *, geometry, divisor):
        xp = ctx.xp
        x4 = x if x.ndim == 4 else x[None]
        view, channels_last = _windows(xp, x4, geometry, 0.0)
        if not isinstance(divisor, int):  # per-window counts (OH, OW)
            divisor = xp.asarray(divisor, dtype=x.dtype)
            divisor = divisor[:, :, None] if channels_last else divisor
        y = _fold(xp, xp.add, view)  # summed in PyTorch's order: row-major over the window
        y /= divisor
        ctx.x_shape, ctx.channels_last, ctx.geometry = x4.shape, channels_last, geometry
        ctx.divisor = divisor
        return _shape_like(x, _logical(y, channels_last))

    @staticmethod
    def backward(ctx, gy):
        xp = ctx.xp
        gy4 = gy if gy.ndim == 4 else gy[None]
        share = gy4.transpose(0, 2, 3, 1) if ctx.channels_last else gy4
        share = (share / ctx.divisor).reshape(-1)  # dL/dx = gy / divisor at every window element
        grad = _scatter(xp, share, ctx.x_shape, ctx.geometry, ctx.channels_last)
        return grad if gy.ndim == 4 else grad[0]


class AdaptiveAvgPool2d(Function):
    """Mean over PyTorch's adaptive windows, as two averaging matrices:
    ``y = A_H · x · A_Wᵀ`` per plane, where ``A[o, start_o:end_o] = 1 / (end_o - start_o)``,
    ``start_o = ⌊o·H / OH⌋``, ``end_o = ⌈(o + 1)·H / OH⌉``; so ``dL/dx = A_Hᵀ · gy · A_W``."""

    @staticmethod
    def forward(ctx, x, *, out_hw):
        xp = ctx.xp
        height = _average_matrix(xp, x.shape[-2], out_hw[0], x.dtype)
        width = _average_matrix(xp, x.shape[-1], out_hw[1], x.dtype)
        ctx.matrices = (height, width)
        across = xp.tensordot(x, width, axes=([x.ndim - 1], [1]))  # (…, H, OW)
        y = xp.tensordot(across, height, axes=([x.ndim - 2], [1]))  # (…, OW, OH)
        return xp.swapaxes(y, -1, -2)

    @staticmethod
    def backward(ctx, gy):
        xp = ctx.xp
        height, width = ctx.matrices
        down = xp.tensordot(gy, height, axes=([gy.ndim - 2], [0]))  # (…, OW, H)
        grad = xp.tensordot(down, width, axes=([gy.ndim - 2], [0]))  # (…, H, W)
        return grad


def _average_matrix(xp, size: int, out: int, dtype: Any) -> Any:
    """A (out, size) with ``A[o, start_o:end_o] = 1 / (end_o - start_o)``."""
    o = xp.arange(out)
    start, end = (o * size) // out, -((-(o + 1) * size) // out)
    position = xp.arange(size)
    inside = (position[None, :] >= start[:, None]) & (position[None, :] < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)
