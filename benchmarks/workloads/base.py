"""What a benchmark workload is, and the helpers every workload shares.

A workload defines the SAME model twice, once in nnscratch and once in PyTorch, from the SAME
initial weights and the SAME batch (both drawn with numpy from a seed, so neither framework's
random generator is involved), plus the number of floating-point operations of one step.
Each framework side is built in its own process; a builder imports its framework itself, so
the nnscratch process never imports torch (and its memory is not counted).
"""

from __future__ import annotations

import importlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy

SEED = 1234


class UnavailableError(Exception):
    """A side cannot be built yet: a layer, loss or optimiser it needs does not exist."""


@dataclass
class Step:
    """One framework's side of a workload, ready to time.

    ``run()`` performs one step (forward, backward and update for training; forward only for
    inference) and returns what the step produced; ``loss_of(result)`` turns that into the
    first-step loss as a Python float (called outside the timed region). ``synchronize()``
    waits for a GPU to finish (a no-op on the CPU). ``model`` and ``inputs`` are kept for the
    tests' float32 checks.

    A side that cannot be driven one step at a time (a training engine runs its own loop)
    gives ``run_many(n)`` instead: it runs ``n`` steps and returns each one's duration in
    seconds; ``loss_of(None)`` then gives the loss of the first of them.
    """

    run: Callable[[], Any] | None
    loss_of: Callable[[Any], float | None]
    synchronize: Callable[[], None] = lambda: None
    model: Any = None
    inputs: dict = field(default_factory=dict)
    run_many: Callable[[int], list] | None = None


@dataclass(frozen=True)
class Workload:
    """A named model + batch + optimiser, in both frameworks, at a ``full`` and a ``small`` size.

    ``flops(config)`` counts the floating-point operations of one step (2 per multiply-add of
    the matrix products and convolutions; element-wise work is not counted; see README.md).
    ``requires`` lists the nnscratch names the nnscratch side needs (``"nn.Linear"``,
    ``"optim.SGD"``, ``"nn.functional.cross_entropy"``); when one is missing the side is reported
    as not available instead of failing. ``reference`` names what the nnscratch side is compared
    with (PyTorch, or for ``mlp_trainer`` a bare nnscratch loop).
    """

    name: str
    description: str
    sizes: dict
    flops: Callable[[dict], float]
    build_nnscratch: Callable[[dict, str], Step]
    build_reference: Callable[[dict, str], Step]
    requires: tuple = ()
    reference: str = "torch"
    training: bool = True

    def config(self, size: str) -> dict:
        if size not in self.sizes:
            raise ValueError(f"workload {self.name}: unknown size {size!r} (have {sorted(self.sizes)})")
        return dict(self.sizes[size])


def check_available(requires: tuple) -> None:
    """Raise :class:`UnavailableError` listing every name in ``requires`` nnscratch lacks yet."""
    missing = []
    for dotted in requires:
        module_path, _, attribute = f"nnscratch.{dotted}".rpartition(".")
        try:
            getattr(importlib.import_module(module_path), attribute)
        except (AttributeError, ImportError):
            missing.append(dotted)
    if missing:
        raise UnavailableError("nnscratch has no " + ", ".join(missing) + " yet")


# ---------------------------------------------------------------------------- shared data

def _rng(seed: int, name: str) -> numpy.random.Generator:
    # One stream per tensor name: the draw does not depend on the order tensors are made in.
    return numpy.random.default_rng([seed, zlib.crc32(name.encode())])


def uniform(name: str, shape: tuple, bound: float, seed: int = SEED) -> numpy.ndarray:
    """float32 array ~ U(-bound, bound), reproducible from (seed, name)."""
    return _rng(seed, name).uniform(-bound, bound, size=shape).astype(numpy.float32)


def normal(name: str, shape: tuple, std: float = 1.0, seed: int = SEED) -> numpy.ndarray:
    """float32 array ~ N(0, std^2), reproducible from (seed, name)."""
    return (_rng(seed, name).standard_normal(shape) * std).astype(numpy.float32)


def integers(name: str, shape: tuple, high: int, seed: int = SEED) -> numpy.ndarray:
    """int64 array of class indices / token ids in [0, high), reproducible from (seed, name)."""
    return _rng(seed, name).integers(0, high, size=shape, dtype=numpy.int64)


