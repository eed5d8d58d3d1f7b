"""``nnscratch.nn.functional`` (``F``): the stateless forms of the layers.

Functions written here adapt PyTorch's signatures to ops; names listed in ``_EXPORTS`` are
defined next to their ops (convolution, pooling, recurrent) and loaded on first use.
Every function checks its arguments first and raises an error naming itself and the shapes.
"""

# ruff: noqa: A001, A002 - PyTorch names its arguments input

from __future__ import annotations

import importlib
import math
import warnings
from collections.abc import Sequence
from typing import Any

from .. import backend
from .. import functions as T
from ..autograd.grad_mode import is_grad_enabled
from ..ops import activation
from ..ops import dropout as dropout_ops
from ..ops import embedding as embedding_ops
from ..ops import loss as loss_ops
from ..ops import normalization as norm_ops
from ..ops.arithmetic import Linear
from ..ops.shape import Pad
from ..tensor import Tensor

_EXPORTS = {
    **dict.fromkeys(["conv1d", "conv2d"], "nnscratch.ops.conv"),
    **dict.fromkeys(["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"], "nnscratch.ops.pooling"),
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'nnscratch.nn.functional' has no attribute '{name}'")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def _shape(t: Any) -> tuple:
    return tuple(t.shape)


def _in_place(input: Tensor, out: Tensor, inplace: bool) -> Tensor:
    """Write ``out`` into ``input`` for ``inplace=True`` when no graph records ``input``;
    inside a graph the out-of-place result is returned (same values, safe gradients)."""
    if inplace and not (is_grad_enabled() and input.requires_grad):
        input._array[...] = out._array
        return input
    return out


# ---------------------------------------------------------------------------- linear

def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b.  input (*, in), weight (out, in), bias (out,) → (*, out)."""
    if weight.ndim != 2:
        raise RuntimeError(f"linear: weight must be 2-D (out, in), got shape {_shape(weight)}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        rows = math.prod(input.shape[:-1]) if input.ndim else 1
        raise RuntimeError(
            f"linear: mat1 and mat2 shapes cannot be multiplied ({rows}x"
            f"{input.shape[-1] if input.ndim else 1} and {weight.shape[1]}x{weight.shape[0]}): "
            f"input of shape {_shape(input)} has {input.shape[-1] if input.ndim else 1} "
            f"features, weight of shape {_shape(weight)} expects {weight.shape[1]}"
        )
    if bias is not None and _shape(bias) != (weight.shape[0],):
        raise RuntimeError(
            f"linear: bias of shape {_shape(bias)} does not match weight of shape "
            f"{_shape(weight)} (expected ({weight.shape[0]},))"
        )
    if input.dtype != weight.dtype:
        raise RuntimeError(
            f"linear: expected input and weight to have the same dtype, got {input.dtype} "
            f"and {weight.dtype}"
        )
    return Linear.apply(input, weight, bias)


# ---------------------------------------------------------------------------- activations

def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return _in_place(input, activation.ReLU.apply(input), inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    out = activation.LeakyReLU.apply(input, negative_slope=negative_slope)
    return _in_place(input, out, inplace)


def sigmoid(input: Tensor) -> Tensor:
    return T.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return T.tanh(input)


def _softmax_dim(name: str, ndim: int, dim: int | None) -> int:
    if dim is not None:
        return dim
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1  # PyTorch's legacy choice


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    return T.softmax(input, _softmax_dim("softmax", input.ndim, dim), dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    return T.log_softmax(input, _softmax_dim("log_softmax", input.ndim, dim), dtype=dtype)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _in_place(input, activation.ELU.apply(input, alpha=alpha), inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Φ(x); ``approximate="tanh"``: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))."""
    if approximate == "none":
        return activation.GELU.apply(input)
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2.0 / math.pi)
        return input * (T.tanh(inner) + 1.0) * 0.5
    raise RuntimeError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """(1/β) log(1 + e^(βx)), and x itself where βx > threshold (PyTorch's linear regime)."""
    scaled = input if beta == 1 else input * beta
    soft = activation.Softplus.apply(scaled)
    if beta != 1:
        soft = soft / beta
    return T.where(scaled.detach() > threshold, input, soft)


# ---------------------------------------------------------------------------- dropout, lookup

