"""Shapes: ``reshape``, ``permute``, ``transpose``, ``squeeze``, ``expand``, ``repeat``, ``cat``,
``stack``, ``split``, ``chunk``, ``narrow``, ``pad``, on ``nnscratch.ops.shape``."""

# ruff: noqa: A001, A002 - PyTorch names its arguments input

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy

from ..ops import shape as shape_ops
from .indexing import getitem
from .promotion import as_tensor

if TYPE_CHECKING:
    from .._tensor import Tensor


def _shape_args(args: tuple) -> tuple:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(int(a) for a in args)


def reshape(x: Tensor, *shape: Any) -> Tensor:
    """The same elements in ``shape`` (one entry may be -1); ``reshape(x, 2, 3)`` or ``(2, 3)``."""
    shape = _shape_args(shape)
    if shape == x.shape:
        return x
    try:  # resolve -1 and check the size on a zero-cost stand-in
        resolved = numpy.broadcast_to(numpy.empty((), dtype=bool), x.shape).reshape(shape).shape
    except ValueError:
        raise RuntimeError(
            f"reshape: shape {list(shape)} is invalid for input of size {x.numel()} "
            f"(shape {tuple(x.shape)})"
        ) from None
    return shape_ops.Reshape.apply(x, shape=resolved)


view = reshape


def view_as(x: Tensor, other: Tensor) -> Tensor:
    return reshape(x, other.shape)


reshape_as = view_as


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    if x.ndim == 0:
        return reshape(x, 1)
    start, end = start_dim % x.ndim, end_dim % x.ndim
    new_shape = x.shape[:start] + (-1,) + x.shape[end + 1:]
    if x.numel() == 0:
        size = 1
        for n in x.shape[start:end + 1]:
            size *= n
        new_shape = x.shape[:start] + (size,) + x.shape[end + 1:]
    return reshape(x, new_shape)


