"""Tensor hooks: functions called with a tensor's gradient as backward computes it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._tensor_base import TensorBase, make_tensor


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def add_hook(tensor: Any, hook: Callable) -> RemovableHandle:
    """Leaf: kept on the tensor. Non-leaf: kept on its node, keyed by output index."""
    if tensor._node is None:
        if tensor._hooks is None:
            tensor._hooks = []
        hooks = tensor._hooks
    else:
        node = tensor._node
        table = node.__dict__.setdefault("output_hooks", {})
        hooks = table.setdefault(tensor._output_index, [])
    hooks.append(hook)
    return RemovableHandle(hooks, hook)


def run_hooks(hooks: list, grad: Any) -> Any:
    """Apply hooks in order; a hook returning a tensor replaces the gradient."""
    for hook in list(hooks):
        result = hook(make_tensor(grad))
        if result is not None:
            grad = result._array if isinstance(result, TensorBase) else result
    return grad
