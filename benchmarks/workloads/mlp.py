"""``mlp``: Linear 784-1024-1024-10 with ReLU, cross-entropy, SGD(lr 0.01, momentum 0.9), batch 256.

The model and the step are written once against the PyTorch API and run on both frameworks:
``fw`` is the ``nnscratch`` or the ``torch`` module (same names, same signatures).
"""

from __future__ import annotations

from typing import Any

from .base import (
    Step,
    Workload,
    builders,
    integers,
    linear_weights,
    normal,
    scalar_loss,
)

SIZES = {
    "full": {"batch": 256, "inputs": 784, "hidden": 1024, "classes": 10},
    "small": {"batch": 8, "inputs": 20, "hidden": 16, "classes": 5},
}
REQUIRES = ("nn.Sequential", "nn.Linear", "nn.ReLU", "nn.CrossEntropyLoss", "optim.SGD")


def weights(config: dict) -> dict:
    """State dict of the Sequential: Linear layers at indices 0, 2, 4 (ReLU at 1, 3)."""
    d, h, c = config["inputs"], config["hidden"], config["classes"]
    return {**linear_weights("0", d, h), **linear_weights("2", h, h), **linear_weights("4", h, c)}


def batch(config: dict) -> dict:
    """x (B, inputs) ~ N(0, 1), y (B,) class indices."""
    return {
        "x": normal("x", (config["batch"], config["inputs"])),
        "y": integers("y", (config["batch"],), config["classes"]),
    }


def flops(config: dict) -> float:
    """Forward F = 2B(d·h + h·h + h·c); training = F (forward) + F (weight grads)
    + 2B(h·h + h·c) (input grads of layers 2 and 3; layer 1's input is data) = 3F - 2B·d·h."""
    b, d, h, c = config["batch"], config["inputs"], config["hidden"], config["classes"]
    forward = 2 * b * (d * h + h * h + h * c)
    return 3 * forward - 2 * b * d * h


def make_model(fw: Any, config: dict) -> Any:
    nn = fw.nn
    d, h, c = config["inputs"], config["hidden"], config["classes"]
    return nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, c))


def training_step(fw: Any, model: Any, x: Any, y: Any) -> Any:
    """The bare training loop's body: returns a function doing one SGD-momentum step."""
    criterion = fw.nn.CrossEntropyLoss()
    optimizer = fw.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def run() -> Any:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return run


def _build(fw: Any, synchronize: Any, load: Any, config: dict, device: str) -> Step:
    model = make_model(fw, config)
    load(model, weights(config))
    model.to(device)
    data = batch(config)
    x = fw.tensor(data["x"], device=device)
    y = fw.tensor(data["y"], device=device)
    return Step(training_step(fw, model, x, y), scalar_loss, synchronize, model, {"x": x, "y": y})


build_nnscratch, build_torch = builders(_build)


WORKLOAD = Workload(
    name="mlp",
    description="Linear 784-1024-1024-10 + ReLU, cross-entropy, SGD(0.01, momentum 0.9), batch 256",
    sizes=SIZES,
    flops=flops,
    build_nnscratch=build_nnscratch,
    build_reference=build_torch,
    requires=REQUIRES,
)
