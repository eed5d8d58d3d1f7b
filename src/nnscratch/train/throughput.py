"""What a training step processed, for throughput named as what it counts.

Two rates are logged: ``samples_per_second``, the examples of each batch (images, series,
sequences), and, for sequence tasks, ``tokens_per_second``, the targets the loss averages over
(the trainer's ``count``). Calling both "samples" showed an autoencoder at 12.7 million
samples/s (pixels) and a captioner at 6,000 (caption tokens) where 700 images/s were trained.

How many examples a batch holds is read from the batch itself: the first axis of its first
array (:func:`examples_in`), the second for time-major sequence batches (``(T, B, …)``, e.g.
``LanguageModelBatches(batch_first=False)``, which say so through ``batch_first``). A Trainer
given ``examples=`` uses that instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def examples_in(batch: Any, batch_first: bool = True) -> int:
    """The number of examples in ``batch``: the first axis of its first array (a Tensor, a
    numpy array, anything with a ``shape``), found depth first through tuples, lists and dict
    values; the second axis when ``batch_first`` is False (time-major batches, shape
    ``(T, B, …)``). 1 for a batch that holds no array of enough dimensions."""
    axis = 0 if batch_first else 1
    stack = [batch]
    while stack:
        node = stack.pop()
        shape = getattr(node, "shape", None)
        if shape is not None and not isinstance(node, type):
            if len(shape) > axis:
                return int(shape[axis])
            continue
        if isinstance(node, (tuple, list)):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            stack.extend(reversed(list(node.values())))
    return 1


def rate_unit(unit: str | None, batch: Any, target: Any, count: Callable[[Any], int],
              examples: Callable[[Any], int]) -> str | None:
    """What ``count(target)`` counts, named for the second rate (``<unit>_per_second``), or
    None when it would only repeat samples/s.

    ``unit`` other than ``"auto"`` is the answer. ``"auto"``: ``"tokens"`` when the targets
    are integer class indices (or an object with a ``count``, as a padded caption batch is)
    and outnumber the examples, so a classifier (one label per example) and a regression
    (float targets: pixels, values) get samples/s alone.
    """
    if unit != "auto":
        return unit
    array = getattr(target, "array", target)
    integer = getattr(getattr(array, "dtype", None), "kind", "") in ("i", "u")
    if (integer or hasattr(target, "count")) and count(target) != examples(batch):
        return "tokens"
    return None
