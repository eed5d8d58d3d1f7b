"""Function: the node of the autograd graph, and the base class of every op.

An op subclasses :class:`Function` and writes ``forward(ctx, *arrays, **options)`` and
``backward(ctx, *output_grads)`` on plain backend arrays (``ctx.xp`` is numpy or cupy).
``Op.apply(*tensors, **options)`` runs forward on the tensors' arrays and, when a gradient is
needed, records the node: ``ctx`` *is* the node, holding what forward saved and the edges to
the nodes (or leaf tensors) that made the inputs.

:class:`TensorFunction` is the PyTorch-style variant exported as ``ns.autograd.Function``:
its ``forward``/``backward`` receive and return Tensors.
"""

from __future__ import annotations

from typing import Any

from .._tensor_base import TensorBase, make_tensor
from ..backend import get_array_module
from .grad_mode import _State


class ShapeError(RuntimeError, ValueError):
    """Inputs an op cannot combine; both a RuntimeError (as PyTorch) and a ValueError."""


class Function:
    """Base of every op. Subclasses define static ``forward`` and ``backward``.

    In ``forward``: ``ctx.xp`` is the array module, ``ctx.needs_input_grad`` says which inputs
    need a gradient, ``ctx.save_for_backward(*arrays)`` keeps arrays for ``backward``
    (read back as ``ctx.saved``); any other attribute may be set on ``ctx``.
    In ``backward``: one gradient per output arrives (``None`` for an output that received no
    gradient); return one gradient per positional input, ``None`` where none is needed.
    """

    # edges: per input, None (no grad), a leaf Tensor, or (node, output_index)
    __slots__ = ("xp", "needs_input_grad", "saved", "edges", "n_outputs", "__dict__")

    def save_for_backward(self, *arrays: Any) -> None:
        self.saved = arrays

    @property
    def saved_tensors(self) -> tuple:
        return self.saved

    @property
    def may_overwrite_saved(self) -> bool:
        """True in a backward after which the engine frees ``saved`` (no ``retain_graph``):
        backward may then write its result into a saved array instead of allocating one —
        only into an array the op made for itself, never an input or an output, which tensors
        outside the graph may still be showing."""
        return not _State.retain_graph

    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> Any:
        """Run the op on tensors; returns a Tensor, or a tuple for several outputs."""
        ctx = cls.__new__(cls)
        arrays = []
        needs = []
        array = None
        for item in inputs:
            if isinstance(item, TensorBase):
                array = item._array
                arrays.append(array)
                needs.append(item.requires_grad)
            else:
                arrays.append(item)
                needs.append(False)
        record = _State.enabled and any(needs)
        ctx.needs_input_grad = tuple(needs) if record else (False,) * len(needs)
        ctx.xp = get_array_module(array)
        ctx.saved = ()
        try:
            outputs = cls._forward(ctx, arrays, options)
        except ValueError as error:
            if isinstance(error, ShapeError):
                raise
            shapes = ", ".join(str(tuple(a.shape)) for a in arrays if hasattr(a, "shape"))
            raise ShapeError(f"{cls.__name__}: {error} (input shapes {shapes})") from error
        single = not isinstance(outputs, tuple)
        if single:
            outputs = (outputs,)
        if record:
            ctx.edges = tuple(
                _edge(item) if need else None for item, need in zip(inputs, needs)
            )
            ctx.n_outputs = len(outputs)
            results = tuple(
                _wrap_output(out, ctx, index) for index, out in enumerate(outputs)
            )
        else:
            results = tuple(make_tensor(out) for out in outputs)
        return results[0] if single else results

    # Hooks for TensorFunction; ops run forward/backward on arrays directly.
    @classmethod
    def _forward(cls, ctx: Function, arrays: list, options: dict) -> Any:
        return cls.forward(ctx, *arrays, **options)

    @classmethod
    def _backward(cls, ctx: Function, grads: tuple) -> Any:
        return cls.backward(ctx, *grads)

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        raise NotImplementedError


def _edge(tensor: TensorBase) -> Any:
    node = tensor._node
    return tensor if node is None else (node, tensor._output_index)


def _wrap_output(array: Any, node: Function, index: int) -> TensorBase:
    out = make_tensor(array)
    if array is not None and array.dtype.kind in "fc":
        out.requires_grad = True
        out._node = node
        out._output_index = index
    return out


class TensorFunction(Function):
    """A user-defined op in PyTorch's style (exported as ``ns.autograd.Function``).

    ``forward(ctx, *args)`` receives Tensors (run without recording a graph) and returns
    Tensors; ``backward(ctx, *grad_outputs)`` receives and returns Tensors.
    ``ctx.save_for_backward(*tensors)`` / ``ctx.saved_tensors`` keep what backward needs.
    """

    __slots__ = ()

    @classmethod
    def _forward(cls, ctx: Function, arrays: list, options: dict) -> Any:
        args = [make_tensor(a) if _is_array(a) else a for a in arrays]
        previous = _State.enabled
        _State.enabled = False
        try:
            result = cls.forward(ctx, *args, **options)
        finally:
            _State.enabled = previous
        ctx.saved = tuple(ctx.saved)
        if isinstance(result, tuple):
            return tuple(_unwrap(r) for r in result)
        return _unwrap(result)

    @classmethod
    def _backward(cls, ctx: Function, grads: tuple) -> Any:
        wrapped = [None if g is None else make_tensor(g) for g in grads]
        previous = _State.enabled
        _State.enabled = False
        try:
            result = cls.backward(ctx, *wrapped)
        finally:
            _State.enabled = previous
        if not isinstance(result, tuple):
            result = (result,)
        return tuple(_unwrap(r) for r in result)


def _is_array(value: Any) -> bool:
    return hasattr(value, "__array_interface__") or hasattr(value, "__cuda_array_interface__")


def _unwrap(value: Any) -> Any:
    return value._array if isinstance(value, TensorBase) else value
