"""The recurrent networks the experiments compare, and how they are trained on generated data.

``SequenceModel`` is one recurrent layer (tanh RNN, LSTM, peephole LSTM or GRU, the fused
``nn`` layers) and a linear read-out. Training draws a fresh batch from a task generator at every
step (the tasks are infinite, as in the papers) and scores a fixed test set every few steps.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy

from .. import backend, nn, optim
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..models.language_model import detach_state as detach_state  # used by truncated_bptt
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


@dataclass
class TrainingCurve:
    """What training records: test scores at ``steps`` and the seconds it took."""

    steps: list = field(default_factory=list)
    test: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)  # mean training loss since the last point
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"steps": self.steps, "test": self.test, "train_loss": self.train_loss,
                "seconds": round(self.seconds, 2)}


def to_tensor(array: numpy.ndarray, device: Any) -> Tensor:
    """A numpy batch as a tensor on ``device`` (no copy on the CPU)."""
    tensor = Tensor._make(array)
    return tensor if backend.device(device).type == "cpu" else tensor.to(device)


def train_on_generator(model: nn.Module, sample_batch: Callable[[], tuple], loss_of: Callable,
                       evaluate: Callable[[], float], steps: int, eval_every: int, lr: float,
                       clip: float | None = 1.0, device: Any = "cpu",
                       stop_below: float | None = None) -> TrainingCurve:
    """Adam on fresh batches ``sample_batch() -> (inputs, targets)`` (numpy), clipping the
    global gradient norm at ``clip``; ``evaluate()`` is recorded every ``eval_every`` steps.

    ``loss_of(model, inputs, targets) -> scalar loss``. Training stops early once the test
    score falls below ``stop_below`` (a solved task need not be trained further).
    """
    optimizer = optim.Adam(model.parameters(), lr=lr)
    curve = TrainingCurve()
    start, running, count = time.perf_counter(), 0.0, 0
    curve.steps.append(0)
    curve.test.append(evaluate())
    curve.train_loss.append(None)
    for step in range(1, steps + 1):
        inputs, targets = sample_batch()
        loss = loss_of(model, to_tensor(inputs, device), to_tensor(targets, device))
        optimizer.zero_grad()
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        running, count = running + float(loss.item()), count + 1
        if step % eval_every == 0 or step == steps:
            score = evaluate()
            curve.steps.append(step)
            curve.test.append(score)
            curve.train_loss.append(running / count if math.isfinite(running) else None)
            running, count = 0.0, 0
            if stop_below is not None and score < stop_below:
                break
    curve.seconds = time.perf_counter() - start
    return curve


def evaluate_in_batches(model: nn.Module, inputs: numpy.ndarray, targets: numpy.ndarray,
                        loss_of: Callable, device: Any, batch_size: int = 500) -> float:
    """Mean of ``loss_of`` over a fixed test set, without gradients, in eval mode."""
    model.eval()
    total = 0.0
    with no_grad():
        for begin in range(0, len(inputs), batch_size):
            chunk = slice(begin, begin + batch_size)
            batch = len(inputs[chunk])
            loss = loss_of(model, to_tensor(inputs[chunk], device), to_tensor(targets[chunk], device))
            total += float(loss.item()) * batch
    model.train()
    return total / len(inputs)
