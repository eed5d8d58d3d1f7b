"""Utilities over parameters and gradients (``nn.utils``): clipping, flattening; ``nn.utils.rnn``
(packed sequences) is loaded on first use."""

from __future__ import annotations

import importlib
from typing import Any

from .clip_grad import clip_grad_norm_, clip_grad_value_
from .convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = [
    "clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters", "rnn",
]

_SUBMODULES = ("rnn",)


def __getattr__(name: str) -> Any:
    if name not in _SUBMODULES:
        raise AttributeError(f"module 'nnscratch.nn.utils' has no attribute '{name}'")
    module = importlib.import_module(f".{name}", __name__)
    globals()[name] = module
    return module


def __dir__() -> list:
    return sorted(__all__)
