"""nn.RNN / nn.LSTM / nn.GRU against torch.nn: outputs, final states and every gradient."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import nnscratch as ns
import nnscratch.nn as nn
import nnscratch.nn.utils.rnn as ns_rnn_utils
from harness import check_module, copy_weights

MODES = ["lstm", "gru", "rnn_tanh", "rnn_relu"]
INPUT, HIDDEN = 3, 4


def _pair(mode: str, *args, **kwargs) -> tuple:
    """(nnscratch layer, torch layer) built with the same arguments."""
    if mode.startswith("rnn"):
        kwargs["nonlinearity"] = mode[4:]
        return nn.RNN(*args, **kwargs), torch.nn.RNN(*args, **kwargs)
    ours, theirs = {"lstm": (nn.LSTM, torch.nn.LSTM), "gru": (nn.GRU, torch.nn.GRU)}[mode]
    return ours(*args, **kwargs), theirs(*args, **kwargs)


def _call_with_state(mode: str):
    """A call for check_module that passes the initial state(s) PyTorch's way."""
    if mode == "lstm":
        return lambda module, x, h, c: module(x, (h, c))
    return lambda module, x, h: module(x, h)


def _states(mode, rng, layers, batch):
    shape = (layers, batch, HIDDEN) if batch else (layers, HIDDEN)
    return [rng.standard_normal(shape) for _ in range(2 if mode == "lstm" else 1)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("num_layers,bidirectional,batch_first", [
    (1, False, False), (1, True, False), (2, True, False), (2, False, True), (3, True, True),
])
@pytest.mark.parametrize("with_state", [False, True])
def test_parity_with_pytorch(mode, num_layers, bidirectional, batch_first, with_state, rng):
    ours, theirs = _pair(mode, INPUT, HIDDEN, num_layers, bidirectional=bidirectional,
                         batch_first=batch_first)
    steps, batch = 5, 3
    x = rng.standard_normal((batch, steps, INPUT) if batch_first else (steps, batch, INPUT))
    if with_state:
        states = _states(mode, rng, num_layers * (2 if bidirectional else 1), batch)
        check_module(ours, theirs, [x, *states], call=_call_with_state(mode))
    else:
        check_module(ours, theirs, [x])


@pytest.mark.parametrize("mode", MODES)
def test_without_bias(mode, rng):
    ours, theirs = _pair(mode, INPUT, HIDDEN, 2, bias=False, bidirectional=True)
    assert not any("bias" in name for name, _ in ours.named_parameters())
    x = rng.standard_normal((4, 2, INPUT))
    check_module(ours, theirs, [x, *_states(mode, rng, 4, 2)], call=_call_with_state(mode))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("steps,batch", [(1, 1), (1, 3), (4, 1)])
def test_length_one_and_batch_one(mode, steps, batch, rng):
    ours, theirs = _pair(mode, INPUT, HIDDEN, 2, bidirectional=True)
    check_module(ours, theirs, [rng.standard_normal((steps, batch, INPUT))])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("with_state", [False, True])
def test_unbatched_input(mode, with_state, rng):
    ours, theirs = _pair(mode, INPUT, HIDDEN, 2, bidirectional=True)
    x = rng.standard_normal((5, INPUT))
    if with_state:
        check_module(ours, theirs, [x, *_states(mode, rng, 4, 0)], call=_call_with_state(mode))
    else:
        check_module(ours, theirs, [x])


def _packed_call(pack, lengths, enforce_sorted, batch_first, mode, with_state):
    def call(module, x, *states):
        packed = pack(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
        if not states:
            out, final = module(packed)
        else:
            out, final = module(packed, tuple(states) if mode == "lstm" else states[0])
        final = final if isinstance(final, tuple) else (final,)
        return (out.data, *final)
    return call


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lengths,enforce_sorted", [([5, 2, 4, 1], False), ([5, 4, 2, 2], True)])
def test_packed_input(mode, lengths, enforce_sorted, rng):
    ours, theirs = _pair(mode, INPUT, HIDDEN, 2, bidirectional=True, batch_first=True)
    x = rng.standard_normal((4, 5, INPUT))
    states = _states(mode, rng, 4, 4)
    for pack, module in ((ns_rnn_utils.pack_padded_sequence, ours),
                         (torch.nn.utils.rnn.pack_padded_sequence, theirs)):
        module._pack = _packed_call(pack, lengths, enforce_sorted, True, mode, True)
    check_module(ours, theirs, [x, *states], call=lambda module, *args: module._pack(module, *args))


def test_packed_output_is_packed_sequence_and_pads_back(rng):
    ours, theirs = _pair("lstm", INPUT, HIDDEN, 1)
    copy_weights(ours, theirs)
    lengths = [2, 5, 3]
    x = rng.standard_normal((5, 3, INPUT)).astype(np.float32)
    out, (h_n, c_n) = ours(ns_rnn_utils.pack_padded_sequence(ns.tensor(x), lengths,
                                                             enforce_sorted=False))
    assert isinstance(out, ns_rnn_utils.PackedSequence)
    padded, out_lengths = ns_rnn_utils.pad_packed_sequence(out)
    expected, (t_h, t_c) = theirs(torch.nn.utils.rnn.pack_padded_sequence(
        torch.tensor(x), lengths, enforce_sorted=False))
    t_padded, _ = torch.nn.utils.rnn.pad_packed_sequence(expected)
    assert out_lengths.tolist() == lengths
    np.testing.assert_allclose(padded.numpy(), t_padded.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h_n.numpy(), t_h.detach().numpy(), rtol=1e-5, atol=1e-6)
    # the final state of each sequence is the one at its own last step
    for b, length in enumerate(lengths):
        np.testing.assert_allclose(h_n.numpy()[0, b], padded.numpy()[length - 1, b], rtol=1e-6)


@pytest.mark.parametrize("mode", MODES)
def test_pytorch_state_dict_loads_and_gives_same_outputs(mode, rng):
    ours, theirs = _pair(mode, INPUT, HIDDEN, 2, bidirectional=True)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (name, p), (t_name, t_p) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == t_name and tuple(p.shape) == tuple(t_p.shape)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((4, 2, INPUT)).astype(np.float32)
    out, _ = ours(ns.tensor(x))
    expected, _ = theirs(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_peephole_parameters_named_and_ordered():
    layer = nn.LSTM(INPUT, HIDDEN, 2, bidirectional=True, peephole=True)
    names = [name for name, _ in layer.named_parameters()]
    assert names[:14] == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
        "weight_ci_l0", "weight_cf_l0", "weight_co_l0",
        "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse",
        "bias_hh_l0_reverse", "weight_ci_l0_reverse", "weight_cf_l0_reverse",
        "weight_co_l0_reverse",
    ]
    assert len(names) == 28 and layer.weight_co_l1_reverse.shape == (HIDDEN,)
    bound = 1 / np.sqrt(HIDDEN)
    assert all(np.abs(p.numpy()).max() <= bound for p in layer.parameters())
    assert np.abs(layer.weight_ci_l0.numpy()).max() > 0


def test_peephole_with_zero_weights_is_pytorch_lstm(rng):
    ours = nn.LSTM(INPUT, HIDDEN, 2, bidirectional=True, peephole=True)
    theirs = torch.nn.LSTM(INPUT, HIDDEN, 2, bidirectional=True)
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state, strict=False)
    for name, p in ours.named_parameters():
        if name.startswith("weight_c"):
            p.array[...] = 0
    x = rng.standard_normal((5, 3, INPUT)).astype(np.float32)
    tx, nx = torch.tensor(x, requires_grad=True), ns.tensor(x, requires_grad=True)
    out, (h, c) = ours(nx)
    t_out, (t_h, t_c) = theirs(tx)
    for a, b in ((out, t_out), (h, t_h), (c, t_c)):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    (out.sum() + h.sum() + c.sum()).backward()
    (t_out.sum() + t_h.sum() + t_c.sum()).backward()
    np.testing.assert_allclose(nx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    torch_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        if name in torch_params:
            np.testing.assert_allclose(p.grad.numpy(), torch_params[name].grad.numpy(),
                                       rtol=1e-5, atol=1e-5, err_msg=name)


def test_dropout_between_layers(rng):
    ours, theirs = _pair("lstm", INPUT, HIDDEN, 3, dropout=0.5)
    x = rng.standard_normal((4, 2, INPUT))
    ours.eval(), theirs.eval()
    check_module(ours, theirs, [x])  # evaluation: no dropout, exactly PyTorch
    ours.train()
    ours.double()
    nx = ns.tensor(x)
    clean, _ = ours.eval()(nx)
    ns.manual_seed(5)
    first, (h_first, _) = ours.train()(nx)
    ns.manual_seed(5)
    again, _ = ours(nx)
    _, (h_clean, _) = ours.eval()(nx)
    np.testing.assert_array_equal(first.numpy(), again.numpy())  # the library seed decides
    assert not np.allclose(first.numpy(), clean.numpy())
    # the first layer's final state comes before any dropout
    np.testing.assert_allclose(h_first.numpy()[0], h_clean.numpy()[0], rtol=1e-12)
    first.sum().backward()
    assert all(p.grad is not None for p in ours.parameters())


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.GRU(INPUT, HIDDEN, 1, dropout=0.3)


def test_default_init_is_seeded_uniform():
    ns.manual_seed(11)
    a = nn.GRU(INPUT, 16, 2)
    ns.manual_seed(11)
    b = nn.GRU(INPUT, 16, 2)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
        assert p.dtype == ns.float32 and np.abs(p.numpy()).max() <= 0.25
    values = np.concatenate([p.numpy().ravel() for p in a.parameters()])
    assert values.std() > 0.1  # spread over (-1/4, 1/4), std of U is 0.144


def test_long_sequence_backward(rng):
    layer = nn.LSTM(2, 3)
    x = ns.tensor(rng.standard_normal((1000, 2, 2)).astype(np.float32), requires_grad=True)
    out, (h, c) = layer(x)
    (out.sum() + c.sum()).backward()
    assert np.isfinite(x.grad.numpy()).all() and np.abs(x.grad.numpy()[0]).sum() > 0


def test_repr():
    assert repr(nn.LSTM(3, 4, 2, batch_first=True, bidirectional=True, bias=False)) == (
        "LSTM(3, 4, num_layers=2, bias=False, batch_first=True, bidirectional=True)")
    assert repr(nn.RNN(3, 4, nonlinearity="relu")) == "RNN(3, 4, nonlinearity=relu)"
    assert repr(nn.LSTM(3, 4, peephole=True)) == "LSTM(3, 4, peephole=True)"


@pytest.mark.parametrize("mode", MODES)
def test_errors_name_the_layer_and_shapes(mode):
    layer, _ = _pair(mode, INPUT, HIDDEN, 2)
    name = type(layer).__name__
    with pytest.raises(RuntimeError, match=rf"{name}.*input_size. Expected 3, got 5"):
        layer(ns.zeros(4, 2, 5))
    with pytest.raises(ValueError, match=rf"{name}: Expected input to be 2D or 3D, got 4D"):
        layer(ns.zeros(4, 2, 3, 1))
    wrong = ns.zeros(1, 2, HIDDEN)  # num_layers is 2
    state = (wrong, wrong) if mode == "lstm" else wrong
    with pytest.raises(RuntimeError, match=r"Expected hidden(\[0\])? size \(2, 2, 4\), got \[1, 2, 4\]"):
        layer(ns.zeros(4, 2, 3), state)
    flat = ns.zeros(2, HIDDEN)
    with pytest.raises(RuntimeError, match="hx should also be 3-D"):
        layer(ns.zeros(4, 2, 3), (flat, flat) if mode == "lstm" else flat)
    with pytest.raises(ValueError, match="input must have the type"):
        layer(ns.zeros(4, 2, 3, dtype=ns.float64))


def test_constructor_errors():
    with pytest.raises(ValueError, match="dropout should be a number"):
        nn.LSTM(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.GRU(3, 0)
    with pytest.raises(TypeError, match="hidden_size should be of type int"):
        nn.GRU(3, 4.0)
    with pytest.raises(ValueError, match="proj_size"):
        nn.LSTM(3, 4, proj_size=2)
