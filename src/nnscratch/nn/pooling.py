"""Pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (no parameters)."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from ..functional import pooling
from .module import Module


class MaxPool2d(Module):
    """Max over sliding windows.

    Shapes: input ``(N, C, H, W)`` or ``(C, H, W)`` → output ``(N, C, OH, OW)``,
    ``OH = ⌊(H + 2·padding - dilation·(kH - 1) - 1) / stride⌋ + 1`` (⌈…⌉ with ``ceil_mode``).
    ``stride`` defaults to ``kernel_size``; ``return_indices`` also returns the argmax
    positions (flat ``h·W + w``).
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return pooling.max_pool2d(input, self.kernel_size, self.stride, self.padding,
                                  self.dilation, self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Mean over sliding windows.

    Shapes: input ``(N, C, H, W)`` or ``(C, H, W)`` → output ``(N, C, OH, OW)``,
    ``OH = ⌊(H + 2·padding - kH) / stride⌋ + 1`` (⌈…⌉ with ``ceil_mode``). The divisor is
    ``divisor_override``, else the window size (``count_include_pad``) or the number of input
    elements in the window.
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return pooling.avg_pool2d(input, self.kernel_size, self.stride, self.padding,
                                  self.ceil_mode, self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Mean over adaptive windows giving a fixed ``output_size`` whatever the input size.

    Shapes: input ``(N, C, H, W)`` or ``(C, H, W)`` → output ``(N, C, *output_size)``;
    ``output_size`` is an int, a pair, or a pair with None (keep that input size).
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return pooling.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
