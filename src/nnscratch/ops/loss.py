"""Losses as fused Functions: cross-entropy (log-softmax inside), NLL, MSE, L1, BCE, BCE-with-logits.

Class-index losses take logits/log-probabilities of shape (N, C) or (N, C, d1, …) and targets
of shape (N,) or (N, d1, …); the class axis is always axis 1. ``reduction`` is ``"none"``,
``"sum"`` or ``"mean"``; for class-index targets the mean is PyTorch's weighted mean,
Σ_i w[y_i] l_i / Σ_i w[y_i] over the targets that are not ``ignore_index``.
No backward builds a dense one-hot matrix: the target term is subtracted at the target
indices only.
"""

from __future__ import annotations

from typing import Any

import numpy

from ..autograd.function import Function
from .activation import sigmoid_array
from .broadcast import shape_of, unbroadcast
from .indexing import IndexOutOfRangeError  # also raised for a class index outside [0, C)

REDUCTIONS = ("none", "mean", "sum")
# PyTorch's floor on x (1 - x) in the BCE gradient: the float32 number nearest 1e-12
BCE_EPSILON = float(numpy.float32(1e-12))


class InputRangeError(RuntimeError, ValueError):
    """An input outside the values the loss is defined for: a RuntimeError, as PyTorch
    raises, and a ValueError, as any bad input to nnscratch is."""


class UnsupportedDtypeError(NotImplementedError, ValueError):
    """An input of a dtype the loss has no kernel for: a NotImplementedError (a RuntimeError),
    as PyTorch raises, and a ValueError, as any bad input to nnscratch is."""


def check_floating(name: str, array: Any, what: str = "input") -> None:
    """The loss is computed on floating ``what``; PyTorch has no integer or bool kernel."""
    if array.dtype.kind != "f":
        raise UnsupportedDtypeError(
            f"{name}: {what} of dtype {array.dtype} (shape {tuple(array.shape)}) is not a "
            f"floating dtype; convert it, e.g. with .float() (PyTorch: \"{name}\" not "
            "implemented for integer dtypes either)")


def check_probabilities(name: str, xp: Any, array: Any) -> None:
    """Every element of ``array`` in [0, 1]: NaN is refused too, as PyTorch does."""
    outside = ~((array >= 0) & (array <= 1))  # true for NaN, which fails both comparisons
    if array.size and bool(outside.any()):
        value = float(array[outside].ravel()[0])
        raise InputRangeError(
            f"{name}: all elements of input should be between 0 and 1, got {value} (input "
            f"shape {tuple(array.shape)}, {int(xp.count_nonzero(outside))} elements outside)")


def check_reduction(name: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: {reduction!r} is not a valid value for reduction "
                         f"(expected 'none', 'mean' or 'sum')")


def check_class_targets(name: str, xp: Any, scores: Any, target: Any, ignore_index: int) -> None:
    """Shapes (N, C, d…) vs (N, d…) and every target in [0, C) or equal to ``ignore_index``."""
    expected = (scores.shape[0],) + scores.shape[2:] if scores.ndim >= 2 else ()
    if target.shape != expected:
        if scores.ndim >= 2 and target.ndim >= 1 and target.shape[0] != scores.shape[0]:
            raise ValueError(
                f"{name}: Expected input batch_size ({scores.shape[0]}) to match target "
                f"batch_size ({target.shape[0]}); input shape {tuple(scores.shape)}, target "
                f"shape {tuple(target.shape)}"
            )
        raise ValueError(
            f"{name}: target of shape {tuple(target.shape)} does not fit input of shape "
            f"{tuple(scores.shape)} (expected target shape {expected})"
        )
    if target.size == 0:
        return
    classes = scores.shape[1] if scores.ndim >= 2 else scores.shape[0]
    bad = ((target < 0) | (target >= classes)) & (target != ignore_index)
    if bool(bad.any()):
        value = int(target[bad].ravel()[0])
        raise IndexOutOfRangeError(f"{name}: Target {value} is out of bounds for {classes} classes")


def class_index(xp: Any, target: Any) -> tuple:
    """The fancy index that picks, for every position of ``target`` (N, d…), the entry at class
    ``target`` on axis 1 of an (N, C, d…) array. One entry per position: no repeats."""
    grids = []
    for axis, size in enumerate(target.shape):
        shape = [1] * target.ndim
        shape[axis] = size
        grids.append(xp.arange(size).reshape(shape))
    return (grids[0], target, *grids[1:])


