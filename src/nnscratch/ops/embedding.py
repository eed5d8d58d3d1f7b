"""Embedding lookup: rows of a weight table picked by integer indices."""

from __future__ import annotations

from ..autograd.function import Function


class Embedding(Function):
    """y[…, :] = W[indices[…], :] for W (num_embeddings, dim) and integer indices of any shape.

    dL/dW[k] = Σ over the positions where indices == k of dL/dy (accumulated with add.at, so
    repeated indices add up); the row ``padding_idx`` gets no gradient. With
    ``scale_grad_by_freq`` each row's gradient is divided by how often it occurs.
    """

    @staticmethod
    def forward(ctx, weight, indices, *, padding_idx=None, scale_grad_by_freq=False):
        ctx.indices, ctx.shape = indices, weight.shape
        ctx.padding_idx, ctx.scale_grad_by_freq = padding_idx, scale_grad_by_freq
        return ctx.xp.take(weight, indices, axis=0)

    @staticmethod
    def backward(ctx, gy):
        xp = ctx.xp
        rows, dim = ctx.shape
        flat_indices = ctx.indices.reshape(-1)
        flat_grad = gy.reshape(-1, dim)
        grad_weight = xp.zeros(ctx.shape, dtype=gy.dtype)
        xp.add.at(grad_weight, flat_indices, flat_grad)  # repeated indices accumulate
        if ctx.scale_grad_by_freq:
            counts = xp.bincount(flat_indices, minlength=rows).astype(gy.dtype)
            grad_weight /= xp.maximum(counts, 1)[:, None]
        if ctx.padding_idx is not None:
            grad_weight[ctx.padding_idx] = 0
        return grad_weight, None
