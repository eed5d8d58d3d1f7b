"""Split a nested training state into named arrays (for safetensors) and a JSON skeleton.

A checkpoint holds state dicts of very different shapes: a model's ``name -> Tensor``, an
optimiser's ``{"state": {0: {"exp_avg": Tensor, "step": 3}}, "param_groups": [...]}``, a
scheduler's plain numbers, the random generator's 128-bit integers. :func:`flatten` walks such a
tree and replaces every array by a reference ``{"__array__": key}``; the arrays go to one
safetensors file and the skeleton to JSON. :func:`unflatten` rebuilds the tree with the same
Python types (Tensor or numpy array, tuple or list, int keys stay ints), so ``load_state_dict``
receives exactly what ``state_dict`` gave.
"""

from __future__ import annotations

from typing import Any

import numpy

from .. import backend
from .._tensor import Tensor
from ..creation import as_tensor

_ARRAY, _TUPLE, _ITEMS = "__array__", "__tuple__", "__items__"


def flatten(tree: Any, prefix: str = "") -> tuple[Any, dict[str, numpy.ndarray]]:
    """Return ``(skeleton, arrays)``: a JSON-ready skeleton and ``key -> host array``.

    Keys are the paths to the arrays joined with ``/`` (``model/fc1.weight``).
    """
    arrays: dict[str, numpy.ndarray] = {}
    skeleton = _flatten(tree, prefix, arrays)
    return skeleton, arrays


def _flatten(node: Any, path: str, arrays: dict) -> Any:
    if isinstance(node, Tensor) or _is_array(node):
        kind = "tensor" if isinstance(node, Tensor) else "array"
        array = node.array if isinstance(node, Tensor) else node
        if not isinstance(array, numpy.ndarray):
            array = backend.to_device(array, backend.CPU)  # a cupy array goes to the host
        key = path or "value"
        if key in arrays:
            raise ValueError(f"checkpoint: two arrays share the key {key!r}")
        # (numpy.ascontiguousarray would turn a 0-d array into shape (1,))
        arrays[key] = array if array.flags.c_contiguous else numpy.array(array, order="C")
        return {_ARRAY: key, "kind": kind}
    if isinstance(node, numpy.generic):  # numpy scalar: keep its dtype exactly
        key = path or "value"
        arrays[key] = numpy.asarray(node)
        return {_ARRAY: key, "kind": "scalar"}
    if isinstance(node, dict):
        if all(isinstance(k, str) for k in node) and not any(k.startswith("__") for k in node):
            return {k: _flatten(v, _join(path, k), arrays) for k, v in node.items()}
        return {_ITEMS: [[_flatten(k, _join(path, f"k{i}"), arrays),
                          _flatten(v, _join(path, str(k)), arrays)]
                         for i, (k, v) in enumerate(node.items())]}
    if isinstance(node, tuple):
        return {_TUPLE: [_flatten(v, _join(path, str(i)), arrays) for i, v in enumerate(node)]}
    if isinstance(node, list):
        return [_flatten(v, _join(path, str(i)), arrays) for i, v in enumerate(node)]
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    raise TypeError(f"checkpoint: cannot store a value of type {type(node).__name__} at {path!r}")


def unflatten(skeleton: Any, arrays: dict[str, numpy.ndarray], device: Any = None) -> Any:
    """Rebuild the tree :func:`flatten` split; tensors are placed on ``device`` (default cpu).

    The skeleton comes from a file, so it is checked as it is walked: every reference must
    name an array that exists, each array is referenced exactly once, and the markers hold what
    :func:`flatten` writes (a list for ``__tuple__``, ``[key, value]`` pairs for ``__items__``).
    Anything else is a ValueError saying where in the tree it is.
    """
    target = backend.device(device) if device is not None else backend.CPU
    used: set[str] = set()
    try:
        tree = _unflatten(skeleton, arrays, target, used, "")
    except RecursionError:
        raise ValueError("checkpoint: the state nests too deeply") from None
    unused = sorted(set(arrays) - used)
    if unused:
        raise ValueError(f"checkpoint: the tensors hold arrays the state never names: "
                         f"{', '.join(unused[:5])}{' …' if len(unused) > 5 else ''}")
    return tree


def _unflatten(node: Any, arrays: dict, target: backend.device, used: set, where: str) -> Any:
    if isinstance(node, dict):
        if _ARRAY in node:
            key, kind = node[_ARRAY], node.get("kind")
            if not isinstance(key, str) or key not in arrays:
                raise ValueError(f"checkpoint: the state at {where or '/'!r} names an array "
                                 f"{key!r} the tensors lack")
            if key in used:
                raise ValueError(f"checkpoint: the array {key!r} is named twice in the state")
            if kind not in ("scalar", "tensor", "array"):
                raise ValueError(f"checkpoint: the array {key!r} has an unknown kind {kind!r}")
            used.add(key)
            array = arrays[key]
            if kind == "scalar":
                if array.ndim != 0:
                    raise ValueError(f"checkpoint: the scalar {key!r} has shape {array.shape}")
                return array[()]
            array = backend.to_device(array, target)
            return as_tensor(array) if kind == "tensor" else array
        if _TUPLE in node:
            items = node[_TUPLE]
            if not isinstance(items, list):
                raise ValueError(f"checkpoint: the tuple at {where or '/'!r} is not a list")
            return tuple(_unflatten(v, arrays, target, used, f"{where}/{i}")
                         for i, v in enumerate(items))
        if _ITEMS in node:
            pairs = node[_ITEMS]
            if not isinstance(pairs, list) or not all(
                    isinstance(pair, list) and len(pair) == 2 for pair in pairs):
                raise ValueError(f"checkpoint: the mapping at {where or '/'!r} is not a list of "
                                 f"[key, value] pairs")
            rebuilt = {}
            for index, (k, v) in enumerate(pairs):
                key = _unflatten(k, arrays, target, used, f"{where}/k{index}")
                try:
                    hash(key)
                except TypeError:
                    raise ValueError(f"checkpoint: the mapping at {where or '/'!r} has a key "
                                     f"of type {type(key).__name__}") from None
                rebuilt[key] = _unflatten(v, arrays, target, used, f"{where}/{key}")
            return rebuilt
        return {k: _unflatten(v, arrays, target, used, f"{where}/{k}") for k, v in node.items()}
    if isinstance(node, list):
        return [_unflatten(v, arrays, target, used, f"{where}/{i}") for i, v in enumerate(node)]
    return node


def _is_array(value: Any) -> bool:
    return isinstance(value, numpy.ndarray) or type(value).__module__.startswith("cupy")


def _join(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name
