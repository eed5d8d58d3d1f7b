"""Tensor: the user's view of a tensor — its properties, conversions, autograd calls and methods.

The fields (one backend array and the autograd links) are in ``_tensor_base.TensorBase``. The
methods are one-line delegations to the Tensor-level functions of ``nnscratch.functional``
(``x.exp()`` is ``functional.elementwise.exp(x)``), which check their arguments and run the
Functions of ``nnscratch.ops``; operators are the same functions (``x + y`` is ``add(x, y)``).
The module is ``_tensor`` (as PyTorch's ``torch._tensor``) so that ``nnscratch.tensor`` stays the
factory function.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy

from . import backend
from ._tensor_base import TensorBase, make_tensor, register_tensor_class, to_array
from .autograd.engine import backward as run_backward
from .autograd.grad_mode import is_grad_enabled
from .autograd.hooks import add_hook
from .backend import as_dtype, device_of, get_array_module, to_device
from .functional import activation, arithmetic, elementwise, indexing, reduction
from .functional import shape as shaping
from .functional.indexing import unwrap_index
from .ops.device import Cast, Clone, Contiguous, ToDevice

__all__ = ["Tensor", "make_tensor", "parse_to_args", "to_array", "unwrap_index"]


class Tensor(TensorBase):
    """A multi-dimensional array with automatic differentiation (``torch.Tensor``)."""

    __slots__ = ()

    def __init__(
        self, data: Any = None, dtype: Any = None, device: Any = None, requires_grad: bool = False
    ) -> None:
        array = to_array(data if data is not None else [], dtype=dtype, device=device)
        self._array = array
        self.grad = None
        self._node = None
        self._output_index = 0
        self._hooks = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ``t.array``: the backend array itself — numpy on the CPU, cupy on a GPU — with no copy
    # (``.numpy()`` copies from a GPU). It is the public way down to the array on any device,
    # and ``ns.as_tensor`` the way back up: ``t.array[...] = 0`` zeroes ``t``; what is computed
    # from it carries no graph. It is the ``_array`` slot under a public name, not a property,
    # so that reading it costs what reading the slot does (an optimiser step reads it five
    # times per parameter; a property costs ~50 ns more per read on CPython 3.11).
    array = TensorBase._array

    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's storage, detached from the graph."""
        return Tensor._make(self._array)

    @data.setter
    def data(self, value: Any) -> None:
        self._array = value._array if isinstance(value, Tensor) else value

    @property
    def shape(self) -> tuple:
        return self._array.shape

    @property
    def ndim(self) -> int:
        return self._array.ndim

    @property
    def dtype(self) -> numpy.dtype:
        return self._array.dtype

    @property
    def device(self) -> backend.device:
        return device_of(self._array)

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def T(self) -> Tensor:  # noqa: N802 - PyTorch's name
        return self.permute(*reversed(range(self.ndim)))

    @property
    def grad_fn(self) -> Any:
        return self._node

    def size(self, dim: int | None = None) -> Any:
        return self.shape if dim is None else self.shape[dim]

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        return int(self._array.size)

    def element_size(self) -> int:
        return self._array.itemsize

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def numpy(self) -> numpy.ndarray:
        """A host numpy array (the same memory on the CPU, a copy from a GPU)."""
        array = self._array
        return array if isinstance(array, numpy.ndarray) else array.get()

    def item(self) -> Any:
        if self._array.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._array.size} elements cannot be converted to Scalar"
            )
        return self._array.item()

    def tolist(self) -> Any:
        return self.numpy().tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self._array.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._array.size} elements is ambiguous"
            )
        return bool(self._array.item())

    def __index__(self) -> int:
        if self._array.dtype.kind not in "iub" or self._array.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self._array.item())

    def __array__(self, dtype: Any = None, copy: Any = None) -> numpy.ndarray:
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``t.to("cuda")``, ``t.to(ns.float64)``, ``t.to(device, dtype)``, ``t.to(other)``."""
        target_device, target_dtype = parse_to_args(args, kwargs)
        out = self
        if target_dtype is not None and target_dtype != self.dtype:
            out = out._cast(target_dtype)
        if target_device is not None and target_device != self.device:
            out = ToDevice.apply(out, target=target_device)
        return out

    def _cast(self, dtype: numpy.dtype) -> Tensor:
        return Cast.apply(self, dtype=dtype)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, device: Any = None) -> Tensor:
        return self.to(backend.device("cuda", device) if isinstance(device, int) else device or "cuda")

    def float(self) -> Tensor:
        return self.to(backend.float32)

    def double(self) -> Tensor:
        return self.to(backend.float64)

    def half(self) -> Tensor:
        return self.to(backend.float16)

    def long(self) -> Tensor:
        return self.to(backend.int64)

    def int(self) -> Tensor:
        return self.to(backend.int32)

    def bool(self) -> Tensor:
        return self.to(backend.bool_)

    def type(self, dtype: Any = None) -> Any:
        return str(self.dtype) if dtype is None else self.to(dtype)

    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    def backward(
        self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Accumulate the gradient of this tensor into every leaf that requires one."""
        if not self.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
        if gradient is None:
            if self._array.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; got shape {self.shape}"
                )
            grad_array = get_array_module(self._array).ones_like(self._array)
        else:
            grad_array = gradient._array if isinstance(gradient, Tensor) else to_array(gradient)
            if grad_array.shape != self.shape:
                raise RuntimeError(
                    f"backward: gradient has shape {tuple(grad_array.shape)} but the tensor has "
                    f"shape {tuple(self.shape)}"
                )
            grad_array = grad_array.astype(self.dtype, copy=False)
        run_backward(self, grad_array, retain_graph=bool(retain_graph))

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares storage)."""
        return Tensor._make(self._array)

    def detach_(self) -> Tensor:
        self._node = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self._array.dtype.kind not in "fc":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients, got {self.dtype}"
            )
        if not requires_grad and self._node is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables; use detach()"
            )
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self._node is None:
            return
        self.register_hook(_RetainGrad(self))

    def register_hook(self, hook: Any) -> Any:
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        return add_hook(self, hook)

    def zero_(self) -> Tensor:
        self._array[...] = 0
        return self

    def fill_(self, value: Any) -> Tensor:
        self._array[...] = value
        return self

    def copy_(self, source: Any) -> Tensor:
        source = source._array if isinstance(source, Tensor) else source
        if get_array_module(source) is not get_array_module(self._array):
            source = to_device(source, self.device)
        self._array[...] = source
        return self

    def contiguous(self) -> Tensor:
        """This tensor if its buffer is C-ordered, else a C-ordered copy (with gradient)."""
        if self._array.flags.c_contiguous:
            return self
        return Contiguous.apply(self)

    def is_contiguous(self) -> bool:
        return bool(self._array.flags.c_contiguous)

    def clone(self) -> Tensor:
        return Clone.apply(self)

    def __repr__(self) -> str:
        body = numpy.array2string(
            self.numpy(), separator=", ", prefix="tensor(", precision=4, threshold=200
        )
        extras = []
        if self.device.type != "cpu":
            extras.append(f"device='{self.device}'")
        if self.dtype not in (backend.get_default_dtype(), backend.int64, backend.bool_):
            extras.append(f"dtype={self.dtype}")
        if self._node is not None:
            extras.append(f"grad_fn=<{type(self._node).__name__}Backward>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # In-place writes: allowed on tensors outside the graph (PyTorch allows more).
    def __setitem__(self, index: Any, value: Any) -> None:
        if is_grad_enabled() and (self.requires_grad or self._node is not None):
            if self._node is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation."
                )
            raise RuntimeError(
                "in-place assignment to a tensor that is part of a graph is not supported; "
                "use masked_fill/where or do it under ns.no_grad()"
            )
        index = unwrap_index(index)
        if isinstance(value, Tensor):
            value = value._array
        self._array[index] = value


    # The methods: each is the Tensor-level function of nnscratch.functional named beside it.
    __add__ = add = arithmetic.add
    __sub__ = sub = arithmetic.sub
    __mul__ = mul = arithmetic.mul
    __truediv__ = div = arithmetic.div
    __pow__ = pow = arithmetic.pow  # noqa: A003
    __matmul__ = matmul = mm = bmm = arithmetic.matmul
    __neg__ = neg = arithmetic.neg
    outer = arithmetic.outer
    dot = arithmetic.dot

    def __radd__(self, other: Any) -> Tensor:
        return arithmetic.add(other, self)

    def __rsub__(self, other: Any) -> Tensor:
        return arithmetic.sub(other, self)

    def __rmul__(self, other: Any) -> Tensor:
        return arithmetic.mul(other, self)

    def __rtruediv__(self, other: Any) -> Tensor:
        return arithmetic.div(other, self)

    def __rpow__(self, other: Any) -> Tensor:
        return arithmetic.pow(other, self)

    def __rmatmul__(self, other: Any) -> Tensor:
        return arithmetic.matmul(other, self)

    __abs__ = abs = elementwise.abs  # noqa: A003
    exp = elementwise.exp
    log = elementwise.log
    sqrt = elementwise.sqrt
    rsqrt = elementwise.rsqrt
    sin = elementwise.sin
    cos = elementwise.cos
    clamp = clip = elementwise.clamp
    maximum = elementwise.maximum
    minimum = elementwise.minimum
    masked_fill = elementwise.masked_fill
    __eq__ = eq = elementwise.eq
    __ne__ = ne = elementwise.ne
    __lt__ = lt = elementwise.lt
    __le__ = le = elementwise.le
    __gt__ = gt = elementwise.gt
    __ge__ = ge = elementwise.ge
    __hash__ = object.__hash__  # by identity: __eq__ compares values, element-wise

    def where(self, condition: Any, other: Any) -> Tensor:
        """``self`` where ``condition`` holds, else ``other`` (``ns.where(condition, self, other)``)."""
        return elementwise.where(condition, self, other)

    tanh = activation.tanh
    sigmoid = activation.sigmoid
    relu = activation.relu
    softmax = activation.softmax
    log_softmax = activation.log_softmax

    sum = reduction.sum  # noqa: A003
    mean = reduction.mean
    max = reduction.max  # noqa: A003
    min = reduction.min  # noqa: A003
    amax = reduction.amax
    amin = reduction.amin
    argmax = reduction.argmax
    argmin = reduction.argmin
    var = reduction.var
    std = reduction.std
    logsumexp = reduction.logsumexp
    prod = reduction.prod
    all = reduction.all  # noqa: A003
    any = reduction.any  # noqa: A003

    reshape = view = shaping.reshape
    reshape_as = view_as = shaping.view_as
    flatten = shaping.flatten
    unflatten = shaping.unflatten
    permute = shaping.permute
    transpose = swapaxes = shaping.transpose
    t = shaping.t
    squeeze = shaping.squeeze
    unsqueeze = shaping.unsqueeze
    expand = shaping.expand
    expand_as = shaping.expand_as
    repeat = shaping.repeat
    split = shaping.split
    chunk = shaping.chunk
    unbind = shaping.unbind
    narrow = shaping.narrow

    __getitem__ = indexing.getitem
    gather = indexing.gather
    index_select = indexing.index_select


register_tensor_class(Tensor)  # the ops' outputs are Tensors (see _tensor_base.py)

class _RetainGrad:
    def __init__(self, tensor: Tensor) -> None:
        self.ref = weakref.ref(tensor)

    def __call__(self, grad: Tensor) -> None:
        tensor = self.ref()
        if tensor is not None:
            if tensor.grad is None:
                tensor.grad = Tensor._make(grad._array.copy())
            else:
                tensor.grad = Tensor._make(tensor.grad._array + grad._array)


def parse_to_args(args: tuple, kwargs: dict) -> tuple:
    """Read ``.to(...)``'s flexible arguments into (device or None, dtype or None)."""
    target_device = kwargs.get("device")
    target_dtype = kwargs.get("dtype")
    for arg in args:
        if isinstance(arg, Tensor):
            target_device, target_dtype = arg.device, arg.dtype
        elif isinstance(arg, backend.device) or (
            isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda")
        ):
            target_device = arg
        elif arg is not None:
            target_dtype = arg
    if target_device is not None:
        target_device = backend.device(target_device)
    return target_device, as_dtype(target_dtype)
