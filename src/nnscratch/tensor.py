"""Tensor: one backend array plus the autograd fields that link it into the graph.

A tensor made by the user is a *leaf*; a tensor made by an op that needed a gradient holds
``_node`` (the op's ctx) and ``_output_index``. Operators and methods call the ops in
``nnscratch.ops``; the method table at the bottom of ``nnscratch/functions.py`` attaches them.
"""

from __future__ import annotations

from typing import Any

import numpy

from . import backend
from .backend import as_dtype, device_of, get_array_module, to_device


class Tensor:
    """A multi-dimensional array with automatic differentiation (``torch.Tensor``)."""

    __slots__ = ("_array", "requires_grad", "grad", "_node", "_output_index", "_hooks", "__weakref__")
    __array_priority__ = 1000  # numpy_array + tensor dispatches to Tensor.__radd__

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

    @classmethod
    def _make(cls, array: Any, requires_grad: bool = False) -> Tensor:
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

    # ------------------------------------------------------------------ properties
    @property
    def array(self) -> Any:
        """The backend array itself (numpy or cupy), no copy."""
        return self._array

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

    # ------------------------------------------------------------------ conversion
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
            from .ops.device import ToDevice

            out = ToDevice.apply(out, target=target_device)
        return out

    def _cast(self, dtype: numpy.dtype) -> Tensor:
        from .ops.device import Cast

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

    # ------------------------------------------------------------------ autograd
    def backward(
        self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Accumulate the gradient of this tensor into every leaf that requires one."""
        from .autograd.engine import backward

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
        backward(self, grad_array, retain_graph=bool(retain_graph))

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
        from .autograd.hooks import add_hook

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
        from .ops.device import Contiguous

        return Contiguous.apply(self)

    def is_contiguous(self) -> bool:
        return bool(self._array.flags.c_contiguous)

    def clone(self) -> Tensor:
        from .ops.device import Clone

        return Clone.apply(self)

    # ------------------------------------------------------------------ printing
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

    def __hash__(self) -> int:
        return id(self)

    # In-place writes: allowed on tensors outside the graph (PyTorch allows more).
    def __setitem__(self, index: Any, value: Any) -> None:
        from .autograd.grad_mode import is_grad_enabled

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


class _RetainGrad:
    def __init__(self, tensor: Tensor) -> None:
        import weakref

        self.ref = weakref.ref(tensor)

    def __call__(self, grad: Tensor) -> None:
        tensor = self.ref()
        if tensor is not None:
            if tensor.grad is None:
                tensor.grad = Tensor._make(grad._array.copy())
            else:
                tensor.grad = Tensor._make(tensor.grad._array + grad._array)


def unwrap_index(index: Any) -> Any:
    """Replace Tensors inside an index by their arrays; split boolean masks for np.add.at."""
    if isinstance(index, Tensor):
        return index._array
    if isinstance(index, tuple):
        return tuple(item._array if isinstance(item, Tensor) else item for item in index)
    if isinstance(index, list):
        return numpy.asarray(index)
    return index


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


def to_array(data: Any, dtype: Any = None, device: Any = None) -> Any:
    """Make a backend array from data with PyTorch's dtype rules (floats → default dtype)."""
    dtype = as_dtype(dtype)
    target = backend.device(device) if device is not None else None
    if isinstance(data, Tensor):
        array = data._array
    elif hasattr(data, "__cuda_array_interface__") or isinstance(data, numpy.ndarray):
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
    if isinstance(data, Tensor):
        return data.numpy()
    if isinstance(data, (list, tuple)):
        return [_unwrap_nested(item) for item in data]
    return data
