"""Inverted dropout: zero each element with probability p and scale the rest by 1 / (1 - p)."""

from __future__ import annotations

from ..autograd.function import Function
from ..backend import device_of, generator


class Dropout(Function):
    """y = x ⊙ m / (1 - p) with m ~ Bernoulli(1 - p) drawn from the library's generator.

    The scaled mask is kept, so dL/dx = dL/dy ⊙ m / (1 - p). Called only in training with
    0 < p < 1 (the functional form handles p = 0, p = 1 and evaluation).
    """

    @staticmethod
    def forward(ctx, x, *, p=0.5):
        xp = ctx.xp
        draw_dtype = x.dtype if x.dtype in (xp.float32, xp.float64) else xp.float32
        uniform = generator(device_of(x)).random(x.shape, dtype=draw_dtype)
        # keep where u >= p (probability 1 - p); the kept entries carry the 1/(1-p) scale
        mask = xp.greater_equal(uniform, p, out=uniform)  # bool result written as 0/1 floats
        mask *= 1.0 / (1.0 - p)
        ctx.save_for_backward(mask)
        return x * mask if mask.dtype == x.dtype else (x * mask).astype(x.dtype)

    @staticmethod
    def backward(ctx, gy):
        (mask,) = ctx.saved
        return gy * mask
