"""``conv2d`` and ``conv1d``: the arguments checked and normalised (every error before any work),
then the fused ``Convolution`` of ``nnscratch.ops.conv`` (whose docstring gives the equations)."""

# ruff: noqa: A002 - PyTorch names its arguments input

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._tensor_base import TensorBase
from ..ops.conv import Convolution, output_hw
from ..ops.windows import pair

if TYPE_CHECKING:
    from .._tensor import Tensor

def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation) over an image batch.

    Shapes: input ``(N, C, H, W)`` or unbatched ``(C, H, W)``; weight ``(O, C/groups, kH, kW)``;
    bias ``(O,)``; output ``(N, O, OH, OW)`` with
    ``OH = ⌊(H + pad_top + pad_bottom - dilation·(kH - 1) - 1) / stride⌋ + 1`` (likewise OW).
    ``stride``/``dilation`` are ints or pairs; ``padding`` an int, a pair, ``"valid"`` (none)
    or ``"same"`` (output as large as the input; stride 1 only, extra padding on the right).
    """
    return _convolve("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution: input ``(N, C, L)`` or ``(C, L)``, weight ``(O, C/groups, k)``, bias
    ``(O,)``, output ``(N, O, L_out)``; computed as :func:`conv2d` with a unit height."""
    return _convolve("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def _convolve(op, dims, x, weight, bias, stride, padding, dilation, groups) -> Tensor:
    """Check and normalise the arguments (errors before any work), then run Convolution."""
    for name, value in (("input", x), ("weight", weight), ("bias", bias)):
        if not isinstance(value, TensorBase) and not (name == "bias" and value is None):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(value).__name__}")
    if x.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {op}, "
            f"but got input of size: {list(x.shape)}"
        )
    if weight.ndim != dims + 2:
        raise RuntimeError(
            f"{op}: expected a {dims + 2}-D weight (out_channels, in_channels/groups, kernel), "
            f"but got weight of size {list(weight.shape)}"
        )
    tensors = [x, weight] + ([] if bias is None else [bias])
    if x.dtype.kind != "f" or any(t.dtype != x.dtype for t in tensors):
        raise RuntimeError(
            f"{op}: input, weight and bias must have the same floating dtype, got "
            + ", ".join(str(t.dtype) for t in tensors)
        )
    if any(t.device != x.device for t in tensors):
        raise RuntimeError(
            f"{op}: input, weight and bias must be on the same device, got "
            + ", ".join(str(t.device) for t in tensors)
        )
    stride, dilation = _spatial(stride, "stride", op, dims), _spatial(dilation, "dilation", op, dims)
    if not isinstance(groups, int) or groups <= 0:
        raise RuntimeError(f"{op}: non-positive groups is not supported, got groups={groups}")
    if min(stride) <= 0:
        raise RuntimeError(f"{op}: non-positive stride is not supported, got {stride[2 - dims:]}")
    if min(dilation) <= 0:
        raise RuntimeError(f"{op}: dilation should be greater than zero, got {dilation[2 - dims:]}")
    batched = x.ndim == dims + 2
    x4 = (1,) * (not batched) + tuple(x.shape[:-dims]) + (1,) * (2 - dims) + tuple(x.shape[-dims:])
    w4 = tuple(weight.shape[:2]) + (1,) * (2 - dims) + tuple(weight.shape[2:])
    n, channels, h, w = x4
    out_channels, group_channels, kh, kw = w4
    if out_channels % groups:
        raise RuntimeError(
            f"{op}: Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size {list(weight.shape)} instead"
        )
    if channels != group_channels * groups:
        raise RuntimeError(
            f"{op}: Given groups={groups}, weight of size {list(weight.shape)}, expected "
            f"input{list(x.shape)} to have {group_channels * groups} channels, but got "
            f"{channels} channels instead"
        )
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise RuntimeError(
            f"{op}: Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
            f"{out_channels} elements, but got bias of size {list(bias.shape)} instead"
        )
    pads = _padding(padding, op, dims, (kh, kw), stride, dilation)
    padded = (h + pads[0] + pads[1], w + pads[2] + pads[3])
    reach = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    if padded[0] < reach[0] or padded[1] < reach[1]:
        raise RuntimeError(
            f"{op}: calculated padded input size per channel: "
            f"({' x '.join(map(str, padded[2 - dims:]))}). Kernel size: "
            f"({' x '.join(map(str, reach[2 - dims:]))}). "
            "Kernel size can't be greater than actual input size"
        )
    oh, ow = output_hw((h, w), (kh, kw), stride, pads, dilation)
    views = None
    if dims != 2 or not batched:
        y_shape = (n,) * batched + (out_channels,) + (oh,) * (dims == 2) + (ow,)
        views = (x4, w4, y_shape)
    return Convolution.apply(x, weight, bias, stride=stride, padding=pads, dilation=dilation,
                             groups=groups, views=views)


def _spatial(value: Any, name: str, op: str, dims: int) -> tuple[int, int]:
    """stride / dilation as an (h, w) pair; a 1-D op takes an int or a 1-tuple (h = 1)."""
    if dims == 2:
        return pair(value, name, op)
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"{op}: {name} must be an int or a 1-tuple, got {value!r}")
        value = value[0]
    return 1, int(value)


def _padding(padding, op, dims, kernel, stride, dilation) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) from an int, a pair, "valid" or "same"."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise ValueError(
                f"{op}: invalid padding string {padding!r}, should be one of {{'valid', 'same'}}"
            )
        if stride != (1, 1):
            raise RuntimeError(f"{op}: padding='same' is not supported for strided convolutions")
        # total d·(k-1) per axis keeps the size; PyTorch puts the odd element at the end
        total_h, total_w = dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)
        return (total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2)
    ph, pw = _spatial(padding, "padding", op, dims) if dims == 1 else pair(padding, "padding", op)
    if dims == 1:
        ph = 0
    if ph < 0 or pw < 0:
        raise RuntimeError(f"{op}: negative padding is not supported, got padding={padding}")
    return (ph, ph, pw, pw)