def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Inverted dropout: zero with probability p, scale survivors by 1/(1-p); identity when
    not ``training``."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    out = input * 0.0 if p == 1.0 else dropout_ops.Dropout.apply(input, p=p)
    return _in_place(input, out, inplace)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) at integer ``input`` (*) → (*, dim).

    ``sparse=True`` is accepted; the gradient is the same, held densely.
    """
    indices = T.as_tensor(input)
    if indices.dtype.kind not in "iu":
        raise TypeError(
            f"embedding: expected integer indices (Long or Int), got dtype {indices.dtype} "
            f"of shape {_shape(indices)}"
        )
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: weight must be 2-D, got shape {_shape(weight)}")
    rows = weight.shape[0]
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise ValueError(
                f"embedding: padding_idx {padding_idx} must be within num_embeddings ({rows})"
            )
        padding_idx %= rows
    array = indices._array
    if array.size and (int(array.min()) < 0 or int(array.max()) >= rows):
        bad = int(array.min()) if int(array.min()) < 0 else int(array.max())
        raise loss_ops.IndexOutOfRangeError(
            f"embedding: index {bad} out of range for a table of {rows} rows (weight shape "
            f"{_shape(weight)}, indices shape {_shape(indices)})"
        )
    if max_norm is not None:
        _renorm_rows(weight, array, max_norm, norm_type)
    return embedding_ops.Embedding.apply(
        weight, indices, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq
    )


def _renorm_rows(weight: Tensor, indices: Any, max_norm: float, norm_type: float) -> None:
    """Rescale, in place, each looked-up row whose p-norm exceeds max_norm (PyTorch's renorm)."""
    xp = backend.get_array_module(weight._array)
    unique = xp.unique(indices.reshape(-1))
    rows = weight._array[unique]
    norms = (xp.abs(rows) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(rows.dtype)
    weight._array[unique] = rows * scale[:, None]


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 (*, num_classes) with a 1 at each index of ``tensor`` (*)."""
    t = T.as_tensor(tensor)
    if t.dtype.kind not in "iu":
        raise RuntimeError(
            f"one_hot is only applicable to index tensor of integer type, got {t.dtype}"
        )
    array = t._array
    xp = backend.get_array_module(array)
    if num_classes == -1:
        if array.size == 0:
            raise RuntimeError("one_hot: Can not infer total number of classes from empty tensor.")
        num_classes = int(array.max()) + 1
    if array.size and int(array.min()) < 0:
        raise RuntimeError(f"one_hot: Class values must be non-negative, got {int(array.min())}")
    if array.size and int(array.max()) >= num_classes:
        raise RuntimeError(
            f"one_hot: Class values must be smaller than num_classes ({num_classes}), got "
            f"{int(array.max())}"
        )
    out = (array[..., None] == xp.arange(num_classes)).astype(backend.int64)
    return Tensor._make(out)


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pad the last len(pad)//2 dims: pad = (last_left, last_right, 2nd_last_left, …).

    Modes "constant" (negative widths crop), "reflect", "replicate", "circular".
    """
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise ValueError(f"pad: padding length must be divisible by 2, got {len(pad)}")
    if len(pad) // 2 > input.ndim:
        raise ValueError(
            f"pad: padding length {len(pad)} is more than twice the {input.ndim} dims of "
            f"shape {_shape(input)}"
        )
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: unknown padding mode {mode!r}")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode == "constant" and any(b < 0 or a < 0 for b, a in widths):
        crop = tuple(slice(max(-b, 0), input.shape[d] - max(-a, 0))
                     for d, (b, a) in enumerate(widths))
        input = input[crop]
        widths = [(max(b, 0), max(a, 0)) for b, a in widths]
    for d, (b, a) in enumerate(widths):
        size = input.shape[d]
        if mode == "constant" or not (b or a):
            continue
        if b < 0 or a < 0:
            raise RuntimeError(f"pad: negative padding needs constant mode, got {pad} ({mode})")
        limit = {"reflect": size - 1, "circular": size, "replicate": size and max(a, b)}[mode]
        if max(b, a) > limit:
            raise RuntimeError(
                f"pad: {mode} padding ({b}, {a}) does not fit dim {d} of size {size} of input "
                f"shape {_shape(input)} (at most {limit})"
            )
    return Pad.apply(input, widths=tuple(widths), mode=mode, value=0.0 if value is None else value)


# ---------------------------------------------------------------------------- normalisation

def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise (N, C, d…) per channel; in training the running stats are updated in place."""
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, …), got {_shape(input)}")
    channels = input.shape[1]
    for what, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and _shape(t) != (channels,):
            raise RuntimeError(
                f"batch_norm: {what} should contain {channels} elements (input shape "
                f"{_shape(input)}), got shape {_shape(t)}"
            )
    if training and input.numel() // max(channels, 1) <= 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size "
            f"{_shape(input)}"
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
    if input.ndim < len(shape) or _shape(input)[input.ndim - len(shape):] != shape:
        raise RuntimeError(
            f"layer_norm: Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {list(input.shape)}"
        )
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and _shape(t) != shape:
            raise RuntimeError(f"layer_norm: {what} of shape {_shape(t)} should have shape {shape}")
    return norm_ops.LayerNorm.apply(input, weight, bias, normalized_ndim=len(shape), eps=eps)


# ---------------------------------------------------------------------------- losses

def _reduction(name: str, size_average: Any, reduce: Any, reduction: str) -> str:
    """PyTorch's legacy size_average/reduce flags mapped to a reduction string."""
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
    weight = T.as_tensor(weight)
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
    reduction = _reduction("cross_entropy", size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    if input.ndim == 0:
        raise ValueError("cross_entropy: input must have a class dimension, got a 0-d tensor")
    loss_ops.check_floating("cross_entropy", input._array, what="input (logits)")
    target = T.as_tensor(target)
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
    reduction = _reduction("nll_loss", size_average, reduce, reduction)
    if input.ndim == 0:
        raise ValueError("nll_loss: input must have a class dimension, got a 0-d tensor")
    target = T.as_tensor(target)
    if target.dtype.kind not in "iu":
        raise RuntimeError(f"nll_loss: expected integer class indices, got dtype {target.dtype}")
    weight = _class_weight("nll_loss", weight, input)
    loss_ops.check_class_targets("nll_loss", backend.get_array_module(target._array),
                                 input._array, target._array, ignore_index)
    return loss_ops.NLLLoss.apply(input, target, weight, ignore_index=ignore_index,
                                  reduction=reduction)


def _regression_operands(name: str, input: Tensor, target: Any) -> Tensor:
    target = T.as_tensor(target)
    if _shape(target) != _shape(input):
        warnings.warn(
            f"Using a target size ({_shape(target)}) that is different to the input size "
            f"({_shape(input)}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", stacklevel=3)
        try:
            import numpy

            numpy.broadcast_shapes(_shape(input), _shape(target))
        except ValueError:
            raise RuntimeError(
                f"{name}: input of shape {_shape(input)} and target of shape "
                f"{_shape(target)} do not broadcast"
            ) from None
    return target if target.dtype == input.dtype else target.to(input.dtype)


def _weighted(name: str, loss: Tensor, weight: Any, input: Tensor, reduction: str) -> Tensor:
    weight = T.as_tensor(weight)
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
    reduction = _reduction("mse_loss", size_average, reduce, reduction)
    target = _regression_operands("mse_loss", input, target)
    if weight is not None:
        loss = loss_ops.MSELoss.apply(input, target, reduction="none")
        return _weighted("mse_loss", loss, weight, input, reduction)
    return loss_ops.MSELoss.apply(input, target, reduction=reduction)


def l1_loss(input: Tensor, target: Tensor, size_average: Any = None,
            reduce: Any = None, reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """|x - y|, reduced; optional element ``weight`` (mean = Σ w l / Σ w)."""
    reduction = _reduction("l1_loss", size_average, reduce, reduction)
    target = _regression_operands("l1_loss", input, target)
    if weight is not None:
        loss = loss_ops.L1Loss.apply(input, target, reduction="none")
        return _weighted("l1_loss", loss, weight, input, reduction)
    return loss_ops.L1Loss.apply(input, target, reduction=reduction)


def _optional_same_dtype(value: Any, input: Tensor) -> Any:
    if value is None:
        return None
    value = T.as_tensor(value)
    return value if value.dtype == input.dtype else value.to(input.dtype)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """-w (y log x + (1-y) log(1-x)) for probabilities x ∈ [0, 1] of the target's shape."""
    reduction = _reduction("binary_cross_entropy", size_average, reduce, reduction)
    target = T.as_tensor(target)
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
    reduction = _reduction("binary_cross_entropy_with_logits", size_average, reduce, reduction)
    target = T.as_tensor(target)
    if _shape(target) != _shape(input):
        raise ValueError(
            f"binary_cross_entropy_with_logits: Target size ({_shape(target)}) must be the "
            f"same as input size ({_shape(input)})"
        )
    return loss_ops.BinaryCrossEntropyWithLogits.apply(
        input, _optional_same_dtype(target, input), _optional_same_dtype(weight, input),
        _optional_same_dtype(pos_weight, input), reduction=reduction)
