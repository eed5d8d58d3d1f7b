"""Forecaster: a recurrent network that reads a series and predicts its next value.

    h_t, s_t = RNN(x_t, s_{t−1})             LSTM or GRU over the (normalised) values
    x̂_{t+1}  = x_t + W h_t + b               residual (default): the network predicts the change
    x̂_{t+1}  = W h_t + b                     residual=False: the value itself

Training is one step ahead at every position of a window (teacher forcing: the true x_t is
fed). A multi-step forecast is autoregressive: after reading the past, each prediction is fed
back as the next input, ``horizon`` times.
"""

from __future__ import annotations

from typing import Any

from .. import nn
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..functional import cat
from ..nn.module import Module

CELLS = ("lstm", "gru")


class Forecaster(Module):
    """One-step and autoregressive multi-step forecasts of ``input_size`` series.

    Args:
        input_size: values per time step (1 for a single series).
        hidden_size: recurrent state size of each layer.
        num_layers: stacked recurrent layers.
        cell: ``"lstm"`` or ``"gru"``.
        dropout: between recurrent layers (with two or more), in ``train()`` mode.
        residual: predict ``x_{t+1} − x_t`` and add ``x_t`` back.

    Shapes (batch first): ``forward(x (B, T, input_size), state)`` → ``(predictions (B, T,
    input_size), state)`` where ``predictions[:, t]`` forecasts ``x[:, t + 1]``;
    ``forecast(past (B, P, input_size), horizon)`` → ``(B, horizon, input_size)``. 2-D inputs
    ``(B, T)`` are read as one series per row and give 2-D results.
    """

    def __init__(self, input_size: int = 1, hidden_size: int = 64, num_layers: int = 1,
                 cell: str = "lstm", dropout: float = 0.0, residual: bool = True) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"Forecaster: cell must be one of {CELLS}, got {cell!r}")
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size),
                            ("num_layers", num_layers)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"Forecaster: {name} must be a positive integer, got {value!r}")
        recurrent = nn.LSTM if cell == "lstm" else nn.GRU
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.cell, self.residual = cell, residual
        self.rnn = recurrent(input_size, hidden_size, num_layers, batch_first=True,
                             dropout=dropout if num_layers > 1 else 0.0)
        self.head = nn.Linear(hidden_size, input_size)

    @property
    def config(self) -> dict[str, Any]:
        """Constructor arguments (to rebuild the model from a run folder)."""
        return {"input_size": self.input_size, "hidden_size": self.hidden_size,
                "num_layers": self.num_layers, "cell": self.cell, "residual": self.residual}

    def _as_3d(self, x: Tensor, name: str) -> tuple[Tensor, bool]:
        if x.ndim == 2 and self.input_size == 1:
            return x.unsqueeze(-1), True
        if x.ndim != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"Forecaster.{name}: expected (batch, time, {self.input_size}) or, "
                             f"for one series, (batch, time); got {tuple(x.shape)}")
        return x, False

    def forward(self, x: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        """One-step-ahead predictions at every position (see the class docstring)."""
        x3, flat = self._as_3d(x, "forward")
        hidden, state = self.rnn(x3, state)
        predictions = self.head(hidden)
        if self.residual:
            predictions = predictions + x3
        return (predictions.squeeze(-1) if flat else predictions), state

    def forecast(self, past: Tensor, horizon: int) -> Tensor:
        """``horizon`` values after ``past``, each prediction fed back as the next input."""
        if horizon < 1:
            raise ValueError(f"Forecaster.forecast: horizon must be >= 1, got {horizon}")
        past3, flat = self._as_3d(past, "forecast")
        if past3.shape[1] < 1:
            raise ValueError("Forecaster.forecast: the past must hold at least one step")
        with no_grad():
            predictions, state = self.forward(past3)
            step = predictions[:, -1:]  # x̂ after the last known value
            steps = [step]
            for _ in range(horizon - 1):
                step, state = self.forward(step, state)
                steps.append(step)
        result = cat(steps, dim=1)
        return result.squeeze(-1) if flat else result
