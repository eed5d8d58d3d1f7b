"""Affine layers: Linear (y = x Wᵀ + b) and Bilinear (y = x₁ᵀ A x₂ + b)."""

from __future__ import annotations

import math
from typing import Any

from .. import creation
from .._tensor import Tensor
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


def _empty(shape: tuple, device: Any, dtype: Any) -> Parameter:
    return Parameter(creation.empty(*shape, device=device, dtype=dtype))


class Linear(Module):
    """y = x Wᵀ + b.

    Shapes: input (*, in_features) → output (*, out_features).
    Parameters: ``weight`` (out_features, in_features), ``bias`` (out_features,), both drawn
    from U(-1/√in_features, 1/√in_features) as PyTorch does.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = _empty((out_features, in_features), device, dtype)
        if bias:
            self.bias = _empty((out_features,), device, dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # kaiming_uniform_(a=√5) gives bound gain·√(3/fan_in) = 1/√fan_in
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise RuntimeError(
                f"{self._name()}: expected input with last dimension {self.in_features} "
                f"(in_features), got input of shape {tuple(input.shape)} whose last dimension "
                f"is {input.shape[-1] if input.ndim else 'missing'}"
            )
        return F.linear(input, self.weight, self.bias)

    def _name(self) -> str:
        return f"{type(self).__name__}(in_features={self.in_features}, " \
               f"out_features={self.out_features})"

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """y_k = x₁ᵀ A_k x₂ + b_k.

    Shapes: input1 (*, in1_features), input2 (*, in2_features) → (*, out_features).
    Parameters: ``weight`` (out_features, in1_features, in2_features), ``bias`` (out_features,),
    both from U(-1/√in1_features, 1/√in1_features).
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = _empty((out_features, in1_features, in2_features), device, dtype)
        if bias:
            self.bias = _empty((out_features,), device, dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        if (input1.ndim == 0 or input2.ndim == 0 or input1.shape[-1] != self.in1_features
                or input2.shape[-1] != self.in2_features
                or input1.shape[:-1] != input2.shape[:-1]):
            raise RuntimeError(
                f"Bilinear(in1_features={self.in1_features}, in2_features={self.in2_features}):"
                f" expected inputs (*, {self.in1_features}) and (*, {self.in2_features}) with "
                f"the same leading dims, got {tuple(input1.shape)} and {tuple(input2.shape)}"
            )
        lead = input1.shape[:-1]
        x1 = input1.reshape(-1, self.in1_features)
        x2 = input2.reshape(-1, self.in2_features)
        # (x₁ A_k)_j for every k at once: x1 (B, in1) @ A as (in1, out·in2) → (B, out, in2)
        weight = self.weight.permute(1, 0, 2).reshape(self.in1_features, -1)
        projected = (x1 @ weight).reshape(-1, self.out_features, self.in2_features)
        out = (projected * x2.unsqueeze(1)).sum(-1)
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(*lead, self.out_features)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
