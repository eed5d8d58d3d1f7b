"""Optimizer: the base of every optimiser (parameter groups, per-parameter state, saving).

A parameter's *position* is its index in the concatenation of all groups' ``"params"`` lists,
in order. Per-parameter state is keyed by that position, never by ``id()``, so a state dict
saved by one process loads into the same model built by another (PyTorch's layout)::

    {"state": {position: {"step": Tensor(), "exp_avg": Tensor, ...}},
     "param_groups": [{"lr": 0.01, ..., "params": [position, ...]}, ...]}
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

import numpy

from .. import backend
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad, no_grad
from ..creation import as_tensor, from_numpy


class _Required:
    """Marks a hyper-parameter without a default (it must be given)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()

_UNORDERED = (
    "optimizer parameters need to be organized in ordered collections, but the ordering of "
    "tensors in sets will change between runs; use a list instead"
)


class ParamState(dict):
    """Per-parameter state keyed by position; ``state[param]`` also works (found by identity)."""

    def __init__(self, optimizer: Optimizer) -> None:
        super().__init__()
        self._optimizer = optimizer

    def _key(self, key: Any) -> Any:
        return self._optimizer._position_of(key) if isinstance(key, Tensor) else key

    def __getitem__(self, key: Any) -> dict:
        key = self._key(key)
        if key not in self:
            super().__setitem__(key, {})
        return super().__getitem__(key)

    def __setitem__(self, key: Any, value: dict) -> None:
        super().__setitem__(self._key(key), value)

    def __contains__(self, key: Any) -> bool:
        return super().__contains__(self._key(key))

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(self._key(key), default)


class Optimizer:
    """Base class: holds ``param_groups`` and ``state``; subclasses implement ``_update``.

    ``params`` is an iterable of Tensors or of dicts ``{"params": [...], "lr": ..., ...}``
    (per-group hyper-parameters; missing ones come from ``defaults``).
    """

    def __init__(self, params: Any, defaults: dict) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict] = []
        self.state = ParamState(self)
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params argument given to the optimizer should be an "
                f"iterable of Tensors or dicts, but got a Tensor of shape {tuple(params.shape)}"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(_UNORDERED)
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: optimizer got an empty parameter list")
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        for group in params:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            lines += [f"    {key}: {value}" for key, value in sorted(group.items()) if key != "params"]
        return "\n".join(lines) + "\n)"

    def add_param_group(self, param_group: dict) -> None:
        """Append a group; its parameters take the next positions."""
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{type(self).__name__}.add_param_group: expected a dict, "
                f"got {type(param_group).__name__}"
            )
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(_UNORDERED)
        params = list(params)
        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError(
                    f"{type(self).__name__} can only optimize Tensors, got {type(param).__name__}"
                )
            if not param.is_leaf:
                raise ValueError(
                    f"{type(self).__name__}: can't optimize a non-leaf Tensor "
                    f"(shape {tuple(param.shape)})"
                )
            if param.dtype.kind != "f":
                raise TypeError(
                    f"{type(self).__name__}: can only optimize floating-point Tensors, got "
                    f"dtype {param.dtype} (shape {tuple(param.shape)})"
                )
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{type(self).__name__}: a parameter group holds a parameter twice")
        existing = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError(
                f"{type(self).__name__}: some parameters appear in more than one parameter group"
            )
        group = {key: value for key, value in param_group.items() if key != "params"}
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(
                    f"{type(self).__name__}: parameter group didn't specify a value of required "
                    f"optimization parameter {name}"
                )
            group.setdefault(name, default)
        group["params"] = params
        self.param_groups.append(group)

    def _positions(self) -> Iterable[tuple[int, Tensor, dict]]:
        """(position, parameter, group) for every parameter, in position order."""
        position = 0
        for group in self.param_groups:
            for param in group["params"]:
                yield position, param, group
                position += 1

    def _position_of(self, param: Tensor) -> int:
        for position, candidate, _ in self._positions():
            if candidate is param:
                return position
        raise KeyError(f"{type(self).__name__}: tensor of shape {tuple(param.shape)} is not "
                       "one of this optimizer's parameters")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset gradients: to ``None`` (default, as PyTorch 2) or to zeros in place."""
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                else:
                    param.grad.array[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns ``closure()``'s loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        work = [
            (position, param, group)
            for position, param, group in self._positions()
            if param.grad is not None
        ]
        for position, param, _ in work:  # check everything before changing anything
            if param.grad.shape != param.shape:
                raise RuntimeError(
                    f"{type(self).__name__}.step: parameter {position} has shape "
                    f"{tuple(param.shape)} but its gradient has shape {tuple(param.grad.shape)}"
                )
        with no_grad():
            for position, param, group in work:
                self._update(param.array, param.grad.array, self.state[position], group)
        return loss

    def _update(self, param: Any, grad: Any, state: dict, group: dict) -> None:
        """Update ``param`` (a backend array) in place from ``grad``; subclasses define it."""
        raise NotImplementedError

    def state_dict(self) -> dict:
        """``{"state": {position: {...}}, "param_groups": [{..., "params": [positions]}]}``.

        As in PyTorch, state tensors are returned by reference (copy them to keep a snapshot).
        """
        groups, position = [], 0
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            packed["params"] = list(range(position, position + len(group["params"])))
            position += len(group["params"])
            groups.append(packed)
        state = {
            index: dict(values) for index, values in sorted(dict.items(self.state)) if values
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what :meth:`state_dict` returned (arrays are copied, cast to each parameter).

        Everything is checked before anything changes: group count, group sizes, state
        positions and state tensor shapes.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and "
                             "'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: loaded state dict has {len(saved_groups)} parameter "
                f"groups, the optimizer has {len(self.param_groups)}"
            )
        for index, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: loaded state dict contains a parameter group "
                    f"(index {index}) of {len(saved['params'])} parameters that doesn't match "
                    f"the size of optimizer's group ({len(group['params'])} parameters)"
                )
        # saved ids (positions in the saved run) -> our parameters
        saved_ids = [pid for saved in saved_groups for pid in saved["params"]]
        params = [param for _, param, _ in self._positions()]
        position_of_saved = {pid: position for position, pid in enumerate(saved_ids)}
        new_state = {}
        for saved_id, values in state_dict["state"].items():
            if saved_id not in position_of_saved:
                raise ValueError(
                    f"{name}.load_state_dict: state for parameter {saved_id!r}, which no "
                    "parameter group lists"
                )
            position = position_of_saved[saved_id]
            new_state[position] = {
                key: _restore_value(key, value, params[position], name, position)
                for key, value in values.items()
            }
        new_groups = []
        for saved, group in zip(saved_groups, self.param_groups):
            restored = copy.deepcopy({k: v for k, v in saved.items() if k != "params"})
            if "betas" in restored:  # JSON turns the tuple into a list
                restored["betas"] = tuple(restored["betas"])
            restored["params"] = group["params"]
            new_groups.append(restored)
        self.param_groups[:] = new_groups
        dict.clear(self.state)
        for position, values in new_state.items():
            dict.__setitem__(self.state, position, values)


def _restore_value(key: str, value: Any, param: Tensor, optimizer: str, position: int) -> Any:
    """A copy of one saved state value, placed like ``param`` (``step`` stays a float32 scalar)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and key == "step":
        return from_numpy(numpy.asarray(value, dtype=numpy.float32))
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Tensor) or hasattr(value, "__cuda_array_interface__"):
        array = as_tensor(value).array
    else:  # numpy arrays, lists, other libraries' tensors: keep their precision
        array = numpy.asarray(value)
    if key == "step":
        return from_numpy(backend.to_device(array, backend.CPU).astype(numpy.float32))
    if tuple(array.shape) != tuple(param.shape):
        raise ValueError(
            f"{optimizer}.load_state_dict: state {key!r} of parameter {position} has shape "
            f"{tuple(array.shape)} but the parameter has shape {tuple(param.shape)}"
        )
    array = backend.to_device(array, param.device).astype(param.dtype, copy=True)
    return as_tensor(array)


