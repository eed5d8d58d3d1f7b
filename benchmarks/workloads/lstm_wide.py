"""``lstm_wide``: one LSTM(512, 512) over 100 steps, batch 64, MSE against a random target,
SGD momentum (see sequence_regression.py): the fused LSTM kernel at a GEMM-bound size."""

from __future__ import annotations

from . import sequence_regression as seq
from .base import Workload

SIZES = {
    "full": {"inputs": 512, "hidden": 512, "steps": 100, "batch": 64},
    "small": {"inputs": 6, "hidden": 8, "steps": 7, "batch": 3},
}
build_nnscratch, build_torch = seq.builders("lstm")

WORKLOAD = Workload(
    name="lstm_wide",
    description="LSTM(512,512), 100 steps, batch 64, MSE vs random target, SGD momentum",
    sizes=SIZES,
    flops=lambda config: seq.flops("lstm", config),
    build_nnscratch=build_nnscratch,
    build_reference=build_torch,
    requires=seq.requires("lstm"),
)
