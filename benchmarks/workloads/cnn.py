"""``cnn``: a LeNet-style network on 1x28x28 images, batch 128, cross-entropy, SGD momentum.

Conv2d(1,32,3,padding=1)-ReLU-MaxPool2d(2)-Conv2d(32,64,3,padding=1)-ReLU-MaxPool2d(2)-Flatten
-Linear(3136,128)-ReLU-Linear(128,10). Written once against the PyTorch API; ``fw`` is the
``nnscratch`` or the ``torch`` module.
"""

from __future__ import annotations

from typing import Any

from .base import (
    Step,
    Workload,
    builders,
    conv_weights,
    integers,
    linear_weights,
    normal,
    scalar_loss,
)

SIZES = {
    "full": {"batch": 128, "image": 28, "channels1": 32, "channels2": 64, "hidden": 128, "classes": 10},
    "small": {"batch": 4, "image": 8, "channels1": 4, "channels2": 6, "hidden": 12, "classes": 5},
}
REQUIRES = (
    "nn.Sequential", "nn.Conv2d", "nn.ReLU", "nn.MaxPool2d", "nn.Flatten", "nn.Linear",
    "nn.CrossEntropyLoss", "optim.SGD",
)


def flattened(config: dict) -> int:
    """Features after the two 2x2 poolings: channels2 · (image/4)²  (3136 = 64·7·7)."""
    return config["channels2"] * (config["image"] // 4) ** 2


def weights(config: dict) -> dict:
    """Sequential indices: conv 0, conv 3, linear 7, linear 9."""
    c1, c2, h = config["channels1"], config["channels2"], config["hidden"]
    return {
        **conv_weights("0", 1, c1, 3),
        **conv_weights("3", c1, c2, 3),
        **linear_weights("7", flattened(config), h),
        **linear_weights("9", h, config["classes"]),
    }


def batch(config: dict) -> dict:
    """x (B, 1, image, image) ~ N(0, 1), y (B,) class indices."""
    b, s = config["batch"], config["image"]
    return {"x": normal("x", (b, 1, s, s)), "y": integers("y", (b,), config["classes"])}


def layer_flops(config: dict) -> tuple:
    """Forward FLOPs per layer: conv = 2·B·C_out·H·W·(C_in·3·3), linear = 2·B·in·out."""
    b, s = config["batch"], config["image"]
    c1, c2, h, c = config["channels1"], config["channels2"], config["hidden"], config["classes"]
    conv1 = 2 * b * c1 * s * s * (1 * 9)
    conv2 = 2 * b * c2 * (s // 2) ** 2 * (c1 * 9)
    fc1 = 2 * b * flattened(config) * h
    fc2 = 2 * b * h * c
    return conv1, conv2, fc1, fc2


def flops(config: dict) -> float:
    """Training = 3F - conv1 (forward, weight grads, input grads except for the data)."""
    per_layer = layer_flops(config)
    return 3 * sum(per_layer) - per_layer[0]


def make_model(fw: Any, config: dict) -> Any:
    nn = fw.nn
    c1, c2, h = config["channels1"], config["channels2"], config["hidden"]
    return nn.Sequential(
        nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(flattened(config), h), nn.ReLU(), nn.Linear(h, config["classes"]),
    )


def prepare(fw: Any, load: Any, config: dict, device: str) -> tuple:
    """The model with the shared weights, and the batch as framework tensors."""
    model = make_model(fw, config)
    load(model, weights(config))
    model.to(device)
    data = batch(config)
    return model, fw.tensor(data["x"], device=device), fw.tensor(data["y"], device=device)


def _build(fw: Any, synchronize: Any, load: Any, config: dict, device: str) -> Step:
    model, x, y = prepare(fw, load, config, device)
    criterion = fw.nn.CrossEntropyLoss()
    optimizer = fw.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def run() -> Any:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return Step(run, scalar_loss, synchronize, model, {"x": x, "y": y})


build_nnscratch, build_torch = builders(_build)


WORKLOAD = Workload(
    name="cnn",
    description="Conv(1→32)-ReLU-Pool-Conv(32→64)-ReLU-Pool-Linear(3136,128)-ReLU-Linear(128,10), "
    "batch 128 of 1x28x28, SGD momentum",
    sizes=SIZES,
    flops=flops,
    build_nnscratch=build_nnscratch,
    build_reference=build_torch,
    requires=REQUIRES,
)
