"""Adam (with AMSGrad), PyTorch's rule step for step."""

from __future__ import annotations

import math
from typing import Any

from .. import backend
from ..creation import as_tensor
from .optimizer import (
    Optimizer,
    check_hyper_parameters,
    effective_grad,
    increment_step,
    lerp_,
    new_step_counter,
    scratch_like,
)


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), PyTorch's ``torch.optim.Adam`` step for step.

    With :math:`g_t = \nabla f_t(\theta_{t-1})` (negated when ``maximize``; plus
    :math:`\lambda\theta_{t-1}` when ``weight_decay`` is an L2 penalty)::

        θ ← θ (1 - γλ)                                     (decoupled_weight_decay only)
        m_t = β1 m_{t-1} + (1 - β1) g_t
        v_t = β2 v_{t-1} + (1 - β2) g_t²
        v̂_t = max(v̂_{t-1}, v_t)  if amsgrad  else  v_t
        θ_t = θ_{t-1} - γ/(1 - β1^t) · m_t / (sqrt(v̂_t)/sqrt(1 - β2^t) + ε)

    State per parameter: ``step`` (float32 scalar), ``exp_avg``, ``exp_avg_sq`` and, with
    ``amsgrad``, ``max_exp_avg_sq`` (each the shape of the parameter).
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        name = type(self).__name__
        check_hyper_parameters(name, lr=lr, eps=eps, weight_decay=weight_decay)
        for index, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{name}: invalid beta parameter at index {index}: {beta}")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _update(self, param: Any, grad: Any, state: dict, group: dict) -> None:
        xp = backend.get_array_module(param)
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay = group["weight_decay"]
        if not state:
            state["step"] = new_step_counter()
            state["exp_avg"] = as_tensor(xp.zeros_like(param))
            state["exp_avg_sq"] = as_tensor(xp.zeros_like(param))
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = as_tensor(xp.zeros_like(param))
        step = increment_step(state)
        exp_avg, exp_avg_sq = state["exp_avg"].array, state["exp_avg_sq"].array

        if group["decoupled_weight_decay"]:
            if weight_decay != 0:
                param *= 1.0 - lr * weight_decay          # θ ← θ (1 - γλ)
            grad, owned = effective_grad(param, grad, 0.0, group["maximize"])
        else:
            grad, owned = effective_grad(param, grad, weight_decay, group["maximize"])

        scratch = scratch_like(param)
        lerp_(exp_avg, grad, 1.0 - beta1, scratch)        # m_t = β1 m + (1 - β1) g
        squared = grad if owned else scratch
        xp.multiply(grad, grad, out=squared)              # v_t = β2 v + (1 - β2) g²
        squared *= 1.0 - beta2
        exp_avg_sq *= beta2
        exp_avg_sq += squared

        bias_correction1 = 1.0 - beta1**step
        bias_correction2_sqrt = math.sqrt(1.0 - beta2**step)
        step_size = lr / bias_correction1
        second_moment = exp_avg_sq
        if group["amsgrad"]:
            second_moment = state["max_exp_avg_sq"].array
            xp.maximum(second_moment, exp_avg_sq, out=second_moment)
        denom = scratch
        xp.sqrt(second_moment, out=denom)                 # sqrt(v̂)/sqrt(1 - β2^t) + ε
        denom /= bias_correction2_sqrt
        denom += eps
        xp.divide(exp_avg, denom, out=denom)              # θ -= γ/(1 - β1^t) · m / denom
        denom *= step_size
        param -= denom

