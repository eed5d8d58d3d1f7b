"""``gru_lm``: the word-level language model (see language_model.py) with a GRU;
one training step: forward, backward, clipping, Adam."""

from __future__ import annotations

from . import language_model as lm
from .base import Workload

build_nnscratch, build_torch = lm.builders("gru", training=True)

WORKLOAD = Workload(
    name="gru_lm",
    description="Embedding(10000,256)-2-layer GRU(256)-Linear(256,10000), batch 32 x 35 steps, Adam, clip_grad_norm_ 0.25",
    sizes=lm.SIZES,
    flops=lambda config: lm.training_flops("gru", config),
    build_nnscratch=build_nnscratch,
    build_reference=build_torch,
    requires=lm.requires("gru", training=True),
    training=True,
)
