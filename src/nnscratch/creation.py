"""Factories: ``tensor``, ``zeros``, ``ones``, ``randn``… with PyTorch's shape forms.

:func:`from_numpy` and :func:`as_tensor` are the public ways to wrap an array that exists
already without copying it (``t.array`` is the way back, on any device): the layers above the
core (``nn``, ``optim``, ``data``, the models) use them instead of reaching into the Tensor.
"""

from __future__ import annotations

from typing import Any

import numpy

from . import backend
from ._tensor import Tensor
from ._tensor_base import make_tensor, to_array
from .backend import as_dtype, xp_for


def _size(size: tuple) -> tuple:
    """Accept ``zeros(2, 3)`` and ``zeros((2, 3))`` alike."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(int(n) for n in size[0])
    return tuple(int(n) for n in size)


def _finish(array: Any, requires_grad: bool) -> Tensor:
    t = make_tensor(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _device(device: Any) -> backend.device:
    return backend.device(device) if device is not None else backend.CPU


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (list, number, numpy array or Tensor)."""
    array = to_array(data, dtype=dtype, device=device)
    if array is data or (isinstance(data, Tensor) and array is data.array):
        array = array.copy()
    return _finish(array, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """A tensor of ``data`` that shares its memory where it can (``torch.as_tensor``).

    No copy is made when ``data`` is a Tensor, a numpy array or a cupy array that already has
    the ``dtype`` and ``device`` asked for (``None`` keeps them): the result and ``data`` are
    then views of one buffer, and writing through either changes both. A Tensor given another
    dtype or device is converted with ``data.to(...)``, which keeps its graph; lists and numbers
    are copied with :func:`tensor`'s dtype rules (Python floats → the default dtype).
    """
    if isinstance(data, Tensor):
        return data if dtype is None and device is None else data.to(device=device, dtype=dtype)
    return make_tensor(to_array(data, dtype=dtype, device=device))


def from_numpy(array: numpy.ndarray) -> Tensor:
    """A CPU tensor that shares memory with a numpy array (``torch.from_numpy``).

    Shape, strides and dtype are the array's; writing through the array changes the tensor
    and the other way round. Raises ``TypeError`` for anything but a numpy array of a numeric
    or bool dtype, as PyTorch does.
    """
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"from_numpy: expected numpy.ndarray, got {type(array).__name__}")
    if array.dtype.kind not in "fiubc":
        raise TypeError(f"from_numpy: cannot convert a numpy array of dtype {array.dtype}; "
                        "only numeric and bool arrays are supported")
    return make_tensor(array)


