"""Undo broadcasting in backward: sum a gradient back to its operand's shape."""

from __future__ import annotations

from typing import Any


def unbroadcast(grad: Any, shape: tuple) -> Any:
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``.

    If y = broadcast(x), then dL/dx = sum of dL/dy over every copy of each element of x.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, size in enumerate(shape) if size == 1 and grad.shape[extra + i] != 1
    )
    if axes:
        grad = grad.sum(axis=axes)
    return grad.reshape(shape)


def shape_of(value: Any) -> tuple:
    """Shape of an array, or () for a Python number."""
    return getattr(value, "shape", ())
