"""Fused recurrent kernels (ops/recurrent*.py) against the composed cells unrolled over time,
against PyTorch-composed references (peephole LSTM), and against finite differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import nnscratch as ns
import nnscratch.nn as nn
from harness import numeric_gradcheck
from nnscratch.ops.recurrent import BatchOrder, PackedToPadded, PaddedToPacked
from nnscratch.ops.recurrent_gru import GRUSequence
from nnscratch.ops.recurrent_lstm import LSTMSequence
from nnscratch.ops.recurrent_rnn import RNNSequence

STEPS, BATCH, INPUT, HIDDEN = 5, 4, 3, 4
KINDS = {"tanh": 1, "relu": 1, "lstm": 4, "gru": 3}


def _weights(kind: str, rng: np.random.Generator, bias: bool = True, peephole: bool = False) -> list:
    rows = KINDS[kind] * HIDDEN
    shapes = [(rows, INPUT), (rows, HIDDEN)] + ([(rows,), (rows,)] if bias else [])
    weights = [rng.uniform(-0.7, 0.7, shape) for shape in shapes]
    if not bias:
        weights += [None, None]
    if peephole:
        weights += [rng.uniform(-0.7, 0.7, HIDDEN) for _ in range(3)]
    return weights


def _leaves(arrays: list) -> list:
    return [None if a is None else ns.tensor(a, requires_grad=True) for a in arrays]


def _fused(kind, x, states, weights, reverse, lengths):
    """(outputs…) of the fused kernel on tensors."""
    options = dict(reverse=reverse, lengths=lengths)
    if kind == "lstm":
        peephole = weights[4:] if len(weights) > 4 else [None, None, None]
        return LSTMSequence.apply(x, *states, *weights[:4], *peephole, **options)
    if kind == "gru":
        return GRUSequence.apply(x, *states, *weights, **options)
    return RNNSequence.apply(x, *states, *weights, nonlinearity=kind, **options)


def _cell(kind: str, weights: list, peephole: bool = False):
    """A composed cell whose parameters ARE the given leaf tensors (grads land on them)."""
    bias = weights[2] is not None
    if kind == "lstm":
        cell = nn.LSTMCell(INPUT, HIDDEN, bias=bias, peephole=peephole)
    elif kind == "gru":
        cell = nn.GRUCell(INPUT, HIDDEN, bias=bias)
    else:
        cell = nn.RNNCell(INPUT, HIDDEN, bias=bias, nonlinearity=kind)
    names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_ci", "weight_cf", "weight_co"]
    for name, tensor in zip(names, weights):
        if tensor is not None:
            cell._parameters[name] = tensor
    return cell


def _unrolled(kind, x, states, weights, reverse, lengths, peephole=False):
    """Reference: the composed cell stepped by hand, element by element for its own length."""
    cell = _cell(kind, weights, peephole)
    steps, batch = x.shape[0], x.shape[1]
    lengths = [steps] * batch if lengths is None else lengths
    outputs, finals = [], [[] for _ in states]
    for b in range(batch):
        state = [s[b:b + 1] for s in states]
        column = [None] * steps
        order = range(lengths[b] - 1, -1, -1) if reverse else range(lengths[b])
        for t in order:
            result = cell(x[t, b:b + 1], tuple(state) if kind == "lstm" else state[0])
            state = list(result) if kind == "lstm" else [result]
            column[t] = state[0]
        zero = ns.zeros(1, HIDDEN, dtype=x.dtype)
        outputs.append(ns.stack([zero if c is None else c for c in column], dim=0))
        for k, s in enumerate(state):
            finals[k].append(s)
    return (ns.cat(outputs, dim=1), *[ns.cat(f, dim=0) for f in finals])


def _run_both(kind, reverse, lengths, bias=True, peephole=False, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((STEPS, BATCH, INPUT))
    states = [rng.standard_normal((BATCH, HIDDEN)) for _ in range(2 if kind == "lstm" else 1)]
    weights = _weights(kind, rng, bias, peephole)
    results = []
    for run in (_fused, _unrolled):
        leaves = _leaves([x, *states, *weights])
        tx, tstates, tweights = leaves[0], leaves[1:1 + len(states)], leaves[1 + len(states):]
        extra = {"peephole": peephole} if run is _unrolled else {}
        outputs = run(kind, tx, tstates, tweights, reverse, lengths, **extra)
        upstream = np.random.default_rng(seed + 1)
        loss = sum((o * ns.tensor(upstream.standard_normal(o.shape))).sum() for o in outputs)
        loss.backward()
        results.append(([o.numpy() for o in outputs], [None if t is None else t.grad for t in leaves]))
    return results


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("lengths", [None, [5, 2, 4, 1], [3, 3, 1, 0]])
def test_fused_kernel_equals_unrolled_cells(kind, reverse, lengths):
    (fused_out, fused_grads), (ref_out, ref_grads) = _run_both(kind, reverse, lengths)
    for a, b in zip(fused_out, ref_out):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    for k, (a, b) in enumerate(zip(fused_grads, ref_grads)):
        if b is None:
            continue
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"grad {k}")


@pytest.mark.parametrize("kind", ["lstm", "gru", "tanh"])
def test_fused_kernel_without_bias(kind):
    (fused_out, fused_grads), (ref_out, ref_grads) = _run_both(kind, False, [4, 5, 2, 3], bias=False)
    for a, b in zip(fused_out, ref_out):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    for a, b in zip(fused_grads, ref_grads):
        if b is not None:
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reverse", [False, True])
def test_peephole_kernel_equals_unrolled_peephole_cell(reverse):
    (fused_out, fused_grads), (ref_out, ref_grads) = _run_both("lstm", reverse, [5, 3, 4, 2],
                                                               peephole=True)
    for a, b in zip(fused_out, ref_out):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    for a, b in zip(fused_grads, ref_grads):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)


def _torch_peephole_lstm(x, h, c, w_ih, w_hh, b_ih, b_hh, w_ci, w_cf, w_co):
    """Gers & Schmidhuber peephole LSTM written with PyTorch ops (an independent reference)."""
    outputs = []
    for t in range(x.shape[0]):
        i, f, g, o = (x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, 1)
        i = torch.sigmoid(i + w_ci * c)
        f = torch.sigmoid(f + w_cf * c)
        c = f * c + i * torch.tanh(g)
        o = torch.sigmoid(o + w_co * c)
        h = o * torch.tanh(c)
        outputs.append(h)
    return torch.stack(outputs), h, c


def test_peephole_kernel_equals_pytorch_composed_reference():
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((STEPS, BATCH, INPUT)), rng.standard_normal((BATCH, HIDDEN)),
              rng.standard_normal((BATCH, HIDDEN)), *_weights("lstm", rng, peephole=True)]
    ours = _leaves(arrays)
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = LSTMSequence.apply(*ours)
    expected = _torch_peephole_lstm(*theirs)
    upstream = [rng.standard_normal(e.shape) for e in expected]
    sum((o * ns.tensor(g)).sum() for o, g in zip(out, upstream)).backward()
    sum((e * torch.tensor(g)).sum() for e, g in zip(expected, upstream)).backward()
    for a, b in zip(out, expected):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"grad of input {k}")


def test_peephole_kernel_numeric_gradcheck():
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal((3, 2, 2)), rng.standard_normal((2, 2)),
              rng.standard_normal((2, 2)), *[rng.uniform(-0.8, 0.8, s) for s in
                                             [(8, 2), (8, 2), (8,), (8,), (2,), (2,), (2,)]]]
    numeric_gradcheck(lambda *t: LSTMSequence.apply(*t, reverse=True, lengths=[3, 2]), *arrays)


@pytest.mark.parametrize("kind", ["gru", "relu"])
def test_kernel_numeric_gradcheck(kind):
    rng = np.random.default_rng(5)
    rows = KINDS[kind] * 2
    arrays = [rng.standard_normal((3, 2, 2)), rng.standard_normal((2, 2)),
              *[rng.uniform(-0.8, 0.8, s) for s in [(rows, 2), (rows, 2), (rows,), (rows,)]]]
    numeric_gradcheck(lambda *t: _fused(kind, t[0], t[1:2], list(t[2:]), False, [2, 3]), *arrays)


def test_input_without_grad_gets_none_and_float32_is_kept():
    rng = np.random.default_rng(6)
    x = ns.tensor(rng.standard_normal((STEPS, BATCH, INPUT)).astype(np.float32))
    h0 = ns.zeros(BATCH, HIDDEN)
    weights = _leaves([w.astype(np.float32) for w in _weights("gru", rng)])
    out, h_n = GRUSequence.apply(x, h0, *weights)
    assert out.dtype == ns.float32 and h_n.dtype == ns.float32
    (out.sum() + h_n.sum()).backward()
    assert x.grad is None and h0.grad is None
    assert all(w.grad.dtype == ns.float32 for w in weights)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("bias", [True, False])
def test_inference_path_equals_training_path(kind, bias):
    """Without a graph the kernels keep less; the results must not change."""
    rng = np.random.default_rng(7)
    states = [rng.standard_normal((BATCH, HIDDEN)) for _ in range(2 if kind == "lstm" else 1)]
    arrays = [rng.standard_normal((STEPS, BATCH, INPUT)), *states]
    weights = _weights(kind, rng, bias)
    with ns.no_grad():
        out = _fused(kind, *_split(_leaves(arrays + weights), len(states)), False, [5, 2, 4, 1])
    assert not any(o.requires_grad for o in out)
    expected = _fused(kind, *_split(_leaves(arrays + weights), len(states)), False, [5, 2, 4, 1])
    assert all(o.requires_grad for o in expected)
    for a, b in zip(out, expected):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def _split(leaves: list, n_states: int) -> tuple:
    return leaves[0], leaves[1:1 + n_states], leaves[1 + n_states:]


def test_batch_order_sizes_and_permutation():
    order = BatchOrder([2, 5, 0, 3], 5, 4, np)
    assert order.batch_sizes == [3, 3, 2, 1, 1]
    assert order.permutation.tolist() == [1, 3, 0, 2]
    assert BatchOrder([5, 5], 5, 2, np).batch_sizes is None
    with pytest.raises(ValueError, match="lengths"):
        BatchOrder([6, 1], 5, 2, np)


def test_packed_padded_round_trip_with_gradient():
    rng = np.random.default_rng(8)
    batch_sizes = [3, 2, 2, 1]
    data = ns.tensor(rng.standard_normal((8, 2)), requires_grad=True)
    padded = PackedToPadded.apply(data, batch_sizes=batch_sizes, padding_value=-1.0)
    assert padded.shape == (4, 3, 2)
    assert padded.numpy()[3, 1:].tolist() == [[-1.0, -1.0], [-1.0, -1.0]]
    back = PaddedToPacked.apply(padded, batch_sizes=batch_sizes)
    np.testing.assert_array_equal(back.numpy(), data.numpy())
    upstream = rng.standard_normal((8, 2))
    (back * ns.tensor(upstream)).sum().backward()
    np.testing.assert_array_equal(data.grad.numpy(), upstream)


@pytest.mark.parametrize("kind", list(KINDS))
def test_backward_twice_with_retain_graph_accumulates(kind):
    """backward must not overwrite what forward saved: a second pass gives the same grads."""
    rng = np.random.default_rng(9)
    x = ns.tensor(rng.standard_normal((STEPS, BATCH, INPUT)), requires_grad=True)
    states = [ns.tensor(rng.standard_normal((BATCH, HIDDEN))) for _ in range(2 if kind == "lstm" else 1)]
    weights = _leaves(_weights(kind, rng))
    outputs = _fused(kind, x, states, weights, True, [5, 3, 4, 2])
    loss = sum((o * ns.tensor(rng.standard_normal(o.shape))).sum() for o in outputs)
    loss.backward(retain_graph=True)
    first = [x.grad.numpy().copy()] + [w.grad.numpy().copy() for w in weights]
    loss.backward()
    second = [x.grad.numpy()] + [w.grad.numpy() for w in weights]
    for a, b in zip(first, second):
        np.testing.assert_allclose(b, 2 * a, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_saturated_gates_match_pytorch_without_warnings(kind, rng):
    """Pre-activations of ±hundreds (e^-a overflows inside the sigmoid) give PyTorch's outputs
    and gradients, with no overflow warning: the gates are exactly 0 or 1 where they saturate."""
    weights = [w * 300 for w in _weights(kind, rng)]
    x = rng.standard_normal((STEPS, BATCH, INPUT))
    states = [rng.standard_normal((BATCH, HIDDEN)) for _ in range(2 if kind == "lstm" else 1)]
    leaves = _leaves([x, *states, *weights])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outputs = _fused(kind, leaves[0], leaves[1:len(states) + 1], leaves[len(states) + 1:],
                         False, None)
        sum(o.sum() for o in outputs).backward()

    layer = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(INPUT, HIDDEN, dtype=torch.float64)
    with torch.no_grad():
        for parameter, w in zip(layer.parameters(), weights):
            parameter.copy_(torch.from_numpy(w))
    tx = torch.from_numpy(x).requires_grad_()
    tstates = [torch.from_numpy(s)[None].requires_grad_() for s in states]
    out, final = layer(tx, tuple(tstates) if kind == "lstm" else tstates[0])
    finals = list(final) if kind == "lstm" else [final]
    sum(t.sum() for t in [out, *finals]).backward()
    for ours, theirs in zip(outputs, [out, *finals]):
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy().reshape(ours.shape),
                                   rtol=1e-10, atol=1e-12)
    for leaf, theirs in zip(leaves, [tx, *tstates, *layer.parameters()]):
        np.testing.assert_allclose(leaf.grad.numpy(), theirs.grad.numpy().reshape(leaf.shape),
                                   rtol=1e-8, atol=1e-9)