def _filled(fill: str, size: tuple, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    dtype = as_dtype(dtype) or backend.get_default_dtype()
    xp = xp_for(_device(device))
    return _finish(getattr(xp, fill)(_size(size), dtype=dtype), requires_grad)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _filled("zeros", size, dtype, device, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _filled("ones", size, dtype, device, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _filled("empty", size, dtype, device, requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = to_array(fill_value).dtype
    xp = xp_for(_device(device))
    return _finish(xp.full(_size((size,)), fill_value, dtype=as_dtype(dtype)), requires_grad)


def _like(fill: str, other: Tensor, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    dtype = as_dtype(dtype) or other.dtype
    xp = xp_for(_device(device) if device is not None else other.device)
    return _finish(getattr(xp, fill)(other.shape, dtype=dtype), requires_grad)


def zeros_like(other: Tensor, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    return _like("zeros", other, dtype, device, requires_grad)


def ones_like(other: Tensor, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    return _like("ones", other, dtype, device, requires_grad)


def empty_like(other: Tensor, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    return _like("empty", other, dtype, device, requires_grad)


def full_like(other: Tensor, fill_value: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    return full(other.shape, fill_value, dtype=dtype or other.dtype,
                device=device or other.device, requires_grad=requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Integers → int64; any float bound → the default float dtype (PyTorch)."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = backend.get_default_dtype() if is_float else backend.int64
    xp = xp_for(_device(device))
    return _finish(xp.arange(start, end, step).astype(as_dtype(dtype)), requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    dtype = as_dtype(dtype) or backend.get_default_dtype()
    xp = xp_for(_device(device))
    return _finish(xp.linspace(start, end, steps).astype(dtype), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    dtype = as_dtype(dtype) or backend.get_default_dtype()
    xp = xp_for(_device(device))
    return _finish(xp.eye(n, m, dtype=dtype), requires_grad)


def _random(draw: str, size: tuple, dtype: Any, device: Any, requires_grad: bool,
            **kwargs: Any) -> Tensor:
    dtype = as_dtype(dtype) or backend.get_default_dtype()
    gen = backend.generator(_device(device))
    if draw == "standard_normal":
        array = gen.standard_normal(_size(size), dtype=numpy.float64).astype(dtype)
    else:
        array = gen.random(_size(size), dtype=numpy.float64).astype(dtype)
    return _finish(array, requires_grad)


def randn(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the library's seeded generator."""
    return _random("standard_normal", size, dtype, device, requires_grad)


def rand(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1) from the library's seeded generator."""
    return _random("random", size, dtype, device, requires_grad)


def randn_like(other: Tensor, dtype: Any = None) -> Tensor:
    return randn(other.shape, dtype=dtype or other.dtype, device=other.device)


def rand_like(other: Tensor, dtype: Any = None) -> Tensor:
    return rand(other.shape, dtype=dtype or other.dtype, device=other.device)


def randint(low: int, high: int | None = None, size: Any = None, dtype: Any = None,
            device: Any = None) -> Tensor:
    """``randint(high, size)`` or ``randint(low, high, size)``: integers in [low, high)."""
    if size is None:
        low, high, size = 0, low, high
    gen = backend.generator(_device(device))
    array = gen.integers(low, high, size=_size((size,)))
    return make_tensor(array.astype(as_dtype(dtype) or backend.int64))


def randperm(n: int, dtype: Any = None, device: Any = None) -> Tensor:
    gen = backend.generator(_device(device))
    return make_tensor(gen.permutation(n).astype(as_dtype(dtype) or backend.int64))


def normal(mean: float, std: float, size: Any, dtype: Any = None, device: Any = None) -> Tensor:
    return randn(size, dtype=dtype, device=device) * std + mean


def multinomial(probs: Tensor, num_samples: int, replacement: bool = False) -> Tensor:
    """Category indices drawn from the rows of ``probs`` (weights, renormalised in float64).

    ``probs`` is ``(C,)`` or ``(N, C)``; the result is int64 of shape ``(num_samples,)`` or
    ``(N, num_samples)``, on ``probs``' device. The draw is made on the host from the CPU
    generator (one ``choice`` per row, so a seed gives the same indices on every device) and
    then moved to ``probs``' device.
    """
    if probs.ndim not in (1, 2):
        raise ValueError(f"multinomial: probs must be 1-D or 2-D, got shape {tuple(probs.shape)}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, numpy.integer)) \
            or num_samples < 1:
        raise ValueError(f"multinomial: num_samples must be a positive integer, got {num_samples!r}")
    if probs.dtype.kind != "f":
        raise ValueError(f"multinomial: probs must be a floating tensor, got dtype {probs.dtype}")
    p = numpy.asarray(probs.numpy(), dtype=numpy.float64)
    rows = p.reshape(-1, p.shape[-1])
    if not numpy.all(numpy.isfinite(rows)) or numpy.any(rows < 0):
        raise ValueError(f"multinomial: probs of shape {tuple(p.shape)} must be finite and >= 0")
    nonzero = numpy.count_nonzero(rows, axis=1)
    if rows.shape[1] == 0 or numpy.any(nonzero == 0):
        raise ValueError(f"multinomial: every row of probs (shape {tuple(p.shape)}) needs a "
                         "positive sum")
    if not replacement and num_samples > nonzero.min():
        raise ValueError(f"multinomial: cannot draw {num_samples} samples without replacement "
                         f"from a row with {nonzero.min()} non-zero categories "
                         f"(probs shape {tuple(p.shape)})")
    gen = backend.generator(backend.CPU)
    out = numpy.empty((rows.shape[0], num_samples), dtype=numpy.int64)
    for i, row in enumerate(rows):
        out[i] = gen.choice(row.size, size=num_samples, replace=replacement, p=row / row.sum())
    out = out.reshape(p.shape[:-1] + (num_samples,))
    return make_tensor(backend.to_device(out, probs.device))
