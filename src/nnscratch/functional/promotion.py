"""Arguments brought to tensors of PyTorch's promoted dtypes, for every Tensor-level function.

A Python float keeps a float tensor's dtype and turns an integer tensor into the default float
dtype; an integer tensor meets a float tensor as the float's dtype; a 0-d tensor does not widen
a dimensioned one of the same kind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy

from .. import backend
from .._tensor_base import TensorBase, make_tensor, to_array

if TYPE_CHECKING:
    from .._tensor import Tensor

Number = (int, float, bool, numpy.number, numpy.bool_)


def as_tensor(value: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Tensor from a Tensor (no copy), an array, a list or a number."""
    if isinstance(value, TensorBase) and dtype is None and device is None:
        return value
    if isinstance(value, TensorBase):
        return value.to(device=device, dtype=dtype)
    return make_tensor(to_array(value, dtype=dtype, device=device))


def as_float(x: Any) -> Tensor:
    """``x`` as a tensor, cast to the default float dtype unless it is floating already."""
    x = as_tensor(x)
    return x if x.dtype.kind == "f" else x._cast(backend.get_default_dtype())


def operands(a: Any, b: Any, true_division: bool = False) -> tuple:
    """Bring two operands to PyTorch's promoted types; numbers stay Python numbers."""
    a_tensor, b_tensor = isinstance(a, TensorBase), isinstance(b, TensorBase)
    if not a_tensor and not isinstance(a, Number):
        a = make_tensor(to_array(a))
        a_tensor = True
    if not b_tensor and not isinstance(b, Number):
        b = make_tensor(to_array(b))
        b_tensor = True
    if a_tensor and b_tensor:
        if a._array.ndim and b._array.ndim and type(a._array) is not type(b._array):
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found {a.device} and {b.device}"
            )
        kind_a, kind_b = a.dtype.kind, b.dtype.kind
        if kind_a != "f" and kind_b == "f":
            a = a._cast(b.dtype)
        elif kind_b != "f" and kind_a == "f":
            b = b._cast(a.dtype)
        elif a._array.ndim == 0 and b._array.ndim and kind_a == kind_b and a.dtype != b.dtype:
            a = a._cast(b.dtype)  # a 0-d tensor does not widen a dimensioned one (PyTorch)
        elif b._array.ndim == 0 and a._array.ndim and kind_a == kind_b and a.dtype != b.dtype:
            b = b._cast(a.dtype)
    tensor = a if a_tensor else b
    other = b if a_tensor else a
    if tensor.dtype.kind != "f":
        if isinstance(other, float) or (true_division and not isinstance(other, TensorBase)):
            tensor = tensor._cast(backend.get_default_dtype())
        elif true_division and isinstance(other, TensorBase) and other.dtype.kind != "f":
            tensor = tensor._cast(backend.get_default_dtype())
            other = other._cast(backend.get_default_dtype())
    elif isinstance(other, (numpy.number, numpy.bool_)):
        other = other.item()
    return (tensor, other) if a_tensor else (other, tensor)
