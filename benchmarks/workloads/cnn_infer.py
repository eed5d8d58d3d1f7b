"""``cnn_infer``: the ``cnn`` model's forward pass only, in eval mode under ``no_grad``.

The loss column is the cross-entropy of the first logits against the batch's labels, computed
by the same numpy formula for both frameworks (so it compares the two forward passes).
"""

from __future__ import annotations

from typing import Any

from . import cnn
from .base import (
    Step,
    Workload,
    builders,
    cross_entropy_numpy,
)

REQUIRES = tuple(name for name in cnn.REQUIRES if name not in ("nn.CrossEntropyLoss", "optim.SGD"))


def flops(config: dict) -> float:
    """The forward pass: F = conv1 + conv2 + fc1 + fc2 (see cnn.layer_flops)."""
    return float(sum(cnn.layer_flops(config)))


def _build(fw: Any, synchronize: Any, load: Any, config: dict, device: str) -> Step:
    model, x, y = cnn.prepare(fw, load, config, device)
    model.eval()
    labels = cnn.batch(config)["y"]

    def run() -> Any:
        with fw.no_grad():
            return model(x)

    def loss_of(logits: Any) -> float:
        return cross_entropy_numpy(logits.cpu().numpy(), labels)

    return Step(run, loss_of, synchronize, model, {"x": x, "y": y})


build_nnscratch, build_torch = builders(_build)


WORKLOAD = Workload(
    name="cnn_infer",
    description="the cnn model, forward only (eval, no_grad), batch 128",
    sizes=cnn.SIZES,
    flops=flops,
    build_nnscratch=build_nnscratch,
    build_reference=build_torch,
    requires=REQUIRES,
    training=False,
)
