"""Element-wise functions: ``exp``, ``log``, ``sqrt``, ``abs``, ``clamp``, ``maximum``, ``where``,
``masked_fill`` and the comparisons (``eq``, ``lt``…, which record no graph)."""

# ruff: noqa: A001, A002, A004 - PyTorch's names (abs, min, max, pow)

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy

from .. import backend
from .._tensor_base import TensorBase, make_tensor
from ..ops import elementwise
from .arithmetic import pow
from .promotion import as_float, as_tensor, operands

if TYPE_CHECKING:
    from .._tensor import Tensor


def exp(x: Tensor) -> Tensor:
    return elementwise.Exp.apply(as_float(x))


def log(x: Tensor) -> Tensor:
    return elementwise.Log.apply(as_float(x))


def sqrt(x: Tensor) -> Tensor:
    return elementwise.Sqrt.apply(as_float(x))


def rsqrt(x: Tensor) -> Tensor:
    """1 / √x."""
    return pow(as_float(x), -0.5)


def abs(x: Tensor) -> Tensor:
    return elementwise.Abs.apply(x)


def sin(x: Tensor) -> Tensor:
    return elementwise.Sin.apply(as_float(x))


def cos(x: Tensor) -> Tensor:
    return elementwise.Cos.apply(as_float(x))


def clamp(x: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Limit to [min, max]; either bound may be a number, a tensor (broadcast) or None."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if isinstance(min, TensorBase) or isinstance(max, TensorBase):
        out = x
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    return elementwise.Clamp.apply(x, low=min, high=max)


clip = clamp


def maximum(a: Any, b: Any) -> Tensor:
    return elementwise.Maximum.apply(*operands(a, b), largest=True)


def minimum(a: Any, b: Any) -> Tensor:
    return elementwise.Maximum.apply(*operands(a, b), largest=False)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``condition`` (bool) holds, else ``b``; all three broadcast."""
    condition = as_tensor(condition)
    a, b = operands(a, b)
    return elementwise.Where.apply(condition, a, b)


def masked_fill(x: Tensor, mask: Any, value: Any) -> Tensor:
    """``x`` with ``value`` where the bool ``mask`` (broadcast to x's shape) holds."""
    mask = as_tensor(mask)
    if mask.dtype != backend.bool_:
        raise RuntimeError(f"masked_fill: expected a bool mask, got dtype {mask.dtype}")
    value = value.item() if isinstance(value, TensorBase) else value
    try:
        numpy.broadcast_shapes(mask.shape, x.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_fill: mask of shape {tuple(mask.shape)} does not broadcast to the input's "
            f"shape {tuple(x.shape)}"
        ) from None
    out = elementwise.MaskedFill.apply(x, mask, value=value)
    if out.shape != x.shape:
        raise RuntimeError(
            f"masked_fill: mask of shape {tuple(mask.shape)} would enlarge the input of shape "
            f"{tuple(x.shape)}"
        )
    return out


def _other(other: Any) -> Any:
    return other._array if isinstance(other, TensorBase) else other


def eq(x: Tensor, other: Any) -> Tensor:
    """x == other as a bool tensor (broadcast; no gradient)."""
    return make_tensor(x._array == _other(other))


def ne(x: Tensor, other: Any) -> Tensor:
    return make_tensor(x._array != _other(other))


def lt(x: Tensor, other: Any) -> Tensor:
    return make_tensor(x._array < _other(other))


def le(x: Tensor, other: Any) -> Tensor:
    return make_tensor(x._array <= _other(other))


def gt(x: Tensor, other: Any) -> Tensor:
    return make_tensor(x._array > _other(other))


def ge(x: Tensor, other: Any) -> Tensor:
    return make_tensor(x._array >= _other(other))