def unflatten(x: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    dim = dim % x.ndim
    return reshape(x, x.shape[:dim] + tuple(sizes) + x.shape[dim + 1:])


def permute(x: Tensor, *dims: Any) -> Tensor:
    dims = _shape_args(dims)
    if x.ndim and sorted(d % x.ndim for d in dims) != list(range(x.ndim)):
        raise RuntimeError(
            f"permute: dims {list(dims)} are not a permutation of the {x.ndim} dims of shape "
            f"{tuple(x.shape)}"
        )
    return shape_ops.Permute.apply(x, axes=tuple(d % x.ndim for d in dims))


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    if x.ndim == 0:
        return x
    axes = list(range(x.ndim))
    axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
    return shape_ops.Permute.apply(x, axes=tuple(axes))


swapaxes = transpose


def t(x: Tensor) -> Tensor:
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return x if x.ndim < 2 else transpose(x, 0, 1)


def squeeze(x: Tensor, dim: Any = None) -> Tensor:
    if dim is None:
        new_shape = tuple(n for n in x.shape if n != 1)
    else:
        dims = {d % x.ndim for d in (dim if isinstance(dim, (tuple, list)) else (dim,))} if x.ndim else set()
        new_shape = tuple(n for i, n in enumerate(x.shape) if not (i in dims and n == 1))
    return reshape(x, new_shape)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    dim = dim % (x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def expand(x: Tensor, *sizes: Any) -> Tensor:
    """A broadcast view to ``sizes`` (-1 keeps a dim); size-1 dims stretch, new ones lead."""
    sizes = _shape_args(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes ({len(sizes)}) must be >= the tensor's dims "
            f"(shape {tuple(x.shape)})"
        )
    target = tuple(
        x.shape[i - lead] if size == -1 else size for i, size in enumerate(sizes)
    )
    for i, n in enumerate(x.shape):
        if n != 1 and n != target[i + lead]:
            raise RuntimeError(
                f"expand: size {n} of shape {tuple(x.shape)} cannot be expanded to "
                f"{list(sizes)} at dim {i}"
            )
    return shape_ops.Expand.apply(x, shape=target)


def expand_as(x: Tensor, other: Tensor) -> Tensor:
    return expand(x, other.shape)


def broadcast_to(x: Tensor, size: Sequence[int]) -> Tensor:
    return expand(x, tuple(size))


def repeat(x: Tensor, *reps: Any) -> Tensor:
    reps = _shape_args(reps)
    if len(reps) < x.ndim:
        raise RuntimeError(
            f"repeat: number of repeat dims ({len(reps)}) can not be smaller than the tensor's "
            f"dims (shape {tuple(x.shape)})"
        )
    return shape_ops.Repeat.apply(x, reps=reps)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join along ``dim``; the other sizes must agree; dtypes promote as numpy's."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise RuntimeError("cat(): expected a non-empty list of Tensors")
    ref = tensors[0]
    axis = dim % ref.ndim if ref.ndim else 0
    for t in tensors:
        if t.ndim != ref.ndim or builtins.any(
            a != b for i, (a, b) in enumerate(zip(t.shape, ref.shape)) if i != axis
        ):
            raise RuntimeError(
                f"cat(): sizes of tensors must match except in dimension {dim}; got shapes "
                f"{[tuple(x.shape) for x in tensors]}"
            )
    dtype = numpy.result_type(*[t.dtype for t in tensors])
    tensors = [t if t.dtype == dtype else t._cast(dtype) for t in tensors]
    return shape_ops.Concatenate.apply(*tensors, axis=axis)


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join equal-shaped tensors along a new dim."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise RuntimeError("stack(): expected a non-empty list of Tensors")
    if builtins.any(t.shape != tensors[0].shape for t in tensors):
        raise RuntimeError(
            f"stack expects each tensor to be equal size, got shapes "
            f"{[tuple(t.shape) for t in tensors]}"
        )
    dtype = numpy.result_type(*[t.dtype for t in tensors])
    tensors = [t if t.dtype == dtype else t._cast(dtype) for t in tensors]
    return shape_ops.Stack.apply(*tensors, axis=dim % (tensors[0].ndim + 1))


def split(x: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given sizes."""
    size = x.shape[dim]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise RuntimeError(f"split: split_size must be positive, got {step}")
        bounds = list(range(step, size, step))
    else:
        sections = list(split_size_or_sections)
        total = 0
        bounds = []
        for s in sections:
            total += s
            bounds.append(total)
        if total != size:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                f"size at dimension {dim}), but got split_sizes={sections}"
            )
        bounds = bounds[:-1]
    out = shape_ops.Split.apply(x, bounds=bounds, axis=dim % x.ndim)
    return out if isinstance(out, tuple) else (out,)


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple:
    size = x.shape[dim]
    step = -(-size // chunks) if size else 1
    return split(x, step, dim)


def unbind(x: Tensor, dim: int = 0) -> tuple:
    return tuple(squeeze(p, dim) for p in split(x, 1, dim))


def narrow(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    index = [slice(None)] * x.ndim
    index[dim] = slice(start, start + length)
    return getitem(x, tuple(index))


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pad the last len(pad)//2 dims: pad = (last_left, last_right, 2nd_last_left, …).

    Modes "constant" (negative widths crop), "reflect", "replicate", "circular".
    """
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise ValueError(f"pad: padding length must be divisible by 2, got {len(pad)}")
    if len(pad) // 2 > input.ndim:
        raise ValueError(
            f"pad: padding length {len(pad)} is more than twice the {input.ndim} dims of "
            f"shape {tuple(input.shape)}"
        )
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: unknown padding mode {mode!r}")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode == "constant" and builtins.any(b < 0 or a < 0 for b, a in widths):
        crop = tuple(slice(max(-b, 0), input.shape[d] - max(-a, 0))
                     for d, (b, a) in enumerate(widths))
        input = input[crop]
        widths = [(max(b, 0), max(a, 0)) for b, a in widths]
    for d, (b, a) in enumerate(widths):
        size = input.shape[d]
        if mode == "constant" or not (b or a):
            continue
        if b < 0 or a < 0:
            raise RuntimeError(f"pad: negative padding needs constant mode, got {pad} ({mode})")
        limit = {"reflect": size - 1, "circular": size, "replicate": size and max(a, b)}[mode]
        if max(b, a) > limit:
            raise RuntimeError(
                f"pad: {mode} padding ({b}, {a}) does not fit dim {d} of size {size} of input "
                f"shape {tuple(input.shape)} (at most {limit})"
            )
    return shape_ops.Pad.apply(input, widths=tuple(widths), mode=mode,
                               value=0.0 if value is None else value)
