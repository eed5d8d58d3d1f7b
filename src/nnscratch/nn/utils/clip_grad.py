"""Gradient clipping over a whole set of parameters: by global norm and by value."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy

from ... import backend
from ..._tensor import Tensor
from ...creation import as_tensor, from_numpy


def _grads(parameters: Tensor | Iterable[Tensor]) -> list:
    """The gradient arrays of ``parameters`` (one Tensor or an iterable), skipping ``None``."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad.array for p in parameters if p.grad is not None]


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    r"""Scale all gradients together so that their global norm is at most ``max_norm``.

    The norm is taken over all gradients as if concatenated into one vector:
    ``‖g‖_p = (Σ_i ‖g_i‖_p^p)^{1/p}`` (``max_i ‖g_i‖_∞`` for ``norm_type=inf``). Every gradient
    is multiplied in place by ``min(1, max_norm / (‖g‖_p + 1e-6))``.

    Returns the total norm before clipping as a 0-d Tensor (on the first gradient's device).
    Raises RuntimeError when the norm is nan or inf and ``error_if_nonfinite`` is set (no
    gradient is changed then).
    """
    grads = _grads(parameters)
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        return from_numpy(numpy.zeros((), dtype=backend.get_default_dtype()))
    xp = backend.get_array_module(grads[0])
    first_device = backend.device_of(grads[0])
    norms = [backend.to_device(_vector_norm(g, norm_type), first_device) for g in grads]
    total = _vector_norm(xp.stack(norms), norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} for gradients from "
            "`parameters` is non-finite, so it cannot be clipped. To disable this error and "
            "scale the gradients by the non-finite norm anyway, set error_if_nonfinite=False"
        )
    if xp is numpy:
        coefficient = max_norm / (float(total) + 1e-6)
        if coefficient < 1.0 or math.isnan(coefficient):  # nan propagates, as in PyTorch
            with numpy.errstate(invalid="ignore"):  # inf * 0 = nan is the documented result
                for g in grads:
                    g *= coefficient
    else:  # stay on the device: no host synchronisation per step
        coefficient = xp.minimum(max_norm / (total + 1e-6), 1.0)
        for g in grads:
            g *= backend.to_device(coefficient, backend.device_of(g)).astype(g.dtype)
    return as_tensor(total)


def _vector_norm(array: Any, norm_type: float) -> Any:
    """``‖array‖_p`` over all elements, as a 0-d array of the array's dtype."""
    xp = backend.get_array_module(array)
    flat = array.reshape(-1)
    if norm_type == 2.0:
        return xp.sqrt(xp.dot(flat, flat))         # BLAS dot: one pass, no temporary
    if norm_type == math.inf:
        return xp.abs(flat).max() if flat.size else xp.zeros((), dtype=array.dtype)
    if norm_type == -math.inf:
        return xp.abs(flat).min()
    if norm_type == 1.0:
        return xp.abs(flat).sum()
    if norm_type == 0.0:
        return xp.asarray(xp.count_nonzero(flat), dtype=array.dtype)
    return (xp.abs(flat) ** norm_type).sum() ** (1.0 / norm_type)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element to ``[-clip_value, clip_value]`` in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        backend.get_array_module(g).clip(g, -clip_value, clip_value, out=g)
