"""One recurrent layer and a linear read-out: the network the recurrent experiments compare.

``SequenceModel`` wraps a tanh RNN, LSTM, peephole LSTM or GRU (the fused ``nn`` layers, one
layer, batch first) and reads every step's hidden state out through one ``Linear``:

    h_t = cell(x_t, h_{t-1})        y_t = W h_t + b
"""

from __future__ import annotations

from typing import Any

from .. import nn
from .._tensor import Tensor
from ..nn import functional as F

ARCHITECTURES = ("rnn", "lstm", "peephole-lstm", "gru")
LABELS = {"rnn": "tanh RNN", "lstm": "LSTM", "peephole-lstm": "peephole LSTM", "gru": "GRU"}


def make_recurrent_layer(architecture: str, input_size: int, hidden_size: int) -> nn.Module:
    """A one-layer, batch-first recurrent layer of the named architecture."""
    if architecture == "rnn":
        return nn.RNN(input_size, hidden_size, nonlinearity="tanh", batch_first=True)
    if architecture in ("lstm", "peephole-lstm"):
        return nn.LSTM(input_size, hidden_size, batch_first=True,
                       peephole=architecture == "peephole-lstm")
    if architecture == "gru":
        return nn.GRU(input_size, hidden_size, batch_first=True)
    raise ValueError(f"make_recurrent_layer: unknown architecture {architecture!r}; "
                     f"expected one of {', '.join(ARCHITECTURES)}")


class SequenceModel(nn.Module):
    """Recurrent layer + linear read-out.

    Input ``(N, T, input_size)`` floats, or ``(N, T)`` int64 symbols when ``num_symbols`` is
    given (one-hot encoded). ``forward`` returns the read-out at every step ``(N, T, output)``,
    or only at the last step ``(N, output)`` with ``last_only=True``, and the final state.
    """

    def __init__(self, architecture: str, input_size: int, hidden_size: int, output_size: int,
                 num_symbols: int | None = None) -> None:
        super().__init__()
        self.architecture = architecture
        self.num_symbols = num_symbols
        self.recurrent = make_recurrent_layer(architecture, num_symbols or input_size, hidden_size)
        self.readout = nn.Linear(hidden_size, output_size)

    def forward(self, inputs: Tensor, state: Any = None, last_only: bool = False) -> tuple:
        if self.num_symbols is not None:
            inputs = F.one_hot(inputs, self.num_symbols).to(self.readout.weight.dtype)
        outputs, state = self.recurrent(inputs, state)
        if last_only:
            outputs = outputs[:, -1]
        return self.readout(outputs), state


def add_forget_bias(model: SequenceModel, value: float) -> None:
    """Add ``value`` to an LSTM's forget-gate bias (gates i, f, g, o): with a bias of 1 the
    forget gate starts near σ(1) ≈ 0.73 instead of 0.5, so the cell keeps its content longer
    and the gradient through it decays more slowly (Gers et al. 2000). No-op for RNN and GRU."""
    layer = model.recurrent
    if isinstance(layer, nn.LSTM) and value:
        hidden = layer.hidden_size
        layer.bias_ih_l0.array[hidden:2 * hidden] += value
