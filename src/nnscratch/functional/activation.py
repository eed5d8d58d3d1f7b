"""Activations: ``tanh``, ``sigmoid``, ``relu``, ``gelu``, ``softplus``, ``softmax``… on the
Functions of ``nnscratch.ops.activation``.

``softmax`` and ``log_softmax`` are ``torch.softmax`` (``dim`` defaults to the last);
``nn.functional`` exports :func:`nn_softmax` and :func:`nn_log_softmax` under those names,
which keep PyTorch's deprecated implicit-dim choice when ``dim`` is left out.
"""

# ruff: noqa: A002 - PyTorch names its arguments input

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

from ..autograd.grad_mode import is_grad_enabled
from ..ops import activation
from .elementwise import where
from .promotion import as_float

if TYPE_CHECKING:
    from .._tensor import Tensor


def in_place(input: Tensor, out: Tensor, inplace: bool) -> Tensor:
    """Write ``out`` into ``input`` for ``inplace=True`` when no graph records ``input``;
    inside a graph the out-of-place result is returned (same values, safe gradients)."""
    if inplace and not (is_grad_enabled() and input.requires_grad):
        input._array[...] = out._array
        return input
    return out


def tanh(input: Tensor) -> Tensor:
    return activation.Tanh.apply(as_float(input))


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^-x)."""
    return activation.Sigmoid.apply(as_float(input))


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    return in_place(input, activation.ReLU.apply(input), inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    out = activation.LeakyReLU.apply(input, negative_slope=negative_slope)
    return in_place(input, out, inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return in_place(input, activation.ELU.apply(input, alpha=alpha), inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Φ(x); ``approximate="tanh"``: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))."""
    if approximate == "none":
        return activation.GELU.apply(input)
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2.0 / math.pi)
        return input * (tanh(inner) + 1.0) * 0.5
    raise RuntimeError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """(1/β) log(1 + e^(βx)), and x itself where βx > threshold (PyTorch's linear regime)."""
    scaled = input if beta == 1 else input * beta
    soft = activation.Softplus.apply(scaled)
    if beta != 1:
        soft = soft / beta
    return where(scaled.detach() > threshold, input, soft)


def softmax(x: Tensor, dim: int = -1, dtype: Any = None) -> Tensor:
    """e^x / Σ e^x along ``dim``."""
    if dtype is not None:
        x = x.to(dtype)
    return activation.Softmax.apply(as_float(x), axis=dim)


def log_softmax(x: Tensor, dim: int = -1, dtype: Any = None) -> Tensor:
    """x - log Σ e^x along ``dim``."""
    if dtype is not None:
        x = x.to(dtype)
    return activation.LogSoftmax.apply(as_float(x), axis=dim)


def _softmax_dim(name: str, ndim: int, dim: int | None) -> int:
    if dim is not None:
        return dim
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1  # PyTorch's legacy choice


def nn_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
               dtype: Any = None) -> Tensor:
    """``nn.functional.softmax``: as :func:`softmax`, with the legacy choice of dim."""
    return softmax(input, _softmax_dim("softmax", input.ndim, dim), dtype=dtype)


def nn_log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                   dtype: Any = None) -> Tensor:
    """``nn.functional.log_softmax``: as :func:`log_softmax`, with the legacy choice of dim."""
    return log_softmax(input, _softmax_dim("log_softmax", input.ndim, dim), dtype=dtype)
