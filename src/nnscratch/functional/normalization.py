"""``batch_norm`` and ``layer_norm`` on the fused Functions of ``nnscratch.ops.normalization``."""

# ruff: noqa: A002 - PyTorch names its arguments input

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..ops import normalization as norm_ops

if TYPE_CHECKING:
    from .._tensor import Tensor


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise (N, C, d…) per channel; in training the running stats are updated in place."""
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, …), got {tuple(input.shape)}")
    channels = input.shape[1]
    for what, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (channels,):
            raise RuntimeError(
                f"batch_norm: {what} should contain {channels} elements (input shape "
                f"{tuple(input.shape)}), got shape {tuple(t.shape)}"
            )
    if training and input.numel() // max(channels, 1) <= 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size "
            f"{tuple(input.shape)}"
        )
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("batch_norm: running_mean and running_var must be given in eval mode")
    return norm_ops.BatchNorm.apply(
        input, weight, bias,
        running_mean=None if running_mean is None else running_mean._array,
        running_var=None if running_var is None else running_var._array,
        training=training, momentum=0.0 if momentum is None else momentum, eps=eps,
    )


def layer_norm(input: Tensor, normalized_shape: Sequence[int] | int,
               weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing dims ``normalized_shape``."""
    shape = (int(normalized_shape),) if isinstance(normalized_shape, int) else tuple(
        int(n) for n in normalized_shape)
    if input.ndim < len(shape) or tuple(input.shape)[input.ndim - len(shape):] != shape:
        raise RuntimeError(
            f"layer_norm: Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {list(input.shape)}"
        )
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"layer_norm: {what} of shape {tuple(t.shape)} should have shape {shape}")
    return norm_ops.LayerNorm.apply(input, weight, bias, normalized_ndim=len(shape), eps=eps)