def linear_weights(prefix: str, in_features: int, out_features: int) -> dict:
    """``{prefix}.weight (out, in)`` and ``{prefix}.bias (out,)`` ~ U(-1/sqrt(in), 1/sqrt(in)),
    PyTorch's default range for nn.Linear (the bias non-zero, so a bias bug cannot hide)."""
    bound = 1.0 / numpy.sqrt(in_features)
    return {
        f"{prefix}.weight": uniform(f"{prefix}.weight", (out_features, in_features), bound),
        f"{prefix}.bias": uniform(f"{prefix}.bias", (out_features,), bound),
    }


def conv_weights(prefix: str, in_channels: int, out_channels: int, kernel: int) -> dict:
    """``{prefix}.weight (out, in, k, k)`` and ``{prefix}.bias (out,)`` ~ U(±1/sqrt(in*k*k))."""
    bound = 1.0 / numpy.sqrt(in_channels * kernel * kernel)
    return {
        f"{prefix}.weight": uniform(f"{prefix}.weight", (out_channels, in_channels, kernel, kernel), bound),
        f"{prefix}.bias": uniform(f"{prefix}.bias", (out_channels,), bound),
    }


def recurrent_weights(prefix: str, kind: str, input_size: int, hidden_size: int, num_layers: int) -> dict:
    """PyTorch's RNN/LSTM/GRU parameter names and layouts, all ~ U(-1/sqrt(H), 1/sqrt(H)).

    ``weight_ih_l{k}`` is ``(gates*H, in)`` (in = input_size for k = 0, else H),
    ``weight_hh_l{k}`` is ``(gates*H, H)``, both biases ``(gates*H,)``; gates = 4 (LSTM),
    3 (GRU), 1 (RNN).
    """
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    bound = 1.0 / numpy.sqrt(hidden_size)
    dot = f"{prefix}." if prefix else ""
    weights = {}
    for layer in range(num_layers):
        layer_input = input_size if layer == 0 else hidden_size
        shapes = {
            f"weight_ih_l{layer}": (gates * hidden_size, layer_input),
            f"weight_hh_l{layer}": (gates * hidden_size, hidden_size),
            f"bias_ih_l{layer}": (gates * hidden_size,),
            f"bias_hh_l{layer}": (gates * hidden_size,),
        }
        for name, shape in shapes.items():
            weights[dot + name] = uniform(dot + name, shape, bound)
    return weights


def cross_entropy_numpy(logits: numpy.ndarray, targets: numpy.ndarray) -> float:
    """Mean cross-entropy of ``logits (N, C)`` against ``targets (N,)``, in float64.

    Inference workloads report this on their first output: the same formula on both
    frameworks' logits, so the loss column compares what the two models computed.
    """
    logits = numpy.asarray(logits, dtype=numpy.float64).reshape(-1, logits.shape[-1])
    targets = numpy.asarray(targets).reshape(-1)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - numpy.log(numpy.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[numpy.arange(len(targets)), targets].mean())


# ---------------------------------------------------------------------------- frameworks

def nnscratch_step_parts(device: str) -> tuple:
    """``(ns, synchronize)`` for the nnscratch side on ``device`` (``ns.nn``, ``ns.optim`` loaded)."""
    import nnscratch as ns
    import nnscratch.nn  # noqa: F401 - makes ns.nn an attribute, as torch.nn is
    import nnscratch.optim  # noqa: F401

    if device == "cuda":
        import cupy

        return ns, cupy.cuda.Device().synchronize
    return ns, lambda: None


def torch_step_parts(device: str) -> tuple:
    """``(torch, synchronize)`` for the PyTorch side; UnavailableError when torch lacks the device."""
    import torch

    if device == "cuda":
        if not torch.cuda.is_available():
            raise UnavailableError("this PyTorch build sees no CUDA device")
        return torch, torch.cuda.synchronize
    return torch, lambda: None


def load_nnscratch(model: Any, weights: dict) -> None:
    model.load_state_dict(weights)


def load_torch(model: Any, weights: dict) -> None:
    import torch

    model.load_state_dict({name: torch.from_numpy(array) for name, array in weights.items()})


def builders(build: Callable[..., Step]) -> tuple[Callable[[dict, str], Step], Callable[[dict, str], Step]]:
    """The nnscratch and PyTorch builders of one ``build(fw, synchronize, load, config, device)``."""

    def build_nnscratch(config: dict, device: str) -> Step:
        ns, synchronize = nnscratch_step_parts(device)
        return build(ns, synchronize, load_nnscratch, config, device)

    def build_torch(config: dict, device: str) -> Step:
        torch, synchronize = torch_step_parts(device)
        return build(torch, synchronize, load_torch, config, device)

    return build_nnscratch, build_torch


def scalar_loss(loss: Any) -> float:
    """A 0-d loss tensor of either framework as a Python float."""
    return float(loss.item())
