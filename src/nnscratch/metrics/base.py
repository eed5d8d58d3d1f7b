"""The interface of a metric: an accumulator over a data set, fed one batch at a time.

Its own module so that the modules defining metrics (``nnscratch.metrics.text``,
``nnscratch.train.metrics``) share it, with imports that go one way: ``train`` imports
``metrics``, never the reverse.
"""

from __future__ import annotations

from typing import Any


class Metric:
    """An accumulator over a data set; subclasses fill ``reset``, ``update`` and ``compute``.

    ``update(output, target, loss, count)`` adds one batch (``count``: the targets its mean
    loss averages over); ``compute() -> float`` gives the value over every batch since ``reset``.
    """

    def reset(self) -> None:
        raise NotImplementedError

    def update(self, output: Any, target: Any, loss: Any, count: int) -> None:
        raise NotImplementedError

    def compute(self) -> float:
        raise NotImplementedError