def _class_view(vector: Any, ndim: int) -> Any:
    """A per-class vector (C,) shaped to broadcast along axis 1 of an ndim-array."""
    return vector.reshape((1, -1) + (1,) * (ndim - 2))


def _reduce(xp: Any, loss: Any, reduction: str, denominator: float) -> Any:
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return xp.asarray(total)
    if denominator == 0:  # nothing counted: 0/0, as PyTorch gives nan
        return xp.asarray(total * float("nan"))
    return xp.asarray(total / denominator)


def _upstream_scale(gy: Any, reduction: str, denominator: float) -> Any:
    """dL/dl_i for the unreduced losses l_i: gy / D for mean, gy for sum and none."""
    if reduction == "mean":
        return gy / denominator if denominator else gy * 0.0
    return gy


class _Targets:
    """What the class-index losses share: which targets count, and their class weights."""

    def __init__(self, xp: Any, target: Any, weight: Any, ignore_index: int, dtype: Any) -> None:
        valid = target != ignore_index
        self.all_valid = bool(valid.all())
        self.safe = target if self.all_valid else xp.where(valid, target, 0)
        if weight is not None:
            self.row_weight = weight[self.safe]  # w[y_i], 0 where ignored
            if not self.all_valid:
                self.row_weight *= valid
        elif self.all_valid:
            self.row_weight = None  # every w[y_i] is 1
        else:
            self.row_weight = valid.astype(dtype)
        self.valid = valid
        if self.row_weight is None:
            self.denominator = float(target.size)
        else:
            self.denominator = float(self.row_weight.sum())


class CrossEntropy(Function):
    """Cross-entropy of logits: log-softmax and NLL in one op, stable for any logit size.

    logits (N, C, d…), target (N, d…) integer class indices or (N, C, d…) probabilities,
    weight (C,) or None.  With p = softmax(x) and log p_c = x_c - m - log Σ_k e^(x_k - m):
        l_i = -(1-ε) w[y_i] log p_{i,y_i} - (ε/C) Σ_c w_c log p_{i,c}        (index targets)
        dl_i/dx_{i,c} = p_c ((1-ε) w[y_i] + (ε/C) Σ_k w_k) - (1-ε) w[y_i] [c = y_i] - (ε/C) w_c
    """

    @staticmethod
    def forward(ctx, logits, target, weight=None, *, ignore_index=-100, reduction="mean",
                label_smoothing=0.0):
        xp = ctx.xp
        ctx.unbatched = logits.ndim == 1
        if ctx.unbatched:
            logits, target = logits[None], target[None]
        classes = logits.shape[1]
        shift = logits.max(axis=1, keepdims=True)
        shifted = logits - shift  # x - m
        ctx.reduction, ctx.smoothing, ctx.classes = reduction, label_smoothing, classes
        ctx.weight = weight
        if target.dtype.kind == "f":
            probs = xp.exp(shifted)
            sum_exp = probs.sum(axis=1, keepdims=True)
            probs /= sum_exp
            return _probability_targets(ctx, shifted, xp.log(sum_exp), probs, target, weight)
        targets = _Targets(xp, target, weight, ignore_index, logits.dtype)
        index = class_index(xp, targets.safe)
        picked = shifted[index]  # x_{i, y_i} - m_i   (N, d…), read before exp overwrites it
        if label_smoothing:  # Σ_c w_c (x_c - m), also read before the exp
            smooth = shifted.sum(axis=1) if weight is None \
                else (shifted * _class_view(weight, shifted.ndim)).sum(axis=1)
        probs = xp.exp(shifted, out=shifted)  # in place: the logits' size is the big array
        sum_exp = probs.sum(axis=1, keepdims=True)
        log_sum_exp = xp.log(sum_exp)
        probs /= sum_exp  # softmax, kept for backward
        picked -= log_sum_exp[:, 0]  # log p_{i, y_i}
        loss = picked * targets.row_weight if targets.row_weight is not None else picked
        loss = -loss
        if label_smoothing:
            eps = label_smoothing
            # Σ_c w_c log p_c = Σ_c w_c (x_c - m) - (Σ_c w_c) log Σ e^(x - m)
            total_weight = classes if weight is None else float(weight.sum())
            smooth -= total_weight * log_sum_exp[:, 0]
            if not targets.all_valid:
                smooth *= targets.valid
            loss *= 1.0 - eps
            loss -= (eps / classes) * smooth
        elif not targets.all_valid:
            loss *= targets.valid  # clears -0.0 and keeps ignored rows at exactly 0
        ctx.targets, ctx.index = targets, index
        ctx.save_for_backward(probs)
        out = _reduce(xp, loss, reduction, targets.denominator)
        return out[0] if ctx.unbatched and reduction == "none" else out

    @staticmethod
    def backward(ctx, gy):
        (probs,) = ctx.saved
        if ctx.unbatched and ctx.reduction == "none":
            gy = gy[None]
        if ctx.__dict__.get("probability_targets"):
            grads = _probability_backward(ctx, probs, gy)
        else:
            grads = (_index_backward(ctx, probs, gy), None, None)
        if ctx.unbatched:
            grads = tuple(g[0] if g is not None else None for g in grads)
        return grads