def scratch_like(array: Any) -> Any:
    """An uninitialised array shaped like ``array`` (the one temporary an update may use)."""
    return backend.get_array_module(array).empty_like(array)


def lerp_(start: Any, end: Any, weight: float, scratch: Any) -> None:
    """``start += weight * (end - start)`` in place, with PyTorch's two-sided formula.

    PyTorch evaluates ``start + w (end - start)`` for ``w < 0.5`` and
    ``end - (1 - w)(end - start)`` otherwise; ``scratch`` receives ``end - start``.
    """
    xp = backend.get_array_module(start)
    xp.subtract(end, start, out=scratch)
    if abs(weight) < 0.5:
        scratch *= weight
        start += scratch
    else:
        scratch *= 1.0 - weight
        xp.subtract(end, scratch, out=start)


def effective_grad(param: Any, grad: Any, weight_decay: float, maximize: bool) -> tuple[Any, bool]:
    """``(±grad + weight_decay * param, owned)``: owned is True when the array is a fresh one
    the caller may overwrite (never the parameter's ``.grad`` itself)."""
    if weight_decay != 0:
        decayed = param * weight_decay  # g' = g + λθ (L2 penalty folded into the gradient)
        if maximize:
            decayed -= grad
        else:
            decayed += grad
        return decayed, True
    if maximize:
        return -grad, True
    return grad, False


def new_step_counter() -> Tensor:
    """The ``step`` entry of a parameter's state: a float32 0-d tensor, as PyTorch keeps it."""
    return from_numpy(numpy.zeros((), dtype=numpy.float32))


def increment_step(state: dict) -> float:
    """Add one to ``state["step"]`` and return the new count."""
    step = state["step"].array
    step += 1
    return float(step)


def check_hyper_parameters(name: str, **values: float) -> None:
    """Raise ValueError for a negative learning rate, epsilon, momentum or decay."""
    for key, value in values.items():
        if isinstance(value, (tuple, list)):
            continue
        if not value >= 0.0:
            raise ValueError(f"{name}: invalid {key} value: {value} (must be >= 0)")
