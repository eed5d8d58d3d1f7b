"""``lstm_lm_infer``: the word-level language model (see language_model.py) with an LSTM;
the forward pass only (eval mode, no_grad); the loss column is the numpy cross-entropy of
the first logits."""

from __future__ import annotations

from . import language_model as lm
from .base import Workload

build_nnscratch, build_torch = lm.builders("lstm", training=False)

WORKLOAD = Workload(
    name="lstm_lm_infer",
    description="the lstm_lm model, forward only (eval, no_grad), batch 32 x 35 steps",
    sizes=lm.SIZES,
    flops=lambda config: lm.forward_flops("lstm", config),
    build_nnscratch=build_nnscratch,
    build_reference=build_torch,
    requires=lm.requires("lstm", training=False),
    training=False,
)
