"""TensorBase: one backend array plus the autograd fields that link it into the graph.

A tensor made by the user is a *leaf*; a tensor made by an op that needed a gradient holds
``_node`` (the op's ctx) and ``_output_index``. This is the part of a tensor that the layers
below the Tensor class need — the autograd ``Function`` machinery wraps its outputs here, the
Tensor-level functions in ``nnscratch.functional`` check their arguments against it — so it
sits under them, as ``torch._C.TensorBase`` sits under ``torch._tensor``.

The methods (``x.exp()``, ``x + y``, ``x.backward()``) are in ``nnscratch._tensor.Tensor``,
which subclasses this one and is imported after the functions it delegates to. The ops make
instances of that class: ``_tensor.py`` names it with :func:`register_tensor_class` once, as
the extension module of PyTorch is told its Python ``Tensor`` class.
"""

from __future__ import annotations

from typing import Any

import numpy

from . import backend
from .backend import as_dtype, to_device


class TensorBase:
    """The fields of a tensor; every tensor is a ``nnscratch.Tensor``, which adds the methods."""

    __slots__ = ("_array", "requires_grad", "grad", "_node", "_output_index", "_hooks", "__weakref__")
    __array_priority__ = 1000  # numpy_array + tensor dispatches to Tensor.__radd__

    @classmethod
    def _make(cls, array: Any, requires_grad: bool = False) -> Any:
        """Wrap an array with no copy and no checks (the fast path ops use)."""
        if isinstance(array, numpy.generic):
            array = numpy.asarray(array)
        t = cls.__new__(cls)
        t._array = array
        t.requires_grad = requires_grad
        t.grad = None
        t._node = None
        t._output_index = 0
        t._hooks = None
        return t


_tensor_class: type = TensorBase  # replaced by nnscratch.Tensor when _tensor.py is imported


def register_tensor_class(cls: type) -> None:
    """Make :func:`make_tensor` build instances of ``cls`` (``nnscratch.Tensor``)."""
    global _tensor_class
    _tensor_class = cls


def make_tensor(array: Any, requires_grad: bool = False) -> Any:
    """A ``nnscratch.Tensor`` wrapping ``array`` with no copy (what every op returns)."""
    if isinstance(array, numpy.generic):
        array = numpy.asarray(array)
    t = _tensor_class.__new__(_tensor_class)
    t._array = array
    t.requires_grad = requires_grad
    t.grad = None
    t._node = None
    t._output_index = 0
    t._hooks = None
    return t


def to_array(data: Any, dtype: Any = None, device: Any = None) -> Any:
    """Make a backend array from data with PyTorch's dtype rules (floats → default dtype)."""
    dtype = as_dtype(dtype)
    target = backend.device(device) if device is not None else None
    if isinstance(data, TensorBase):
        array = data._array
    elif isinstance(data, numpy.ndarray) or hasattr(data, "__cuda_array_interface__"):
        array = data
    elif hasattr(data, "__array__") and not isinstance(data, (list, tuple)):
        array = numpy.asarray(data)  # numpy scalars, torch tensors…: their dtype is kept
    else:
        array = numpy.asarray(_unwrap_nested(data))
        if dtype is None and array.dtype.kind == "f":
            array = array.astype(backend.get_default_dtype())
        elif dtype is None and array.dtype.kind in "iu":
            array = array.astype(backend.int64)
        elif array.dtype.kind not in "fiubc":
            raise TypeError(f"tensor: cannot make a tensor from data of type {array.dtype}")
    if dtype is not None and array.dtype != dtype:
        array = array.astype(dtype)
    if target is not None:
        array = to_device(array, target)
    return array


def _unwrap_nested(data: Any) -> Any:
    if isinstance(data, TensorBase):
        return data.numpy()
    if isinstance(data, (list, tuple)):
        return [_unwrap_nested(item) for item in data]
    return data
