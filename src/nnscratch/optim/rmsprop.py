"""RMSprop (centered and with momentum), PyTorch's rule step for step."""

from __future__ import annotations

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


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, 2012), PyTorch's ``torch.optim.RMSprop`` step for step.

    With :math:`g_t = \nabla f_t(\theta_{t-1}) + \lambda\theta_{t-1}` (negated first when
    ``maximize``)::

        v_t = α v_{t-1} + (1 - α) g_t²
        a_t = sqrt(v_t - ḡ_t²) + ε,  ḡ_t = α ḡ_{t-1} + (1 - α) g_t     (centered)
        a_t = sqrt(v_t) + ε                                            (otherwise)
        b_t = μ b_{t-1} + g_t / a_t,   θ_t = θ_{t-1} - γ b_t            (momentum μ > 0)
        θ_t = θ_{t-1} - γ g_t / a_t                                    (μ = 0)

    State per parameter: ``step``, ``square_avg``, ``momentum_buffer`` (μ > 0) and ``grad_avg``
    (centered).
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        check_hyper_parameters("RMSprop", lr=lr, alpha=alpha, eps=eps,
                               weight_decay=weight_decay, momentum=momentum)
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, param: Any, grad: Any, state: dict, group: dict) -> None:
        xp = backend.get_array_module(param)
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        if not state:
            state["step"] = new_step_counter()
            state["square_avg"] = as_tensor(xp.zeros_like(param))
        if momentum > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = as_tensor(xp.zeros_like(param))
        if group["centered"] and "grad_avg" not in state:
            state["grad_avg"] = as_tensor(xp.zeros_like(param))
        increment_step(state)
        grad, _ = effective_grad(param, grad, group["weight_decay"], group["maximize"])
        square_avg = state["square_avg"].array

        scratch = scratch_like(param)
        xp.multiply(grad, grad, out=scratch)             # v_t = α v + (1 - α) g²
        scratch *= 1.0 - alpha
        square_avg *= alpha
        square_avg += scratch
        avg = scratch
        if group["centered"]:
            grad_avg = state["grad_avg"].array
            lerp_(grad_avg, grad, 1.0 - alpha, scratch)  # ḡ_t = α ḡ + (1 - α) g
            xp.multiply(grad_avg, grad_avg, out=avg)     # a_t = sqrt(v_t - ḡ_t²)
            xp.subtract(square_avg, avg, out=avg)
            xp.sqrt(avg, out=avg)
        else:
            xp.sqrt(square_avg, out=avg)
        avg += eps
        xp.divide(grad, avg, out=avg)                    # g_t / a_t
        if momentum > 0:
            buffer = state["momentum_buffer"].array
            buffer *= momentum                           # b_t = μ b + g / a
            buffer += avg
            xp.multiply(buffer, lr, out=avg)             # θ -= γ b_t
        else:
            avg *= lr                                    # θ -= γ g / a
        param -= avg
