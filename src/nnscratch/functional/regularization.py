"""``dropout`` (inverted dropout, on ``nnscratch.ops.dropout``): the regularisers."""

# ruff: noqa: A002 - PyTorch names its arguments input

from __future__ import annotations

from typing import TYPE_CHECKING

from ..ops import dropout as dropout_ops
from .activation import in_place

if TYPE_CHECKING:
    from .._tensor import Tensor


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Inverted dropout: zero with probability p, scale survivors by 1/(1-p); identity when
    not ``training``."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    out = input * 0.0 if p == 1.0 else dropout_ops.Dropout.apply(input, p=p)
    return in_place(input, out, inplace)
