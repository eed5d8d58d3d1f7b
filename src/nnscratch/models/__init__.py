"""Ready-made networks (``import nnscratch.models``).

Names are loaded on first use from the module that defines them (the table below), so each
model lives in its own file and importing ``nnscratch.models`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> submodule of nnscratch.models that defines it
_EXPORTS = {
    **dict.fromkeys(["LeNet", "SimpleCNN"], "cnn"),
    **dict.fromkeys(["LanguageModel"], "language_model"),
    **dict.fromkeys(["Seq2Seq"], "seq2seq"),
    **dict.fromkeys(["Captioner"], "captioner"),
    **dict.fromkeys(["Autoencoder", "ConvAutoencoder"], "autoencoder"),
    **dict.fromkeys(["RBM"], "rbm"),
    **dict.fromkeys(["Forecaster"], "forecaster"),
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'nnscratch.models' has no attribute '{name}'")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(__all__)
