"""Losses: ``cross_entropy``, ``nll_loss``, ``mse_loss``, ``l1_loss``, ``binary_cross_entropy``
and its logits form, each checking its arguments and then running one fused Function of
``nnscratch.ops.loss``."""

# ruff: noqa: A002 - PyTorch names its arguments input

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy

from .. import backend
from ..ops import loss as loss_ops
from .promotion import as_tensor

if TYPE_CHECKING:
    from .._tensor import Tensor


def _shape(t: Any) -> tuple:
    return tuple(t.shape)


def reduction_from_legacy(name: str, size_average: Any, reduce: Any, reduction: str) -> str:
    """PyTorch's legacy size_average/reduce flags mapped to a reduction string (checked)."""
    if size_average is not None or reduce is not None:
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      "reduction= instead.", stacklevel=3)
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    loss_ops.check_reduction(name, reduction)
    return reduction


def _class_weight(name: str, weight: Any, input: Tensor) -> Any:
    if weight is None:
        return None
    weight = as_tensor(weight)
    classes = input.shape[1] if input.ndim >= 2 else input.shape[0]
    if _shape(weight) != (classes,):
        raise RuntimeError(
            f"{name}: weight tensor should be defined either for all {classes} classes or no "
            f"classes but got weight tensor of shape {_shape(weight)} (input {_shape(input)})"
        )
    return weight if weight.dtype == input.dtype else weight.to(input.dtype)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of logits (N, C, d…) or (C,) with class indices (N, d…) or class
    probabilities (N, C, d…); class ``weight`` (C,), ``ignore_index``, ``label_smoothing``."""
    reduction = reduction_from_legacy("cross_entropy", size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    if input.ndim == 0:
        raise ValueError("cross_entropy: input must have a class dimension, got a 0-d tensor")
    loss_ops.check_floating("cross_entropy", input._array, what="input (logits)")
    target = as_tensor(target)
    weight = _class_weight("cross_entropy", weight, input)
    if target.dtype.kind == "f":
        if _shape(target) != _shape(input):
            raise ValueError(
                f"cross_entropy: class-probability targets must have the input's shape "
                f"{_shape(input)}, got {_shape(target)}"
            )
        if target.dtype != input.dtype:
            target = target.to(input.dtype)
    elif target.dtype.kind in "iu":
        loss_ops.check_class_targets("cross_entropy", backend.get_array_module(target._array),
                                     input._array, target._array, ignore_index)
    else:
        raise TypeError(f"cross_entropy: expected integer or floating targets, got {target.dtype}")
    return loss_ops.CrossEntropy.apply(input, target, weight, ignore_index=ignore_index,
                                       reduction=reduction, label_smoothing=label_smoothing)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C, d…) at class indices (N, d…)."""
    reduction = reduction_from_legacy("nll_loss", size_average, reduce, reduction)
    if input.ndim == 0:
        raise ValueError("nll_loss: input must have a class dimension, got a 0-d tensor")
    target = as_tensor(target)
    if target.dtype.kind not in "iu":
        raise RuntimeError(f"nll_loss: expected integer class indices, got dtype {target.dtype}")
    weight = _class_weight("nll_loss", weight, input)
    loss_ops.check_class_targets("nll_loss", backend.get_array_module(target._array),
                                 input._array, target._array, ignore_index)
    return loss_ops.NLLLoss.apply(input, target, weight, ignore_index=ignore_index,
                                  reduction=reduction)


def _regression_operands(name: str, input: Tensor, target: Any) -> Tensor:
    target = as_tensor(target)
    if _shape(target) != _shape(input):
        warnings.warn(
            f"Using a target size ({_shape(target)}) that is different to the input size "
            f"({_shape(input)}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", stacklevel=3)
        try:
            numpy.broadcast_shapes(_shape(input), _shape(target))
        except ValueError:
            raise RuntimeError(
                f"{name}: input of shape {_shape(input)} and target of shape "
                f"{_shape(target)} do not broadcast"
            ) from None
    return target if target.dtype == input.dtype else target.to(input.dtype)


def _weighted(name: str, loss: Tensor, weight: Any, input: Tensor, reduction: str) -> Tensor:
    weight = as_tensor(weight)
    if _shape(weight) != _shape(input):
        raise ValueError(f"{name}: Weights and input must have the same size, got weight "
                         f"{_shape(weight)} and input {_shape(input)}")
    loss = loss * weight
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.sum() / weight.sum()


def mse_loss(input: Tensor, target: Tensor, size_average: Any = None,
             reduce: Any = None, reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """(x - y)², reduced; optional element ``weight`` (mean = Σ w l / Σ w)."""
    reduction = reduction_from_legacy("mse_loss", size_average, reduce, reduction)
    target = _regression_operands("mse_loss", input, target)
    if weight is not None:
        loss = loss_ops.MSELoss.apply(input, target, reduction="none")
        return _weighted("mse_loss", loss, weight, input, reduction)
    return loss_ops.MSELoss.apply(input, target, reduction=reduction)


def l1_loss(input: Tensor, target: Tensor, size_average: Any = None,
            reduce: Any = None, reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """|x - y|, reduced; optional element ``weight`` (mean = Σ w l / Σ w)."""
    reduction = reduction_from_legacy("l1_loss", size_average, reduce, reduction)
    target = _regression_operands("l1_loss", input, target)
    if weight is not None:
        loss = loss_ops.L1Loss.apply(input, target, reduction="none")
        return _weighted("l1_loss", loss, weight, input, reduction)
    return loss_ops.L1Loss.apply(input, target, reduction=reduction)


def _optional_same_dtype(value: Any, input: Tensor) -> Any:
    if value is None:
        return None
    value = as_tensor(value)
    return value if value.dtype == input.dtype else value.to(input.dtype)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """-w (y log x + (1-y) log(1-x)) for probabilities x ∈ [0, 1] of the target's shape."""
    reduction = reduction_from_legacy("binary_cross_entropy", size_average, reduce, reduction)
    target = as_tensor(target)
    if _shape(target) != _shape(input):
        raise ValueError(
            f"binary_cross_entropy: Using a target size ({_shape(target)}) that is different "
            f"to the input size ({_shape(input)}) is deprecated. Please ensure they have the "
            "same size."
        )
    loss_ops.check_floating("binary_cross_entropy", input._array)
    loss_ops.check_probabilities("binary_cross_entropy", backend.get_array_module(input._array),
                                 input._array)
    return loss_ops.BinaryCrossEntropy.apply(
        input, _optional_same_dtype(target, input), _optional_same_dtype(weight, input),
        reduction=reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average: Any = None,
                                     reduce: Any = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Stable BCE on logits x; ``pos_weight`` (broadcast over the last dim) weighs positives."""
    reduction = reduction_from_legacy("binary_cross_entropy_with_logits", size_average, reduce, reduction)
    target = as_tensor(target)
    if _shape(target) != _shape(input):
        raise ValueError(
            f"binary_cross_entropy_with_logits: Target size ({_shape(target)}) must be the "
            f"same as input size ({_shape(input)})"
        )
    return loss_ops.BinaryCrossEntropyWithLogits.apply(
        input, _optional_same_dtype(target, input), _optional_same_dtype(weight, input),
        _optional_same_dtype(pos_weight, input), reduction=reduction)
