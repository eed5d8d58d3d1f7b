"""Convolution layers: Conv1d and Conv2d (PyTorch's constructors, layouts and initialisation)."""

from __future__ import annotations

import math
from typing import Any

from .. import creation
from .._tensor import Tensor
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(value: Any, dims: int, name: str, layer: str) -> tuple:
    """An int or a ``dims``-tuple of ints as a ``dims``-tuple."""
    if isinstance(value, (tuple, list)):
        if len(value) != dims:
            raise ValueError(f"{layer}: {name} must be an int or a {dims}-tuple, got {value!r}")
        return tuple(int(v) for v in value)
    return (int(value),) * dims


class _ConvNd(Module):
    """Shared constructor, initialisation and repr of Conv1d / Conv2d."""

    dims = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        layer, dims = type(self).__name__, self.dims
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"{layer}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups:
            raise ValueError(f"{layer}: in_channels ({in_channels}) must be divisible by groups "
                             f"({groups})")
        if out_channels % groups:
            raise ValueError(f"{layer}: out_channels ({out_channels}) must be divisible by "
                             f"groups ({groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{layer}: padding_mode must be one of {_PADDING_MODES}, got "
                             f"{padding_mode!r}")
        kernel_size = _tuple(kernel_size, dims, "kernel_size", layer)
        stride = _tuple(stride, dims, "stride", layer)
        dilation = _tuple(dilation, dims, "dilation", layer)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{layer}: invalid padding string {padding!r}, should be one "
                                 "of {'valid', 'same'}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError(f"{layer}: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride})")
        else:
            padding = _tuple(padding, dims, "padding", layer)
        if min(kernel_size) <= 0 or min(stride) <= 0 or min(dilation) <= 0:
            raise ValueError(f"{layer}: kernel_size, stride and dilation must be positive, got "
                             f"{kernel_size}, {stride}, {dilation}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.groups, self.padding_mode = dilation, groups, padding_mode
        self.output_padding = (0,) * dims
        self.transposed = False
        shape = (out_channels, in_channels // groups, *kernel_size)
        self.weight = Parameter(creation.empty(*shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: weight ~ kaiming_uniform_(a=√5), i.e. U(±1/√fan_in), bias
        ~ U(±1/√fan_in) with fan_in = in_channels/groups · kernel area."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _padded(self, input: Tensor) -> tuple[Tensor, Any]:  # noqa: A002
        """For a non-zero padding_mode, the input padded by F.pad and the conv's padding 0."""
        if self.padding_mode == "zeros":
            return input, self.padding
        if isinstance(self.padding, str):
            if self.padding == "valid":
                return input, 0
            amounts = []  # "same": total d·(k-1) per axis, the odd element at the end
            for d, k in zip(reversed(self.dilation), reversed(self.kernel_size)):
                total = d * (k - 1)
                amounts += [total // 2, total - total // 2]
        else:
            amounts = [p for p in reversed(self.padding) for _ in range(2)]
        return F.pad(input, amounts, mode=self.padding_mode), 0

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * self.dims:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.dims:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv2d(_ConvNd):
    """2-D convolution layer.

    Shapes: input ``(N, C_in, H, W)`` or ``(C_in, H, W)`` → output ``(N, C_out, OH, OW)`` with
    ``OH = ⌊(H + 2·padding - dilation·(kH - 1) - 1) / stride⌋ + 1``.
    Parameters: ``weight`` ``(C_out, C_in/groups, kH, kW)``, ``bias`` ``(C_out,)``.
    ``padding`` is an int, a pair, ``"valid"`` or ``"same"``; ``padding_mode`` one of
    ``"zeros"``, ``"reflect"``, ``"replicate"``, ``"circular"``.
    """

    dims = 2

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        x, padding = self._padded(input)
        return F.conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation,
                               self.groups)


class Conv1d(_ConvNd):
    """1-D convolution layer.

    Shapes: input ``(N, C_in, L)`` or ``(C_in, L)`` → output ``(N, C_out, L_out)`` with
    ``L_out = ⌊(L + 2·padding - dilation·(k - 1) - 1) / stride⌋ + 1``.
    Parameters: ``weight`` ``(C_out, C_in/groups, k)``, ``bias`` ``(C_out,)``.
    """

    dims = 1

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        x, padding = self._padded(input)
        return F.conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation,
                               self.groups)
