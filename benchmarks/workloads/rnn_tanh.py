"""``rnn_tanh``: one RNN(128, 128, tanh) over 200 steps, batch 32, MSE against a random target,
SGD momentum (see sequence_regression.py): small matrices, so per-step overhead dominates."""

from __future__ import annotations

from . import sequence_regression as seq
from .base import Workload

SIZES = {
    "full": {"inputs": 128, "hidden": 128, "steps": 200, "batch": 32},
    "small": {"inputs": 6, "hidden": 8, "steps": 9, "batch": 3},
}
build_nnscratch, build_torch = seq.builders("rnn")

WORKLOAD = Workload(
    name="rnn_tanh",
    description="RNN(128,128,tanh), 200 steps, batch 32, MSE vs random target, SGD momentum",
    sizes=SIZES,
    flops=lambda config: seq.flops("rnn", config),
    build_nnscratch=build_nnscratch,
    build_reference=build_torch,
    requires=seq.requires("rnn"),
)
