"""The tensor functions of the public API (``ns.exp``, ``ns.cat``…), also bound as methods.

Each is a thin adapter from PyTorch's signature (``dim=``, ``keepdim=``) to an op in
``nnscratch.ops``. Type promotion follows PyTorch: a Python float keeps a float tensor's dtype
and turns an integer tensor into the default float dtype.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy

from . import backend
from .ops import activation, arithmetic, elementwise, indexing, reduction
from .ops import einsum as einsum_ops
from .ops import shape as shape_ops
from .tensor import Tensor, to_array, unwrap_index

Number = (int, float, bool, numpy.number, numpy.bool_)


def as_tensor(value: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Tensor from a Tensor (no copy), an array, a list or a number."""
    if isinstance(value, Tensor) and dtype is None and device is None:
        return value
    if isinstance(value, Tensor):
        return value.to(device=device, dtype=dtype)
    return Tensor._make(to_array(value, dtype=dtype, device=device))


def _operands(a: Any, b: Any, true_division: bool = False) -> tuple:
    """Bring two operands to PyTorch's promoted types; numbers stay Python numbers."""
    a_tensor, b_tensor = isinstance(a, Tensor), isinstance(b, Tensor)
    if not a_tensor and not isinstance(a, Number):
        a = Tensor._make(to_array(a))
        a_tensor = True
    if not b_tensor and not isinstance(b, Number):
        b = Tensor._make(to_array(b))
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
        if isinstance(other, float) or (true_division and not isinstance(other, Tensor)):
            tensor = tensor._cast(backend.get_default_dtype())
        elif true_division and isinstance(other, Tensor) and other.dtype.kind != "f":
            tensor = tensor._cast(backend.get_default_dtype())
            other = other._cast(backend.get_default_dtype())
    elif isinstance(other, (numpy.number, numpy.bool_)):
        other = other.item()
    return (tensor, other) if a_tensor else (other, tensor)


def add(a: Any, b: Any, alpha: float = 1) -> Tensor:
    if alpha != 1:
        b = mul(b, alpha)
    return arithmetic.Add.apply(*_operands(a, b))


def sub(a: Any, b: Any, alpha: float = 1) -> Tensor:
    if alpha != 1:
        b = mul(b, alpha)
    return arithmetic.Sub.apply(*_operands(a, b))


def mul(a: Any, b: Any) -> Tensor:
    return arithmetic.Mul.apply(*_operands(a, b))


def div(a: Any, b: Any) -> Tensor:
    return arithmetic.Div.apply(*_operands(a, b, true_division=True))


def neg(x: Tensor) -> Tensor:
    return arithmetic.Neg.apply(x)


def pow(x: Any, exponent: Any) -> Tensor:  # noqa: A001 - PyTorch's name
    return arithmetic.Pow.apply(*_operands(x, exponent))


def matmul(a: Tensor, b: Tensor) -> Tensor:
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError("matmul: both arguments need at least 1 dimension, got a 0-d tensor")
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise RuntimeError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
            f"({inner_a} != {inner_b})"
        )
    if a.dtype != b.dtype:
        a, b = _operands(a, b)
        if a.dtype != b.dtype:
            raise RuntimeError(
                f"matmul: expected both arguments to have the same dtype, got {a.dtype} and {b.dtype}"
            )
    return arithmetic.MatMul.apply(a, b)


mm = bmm = matmul


def exp(x: Tensor) -> Tensor:
    return elementwise.Exp.apply(_float(x))


def log(x: Tensor) -> Tensor:
    return elementwise.Log.apply(_float(x))


def sqrt(x: Tensor) -> Tensor:
    return elementwise.Sqrt.apply(_float(x))


def rsqrt(x: Tensor) -> Tensor:
    return pow(_float(x), -0.5)


def abs(x: Tensor) -> Tensor:  # noqa: A001
    return elementwise.Abs.apply(x)


def sin(x: Tensor) -> Tensor:
    return elementwise.Sin.apply(_float(x))


def cos(x: Tensor) -> Tensor:
    return elementwise.Cos.apply(_float(x))


def tanh(x: Tensor) -> Tensor:
    return activation.Tanh.apply(_float(x))


def sigmoid(x: Tensor) -> Tensor:
    return activation.Sigmoid.apply(_float(x))


def relu(x: Tensor) -> Tensor:
    return activation.ReLU.apply(x)


