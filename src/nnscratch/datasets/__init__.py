"""Data sets (``import nnscratch.datasets``): real-format loaders and generated data.

Names are loaded on first use from the module that defines them (the table below), so each
data set lives in its own file and importing ``nnscratch.datasets`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> submodule of nnscratch.datasets that defines it (None: the submodule itself)
_EXPORTS = {
    **dict.fromkeys(["read_idx", "parse_idx"], "idx"),
    **dict.fromkeys(["MNIST", "FashionMNIST"], "mnist"),
    **dict.fromkeys(["CIFAR10", "parse_cifar_batch"], "cifar10"),
    **dict.fromkeys(["ImageFolder"], "image_folder"),
    **dict.fromkeys(["Shapes", "ShapeObject", "parse_caption"], "shapes"),
    **dict.fromkeys(["TwoSpirals", "make_spirals"], "spirals"),
    **dict.fromkeys(["Vocab"], "vocab"),
    **dict.fromkeys(["CharTokenizer", "WordTokenizer"], "tokenize"),
    **dict.fromkeys(["LanguageModelBatches", "default_corpus", "TextCorpus"], "text"),
    **dict.fromkeys(["ParallelCorpus", "TranslationPairs"], "parallel"),
    **dict.fromkeys(["DateTranslation"], "dates"),
    **dict.fromkeys(["TimeSeries", "fit_autoregression", "autoregressive_forecast"], "timeseries"),
    **dict.fromkeys(["make_adding_problem", "make_copy_memory", "make_lag_recall",
                     "copy_memory_baseline", "ADDING_BASELINE_MSE"], "memory_tasks"),
    **dict.fromkeys(["transforms"], None),
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'nnscratch.datasets' has no attribute '{name}'")
    submodule = _EXPORTS[name]
    if submodule is None:  # a module exposed whole: datasets.transforms
        value = importlib.import_module(f".{name}", __name__)
    else:
        value = getattr(importlib.import_module(f".{submodule}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(__all__)
