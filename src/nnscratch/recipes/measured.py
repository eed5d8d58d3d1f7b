"""Figures measured while evaluating, reported by the trainer like any metric.

Some figures of a run are not a function of one output and its target: a baseline's error on
the same test windows, the accuracy of a classifier trained on a model's features. A recipe's
``forward`` hook computes them when evaluating and returns :class:`Measured` instead of the bare
output; each figure named with :func:`register_figures` becomes a metric (so it lands in
``metrics.jsonl`` and in ``summary.json``'s ``final``) equal to the weighted mean of the
per-batch values:

    figure = Σ_b value_b · weight_b / Σ_b weight_b          (NaN when no batch measured it)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..train.metrics import METRICS, Metric, register_metric


@dataclass
class Measured:
    """A batch's ``output`` (what the loss compares with the target) plus ``figures``:
    name → ``(value, weight)`` measured on the batch (weight: how many items it averages)."""

    output: Any
    figures: dict[str, tuple[float, float]] = field(default_factory=dict)


def output_of(output: Any) -> Any:
    """The bare output of a :class:`Measured` (or the output itself)."""
    return output.output if isinstance(output, Measured) else output


def unwrapped(loss: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``loss(output, target)`` that also accepts :class:`Measured` outputs."""

    def measured_loss(output: Any, target: Any) -> Any:
        return loss(output_of(output), target)

    return measured_loss


class FigureMean(Metric):
    """The weighted mean of one figure over the batches that measured it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.reset()

    def reset(self) -> None:
        self.total = 0.0
        self.weight = 0.0

    def update(self, output: Any, target: Any, loss: Any, count: int) -> None:
        figures = output.figures if isinstance(output, Measured) else {}
        if self.name in figures:
            value, weight = figures[self.name]
            self.total += float(value) * float(weight)
            self.weight += float(weight)

    def compute(self) -> float:
        return self.total / self.weight if self.weight else math.nan


def register_figures(names: Iterable[str], higher_is_better: bool) -> None:
    """Make each figure name a metric recipes can list (idempotent)."""
    for name in names:
        existing = METRICS.get(name)
        if existing is not None and not getattr(existing, "is_figure", False):
            raise ValueError(f"register_figures: {name!r} is already a metric of another kind")
        factory = _factory(name)
        register_metric(name, factory, higher_is_better)


def _factory(name: str) -> Callable[[], FigureMean]:
    def make() -> FigureMean:
        return FigureMean(name)

    make.is_figure = True  # type: ignore[attr-defined]
    return make
