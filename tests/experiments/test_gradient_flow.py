"""Per-step hidden-state gradients: against PyTorch and against the closed form s^d."""

import math

import numpy as np
import pytest
import torch

import nnscratch as ns
import nnscratch.nn as nn
import nnscratch.nn.functional as F
from nnscratch.experiments.gradient_flow import (
    cell_sharing_weights,
    hidden_state_gradient_norms,
    log_slope,
)


@pytest.mark.parametrize("layer_type", ["RNN", "LSTM", "GRU", "peephole"])
def test_cell_sharing_weights_steps_like_the_fused_layer(layer_type):
    if layer_type == "peephole":
        layer = nn.LSTM(3, 5, batch_first=True, peephole=True, dtype=ns.float64)
    else:
        layer = getattr(nn, layer_type)(3, 5, batch_first=True, dtype=ns.float64)
    cell = cell_sharing_weights(layer)
    assert {id(p) for p in cell.parameters()} == {id(p) for p in layer.parameters()}
    x = ns.randn(4, 7, 3, dtype=ns.float64)
    expected, _ = layer(x)
    state = None
    for step in range(7):
        state = cell(x[:, step], state)
        hidden = state[0] if isinstance(state, tuple) else state
        np.testing.assert_allclose(hidden.numpy(), expected[:, step].numpy(), rtol=1e-12, atol=1e-12)


def test_cell_sharing_weights_refuses_stacked_layers():
    with pytest.raises(ValueError, match="cell_sharing_weights"):
        cell_sharing_weights(nn.GRU(3, 4, num_layers=2))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_hidden_state_gradient_norms_match_pytorch(kind, rng):
    layer = getattr(nn, kind)(3, 6, batch_first=True, dtype=ns.float64)
    readout = nn.Linear(6, 1, dtype=ns.float64)
    x = rng.standard_normal((5, 9, 3))
    y = rng.standard_normal((5, 1))
    norms = hidden_state_gradient_norms(cell_sharing_weights(layer), ns.tensor(x),
                                        lambda h: F.mse_loss(readout(h), ns.tensor(y)))

    torch_cell = getattr(torch.nn, f"{kind}Cell")(3, 6).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(torch_cell, name).copy_(torch.from_numpy(getattr(layer, f"{name}_l0").numpy()))
    weight = torch.from_numpy(readout.weight.numpy())
    bias = torch.from_numpy(readout.bias.numpy())
    state, hidden_states = None, []
    tx = torch.from_numpy(x)
    for step in range(9):
        state = torch_cell(tx[:, step], state)
        hidden = state[0] if isinstance(state, tuple) else state
        hidden.retain_grad()
        hidden_states.append(hidden)
    torch.nn.functional.mse_loss(hidden_states[-1] @ weight.T + bias, torch.from_numpy(y)).backward()
    expected = [h.grad.norm().item() for h in hidden_states][::-1]
    np.testing.assert_allclose(norms, expected, rtol=1e-10)


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0])
def test_gradient_norm_is_s_to_the_distance_in_the_linear_regime(scale):
    # zero inputs and biases keep h_t = 0, where tanh' = 1: the Jacobian of a step is exactly
    # W_hh = s·Q (Q orthogonal), so ‖∂L/∂h_{T-1-d}‖ = s^d ‖∂L/∂h_{T-1}‖
    cell = nn.RNNCell(2, 8, dtype=ns.float64)
    nn.init.orthogonal_(cell.weight_hh)
    cell.weight_hh.array[...] *= scale
    nn.init.zeros_(cell.bias_ih)
    nn.init.zeros_(cell.bias_hh)
    readout = nn.Linear(8, 1, dtype=ns.float64)
    target = ns.ones(3, 1, dtype=ns.float64)
    norms = hidden_state_gradient_norms(cell, ns.zeros(3, 20, 2, dtype=ns.float64),
                                        lambda h: F.mse_loss(readout(h), target))
    np.testing.assert_allclose(norms / norms[0], scale ** np.arange(20), rtol=1e-9)
    assert log_slope(norms) == pytest.approx(math.log(scale), abs=1e-9)


def test_log_slope_of_a_geometric_sequence():
    assert log_slope(3.0 * 0.8 ** np.arange(30)) == pytest.approx(math.log(0.8))
    assert log_slope(2.0 ** np.arange(30), max_distance=10) == pytest.approx(math.log(2.0))
    # zeros (an underflowed gradient) are left out instead of giving -inf
    assert log_slope(np.array([1.0, 0.5, 0.25, 0.0])) == pytest.approx(math.log(0.5))