def _index_backward(ctx: Any, probs: Any, gy: Any) -> Any:
    xp, targets, eps = ctx.xp, ctx.targets, ctx.smoothing
    scale = _upstream_scale(gy, ctx.reduction, targets.denominator)  # 0-d or (N, d…)
    if targets.row_weight is not None:
        row = targets.row_weight * scale  # s_i w[y_i] (0 where ignored)
    else:
        row = xp.broadcast_to(scale, targets.safe.shape)
    # the gradient is written over the saved softmax when the graph is freed after this backward
    grad = probs if ctx.may_overwrite_saved and not eps else xp.empty_like(probs)
    if ctx.reduction != "none" and targets.row_weight is None:
        xp.multiply(probs, scale, out=grad)  # every row has the same factor: no (N,) broadcast
    else:
        xp.multiply(probs, row[:, None], out=grad)
    if eps:
        # counted rows with the per-row upstream factor s_i (and w in the smoothing term)
        if targets.all_valid:
            counted = xp.broadcast_to(scale, targets.safe.shape)
        else:
            counted = targets.valid * scale
        total_weight = ctx.classes if ctx.weight is None else float(ctx.weight.sum())
        # p_c ((1-ε) w[y] + (ε/C) W) - (1-ε) w[y] [c=y] - (ε/C) w_c, per counted row
        grad *= 1.0 - eps
        grad += probs * (counted * (eps / ctx.classes * total_weight))[:, None]
        smooth = (counted * (eps / ctx.classes))[:, None]
        if ctx.weight is not None:
            smooth = smooth * _class_view(ctx.weight, probs.ndim)
        grad -= smooth
        grad[ctx.index] -= (1.0 - eps) * row
    else:
        grad[ctx.index] -= row
    return grad


def _probability_targets(ctx: Any, shifted: Any, log_sum_exp: Any, probs: Any, target: Any,
                         weight: Any) -> Any:
    """Soft targets q (N, C, d…): l_i = -Σ_c w_c q'_c log p_c with q' = (1-ε) q + ε/C."""
    xp = ctx.xp
    if target.shape != shifted.shape:
        raise ValueError(
            f"cross_entropy: probability targets must have the input's shape "
            f"{tuple(shifted.shape)}, got {tuple(target.shape)}"
        )
    ctx.probability_targets = True
    eps, classes = ctx.smoothing, ctx.classes
    soft = target * (1.0 - eps) + eps / classes if eps else target
    if weight is not None:
        soft = soft * _class_view(weight, shifted.ndim)
    log_probs = shifted
    log_probs -= log_sum_exp
    loss = -(log_probs * soft).sum(axis=1)
    ctx.denominator = float(loss.size)
    ctx.soft = soft
    ctx.log_probs = log_probs if ctx.needs_input_grad[1] else None
    ctx.save_for_backward(probs)
    out = _reduce(xp, loss, ctx.reduction, ctx.denominator)
    return out[0] if ctx.unbatched and ctx.reduction == "none" else out


