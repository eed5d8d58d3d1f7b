"""How the experiments train their sequence models on generated data.

The model itself (:class:`~nnscratch.models.recurrent_readout.SequenceModel`) is in
``models/``. Training draws a fresh batch from a task generator at every step (the tasks are
infinite, as in the papers) and scores a fixed test set every few steps.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy

from .. import nn, optim
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..creation import as_tensor


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
    return as_tensor(array, device=device)


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
