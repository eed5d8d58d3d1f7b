"""Indexing and lookup: ``x[index]`` (:func:`getitem`), ``gather``, ``index_select``,
``embedding``, ``one_hot``."""

# ruff: noqa: A002 - PyTorch names its arguments input

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy

from .. import backend
from .._tensor_base import TensorBase, make_tensor
from ..ops import embedding as embedding_ops
from ..ops import indexing
from .promotion import as_tensor

if TYPE_CHECKING:
    from .._tensor import Tensor


def unwrap_index(index: Any) -> Any:
    """Replace Tensors inside an index by their arrays; a list becomes an integer array."""
    if isinstance(index, TensorBase):
        return index._array
    if isinstance(index, tuple):
        return tuple(item._array if isinstance(item, TensorBase) else item for item in index)
    if isinstance(index, list):
        return numpy.asarray(index)
    return index


def getitem(x: Tensor, index: Any) -> Tensor:
    """``x[index]`` with numpy's basic and advanced indexing, differentiable."""
    index = unwrap_index(index)
    if isinstance(index, tuple):
        index = tuple(_bool_index(i) for i in index)
    else:
        index = _bool_index(index)
    return indexing.GetItem.apply(x, index=index)


def _bool_index(item: Any) -> Any:
    """Mixed indices with boolean masks: numpy's add.at needs the masks as integer arrays."""
    if getattr(item, "dtype", None) is not None and item.dtype == bool and item.ndim == 1:
        return item.nonzero()[0]
    return item


def gather(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """out[i][j] = x[index[i][j]][j] for dim 0 (likewise for any dim)."""
    return indexing.Gather.apply(x, index._array, axis=dim)


def index_select(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries of ``x`` at ``index`` (a 1-D or 0-d integer tensor) along ``dim``; an index
    outside ``[0, size)`` raises IndexError as in PyTorch (negative indices do not wrap)."""
    axis, vector = indexing.check_index_select(x.shape, dim, as_tensor(index)._array)
    return indexing.IndexSelect.apply(x, vector, axis=axis)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) at integer ``input`` (*) → (*, dim).

    ``sparse=True`` is accepted; the gradient is the same, held densely.
    """
    indices = as_tensor(input)
    if indices.dtype.kind not in "iu":
        raise TypeError(
            f"embedding: expected integer indices (Long or Int), got dtype {indices.dtype} "
            f"of shape {tuple(indices.shape)}"
        )
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: weight must be 2-D, got shape {tuple(weight.shape)}")
    rows = weight.shape[0]
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise ValueError(
                f"embedding: padding_idx {padding_idx} must be within num_embeddings ({rows})"
            )
        padding_idx %= rows
    array = indices._array
    if array.size and (int(array.min()) < 0 or int(array.max()) >= rows):
        bad = int(array.min()) if int(array.min()) < 0 else int(array.max())
        raise indexing.IndexOutOfRangeError(
            f"embedding: index {bad} out of range for a table of {rows} rows (weight shape "
            f"{tuple(weight.shape)}, indices shape {tuple(indices.shape)})"
        )
    if max_norm is not None:
        _renorm_rows(weight, array, max_norm, norm_type)
    return embedding_ops.Embedding.apply(
        weight, indices, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq
    )


def _renorm_rows(weight: Tensor, indices: Any, max_norm: float, norm_type: float) -> None:
    """Rescale, in place, each looked-up row whose p-norm exceeds max_norm (PyTorch's renorm)."""
    xp = backend.get_array_module(weight._array)
    unique = xp.unique(indices.reshape(-1))
    rows = weight._array[unique]
    norms = (xp.abs(rows) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(rows.dtype)
    weight._array[unique] = rows * scale[:, None]


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 (*, num_classes) with a 1 at each index of ``tensor`` (*)."""
    t = as_tensor(tensor)
    if t.dtype.kind not in "iu":
        raise RuntimeError(
            f"one_hot is only applicable to index tensor of integer type, got {t.dtype}"
        )
    array = t._array
    xp = backend.get_array_module(array)
    if num_classes == -1:
        if array.size == 0:
            raise RuntimeError("one_hot: Can not infer total number of classes from empty tensor.")
        num_classes = int(array.max()) + 1
    if array.size and int(array.min()) < 0:
        raise RuntimeError(f"one_hot: Class values must be non-negative, got {int(array.min())}")
    if array.size and int(array.max()) >= num_classes:
        raise RuntimeError(
            f"one_hot: Class values must be smaller than num_classes ({num_classes}), got "
            f"{int(array.max())}"
        )
    out = (array[..., None] == xp.arange(num_classes)).astype(backend.int64)
    return make_tensor(out)
