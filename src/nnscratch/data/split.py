"""``random_split``: divide a dataset into non-overlapping random subsets."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

from .. import backend
from .dataset import Subset


def random_split(dataset: Any, lengths: Sequence[int | float]) -> list[Subset]:
    """Split ``dataset`` into ``len(lengths)`` random, disjoint :class:`Subset` s covering it.

    ``lengths`` are example counts summing to ``len(dataset)``, or fractions summing to 1
    (each split gets ``floor(N * fraction)`` examples, the remainder is dealt out one by one
    from the first split, as PyTorch does). The permutation comes from the library's
    generator, so ``ns.manual_seed`` makes the split reproducible.
    """
    size = len(dataset)
    lengths = list(lengths)
    total = sum(lengths)
    if lengths and math.isclose(total, 1) and total <= 1:
        for index, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(f"random_split: fraction at index {index} is not between 0 and 1")
        counts = [math.floor(size * fraction) for fraction in lengths]
        for index in range(size - sum(counts)):
            counts[index % len(counts)] += 1
        for index, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"random_split: length of split at index {index} is 0",
                              stacklevel=2)
        lengths = counts
    if any(int(n) != n or n < 0 for n in lengths):
        raise ValueError(f"random_split: lengths must be non-negative integers or fractions "
                         f"summing to 1, got {lengths}")
    if sum(lengths) != size:
        raise ValueError(
            f"random_split: sum of input lengths ({sum(lengths)}) does not equal the length of "
            f"the input dataset ({size})"
        )
    order = backend.generator(backend.CPU).permutation(size).tolist()
    subsets, offset = [], 0
    for length in lengths:
        subsets.append(Subset(dataset, order[offset:offset + int(length)]))
        offset += int(length)
    return subsets
