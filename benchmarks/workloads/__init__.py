"""The benchmark workloads, one module per workload (each defines ``WORKLOAD``).

Modules are imported on demand so that listing workloads imports neither framework.
"""

from __future__ import annotations

import importlib

from .base import Workload

# name -> module of benchmarks.workloads, in the order the table lists them
MODULES = {
    "mlp": "mlp",
    "cnn": "cnn",
    "cnn_infer": "cnn_infer",
    "lstm_lm": "lstm_lm",
    "gru_lm": "gru_lm",
    "lstm_lm_infer": "lstm_lm_infer",
    "lstm_wide": "lstm_wide",
    "rnn_tanh": "rnn_tanh",
    "mlp_trainer": "mlp_trainer",
}
# Not a model: the float32 GEMM that measures the machine's peak in every run.
PEAK = "gemm"
ALL = [*MODULES, PEAK]


def get(name: str) -> Workload:
    """The workload called ``name``; ValueError listing the known names otherwise."""
    module = {**MODULES, PEAK: PEAK}.get(name)
    if module is None:
        raise ValueError(f"unknown workload {name!r}; known: {', '.join(ALL)}")
    return importlib.import_module(f".{module}", __name__).WORKLOAD
