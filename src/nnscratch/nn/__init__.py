"""Layers (``import nnscratch.nn as nn``); see API.md §Layers.

Names are loaded on first use from the module that defines them (the table below), so each
layer family lives in its own file and importing ``nnscratch.nn`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from .module import Module
from .parameter import Parameter

# public name -> submodule of nnscratch.nn that defines it
_EXPORTS = {
    **dict.fromkeys(["Sequential", "ModuleList", "ModuleDict", "Identity", "Flatten", "Unflatten"],
                    "container"),
    **dict.fromkeys(["Linear", "Bilinear"], "linear"),
    **dict.fromkeys(["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "ELU",
                     "GELU", "Softplus"], "activation"),
    **dict.fromkeys(["Dropout"], "dropout"),
    **dict.fromkeys(["Embedding"], "embedding"),
    **dict.fromkeys(["BatchNorm1d", "BatchNorm2d", "LayerNorm"], "normalization"),
    **dict.fromkeys(["CrossEntropyLoss", "NLLLoss", "MSELoss", "BCELoss", "BCEWithLogitsLoss",
                     "L1Loss"], "loss"),
    **dict.fromkeys(["Conv1d", "Conv2d"], "conv"),
    **dict.fromkeys(["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"], "pooling"),
    **dict.fromkeys(["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"], "rnn"),
    **dict.fromkeys(["init", "functional", "utils"], None),
}

__all__ = ["Module", "Parameter", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'nnscratch.nn' has no attribute '{name}'")
    submodule = _EXPORTS[name]
    if submodule is None:  # a subpackage or module exposed whole: nn.init, nn.functional
        value = importlib.import_module(f".{name}", __name__)
    else:
        value = getattr(importlib.import_module(f".{submodule}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(__all__)