def _probability_backward(ctx: Any, probs: Any, gy: Any) -> tuple:
    scale = _upstream_scale(gy, ctx.reduction, ctx.denominator)
    if ctx.reduction == "none":
        scale = scale[:, None]
    need_x, need_t = ctx.needs_input_grad[:2]
    grad_x = grad_t = None
    if need_x:
        # dl/dx_c = p_c Σ_k q'_k w_k - q'_c w_c
        grad_x = probs * ctx.soft.sum(axis=1, keepdims=True)
        grad_x -= ctx.soft
        grad_x *= scale
    if need_t:
        # dl/dq_c = -(1-ε) w_c log p_c
        grad_t = ctx.log_probs * (-(1.0 - ctx.smoothing) * scale)
        if ctx.weight is not None:
            grad_t *= _class_view(ctx.weight, probs.ndim)
    return grad_x, grad_t, None


class NLLLoss(Function):
    """Negative log-likelihood of log-probabilities x (N, C, d…): l_i = -w[y_i] x_{i, y_i}."""

    @staticmethod
    def forward(ctx, log_probs, target, weight=None, *, ignore_index=-100, reduction="mean"):
        xp = ctx.xp
        ctx.unbatched = log_probs.ndim == 1
        if ctx.unbatched:
            log_probs, target = log_probs[None], target[None]
        targets = _Targets(xp, target, weight, ignore_index, log_probs.dtype)
        index = class_index(xp, targets.safe)
        picked = log_probs[index]
        loss = -(picked * targets.row_weight) if targets.row_weight is not None else -picked
        ctx.targets, ctx.index, ctx.reduction = targets, index, reduction
        ctx.shape, ctx.dtype = log_probs.shape, log_probs.dtype
        out = _reduce(xp, loss, reduction, targets.denominator)
        return out[0] if ctx.unbatched and reduction == "none" else out

    @staticmethod
    def backward(ctx, gy):
        xp, targets = ctx.xp, ctx.targets
        if ctx.unbatched and ctx.reduction == "none":
            gy = gy[None]
        scale = _upstream_scale(gy, ctx.reduction, targets.denominator)
        row = targets.row_weight * scale if targets.row_weight is not None else scale
        grad = xp.zeros(ctx.shape, dtype=ctx.dtype)
        grad[ctx.index] = -xp.broadcast_to(row, targets.safe.shape)  # dl/dx_{i,y_i} = -w[y_i]
        return (grad[0] if ctx.unbatched else grad), None, None


class MSELoss(Function):
    """Mean squared error: l = (x - y)²; dl/dx = 2 (x - y) = -dl/dy (broadcast undone)."""

    @staticmethod
    def forward(ctx, input, target, *, reduction="mean"):  # noqa: A002 - PyTorch's name
        diff = input - target
        ctx.shapes = (shape_of(input), shape_of(target))
        ctx.reduction, ctx.size = reduction, diff.size
        ctx.save_for_backward(diff)
        return _reduce(ctx.xp, diff * diff, reduction, diff.size)

    @staticmethod
    def backward(ctx, gy):
        (diff,) = ctx.saved
        scale = _upstream_scale(gy, ctx.reduction, ctx.size)
        grad = diff * (2.0 * scale)
        need_x, need_y = ctx.needs_input_grad
        return (unbroadcast(grad, ctx.shapes[0]) if need_x else None,
                unbroadcast(-grad, ctx.shapes[1]) if need_y else None)


class L1Loss(Function):
    """Mean absolute error: l = |x - y|; dl/dx = sign(x - y) (0 at a tie, as PyTorch)."""

    @staticmethod
    def forward(ctx, input, target, *, reduction="mean"):  # noqa: A002
        diff = input - target
        ctx.shapes = (shape_of(input), shape_of(target))
        ctx.reduction, ctx.size = reduction, diff.size
        ctx.save_for_backward(diff)
        return _reduce(ctx.xp, ctx.xp.abs(diff), reduction, diff.size)

    @staticmethod
    def backward(ctx, gy):
        (diff,) = ctx.saved
        grad = ctx.xp.sign(diff) * _upstream_scale(gy, ctx.reduction, ctx.size)
        need_x, need_y = ctx.needs_input_grad
        return (unbroadcast(grad, ctx.shapes[0]) if need_x else None,
                unbroadcast(-grad, ctx.shapes[1]) if need_y else None)


