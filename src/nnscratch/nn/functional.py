"""``nnscratch.nn.functional`` (``F``): the stateless forms of the layers.

Functions written here adapt PyTorch's signatures to ops; names listed in ``_EXPORTS`` are
defined next to their ops (convolution, pooling, recurrent) and loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    **dict.fromkeys(["conv1d", "conv2d"], "nnscratch.ops.conv"),
    **dict.fromkeys(["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"], "nnscratch.ops.pooling"),
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'nnscratch.nn.functional' has no attribute '{name}'")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
