"""Flatten parameters into one vector and write one back (``nn.utils``)."""

from __future__ import annotations

from collections.abc import Iterable

from ..._tensor import Tensor
from ...functional import cat


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    parameters = list(parameters)
    if not parameters:
        raise ValueError("parameters_to_vector: got no parameters")
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters`` (in place, no grad).

    Unlike PyTorch, which makes each parameter a view of ``vec``, the values are copied, so
    the parameters keep their own storage.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor, but got {type(vec).__name__}")
    parameters = list(parameters)
    needed = sum(p.numel() for p in parameters)
    if vec.ndim != 1 or vec.shape[0] != needed:
        raise ValueError(
            f"vector_to_parameters: vec has shape {tuple(vec.shape)} but the parameters hold "
            f"{needed} elements in all"
        )
    offset = 0
    for p in parameters:
        count = p.numel()
        p.array[...] = vec.array[offset:offset + count].reshape(p.shape)
        offset += count
