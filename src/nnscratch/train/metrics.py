"""Metrics: accuracy, perplexity, bits per character, mean squared error, running averages.

Every metric is a small accumulator with ``update(output, target, loss, count)`` and
``compute() -> float``. Sums stay backend arrays (on the GPU for a GPU run) until ``compute``,
so evaluating a data set costs one device-to-host copy per metric, not one per batch.

Definitions (over all targets of the data set, not averaged per batch):

    loss        = Σ_batches loss_b · n_b / Σ n_b            (mean per target; n_b = targets in b)
    perplexity  = exp(loss)                                 (loss = mean token cross-entropy, nats)
    bpc         = loss / ln 2                               (bits per character)
    accuracy    = #(argmax output == target) / #targets     (a fraction in [0, 1])
    mse         = mean (output − target)²

The text metrics of generating recipes (``bleu``, ``bleu_char``, ``exact_match``) are defined
in :mod:`nnscratch.metrics.text`; :data:`METRICS` lists them with the others.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .._tensor import Tensor
from ..metrics.base import Metric
from ..metrics.text import CharacterBLEU, CorpusBLEU, ExactMatch


def _array(value: Any) -> Any:
    return value.array if isinstance(value, Tensor) else value


def accuracy(output: Any, target: Any) -> float:
    """Fraction of rows whose arg-max over the last axis equals ``target``.

    output: ``(N, C)`` or ``(N, …, C)`` scores; target: ``(N,)`` or ``(N, …)`` class indices.
    """
    output, target = _array(output), _array(target)
    if output.shape[:-1] != target.shape:
        raise ValueError(f"accuracy: output {tuple(output.shape)} does not match target "
                         f"{tuple(target.shape)} (expected output = target shape + (classes,))")
    return float((output.argmax(axis=-1) == target).mean()) if target.size else math.nan


def perplexity(mean_loss: float) -> float:
    """exp(mean token cross-entropy in nats); inf when it overflows."""
    try:
        return math.exp(mean_loss)
    except OverflowError:
        return math.inf


def bits_per_character(mean_loss: float) -> float:
    """Mean cross-entropy in nats converted to bits: loss / ln 2."""
    return mean_loss / math.log(2.0)


class RunningMean:
    """Weighted mean of values that arrive one batch at a time: Σ v·n / Σ n.

    ``add`` accepts a backend scalar (no synchronisation) or a Python number.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.total: Any = 0.0
        self.count = 0

    def add(self, value: Any, count: int = 1) -> None:
        self.total = self.total + _array(value) * count
        self.count += count

    def compute(self) -> float:
        return float(self.total) / self.count if self.count else math.nan

    def state_dict(self) -> dict:
        return {"total": float(self.total), "count": self.count}

    def load_state_dict(self, state: dict) -> None:
        self.total, self.count = state["total"], state["count"]


class MeanLoss(Metric):
    """Mean loss per target (the loss function is assumed to average over its targets)."""

    def __init__(self) -> None:
        self.mean = RunningMean()

    def reset(self) -> None:
        self.mean.reset()

    def update(self, output: Any, target: Any, loss: Any, count: int) -> None:
        self.mean.add(loss, count)

    def compute(self) -> float:
        return self.mean.compute()


class Perplexity(MeanLoss):
    def compute(self) -> float:
        return perplexity(super().compute())


class BitsPerCharacter(MeanLoss):
    def compute(self) -> float:
        return bits_per_character(super().compute())


class Accuracy(Metric):
    """Fraction of correct arg-max predictions (targets equal to ``ignore_index`` skipped)."""

    def __init__(self, ignore_index: int | None = -100) -> None:
        self.ignore_index = ignore_index
        self.reset()

    def reset(self) -> None:
        self.correct: Any = 0
        self.total = 0

    def update(self, output: Any, target: Any, loss: Any, count: int) -> None:
        output, target = _array(output), _array(target)
        hits = output.argmax(axis=-1) == target
        if self.ignore_index is not None:
            valid = target != self.ignore_index
            self.correct = self.correct + (hits & valid).sum()
            self.total += int(valid.sum())
        else:
            self.correct = self.correct + hits.sum()
            self.total += target.size

    def compute(self) -> float:
        return float(self.correct) / self.total if self.total else math.nan


class MeanSquaredError(Metric):
    """Mean of (output − target)² over every element."""

    def reset(self) -> None:
        self.squared: Any = 0.0
        self.total = 0

    def __init__(self) -> None:
        self.reset()

    def update(self, output: Any, target: Any, loss: Any, count: int) -> None:
        output = getattr(output, "output", output)  # a recipe's Measured wraps the bare output
        difference = _array(output) - _array(target)
        self.squared = self.squared + (difference * difference).sum()
        self.total += difference.size

    def compute(self) -> float:
        return float(self.squared) / self.total if self.total else math.nan


# name -> factory; plain names are the ones summary.json uses under "final"
METRICS: dict[str, Callable[[], Metric]] = {
    "loss": MeanLoss,
    "accuracy": Accuracy,
    "perplexity": Perplexity,
    "bpc": BitsPerCharacter,
    "mse": MeanSquaredError,
    "bleu": CorpusBLEU,
    "bleu_char": CharacterBLEU,
    "exact_match": ExactMatch,
}

# metrics where larger is better (for best checkpoints, early stopping, plateau schedulers)
HIGHER_IS_BETTER = {"accuracy", "bleu", "bleu_char", "exact_match"}

# metrics that only transform the mean loss, so training can report them without outputs
FROM_LOSS = {"loss": lambda mean: mean, "perplexity": perplexity, "bpc": bits_per_character}


def register_metric(name: str, factory: Callable[[], Metric], higher_is_better: bool) -> None:
    """Make a metric of your own available to recipes and the Trainer by ``name``."""
    METRICS[name] = factory
    if higher_is_better:
        HIGHER_IS_BETTER.add(name)


def make_metrics(names: list[str] | tuple[str, ...]) -> dict[str, Metric]:
    """Fresh accumulators for ``names``; an unknown name raises ValueError listing the known."""
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; known: {sorted(METRICS)}")
    return {name: METRICS[name]() for name in names}


def mode_of(metric: str) -> str:
    """``"max"`` when a larger value of ``metric`` is better, else ``"min"``."""
    return "max" if metric in HIGHER_IS_BETTER else "min"
