"""nn.RNNCell / nn.LSTMCell / nn.GRUCell against torch.nn, and the peephole LSTMCell."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import nnscratch as ns
import nnscratch.nn as nn
from harness import check_module, numeric_gradcheck

INPUT, HIDDEN = 3, 5
CELLS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]


def _pair(kind: str, **kwargs) -> tuple:
    if kind.startswith("rnn"):
        kwargs["nonlinearity"] = kind[4:]
        return nn.RNNCell(INPUT, HIDDEN, **kwargs), torch.nn.RNNCell(INPUT, HIDDEN, **kwargs)
    ours, theirs = {"lstm": (nn.LSTMCell, torch.nn.LSTMCell), "gru": (nn.GRUCell, torch.nn.GRUCell)}[kind]
    return ours(INPUT, HIDDEN, **kwargs), theirs(INPUT, HIDDEN, **kwargs)


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_cell_parity_with_pytorch(kind, batched, with_state, bias, rng):
    ours, theirs = _pair(kind, bias=bias)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    lead = (4,) if batched else ()
    x = rng.standard_normal((*lead, INPUT))
    if not with_state:
        check_module(ours, theirs, [x])
    elif kind == "lstm":
        h, c = rng.standard_normal((*lead, HIDDEN)), rng.standard_normal((*lead, HIDDEN))
        check_module(ours, theirs, [x, h, c], call=lambda m, x, h, c: m(x, (h, c)))
    else:
        check_module(ours, theirs, [x, rng.standard_normal((*lead, HIDDEN))])


def test_cells_are_the_nn_exports():
    import nnscratch.nn.rnn as rnn_module

    assert nn.LSTMCell is rnn_module.LSTMCell and nn.GRUCell is rnn_module.GRUCell
    assert nn.RNNCell is rnn_module.RNNCell


def _torch_peephole_cell(x, h, c, w_ih, w_hh, b_ih, b_hh, w_ci, w_cf, w_co):
    """Gers & Schmidhuber's peephole step with PyTorch ops (independent reference)."""
    i, f, g, o = (x @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, -1)
    i, f = torch.sigmoid(i + w_ci * c), torch.sigmoid(f + w_cf * c)
    c = f * c + i * torch.tanh(g)
    return torch.sigmoid(o + w_co * c) * torch.tanh(c), c


def test_peephole_cell_against_pytorch_reference(rng):
    cell = nn.LSTMCell(INPUT, HIDDEN, peephole=True).double()
    names = [n for n, _ in cell.named_parameters()]
    assert names == ["weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_ci", "weight_cf",
                     "weight_co"]
    x, h, c = (rng.standard_normal((4, n)) for n in (INPUT, HIDDEN, HIDDEN))
    inputs = [ns.tensor(a, requires_grad=True) for a in (x, h, c)]
    reference = [torch.tensor(a, requires_grad=True) for a in (x, h, c)]
    params = [torch.tensor(p.numpy(), requires_grad=True) for p in cell.parameters()]
    ours = cell(inputs[0], (inputs[1], inputs[2]))
    theirs = _torch_peephole_cell(*reference, *params)
    upstream = [rng.standard_normal((4, HIDDEN)) for _ in range(2)]
    sum((o * ns.tensor(g)).sum() for o, g in zip(ours, upstream)).backward()
    sum((t * torch.tensor(g)).sum() for t, g in zip(theirs, upstream)).backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    for a, b in zip([*inputs, *cell.parameters()], [*reference, *params]):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_peephole_cell_numeric_gradcheck(rng):
    cell = nn.LSTMCell(2, 2, peephole=True).double()
    arrays = [rng.standard_normal((3, 2)) for _ in range(3)]
    numeric_gradcheck(lambda x, h, c: cell(x, (h, c)), *arrays)


def test_peephole_cell_with_zero_peepholes_is_pytorch_cell(rng):
    ours, theirs = nn.LSTMCell(INPUT, HIDDEN, peephole=True), torch.nn.LSTMCell(INPUT, HIDDEN)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()},
                         strict=False)
    for name in ("weight_ci", "weight_cf", "weight_co"):
        getattr(ours, name).array[...] = 0
    x = rng.standard_normal((2, INPUT)).astype(np.float32)
    for a, b in zip(ours(ns.tensor(x)), theirs(torch.tensor(x))):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_unrolled_cell_backward_over_1000_steps(rng):
    cell = nn.GRUCell(2, 3)
    x = ns.tensor(rng.standard_normal((1000, 1, 2)).astype(np.float32), requires_grad=True)
    h = None
    for t in range(1000):
        h = cell(x[t], h)
    h.sum().backward()  # a graph 1000 steps deep: the engine must not recurse
    assert cell.weight_hh.grad is not None and np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("kind", CELLS)
def test_cell_errors_name_the_cell_and_sizes(kind):
    cell, _ = _pair(kind)
    name = type(cell).__name__
    with pytest.raises(ValueError, match=rf"{name}: Expected input to be 1D or 2D, got 3D"):
        cell(ns.zeros(1, 2, INPUT))
    with pytest.raises(RuntimeError, match=rf"{name}: input has inconsistent input_size: got 7"):
        cell(ns.zeros(2, 7))
    state = ns.zeros(3, HIDDEN)
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match"):
        cell(ns.zeros(2, INPUT), (state, state) if kind == "lstm" else state)
    state = ns.zeros(2, HIDDEN + 1)
    with pytest.raises(RuntimeError, match=f"inconsistent hidden_size: got {HIDDEN + 1}"):
        cell(ns.zeros(2, INPUT), (state, state) if kind == "lstm" else state)


def test_repr():
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"
    assert repr(nn.LSTMCell(3, 4, bias=False, peephole=True)) == "LSTMCell(3, 4, bias=False, peephole=True)"
