"""Reductions: ``sum``, ``mean``, ``max``/``min`` (overall, along a dim, or element-wise),
``argmax``, ``var``, ``std``, ``logsumexp``, ``prod``, ``all``, ``any``."""

# ruff: noqa: A001 - PyTorch's names (sum, max, min, all, any)

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import backend
from .._tensor_base import TensorBase, make_tensor
from ..ops import reduction
from .arithmetic import neg
from .elementwise import maximum, minimum, sqrt
from .shape import unbind

if TYPE_CHECKING:
    from .._tensor import Tensor


def _axis(dim: Any) -> Any:
    if isinstance(dim, (list, tuple)):
        return tuple(dim)
    return dim


def sum(x: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    """Σ over ``dim`` (an int, a tuple, or None for all); integer and bool inputs sum as int64."""
    if dtype is not None:
        x = x.to(dtype)
    elif x.dtype.kind in "biu":
        x = x.to(backend.int64)
    return reduction.Sum.apply(x, axis=_axis(dim), keepdims=keepdim)


def mean(x: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be floating point, got {x.dtype}"
        )
    return reduction.Mean.apply(x, axis=_axis(dim), keepdims=keepdim)


class ValuesIndices(tuple):
    """``(values, indices)`` with ``.values`` and ``.indices`` (torch.return_types.max)."""

    def __new__(cls, values: Tensor, indices: Tensor) -> ValuesIndices:
        return super().__new__(cls, (values, indices))

    @property
    def values(self) -> Tensor:
        return self[0]

    @property
    def indices(self) -> Tensor:
        return self[1]


def _extreme(x: Any, dim: Any, keepdim: bool, largest: bool) -> Any:
    if isinstance(dim, TensorBase):
        return maximum(x, dim) if largest else minimum(x, dim)
    if dim is None:
        return reduction.MaxAll.apply(x, largest=largest)
    values, indices = reduction.MaxDim.apply(x, axis=dim, keepdims=keepdim, largest=largest)
    return ValuesIndices(values, indices)


def max(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """max over everything, ``(values, indices)`` along ``dim``, or element-wise with a tensor."""
    return _extreme(x, dim, keepdim, largest=True)


def min(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    return _extreme(x, dim, keepdim, largest=False)


def amax(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return max(x) if dim is None else max(x, dim, keepdim)[0]


def amin(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return min(x) if dim is None else min(x, dim, keepdim)[0]


def argmax(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """int64 index of the largest entry (of the flattened tensor when ``dim`` is None)."""
    xp = backend.get_array_module(x._array)
    if dim is None:
        return make_tensor(xp.asarray(xp.argmax(x._array)).astype(backend.int64))
    out = xp.argmax(x._array, axis=dim)
    if keepdim:
        out = xp.expand_dims(out, dim)
    return make_tensor(out.astype(backend.int64))


def argmin(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return argmax(neg(x.detach()) if x.dtype.kind == "f" else make_tensor(-x._array), dim, keepdim)


def var(x: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False,
        correction: Any = None) -> Tensor:
    """Σ (x - mean)² / (n - correction); ``unbiased=False`` is ``correction=0``."""
    if correction is None:
        correction = 0 if unbiased is False else 1
    return reduction.Var.apply(x, axis=_axis(dim), correction=correction, keepdims=keepdim)


def std(x: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False,
        correction: Any = None) -> Tensor:
    return sqrt(var(x, dim, unbiased, keepdim, correction))


def logsumexp(x: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    return reduction.LogSumExp.apply(x, axis=dim, keepdims=keepdim)


def prod(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    # composed from exp/log would fail on zeros and negatives; use a cumulative form instead
    if dim is None:
        flat = x.reshape(-1)
        return _prod_along(flat, 0, False)
    return _prod_along(x, dim, keepdim)


def _prod_along(x: Tensor, dim: int, keepdim: bool) -> Tensor:
    out = None
    for piece in unbind(x, dim):
        out = piece if out is None else out * piece
    return out.unsqueeze(dim) if keepdim else out


def all(x: Tensor, dim: Any = None) -> Tensor:
    return make_tensor(backend.get_array_module(x._array).asarray(x._array.all(axis=dim)))


def any(x: Tensor, dim: Any = None) -> Tensor:
    return make_tensor(backend.get_array_module(x._array).asarray(x._array.any(axis=dim)))
