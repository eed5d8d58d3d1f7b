"""``max_pool2d``, ``avg_pool2d``, ``adaptive_avg_pool2d``: the window arguments checked and
normalised into a geometry (the output size as PyTorch computes it), then the Functions of
``nnscratch.ops.pooling``."""

# ruff: noqa: A002 - PyTorch names its arguments input

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy

from .._tensor_base import TensorBase
from ..ops.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d, PoolGeometry
from ..ops.windows import pair

if TYPE_CHECKING:
    from .._tensor import Tensor

def max_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Max over ``kernel_size`` windows of an ``(N, C, H, W)`` or ``(C, H, W)`` input.

    ``stride`` defaults to ``kernel_size``; ``padding`` (at most half the dilated kernel) adds
    -inf borders. Output ``(N, C, OH, OW)``, ``OH = ⌊(H + 2·pad - dilation·(kH - 1) - 1) /
    stride⌋ + 1`` (⌈…⌉ with ``ceil_mode``, a window must start inside the input or its left
    padding). ``return_indices`` also gives the int64 argmax positions ``h·W + w``.
    """
    geometry = _pool_geometry("max_pool2d", input, kernel_size, stride, padding, dilation,
                              ceil_mode)
    return MaxPool2d.apply(input, geometry=geometry, return_indices=bool(return_indices))


def avg_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over ``kernel_size`` windows of an ``(N, C, H, W)`` or ``(C, H, W)`` input.

    The divisor is ``divisor_override`` if given, else the window's size clipped to the
    padded input (``count_include_pad=True``) or to the input itself (``False``).
    """
    op = "avg_pool2d"
    geometry = _pool_geometry(op, input, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None:
        if int(divisor_override) == 0:
            raise RuntimeError(f"{op}: divisor must be not zero")
        divisor = int(divisor_override)
    else:
        divisor = _divisors(input.shape[-2:], geometry, count_include_pad)
    return AvgPool2d.apply(input, geometry=geometry, divisor=divisor)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Mean over adaptive windows giving an ``(…, OH, OW)`` output for any input size:
    window ``o`` spans ``[⌊o·H/OH⌋, ⌈(o+1)·H/OH⌉)``. ``output_size`` is an int, a pair, or a
    pair with None (keep that input size)."""
    op = "adaptive_avg_pool2d"
    _check_pool_input(op, input)
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 2:
            raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
        sizes = [input.shape[-2 + k] if s is None else int(s) for k, s in enumerate(output_size)]
    else:
        sizes = [int(output_size)] * 2
    if min(sizes) <= 0:
        raise RuntimeError(f"{op}: output_size must be positive, got {tuple(sizes)} for input "
                           f"of size {list(input.shape)}")
    return AdaptiveAvgPool2d.apply(input, out_hw=tuple(sizes))


def _check_pool_input(op: str, x: Any) -> None:
    if not isinstance(x, TensorBase):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    if x.ndim not in (3, 4) or 0 in x.shape[-3:]:
        raise RuntimeError(
            f"{op}: expected a non-empty 3D (C, H, W) or 4D (N, C, H, W) input, but got input "
            f"of size {list(x.shape)}"
        )
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {x.dtype}")


def _pool_geometry(op, x, kernel_size, stride, padding, dilation, ceil_mode) -> PoolGeometry:
    """Normalise and check the window arguments; the output size as PyTorch computes it."""
    _check_pool_input(op, x)
    kernel = pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None or stride == [] or stride == () else pair(stride, "stride", op)
    padding, dilation = pair(padding, "padding", op), pair(dilation, "dilation", op)
    if min(kernel) <= 0 or min(stride) <= 0 or min(dilation) <= 0:
        raise RuntimeError(f"{op}: kernel_size, stride and dilation must be greater than zero, "
                           f"got kernel_size={kernel}, stride={stride}, dilation={dilation}")
    if any(pad < 0 or pad > k // 2 for pad, k in zip(padding, kernel)):
        raise RuntimeError(f"{op}: pad should be smaller than or equal to half of kernel size, "
                           f"but got padding={padding}, kernel_size={kernel}")
    size = x.shape[-2:]
    out_hw = []
    for n, k, s, p, d in zip(size, kernel, stride, padding, dilation):
        out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (out - 1) * s >= n + p:  # the last window must start inside
            out -= 1
        out_hw.append(out)
    if min(out_hw) <= 0:
        channels = x.shape[-3]
        raise RuntimeError(f"{op}: given input size ({channels}x{size[0]}x{size[1]}), calculated "
                           f"output size ({channels}x{out_hw[0]}x{out_hw[1]}) is too small")
    return PoolGeometry(kernel, stride, padding, dilation, tuple(out_hw))


def _divisors(size, geometry: PoolGeometry, count_include_pad: bool) -> Any:
    """avg_pool2d's divisor per output (OH, OW), or one int when all windows agree.

    A window covers [start, start + k) clipped to the padded input [-pad, size + pad); with
    ``count_include_pad=False`` it is clipped to the input [0, size) instead."""
    counts = []
    for n, k, s, p, out in zip(size, geometry.kernel, geometry.stride, geometry.padding,
                               geometry.out_hw):
        starts = [o * s - p for o in range(out)]
        ends = [min(start + k, n + p) for start in starts]
        if not count_include_pad:
            starts, ends = [max(a, 0) for a in starts], [min(b, n) for b in ends]
        counts.append([b - a for a, b in zip(starts, ends)])
    if len(set(counts[0])) == 1 and len(set(counts[1])) == 1:
        return counts[0][0] * counts[1][0]
    return numpy.outer(counts[0], counts[1])