def clamp(x: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = x
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    return elementwise.Clamp.apply(x, low=min, high=max)


clip = clamp


def maximum(a: Any, b: Any) -> Tensor:
    return elementwise.Maximum.apply(*_operands(a, b), largest=True)


def minimum(a: Any, b: Any) -> Tensor:
    return elementwise.Maximum.apply(*_operands(a, b), largest=False)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    condition = as_tensor(condition)
    a, b = _operands(a, b)
    return elementwise.Where.apply(condition, a, b)


def masked_fill(x: Tensor, mask: Any, value: Any) -> Tensor:
    mask = as_tensor(mask)
    if mask.dtype != backend.bool_:
        raise RuntimeError(f"masked_fill: expected a bool mask, got dtype {mask.dtype}")
    value = value.item() if isinstance(value, Tensor) else value
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


# ---------------------------------------------------------------------------- reductions

def _axis(dim: Any) -> Any:
    if isinstance(dim, (list, tuple)):
        return tuple(dim)
    return dim


def sum(x: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:  # noqa: A001
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


def _extreme(x: Any, dim: Any, keepdim: bool, largest: bool) -> Any:
    if isinstance(dim, Tensor):
        return maximum(x, dim) if largest else minimum(x, dim)
    if dim is None:
        return reduction.MaxAll.apply(x, largest=largest)
    values, indices = reduction.MaxDim.apply(x, axis=dim, keepdims=keepdim, largest=largest)
    return _ValuesIndices(values, indices)


class _ValuesIndices(tuple):
    """``(values, indices)`` with ``.values`` and ``.indices`` (torch.return_types.max)."""

    def __new__(cls, values: Tensor, indices: Tensor) -> _ValuesIndices:
        return super().__new__(cls, (values, indices))

    @property
    def values(self) -> Tensor:
        return self[0]

    @property
    def indices(self) -> Tensor:
        return self[1]


def max(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """max over everything, ``(values, indices)`` along ``dim``, or element-wise with a tensor."""
    return _extreme(x, dim, keepdim, largest=True)


def min(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    return _extreme(x, dim, keepdim, largest=False)


def amax(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return max(x) if dim is None else max(x, dim, keepdim)[0]


def amin(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return min(x) if dim is None else min(x, dim, keepdim)[0]


def argmax(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    xp = backend.get_array_module(x._array)
    if dim is None:
        return Tensor._make(xp.asarray(xp.argmax(x._array)).astype(backend.int64))
    out = xp.argmax(x._array, axis=dim)
    if keepdim:
        out = xp.expand_dims(out, dim)
    return Tensor._make(out.astype(backend.int64))


def argmin(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return argmax(neg(x.detach()) if x.dtype.kind == "f" else Tensor._make(-x._array), dim, keepdim)


def var(x: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False,
        correction: Any = None) -> Tensor:
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


def all(x: Tensor, dim: Any = None) -> Tensor:  # noqa: A001
    return Tensor._make(backend.get_array_module(x._array).asarray(x._array.all(axis=dim)))


def any(x: Tensor, dim: Any = None) -> Tensor:  # noqa: A001
    return Tensor._make(backend.get_array_module(x._array).asarray(x._array.any(axis=dim)))


# ---------------------------------------------------------------------------- shapes

def _shape_args(args: tuple) -> tuple:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(int(a) for a in args)


def reshape(x: Tensor, *shape: Any) -> Tensor:
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


def getitem(x: Tensor, index: Any) -> Tensor:
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
    return indexing.Gather.apply(x, index._array, axis=dim)


def index_select(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries of ``x`` at ``index`` (a 1-D or 0-d integer tensor) along ``dim``; an index
    outside ``[0, size)`` raises IndexError as in PyTorch (negative indices do not wrap)."""
    axis, vector = indexing.check_index_select(x.shape, dim, as_tensor(index)._array)
    return indexing.IndexSelect.apply(x, vector, axis=axis)


# ---------------------------------------------------------------------------- activations

def softmax(x: Tensor, dim: int = -1, dtype: Any = None) -> Tensor:
    if dtype is not None:
        x = x.to(dtype)
    return activation.Softmax.apply(_float(x), axis=dim)


def log_softmax(x: Tensor, dim: int = -1, dtype: Any = None) -> Tensor:
    if dtype is not None:
        x = x.to(dtype)
    return activation.LogSoftmax.apply(_float(x), axis=dim)


def _float(x: Tensor) -> Tensor:
    x = as_tensor(x)
    return x if x.dtype.kind == "f" else x._cast(backend.get_default_dtype())


def outer(a: Tensor, b: Tensor) -> Tensor:
    return mul(unsqueeze(a, 1), unsqueeze(b, 0))


def dot(a: Tensor, b: Tensor) -> Tensor:
    return matmul(a, b)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation, as ``torch.einsum(equation, *operands)`` or ``(equation, [a, b])``.

    ``einsum('bij,bjk->bik', a, b)`` is a batched matmul: labels shared by operands multiply,
    labels left out of the output are summed (see ``ops/einsum.py``).
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    tensors = [as_tensor(x) for x in operands]
    if len({type(t._array) for t in tensors}) > 1 or len({t.dtype for t in tensors}) > 1:
        raise RuntimeError(
            f"einsum(): operands must share one device and dtype, got "
            f"{[(str(t.device), str(t.dtype)) for t in tensors]} (equation {equation!r})"
        )
    plan = einsum_ops.parse_equation(equation, [tuple(t.shape) for t in tensors])
    return einsum_ops.Einsum.apply(*tensors, plan=plan)


# ---------------------------------------------------------------------------- methods

def _comparison(name: str) -> Any:
    def compare(self: Tensor, other: Any) -> Tensor:
        other_array = other._array if isinstance(other, Tensor) else other
        return Tensor._make(getattr(self._array, name)(other_array))

    compare.__name__ = name
    return compare


def _reflected(fn: Any) -> Any:
    def method(self: Tensor, other: Any) -> Tensor:
        return fn(other, self)

    return method


_METHODS = {
    "__add__": add, "__radd__": _reflected(add), "__sub__": sub, "__rsub__": _reflected(sub),
    "__mul__": mul, "__rmul__": _reflected(mul), "__truediv__": div,
    "__rtruediv__": _reflected(div), "__pow__": pow, "__rpow__": _reflected(pow),
    "__matmul__": matmul, "__rmatmul__": _reflected(matmul), "__neg__": neg,
    "__abs__": abs, "__getitem__": getitem,
    "add": add, "sub": sub, "mul": mul, "div": div, "neg": neg, "pow": pow, "matmul": matmul,
    "mm": matmul, "bmm": matmul, "exp": exp, "log": log, "sqrt": sqrt, "rsqrt": rsqrt, "abs": abs,
    "sin": sin, "cos": cos, "tanh": tanh, "sigmoid": sigmoid, "relu": relu, "clamp": clamp,
    "clip": clamp, "maximum": maximum, "minimum": minimum, "masked_fill": masked_fill,
    "sum": sum, "mean": mean, "max": max, "min": min, "amax": amax, "amin": amin,
    "argmax": argmax, "argmin": argmin, "var": var, "std": std, "logsumexp": logsumexp,
    "prod": prod, "all": all, "any": any,
    "reshape": reshape, "view": view, "flatten": flatten, "unflatten": unflatten,
    "permute": permute, "transpose": transpose, "swapaxes": transpose, "t": t,
    "squeeze": squeeze, "unsqueeze": unsqueeze, "expand": expand, "expand_as": expand_as,
    "repeat": repeat, "split": split, "chunk": chunk, "unbind": unbind, "narrow": narrow,
    "gather": gather, "index_select": index_select, "softmax": softmax,
    "log_softmax": log_softmax, "outer": outer, "dot": dot,
    "__lt__": _comparison("__lt__"), "__le__": _comparison("__le__"),
    "__gt__": _comparison("__gt__"), "__ge__": _comparison("__ge__"),
    "__eq__": _comparison("__eq__"), "__ne__": _comparison("__ne__"),
}


def _view_as(self: Tensor, other: Tensor) -> Tensor:
    return reshape(self, other.shape)


def _where_method(self: Tensor, condition: Any, other: Any) -> Tensor:
    return where(condition, self, other)


def _eq_method(self: Tensor, other: Any) -> Tensor:
    return _METHODS["__eq__"](self, other)


def _lt(self: Tensor, other: Any) -> Tensor:
    return _METHODS["__lt__"](self, other)


for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
Tensor.view_as = _view_as
Tensor.reshape_as = _view_as
Tensor.where = _where_method
Tensor.eq = _eq_method
Tensor.ne = _METHODS["__ne__"]
Tensor.lt = _lt
Tensor.le = _METHODS["__le__"]
Tensor.gt = _METHODS["__gt__"]
Tensor.ge = _METHODS["__ge__"]
Tensor.__hash__ = lambda self: id(self)
