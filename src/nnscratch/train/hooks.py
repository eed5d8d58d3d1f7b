"""The trainer's per-batch hooks: how a batch becomes (output, target), and the helpers for
recurrent state (``detach_state``, defined in ``models.language_model``) and devices.

A recipe replaces :func:`default_forward` with its own ``forward(model, batch, state) ->
(output, target, new_state)`` when batches are not ``(inputs, target)`` pairs or when a
recurrent model carries its hidden state from one window to the next (truncated BPTT).
"""

from __future__ import annotations

from typing import Any

from .. import backend
from .._tensor import Tensor
from ..models.language_model import detach_state as detach_state  # the one; re-exported


def default_forward(model: Any, batch: Any, state: Any) -> tuple[Any, Any, None]:
    """``(inputs, target)`` batches: ``model(inputs)``, no carried state."""
    inputs, target = batch
    return model(inputs), target, None


def move_to(batch: Any, device: backend.device) -> Any:
    """Copy every tensor of a batch (tuples, lists, dicts) to ``device``."""
    if isinstance(batch, Tensor):
        return batch.to(device)
    if isinstance(batch, (tuple, list)):
        return type(batch)(move_to(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: move_to(v, device) for k, v in batch.items()}
    return batch
