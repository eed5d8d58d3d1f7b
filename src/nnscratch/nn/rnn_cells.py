"""Recurrent cells — one time step — composed from primitive tensor ops (``torch.nn.RNNCell`` …).

They are the readable reference for the fused sequence kernels of ``ops/recurrent_*.py``: the
same equations, written with matmul, sigmoid and tanh, and differentiated by autograd.

Shapes (N = batch, omitted for unbatched 1-D input):

======  ==============  ==============  ================================
cell    input           hidden          returns
======  ==============  ==============  ================================
RNN     (N, input)      (N, hidden)     h' (N, hidden)
LSTM    (N, input)      (h, c) each     (h', c') each (N, hidden)
GRU     (N, input)      (N, hidden)     h' (N, hidden)
======  ==============  ==============  ================================
"""

from __future__ import annotations

import math
from typing import Any

from .. import backend, creation
from .._tensor import Tensor
from .module import Module
from .parameter import Parameter


class RNNCellBase(Module):
    """Parameters ``weight_ih (G·H, I)``, ``weight_hh (G·H, H)``, ``bias_ih``, ``bias_hh``
    (``(G·H,)``, or None without bias) for G = ``num_chunks`` gates, U(-1/√H, 1/√H)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{type(self).__name__}: {name} must be a positive int, got {value!r}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self._options = dict(dtype=dtype or backend.get_default_dtype(), device=device)
        rows = num_chunks * hidden_size
        self.weight_ih = self._new_parameter(rows, input_size)
        self.weight_hh = self._new_parameter(rows, hidden_size)
        if bias:
            self.bias_ih = self._new_parameter(rows)
            self.bias_hh = self._new_parameter(rows)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)

    def _new_parameter(self, *shape: int) -> Parameter:
        return Parameter(creation.empty(*shape, **self._options))

    def reset_parameters(self) -> None:
        """Every weight (peepholes included) ~ U(-1/√H, 1/√H), as PyTorch."""
        from . import init

        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        if getattr(self, "peephole", False):
            text += ", peephole=True"
        return text

    def _check_input(self, input: Tensor) -> bool:  # noqa: A002
        """Validate the input; True when it is batched (2-D)."""
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{name}: input has inconsistent input_size: got {input.shape[-1]} expected "
                f"{self.input_size} (input shape {tuple(input.shape)})"
            )
        return input.ndim == 2

    def _check_hidden(self, hx: Tensor, input: Tensor, what: str = "hidden") -> None:  # noqa: A002
        name = type(self).__name__
        if hx.ndim != input.ndim:
            raise ValueError(
                f"{name}: Expected {what} to be {input.ndim}D like the input (shape "
                f"{tuple(input.shape)}), got {hx.ndim}D (shape {tuple(hx.shape)})"
            )
        if input.ndim == 2 and hx.shape[0] != input.shape[0]:
            raise RuntimeError(
                f"{name}: Input batch size {input.shape[0]} doesn't match {what} batch size "
                f"{hx.shape[0]}"
            )
        if hx.shape[-1] != self.hidden_size:
            raise RuntimeError(
                f"{name}: {what} has inconsistent hidden_size: got {hx.shape[-1]}, expected "
                f"{self.hidden_size}"
            )

    def _zeros(self, input: Tensor) -> Tensor:  # noqa: A002
        shape = (input.shape[0], self.hidden_size) if input.ndim == 2 else (self.hidden_size,)
        return creation.zeros(shape, dtype=input.dtype, device=input.device)

    def _linear(self, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        """x Wᵀ + b."""
        out = x @ weight.t()
        return out if bias is None else out + bias


class RNNCell(RNNCellBase):
    """h' = φ(W_ih x + b_ih + W_hh h + b_hh), φ = tanh or relu."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity
        self.reset_parameters()

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        self._check_input(input)
        if hx is None:
            hx = self._zeros(input)
        self._check_hidden(hx, input)
        pre = self._linear(input, self.weight_ih, self.bias_ih) + self._linear(
            hx, self.weight_hh, self.bias_hh)
        return pre.tanh() if self.nonlinearity == "tanh" else pre.relu()


class LSTMCell(RNNCellBase):
    """One LSTM step, gates i, f, g, o (``peephole=True`` adds ``weight_ci/cf/co``, each (H,))::

        i = σ(W_ii x + b_ii + W_hi h + b_hi [+ w_ci ⊙ c])
        f = σ(W_if x + b_if + W_hf h + b_hf [+ w_cf ⊙ c])
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)
        c' = f ⊙ c + i ⊙ g
        o = σ(W_io x + b_io + W_ho h + b_ho [+ w_co ⊙ c'])
        h' = o ⊙ tanh(c')
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 peephole: bool = False, device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)
        self.peephole = peephole
        if peephole:
            self.weight_ci = self._new_parameter(hidden_size)
            self.weight_cf = self._new_parameter(hidden_size)
            self.weight_co = self._new_parameter(hidden_size)
        self.reset_parameters()

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple:  # noqa: A002
        self._check_input(input)
        if hx is None:
            h = c = self._zeros(input)
        else:
            h, c = hx
            self._check_hidden(h, input, "hx[0]")
            self._check_hidden(c, input, "hx[1]")
        gates = self._linear(input, self.weight_ih, self.bias_ih) + self._linear(
            h, self.weight_hh, self.bias_hh)
        in_pre, forget_pre, cand_pre, out_pre = gates.chunk(4, -1)
        if self.peephole:  # input and forget gates look at the previous cell
            in_pre = in_pre + c * self.weight_ci
            forget_pre = forget_pre + c * self.weight_cf
        c_new = forget_pre.sigmoid() * c + in_pre.sigmoid() * cand_pre.tanh()
        if self.peephole:  # the output gate looks at the new cell
            out_pre = out_pre + c_new * self.weight_co
        h_new = out_pre.sigmoid() * c_new.tanh()
        return h_new, c_new


class GRUCell(RNNCellBase):
    """One GRU step, gates r, z, n::

        r = σ(W_ir x + b_ir + W_hr h + b_hr)
        z = σ(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
        h' = (1 - z) ⊙ n + z ⊙ h
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)
        self.reset_parameters()

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        self._check_input(input)
        if hx is None:
            hx = self._zeros(input)
        self._check_hidden(hx, input)
        input_reset, input_update, input_cand = self._linear(
            input, self.weight_ih, self.bias_ih).chunk(3, -1)
        hidden_reset, hidden_update, hidden_cand = self._linear(
            hx, self.weight_hh, self.bias_hh).chunk(3, -1)
        reset = (input_reset + hidden_reset).sigmoid()
        update = (input_update + hidden_update).sigmoid()
        cand = (input_cand + reset * hidden_cand).tanh()
        return (1 - update) * cand + update * hx