class BinaryCrossEntropy(Function):
    """BCE of probabilities x ∈ [0, 1]: l = -w (y log x + (1-y) log(1-x)), logs clamped at -100.

    dl/dx = w (x - y) / max(x (1-x), ε≈1e-12),  dl/dy = w (log(1-x) - log x)
    (PyTorch's forms; the logs of dl/dy are not clamped).
    """

    @staticmethod
    def forward(ctx, input, target, weight=None, *, reduction="mean"):  # noqa: A002
        xp = ctx.xp
        with numpy.errstate(divide="ignore"):  # log 0 = -inf, clamped just below
            log_x = xp.maximum(xp.log(input), -100.0)
            log_1mx = xp.maximum(xp.log1p(-input), -100.0)
        # -(y log x + (1 - y) log(1 - x)) = -(log(1-x) + y (log x - log(1-x)))
        unweighted = log_x - log_1mx
        unweighted *= target
        unweighted += log_1mx
        unweighted = -unweighted
        loss = unweighted * weight if weight is not None else unweighted
        ctx.save_for_backward(input, target, weight, log_x, log_1mx, unweighted)
        ctx.reduction, ctx.size = reduction, loss.size
        return _reduce(xp, loss, reduction, loss.size)

    @staticmethod
    def backward(ctx, gy):
        xp = ctx.xp
        x, y, weight, log_x, log_1mx, unweighted = ctx.saved
        scale = _upstream_scale(gy, ctx.reduction, ctx.size)
        need_x, need_y, need_w = (ctx.needs_input_grad + (False,))[:3]
        factor = scale * weight if weight is not None else scale
        grad_x = grad_y = grad_w = None
        if need_x:
            grad_x = (x - y) / xp.maximum(x * (1 - x), BCE_EPSILON) * factor
        if need_y:  # PyTorch leaves these logs unclamped: ±inf at saturated x
            with numpy.errstate(divide="ignore", invalid="ignore"):
                grad_y = (xp.log1p(-x) - xp.log(x)) * factor
        if need_w:
            grad_w = unbroadcast(unweighted * scale, weight.shape)
        return grad_x, grad_y, grad_w


class BinaryCrossEntropyWithLogits(Function):
    """BCE on logits, stable: with s = softplus(-x) = -log σ(x) and lw = 1 + (pw - 1) y,
        l = w ((1 - y) x + lw s)
        dl/dx = w ((1 - y) - lw σ(-x)),  dl/dy = w ((pw - 1) s - x),  dl/dpw = w y s.
    """

    @staticmethod
    def forward(ctx, input, target, weight=None, pos_weight=None, *, reduction="mean"):  # noqa: A002
        xp = ctx.xp
        # softplus(-x) = max(-x, 0) + log1p(e^{-|x|})
        softplus_neg = xp.log1p(xp.exp(-xp.abs(input)))
        softplus_neg += xp.maximum(-input, 0)
        log_weight = None
        if pos_weight is not None:
            log_weight = (pos_weight - 1) * target + 1
            unweighted = log_weight * softplus_neg
        else:
            unweighted = softplus_neg.copy()
        unweighted += (1 - target) * input
        loss = unweighted * weight if weight is not None else unweighted
        ctx.save_for_backward(input, target, weight, pos_weight, log_weight, softplus_neg,
                              unweighted)
        ctx.reduction, ctx.size, ctx.shape = reduction, loss.size, loss.shape
        return _reduce(xp, loss, reduction, loss.size)

    @staticmethod
    def backward(ctx, gy):
        xp = ctx.xp
        x, y, weight, pos_weight, log_weight, softplus_neg, unweighted = ctx.saved
        scale = _upstream_scale(gy, ctx.reduction, ctx.size)
        need_x, need_y, need_w, need_pw = (ctx.needs_input_grad + (False, False))[:4]
        factor = scale * weight if weight is not None else scale
        grad_x = grad_y = grad_w = grad_pw = None
        if need_x:
            if log_weight is None:
                grad_x = sigmoid_array(xp, x) - y  # (1 - y) - σ(-x) = σ(x) - y
            else:
                grad_x = (1 - y) - log_weight * sigmoid_array(xp, -x)
            grad_x = unbroadcast(grad_x * factor, shape_of(x))
        if need_y:
            grad_y = -x if pos_weight is None else (pos_weight - 1) * softplus_neg - x
            grad_y = unbroadcast(grad_y * factor, shape_of(y))
        if need_w:
            grad_w = unbroadcast(unweighted * scale, shape_of(weight))
        if need_pw:
            grad_pw = unbroadcast(y * softplus_neg * factor, shape_of(pos_weight))
        return grad_x, grad_y, grad_w, grad_pw
