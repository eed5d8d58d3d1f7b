"""Measuring how far a gradient travels back through time: ‖∂L/∂h_t‖ per time step.

Back-propagation through time multiplies the gradient at every step by the Jacobian of one
step of the recurrence::

    ∂L/∂h_t = (∂h_{t+1}/∂h_t)ᵀ ∂L/∂h_{t+1} = ∏_{k=t+1..T} (∂h_k/∂h_{k-1})ᵀ · ∂L/∂h_T
    tanh RNN:  ∂h_k/∂h_{k-1} = diag(1 − h_k²) · W_hh

so its norm changes roughly geometrically with the distance ``T − t`` from the loss, at a rate
bounded by the largest singular value of ``W_hh`` (times the largest tanh slope, 1).

The fused ``nn.RNN/LSTM/GRU`` layers keep their per-step states inside one op, so the
measurement re-runs the same weights through the composed cells (``nn.RNNCell`` …) one step
at a time and keeps the gradient of every hidden state (``retain_grad``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy

from .. import nn
from .._tensor import Tensor

# fused-layer parameter name -> cell parameter name
_CELL_NAMES = {"weight_ih_l0": "weight_ih", "weight_hh_l0": "weight_hh", "bias_ih_l0": "bias_ih",
               "bias_hh_l0": "bias_hh", "weight_ci_l0": "weight_ci", "weight_cf_l0": "weight_cf",
               "weight_co_l0": "weight_co"}


def cell_sharing_weights(layer: nn.Module) -> nn.Module:
    """The cell (``nn.RNNCell``/``LSTMCell``/``GRUCell``) that computes one step of a
    one-layer, unidirectional fused layer, holding the very same Parameter objects."""
    if layer.num_layers != 1 or layer.bidirectional:
        raise ValueError(f"cell_sharing_weights: needs a 1-layer unidirectional layer, got {layer!r}")
    dtype = layer.weight_ih_l0.dtype
    if isinstance(layer, nn.LSTM):
        cell = nn.LSTMCell(layer.input_size, layer.hidden_size, peephole=layer.peephole, dtype=dtype)
    elif isinstance(layer, nn.GRU):
        cell = nn.GRUCell(layer.input_size, layer.hidden_size, dtype=dtype)
    elif isinstance(layer, nn.RNN):
        cell = nn.RNNCell(layer.input_size, layer.hidden_size, nonlinearity=layer.nonlinearity,
                          dtype=dtype)
    else:
        raise TypeError("cell_sharing_weights: expected nn.RNN, nn.LSTM or nn.GRU, got "
                        f"{type(layer).__name__}")
    for name, parameter in layer.named_parameters():
        setattr(cell, _CELL_NAMES[name], parameter)
    return cell.to(layer.weight_ih_l0.device)


def hidden_state_gradient_norms(cell: nn.Module, inputs: Tensor,
                                loss_of_last: Callable[[Tensor], Tensor]) -> numpy.ndarray:
    """‖∂L/∂h_t‖ (Frobenius norm over the batch) for every step, indexed by the distance
    ``T − 1 − t`` from the last step, where ``L = loss_of_last(h_{T-1})``.

    ``inputs`` is ``(N, T, input_size)``; the cell starts from zeros. Returns ``(T,)`` float64.
    """
    state: Any = None
    hidden_states = []
    for step in range(inputs.shape[1]):
        state = cell(inputs[:, step], state)
        hidden = state[0] if isinstance(state, tuple) else state
        hidden.retain_grad()
        hidden_states.append(hidden)
    loss_of_last(hidden_states[-1]).backward()
    norms = [float(numpy.linalg.norm(h.grad.numpy())) for h in hidden_states]
    return numpy.array(norms[::-1], dtype=numpy.float64)


def log_slope(norms: numpy.ndarray, max_distance: int | None = None) -> float:
    """Least-squares slope of ``ln ‖g_d‖`` against the distance ``d``: the per-step growth
    rate (``exp(slope)`` is the factor per step; negative vanishes, positive explodes)."""
    norms = numpy.asarray(norms[: None if max_distance is None else max_distance + 1], dtype=float)
    distances = numpy.arange(len(norms))
    keep = norms > 0
    return float(numpy.polyfit(distances[keep], numpy.log(norms[keep]), 1)[0])

