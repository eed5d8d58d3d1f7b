"""Arithmetic and products: ``add``, ``mul``, ``div``, ``pow``, ``matmul``, ``einsum``, ``linear``.

Each adapts PyTorch's signature to a Function of ``nnscratch.ops.arithmetic`` (or
``ops.einsum``) after bringing the operands to PyTorch's promoted dtypes (``promotion.py``).
"""

# ruff: noqa: A001, A002 - PyTorch's names (pow, input)

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..ops import arithmetic
from ..ops import einsum as einsum_ops
from .promotion import as_tensor, operands
from .shape import unsqueeze

if TYPE_CHECKING:
    from .._tensor import Tensor


def add(a: Any, b: Any, alpha: float = 1) -> Tensor:
    """a + alpha·b, broadcast."""
    if alpha != 1:
        b = mul(b, alpha)
    return arithmetic.Add.apply(*operands(a, b))


def sub(a: Any, b: Any, alpha: float = 1) -> Tensor:
    """a - alpha·b, broadcast."""
    if alpha != 1:
        b = mul(b, alpha)
    return arithmetic.Sub.apply(*operands(a, b))


def mul(a: Any, b: Any) -> Tensor:
    return arithmetic.Mul.apply(*operands(a, b))


def div(a: Any, b: Any) -> Tensor:
    """True division: integer operands give the default float dtype."""
    return arithmetic.Div.apply(*operands(a, b, true_division=True))


def neg(x: Tensor) -> Tensor:
    return arithmetic.Neg.apply(x)


def pow(x: Any, exponent: Any) -> Tensor:
    return arithmetic.Pow.apply(*operands(x, exponent))


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with numpy's rules: (…, n, k) @ (…, k, m) → (…, n, m); 1-D operands
    are vectors."""
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError("matmul: both arguments need at least 1 dimension, got a 0-d tensor")
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise RuntimeError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
            f"({inner_a} != {inner_b})"
        )
    if a.dtype != b.dtype:
        a, b = operands(a, b)
        if a.dtype != b.dtype:
            raise RuntimeError(
                f"matmul: expected both arguments to have the same dtype, got {a.dtype} and {b.dtype}"
            )
    return arithmetic.MatMul.apply(a, b)


mm = bmm = matmul


def outer(a: Tensor, b: Tensor) -> Tensor:
    """(n,) ⊗ (m,) → (n, m)."""
    return mul(unsqueeze(a, 1), unsqueeze(b, 0))


def dot(a: Tensor, b: Tensor) -> Tensor:
    return matmul(a, b)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation, as ``torch.einsum(equation, *operands)`` or ``(equation, [a, b])``.

    ``einsum('bij,bjk->bik', a, b)`` is a batched matmul: labels shared by operands multiply,
    labels left out of the output are summed (see ``ops/einsum.py``).
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    tensors = [as_tensor(x) for x in operands]
    if len({type(t._array) for t in tensors}) > 1 or len({t.dtype for t in tensors}) > 1:
        raise RuntimeError(
            f"einsum(): operands must share one device and dtype, got "
            f"{[(str(t.device), str(t.dtype)) for t in tensors]} (equation {equation!r})"
        )
    plan = einsum_ops.parse_equation(equation, [tuple(t.shape) for t in tensors])
    return einsum_ops.Einsum.apply(*tensors, plan=plan)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b.  input (*, in), weight (out, in), bias (out,) → (*, out)."""
    if weight.ndim != 2:
        raise RuntimeError(f"linear: weight must be 2-D (out, in), got shape {tuple(weight.shape)}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        rows = math.prod(input.shape[:-1]) if input.ndim else 1
        raise RuntimeError(
            f"linear: mat1 and mat2 shapes cannot be multiplied ({rows}x"
            f"{input.shape[-1] if input.ndim else 1} and {weight.shape[1]}x{weight.shape[0]}): "
            f"input of shape {tuple(input.shape)} has {input.shape[-1] if input.ndim else 1} "
            f"features, weight of shape {tuple(weight.shape)} expects {weight.shape[1]}"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(
            f"linear: bias of shape {tuple(bias.shape)} does not match weight of shape "
            f"{tuple(weight.shape)} (expected ({weight.shape[0]},))"
        )
    if input.dtype != weight.dtype:
        raise RuntimeError(
            f"linear: expected input and weight to have the same dtype, got {input.dtype} "
            f"and {weight.dtype}"
        )
    return arithmetic.Linear.apply(input, weight, bias)
