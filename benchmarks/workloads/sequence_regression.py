"""One recurrent layer regressing a random target: shared by ``lstm_wide`` and ``rnn_tanh``.

x (T, B, in) ~ N(0, 1) → nn.LSTM / nn.RNN(tanh) → output (T, B, H); loss = MSE(output, target)
with target (T, B, H) ~ N(0, 1); SGD(lr 0.01, momentum 0.9). Measures the recurrent kernel
itself (no embedding, no decoder). Written once against the PyTorch API; ``fw`` is the
``nnscratch`` or the ``torch`` module.
"""

from __future__ import annotations

from typing import Any

from .base import (
    Step,
    load_nnscratch,
    load_torch,
    nnscratch_step_parts,
    normal,
    recurrent_weights,
    scalar_loss,
    torch_step_parts,
)

GATES = {"lstm": 4, "rnn": 1}
LAYERS = {"lstm": "nn.LSTM", "rnn": "nn.RNN"}


def requires(kind: str) -> tuple:
    return (LAYERS[kind], "nn.MSELoss", "optim.SGD")


def batch(config: dict) -> dict:
    t, b = config["steps"], config["batch"]
    return {"x": normal("x", (t, b, config["inputs"])), "target": normal("target", (t, b, config["hidden"]))}


def flops(kind: str, config: dict) -> float:
    """F = 2·T·B·G·H·(in + H) (G = 4 LSTM, 1 RNN); training = 3F - 2·T·B·G·H·in (the data
    needs no input gradient)."""
    t, b, i, h = config["steps"], config["batch"], config["inputs"], config["hidden"]
    forward = 2 * t * b * GATES[kind] * h * (i + h)
    return float(3 * forward - 2 * t * b * GATES[kind] * h * i)


def _build(fw: Any, synchronize: Any, load: Any, kind: str, config: dict, device: str) -> Step:
    nn = fw.nn
    if kind == "lstm":
        model = nn.LSTM(config["inputs"], config["hidden"])
    else:
        model = nn.RNN(config["inputs"], config["hidden"], nonlinearity="tanh")
    load(model, recurrent_weights("", kind, config["inputs"], config["hidden"], 1))
    model.to(device)
    data = batch(config)
    x = fw.tensor(data["x"], device=device)
    target = fw.tensor(data["target"], device=device)
    criterion = nn.MSELoss()
    optimizer = fw.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def run() -> Any:
        optimizer.zero_grad()
        output, _ = model(x)
        loss = criterion(output, target)
        loss.backward()
        optimizer.step()
        return loss

    return Step(run, scalar_loss, synchronize, model, {"x": x, "target": target})


def builders(kind: str) -> tuple:
    """(build_nnscratch, build_torch) for one recurrent kind."""

    def build_nnscratch(config: dict, device: str) -> Step:
        ns, synchronize = nnscratch_step_parts(device)
        return _build(ns, synchronize, load_nnscratch, kind, config, device)

    def build_torch(config: dict, device: str) -> Step:
        torch, synchronize = torch_step_parts(device)
        return _build(torch, synchronize, load_torch, kind, config, device)

    return build_nnscratch, build_torch
