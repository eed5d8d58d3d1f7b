"""Finite-difference check of an op's backward against its forward."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy

from .._tensor_base import TensorBase, make_tensor


def _outputs(fn: Callable, inputs: Sequence[Any]) -> list:
    out = fn(*inputs)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def gradcheck(
    fn: Callable,
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Compare analytic gradients with central differences (f(x+ε) - f(x-ε)) / 2ε.

    ``inputs`` are float64 tensors; those with ``requires_grad`` are checked. Every output's
    analytic Jacobian is built row by row with unit upstream gradients and compared with the
    numerical one column by column. Returns True, or raises ``RuntimeError`` naming the input
    and the worst element (returns False when ``raise_exception`` is False).
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, TensorBase) and x.requires_grad]
    for i in checked:
        if inputs[i].dtype != numpy.float64:
            message = (
                f"gradcheck: input {i} has dtype {inputs[i].dtype}; finite differences need "
                "float64 inputs"
            )
            if raise_exception:
                raise RuntimeError(message)
            return False
    outputs = _outputs(fn, inputs)
    for out_index, out in enumerate(outputs):
        if not isinstance(out, TensorBase) or not out.requires_grad:
            continue
        for i in checked:
            x = inputs[i]
            array = x._array
            numerical = numpy.zeros((out.numel(), x.numel()))
            flat = array.reshape(-1)
            for j in range(flat.size):
                original = flat[j].item()
                flat[j] = original + eps
                plus = _outputs(fn, inputs)[out_index].numpy().astype(numpy.float64).ravel()
                flat[j] = original - eps
                minus = _outputs(fn, inputs)[out_index].numpy().astype(numpy.float64).ravel()
                flat[j] = original
                numerical[:, j] = (plus - minus) / (2 * eps)
            analytic = numpy.zeros_like(numerical)
            for k in range(out.numel()):
                for t in inputs:
                    if isinstance(t, TensorBase):
                        t.grad = None
                fresh = _outputs(fn, inputs)[out_index]
                seed = numpy.zeros(out.numel())
                seed[k] = 1.0
                fresh.backward(make_tensor(seed.reshape(out.shape).astype(fresh.dtype)))
                if x.grad is not None:
                    analytic[k] = x.grad.numpy().ravel()
            for t in inputs:
                if isinstance(t, TensorBase):
                    t.grad = None
            error = numpy.abs(analytic - numerical)
            bound = atol + rtol * numpy.abs(numerical)
            if (error > bound).any():
                worst = numpy.unravel_index(numpy.argmax(error - bound), error.shape)
                message = (
                    f"gradcheck: Jacobian mismatch for output {out_index} with respect to input "
                    f"{i}, element {numpy.unravel_index(worst[1], x.shape)}: numerical "
                    f"{numerical[worst]:.8g}, analytical {analytic[worst]:.8g}"
                )
                if raise_exception:
                    raise RuntimeError(message)
                return False
    return True
