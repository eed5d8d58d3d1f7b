"""SequenceModel (models/recurrent_readout.py) against a PyTorch twin; the forget-gate bias."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from harness import check_module
from nnscratch.models.recurrent_readout import SequenceModel, add_forget_bias, make_recurrent_layer

TORCH_LAYERS = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


class TorchSequenceModel(torch.nn.Module):
    def __init__(self, architecture, input_size, hidden, output, num_symbols=None):
        super().__init__()
        self.num_symbols = num_symbols
        self.recurrent = TORCH_LAYERS[architecture](num_symbols or input_size, hidden, batch_first=True)
        self.readout = torch.nn.Linear(hidden, output)

    def forward(self, inputs, state=None, last_only=False):
        if self.num_symbols is not None:
            inputs = torch.nn.functional.one_hot(inputs, self.num_symbols).to(self.readout.weight.dtype)
        outputs, state = self.recurrent(inputs, state)
        return self.readout(outputs[:, -1] if last_only else outputs), state


@settings(max_examples=6, deadline=None)
@given(architecture=st.sampled_from(sorted(TORCH_LAYERS)), batch=st.integers(1, 3),
       steps=st.integers(1, 4), last_only=st.booleans())
def test_equals_a_recurrent_layer_and_a_linear_read_out(architecture, batch, steps, last_only):
    inputs = np.random.default_rng(steps).standard_normal((batch, steps, 3))
    check_module(SequenceModel(architecture, 3, 5, 2), TorchSequenceModel(architecture, 3, 5, 2),
                 [inputs], dtypes=("float64",),
                 call=lambda module, x: module(x, last_only=last_only))


def test_symbols_are_one_hot_encoded():
    symbols = np.random.default_rng(0).integers(0, 4, (2, 5))
    check_module(SequenceModel("gru", 0, 6, 3, num_symbols=4), TorchSequenceModel("gru", 0, 6, 3, 4),
                 [symbols], dtypes=("float64",))


def test_forget_bias_moves_only_the_lstm_forget_gate():
    model = SequenceModel("lstm", 2, 4, 1)
    before = model.recurrent.bias_ih_l0.numpy().copy()
    add_forget_bias(model, 1.0)
    difference = model.recurrent.bias_ih_l0.numpy() - before
    np.testing.assert_allclose(difference, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    gru = SequenceModel("gru", 2, 4, 1)
    untouched = gru.recurrent.bias_ih_l0.numpy().copy()
    add_forget_bias(gru, 1.0)
    np.testing.assert_array_equal(gru.recurrent.bias_ih_l0.numpy(), untouched)


def test_an_unknown_architecture_is_named():
    with pytest.raises(ValueError, match="make_recurrent_layer: unknown architecture 'lstn'.*gru"):
        make_recurrent_layer("lstn", 2, 3)
