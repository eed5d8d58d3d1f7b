"""Recurrent layers ``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` (and, re-exported, their cells).

Each layer and direction runs as one fused sequence kernel (``ops/recurrent_*.py``); the
layers stack them, concatenate the two directions, apply dropout between layers and handle
PyTorch's input forms. Shapes (L = sequence length, N = batch, D = 2 if bidirectional else 1):

==========  ================================================================================
input       (L, N, H_in), (N, L, H_in) if ``batch_first``, (L, H_in) unbatched, or a
            PackedSequence
h_0 (c_0)   (num_layers·D, N, H_out) — never batch-first — or (num_layers·D, H_out)
            unbatched; zeros when not given
output      (L, N, D·H_out) (batch-first as the input), or a PackedSequence
h_n (c_n)   (num_layers·D, N, H_out): the final states, layer by layer, forward then reverse
==========  ================================================================================

Parameters keep PyTorch's names and layouts, so a PyTorch state dict loads:
``weight_ih_l{k}[_reverse]`` (G·H, in), ``weight_hh_l{k}[_reverse]`` (G·H, H),
``bias_ih_l{k}[_reverse]``, ``bias_hh_l{k}[_reverse]`` (G·H,) with G = 1 (RNN), 4 (LSTM:
i, f, g, o), 3 (GRU: r, z, n); a peephole LSTM adds ``weight_c{i,f,o}_l{k}[_reverse]`` (H,)
after that layer/direction's ``bias_hh``.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy

from .. import backend, creation, functional
from .._tensor import Tensor
from ..ops.dropout import Dropout
from ..ops.recurrent import PackedToPadded, PaddedToPacked
from ..ops.recurrent_gru import GRUSequence
from ..ops.recurrent_lstm import LSTMSequence
from ..ops.recurrent_rnn import RNNSequence
from .module import Module
from .parameter import Parameter
from .rnn_cells import GRUCell, LSTMCell, RNNCell, RNNCellBase
from .utils.rnn import PackedSequence

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters, input checks, layers and directions."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None, peephole: bool = False) -> None:
        super().__init__()
        name = type(self).__name__
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError(
                f"{name}: dropout should be a number in range [0, 1] representing the "
                f"probability of an element being zeroed, got {dropout!r}"
            )
        for what, value in (("input_size", input_size), ("hidden_size", hidden_size),
                            ("num_layers", num_layers)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name}: {what} should be of type int, got: {type(value).__name__}")
            if value <= 0:
                raise ValueError(f"{name}: {what} must be greater than zero, got {value}")
        if proj_size:
            raise ValueError(f"{name}: proj_size is not supported (got proj_size={proj_size})")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}", stacklevel=2)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = 0
        self.peephole = peephole
        directions = 2 if bidirectional else 1
        rows = _GATES[mode] * hidden_size
        options = dict(dtype=dtype or backend.get_default_dtype(), device=device)
        self._flat_weights_names: list = []
        self._all_weights: list = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [(f"weight_ih{suffix}", (rows, layer_input)),
                          (f"weight_hh{suffix}", (rows, hidden_size))]
                if bias:
                    shapes += [(f"bias_ih{suffix}", (rows,)), (f"bias_hh{suffix}", (rows,))]
                if peephole:
                    shapes += [(f"weight_c{gate}{suffix}", (hidden_size,)) for gate in "ifo"]
                for param_name, shape in shapes:
                    setattr(self, param_name, Parameter(creation.empty(*shape, **options)))
                names = [param_name for param_name, _ in shapes]
                self._flat_weights_names += names
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight ~ U(-1/√H, 1/√H) from the library's generator, as PyTorch."""
        from . import init

        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def flatten_parameters(self) -> None:
        """PyTorch's cuDNN weight compaction; nothing to do here."""

    @property
    def all_weights(self) -> list:
        """Per layer and direction, the list of its parameters in registration order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        if self.peephole:
            text += ", peephole=True"
        return text

    def forward(self, input: Any, hx: Any = None) -> tuple:  # noqa: A002
        name = type(self).__name__
        directions = 2 if self.bidirectional else 1
        n_states = 2 if self.mode == "LSTM" else 1
        packed = isinstance(input, PackedSequence)
        lengths = None
        if packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            sizes = batch_sizes.numpy().astype(numpy.int64)
            if data.ndim != 2:
                raise ValueError(
                    f"{name}: packed input data must be 2-D (N, H_in), got shape {tuple(data.shape)}")
            self._check_features(data)
            x = PackedToPadded.apply(data, batch_sizes=sizes)  # (T, B, H_in), sorted batch
            # sorted element b runs #{t : batch_sizes[t] > b} steps
            lengths = (sizes[None, :] > numpy.arange(int(sizes[0]))[:, None]).sum(axis=1)
            unbatched = False
        else:
            if not isinstance(input, Tensor):
                raise TypeError(f"{name}: input must be a Tensor or a PackedSequence, "
                                f"got {type(input).__name__}")
            if input.ndim not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D "
                                 f"instead (shape {tuple(input.shape)})")
            self._check_features(input)
            unbatched = input.ndim == 2
            if unbatched:
                x = input.unsqueeze(1)
            else:
                x = input.transpose(0, 1) if self.batch_first else input
        batch = x.shape[1]

        states = self._initial_states(hx, n_states, unbatched, x)
        if packed and sorted_indices is not None:
            states = [s.index_select(1, sorted_indices) for s in states]

        zeros = None
        finals: list = [[] for _ in range(n_states)]
        layer_input = x
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                if hx is None:
                    if zeros is None:
                        zeros = creation.zeros(batch, self.hidden_size, dtype=x.dtype, device=x.device)
                    initial = [zeros] * n_states
                else:
                    initial = [s[index] for s in states]
                result = self._run_direction(layer_input, initial, layer, direction, lengths)
                outputs.append(result[0])
                for k in range(n_states):
                    finals[k].append(result[1 + k])
            output = outputs[0] if directions == 1 else functional.cat(outputs, dim=2)
            if self.training and 0 < self.dropout and layer < self.num_layers - 1:
                output = _dropout(output, self.dropout)
            layer_input = output

        final_states = [functional.stack(f, dim=0) for f in finals]
        if packed:
            output = PackedSequence(PaddedToPacked.apply(output, batch_sizes=sizes), batch_sizes,
                                    sorted_indices, unsorted_indices)
            if unsorted_indices is not None:
                final_states = [s.index_select(1, unsorted_indices) for s in final_states]
        elif unbatched:
            output = output.squeeze(1)
            final_states = [s.squeeze(1) for s in final_states]
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, (tuple(final_states) if n_states == 2 else final_states[0])

    def _check_features(self, input: Tensor) -> None:  # noqa: A002
        name = type(self).__name__
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{name}: input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                f"got {input.shape[-1]} (input shape {tuple(input.shape)})"
            )
        weight = self.weight_ih_l0
        if input.dtype != weight.dtype:
            raise ValueError(f"{name}: input must have the type {weight.dtype}, got type {input.dtype}")

    def _initial_states(self, hx: Any, n_states: int, unbatched: bool, x: Tensor) -> list:
        """The given initial states as a list of (layers·D, B, H) tensors ([] when None)."""
        name = type(self).__name__
        if hx is None:
            return []
        if n_states == 2:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{name}: hx must be a tuple (h_0, c_0) of two Tensors")
            states = list(hx)
        else:
            if not isinstance(hx, Tensor):
                raise TypeError(f"{name}: hx must be a Tensor, got {type(hx).__name__}")
            states = [hx]
        wanted = 2 if unbatched else 3
        for state in states:
            if state.ndim != wanted:
                kind = "unbatched 2-D" if unbatched else "batched 3-D"
                raise RuntimeError(
                    f"{name}: For {kind} input, hx should also be {wanted}-D but got "
                    f"{state.ndim}-D tensor (shape {tuple(state.shape)})"
                )
            if state.dtype != x.dtype:
                raise ValueError(f"{name}: hx must have the type {x.dtype}, got type {state.dtype}")
        layers = self.num_layers * (2 if self.bidirectional else 1)
        expected = (layers, self.hidden_size) if unbatched else (layers, x.shape[1], self.hidden_size)
        for k, state in enumerate(states):
            if tuple(state.shape) != expected:
                which = f"hidden[{k}]" if n_states == 2 else "hidden"
                raise RuntimeError(
                    f"{name}: Expected {which} size {expected}, got {list(state.shape)}")
        return [s.unsqueeze(1) for s in states] if unbatched else states

    def _run_direction(self, x: Tensor, initial: list, layer: int, direction: int,
                       lengths: Any) -> tuple:
        """One layer and direction over the whole sequence: (output, final state(s))."""
        weights = self.all_weights[layer * (2 if self.bidirectional else 1) + direction]
        w_ih, w_hh = weights[0], weights[1]
        b_ih, b_hh = (weights[2], weights[3]) if self.bias else (None, None)
        options = dict(reverse=bool(direction), lengths=lengths)
        if self.mode == "LSTM":
            peepholes = weights[-3:] if self.peephole else (None, None, None)
            return LSTMSequence.apply(x, *initial, w_ih, w_hh, b_ih, b_hh, *peepholes, **options)
        if self.mode == "GRU":
            return GRUSequence.apply(x, *initial, w_ih, w_hh, b_ih, b_hh, **options)
        nonlinearity = "tanh" if self.mode == "RNN_TANH" else "relu"
        return RNNSequence.apply(x, *initial, w_ih, w_hh, b_ih, b_hh,
                                 nonlinearity=nonlinearity, **options)


def _dropout(x: Tensor, p: float) -> Tensor:
    """Inverted dropout between layers (training only)."""
    if p >= 1:
        return x * 0.0
    return Dropout.apply(x, p=p)


class RNN(RNNBase):
    """Elman RNN: h_t = φ(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), φ = tanh or relu → output, h_n.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text if self.nonlinearity == "tanh" else text + f", nonlinearity={self.nonlinearity}"


class LSTM(RNNBase):
    """Long short-term memory (gates i, f, g, o; see LSTMCell) → output, (h_n, c_n).

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0, peephole=False)``; ``peephole=True`` adds
    ``weight_c{i,f,o}_l{k}[_reverse]`` (Gers & Schmidhuber 2000).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device: Any = None, dtype: Any = None,
                 peephole: bool = False) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype, peephole=peephole)


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n; see GRUCell) → output, h_n.

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)
