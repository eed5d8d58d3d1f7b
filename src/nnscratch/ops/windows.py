"""Sliding windows over the spatial axes of an array, shared by convolution and pooling.

A window view never copies: it is ``as_strided`` over the (padded) input, so the element of
window ``(oh, ow)`` at kernel offset ``(i, j)`` is ``a[..., oh*sH + i*dH, ow*sW + j*dW, ...]``.
Ops copy a view into a contiguous buffer once (a strided copy is fast) and then run
contiguous arithmetic on it; NumPy's element-wise loops are several times slower on strided
operands than on contiguous ones.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Any

import numpy


def window_view(
    xp: Any,
    a: Any,
    axes: tuple[int, int],
    out_hw: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int] = (1, 1),
) -> Any:
    """View of shape ``(kH, kW, *a.shape with H, W replaced by OH, OW)``.

    ``axes`` are the positions of H and W in ``a``; ``view[i, j, ..., oh, ow, ...]`` is
    ``a[..., oh*sH + i*dH, ow*sW + j*dW, ...]``. The caller guarantees the windows fit.
    """
    shape = list(a.shape)
    strides = list(a.strides)
    lead_strides = []
    for axis, size, step, gap in zip(axes, out_hw, stride, dilation):
        shape[axis] = size
        strides[axis] = a.strides[axis] * step
        lead_strides.append(a.strides[axis] * gap)
    return xp.lib.stride_tricks.as_strided(
        a, tuple(kernel) + tuple(shape), tuple(lead_strides) + tuple(strides)
    )


def scratch(xp: Any, role: str, shape: Sequence[int], dtype: Any) -> Any:
    """A work array for use inside one op call only (never returned, saved or kept).

    On the CPU one flat buffer per ``role`` (and thread) is kept and grown as needed, so the
    large temporaries of convolution and pooling (windows, columns, padded copies) do not
    cost fresh pages, which the kernel must fault in and zero, at every call. Two arrays that
    are alive at the same time must have different roles. Contents are undefined.
    """
    size = math.prod(shape)
    if xp is not numpy:  # CuPy has its own memory pool
        return xp.empty(shape, dtype=dtype)
    dtype = numpy.dtype(dtype)
    buffers = _scratch.__dict__.setdefault("buffers", {})
    buffer = buffers.get(role)
    if buffer is None or buffer.nbytes < size * dtype.itemsize:
        buffer = buffers[role] = numpy.empty(size * dtype.itemsize, dtype=numpy.uint8)
    return buffer[: size * dtype.itemsize].view(dtype).reshape(shape)


_scratch = threading.local()


def pad_spatial(
    xp: Any, a: Any, axes: tuple[int, int], pads: Sequence[int], fill: float = 0.0,
    role: str | None = None,
) -> Any:
    """``a`` padded (or, for a negative amount, cropped) on its two spatial axes.

    ``pads = (top, bottom, left, right)``. Returns ``a`` itself when nothing changes, else a
    C-contiguous array in ``a``'s axis order: new, or with ``role`` a :func:`scratch` array.
    """
    top, bottom, left, right = pads
    if not any(pads):
        return a
    # cropping is a view; only the positive part needs a new buffer
    crop = [slice(None)] * a.ndim
    crop[axes[0]] = slice(max(-top, 0), a.shape[axes[0]] - max(-bottom, 0))
    crop[axes[1]] = slice(max(-left, 0), a.shape[axes[1]] - max(-right, 0))
    a = a[tuple(crop)]
    top, bottom, left, right = (max(p, 0) for p in pads)
    if not (top or bottom or left or right):
        return a
    shape = list(a.shape)
    height, width = shape[axes[0]], shape[axes[1]]
    shape[axes[0]] += top + bottom
    shape[axes[1]] += left + right
    if role is None:
        padded = xp.full(shape, fill, dtype=a.dtype) if fill else xp.zeros(shape, dtype=a.dtype)
    else:  # a reused buffer: fill the border strips, the interior is overwritten below
        padded = scratch(xp, role, shape, a.dtype)
        for rows, cols in (
            (slice(0, top), slice(None)), (slice(top + height, None), slice(None)),
            (slice(top, top + height), slice(0, left)),
            (slice(top, top + height), slice(left + width, None)),
        ):
            strip = [slice(None)] * a.ndim
            strip[axes[0]], strip[axes[1]] = rows, cols
            padded[tuple(strip)] = fill
    inner = [slice(None)] * a.ndim
    inner[axes[0]] = slice(top, top + height)
    inner[axes[1]] = slice(left, left + width)
    padded[tuple(inner)] = a
    return padded


def is_channels_last(a: Any) -> bool:
    """True when a 4-D ``(N, C, H, W)`` array is stored channel-fastest (NHWC memory)."""
    return a.shape[1] > 1 and a.strides[1] < a.strides[3] and a.strides[1] < a.strides[2]


def pair(value: Any, name: str, op: str) -> tuple[int, int]:
    """An int or a pair of ints as ``(h, w)``; ``name``/``op`` go into the error message."""
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            value = (value[0], value[0])
        if len(value) != 2:
            raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
        return int(value[0]), int(value[1])
    return int(value), int(value)
