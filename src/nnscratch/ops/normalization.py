"""Batch and layer normalisation as fused Functions (one node each, closed-form backward).

Both normalise x̂ = (x - μ) / sqrt(σ² + ε) with the biased variance σ² and then apply
y = γ x̂ + β. With g = dL/dy and n the number of elements each μ is taken over,

    dL/dx = (γ / sqrt(σ² + ε)) · (g - mean(g) - x̂ · mean(g x̂))       (statistics of the batch)
    dL/dx = (γ / sqrt(σ² + ε)) · g                                      (fixed running statistics)
    dL/dγ = Σ g x̂,   dL/dβ = Σ g
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Function


def _channel_view(vector: Any, ndim: int) -> Any:
    """A per-channel vector (C,) shaped (1, C, 1, …) to broadcast over (N, C, d…)."""
    return vector.reshape((1, -1) + (1,) * (ndim - 2))


class BatchNorm(Function):
    """Batch normalisation over every axis but the channel axis 1 of x (N, C, d…).

    weight, bias: (C,) or None. ``running_mean``/``running_var`` are (C,) arrays updated in
    place when ``training`` (r ← (1 - m) r + m s, with the unbiased batch variance for
    ``running_var``), or used as the statistics when not training. Options, not inputs: they
    carry no gradient.
    """

    @staticmethod
    def forward(ctx, x, weight=None, bias=None, *, running_mean=None, running_var=None,
                training=True, momentum=0.1, eps=1e-5):
        xp = ctx.xp
        axes = (0,) + tuple(range(2, x.ndim))
        count = x.size // x.shape[1]
        if training:
            mean = x.mean(axis=axes, keepdims=True)
            x_hat = x - mean
            var = xp.mean(x_hat * x_hat, axis=axes, keepdims=True)  # biased, for normalising
            inv_std = 1.0 / xp.sqrt(var + eps)
            x_hat *= inv_std
            if running_mean is not None:
                # running statistics use the unbiased variance n / (n - 1) σ²
                running_mean *= 1.0 - momentum
                running_mean += (momentum * mean.ravel()).astype(running_mean.dtype, copy=False)
                unbiased = var.ravel() * (count / max(count - 1, 1))
                running_var *= 1.0 - momentum
                running_var += (momentum * unbiased).astype(running_var.dtype, copy=False)
        else:
            mean = _channel_view(running_mean, x.ndim).astype(x.dtype, copy=False)
            inv_std = 1.0 / xp.sqrt(_channel_view(running_var, x.ndim).astype(x.dtype) + eps)
            x_hat = x - mean
            x_hat *= inv_std
        y = x_hat * _channel_view(weight, x.ndim) if weight is not None else x_hat.copy()
        if bias is not None:
            y += _channel_view(bias, x.ndim)
        ctx.training, ctx.axes, ctx.count = training, axes, count
        ctx.save_for_backward(x_hat, inv_std, weight)
        return y

    @staticmethod
    def backward(ctx, gy):
        x_hat, inv_std, weight = ctx.saved
        need_x, need_w, need_b = (ctx.needs_input_grad + (False, False))[:3]
        axes, ndim = ctx.axes, gy.ndim
        batch_stats = ctx.training and need_x
        grad_bias = gy.sum(axis=axes) if need_b or batch_stats else None  # Σ g
        grad_weight = (gy * x_hat).sum(axis=axes) if need_w or batch_stats else None  # Σ g x̂
        grad_x = None
        if need_x:
            scale = inv_std if weight is None else inv_std * _channel_view(weight, ndim)
            if ctx.training:
                # (γ/σ) (g - Σg/n - x̂ Σ(g x̂)/n): the means of γ-scaled terms, γ factored out
                grad_x = x_hat * _channel_view(grad_weight / ctx.count, ndim)
                grad_x += _channel_view(grad_bias / ctx.count, ndim)
                grad_x = gy - grad_x
                grad_x *= scale
            else:
                grad_x = gy * scale
        return (grad_x, grad_weight if need_w else None, grad_bias if need_b else None)


class LayerNorm(Function):
    """Layer normalisation over the last ``normalized_ndim`` axes of x (*, D1, …, Dk).

    weight, bias: (D1, …, Dk) or None.
    """

    @staticmethod
    def forward(ctx, x, weight=None, bias=None, *, normalized_ndim=1, eps=1e-5):
        xp = ctx.xp
        axes = tuple(range(x.ndim - normalized_ndim, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        x_hat = x - mean
        var = xp.mean(x_hat * x_hat, axis=axes, keepdims=True)
        inv_std = 1.0 / xp.sqrt(var + eps)
        x_hat *= inv_std
        y = x_hat * weight if weight is not None else x_hat.copy()
        if bias is not None:
            y += bias
        ctx.axes = axes
        ctx.save_for_backward(x_hat, inv_std, weight)
        return y

    @staticmethod
    def backward(ctx, gy):
        x_hat, inv_std, weight = ctx.saved
        need_x, need_w, need_b = (ctx.needs_input_grad + (False, False))[:3]
        axes = ctx.axes
        leading = tuple(range(gy.ndim - len(axes)))
        grad_x = grad_weight = grad_bias = None
        if need_x:
            g_hat = gy * weight if weight is not None else gy  # dL/dx̂
            # dL/dx = (g_hat - mean(g_hat) - x̂ mean(g_hat x̂)) / σ
            grad_x = x_hat * (g_hat * x_hat).mean(axis=axes, keepdims=True)
            grad_x += g_hat.mean(axis=axes, keepdims=True)
            grad_x = g_hat - grad_x
            grad_x *= inv_std
        if need_w:
            grad_weight = (gy * x_hat).sum(axis=leading)
        if need_b:
            grad_bias = gy.sum(axis=leading)
        return grad_x, grad_weight, grad_bias
