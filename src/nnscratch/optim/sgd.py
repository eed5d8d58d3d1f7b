"""SGD with momentum, dampening, weight decay and Nesterov momentum (PyTorch's rule)."""

from __future__ import annotations

from typing import Any

from ..creation import as_tensor
from .optimizer import Optimizer, check_hyper_parameters, effective_grad


class SGD(Optimizer):
    r"""Stochastic gradient descent, PyTorch's ``torch.optim.SGD`` step for step.

    With :math:`g_t = \nabla_\theta f_t(\theta_{t-1}) + \lambda \theta_{t-1}` (negated first
    when ``maximize``)::

        b_1 = g_1,   b_t = μ b_{t-1} + (1 - τ) g_t          (momentum μ, dampening τ)
        d_t = g_t + μ b_t  if nesterov  else  b_t           (d_t = g_t when μ = 0)
        θ_t = θ_{t-1} - γ d_t

    State per parameter: ``momentum_buffer`` (shape of the parameter) when ``momentum != 0``.
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        check_hyper_parameters("SGD", lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"SGD: Nesterov momentum requires a momentum and zero dampening "
                f"(got momentum={momentum}, dampening={dampening})"
            )
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, param: Any, grad: Any, state: dict, group: dict) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        grad, owned = effective_grad(param, grad, group["weight_decay"], group["maximize"])
        if momentum != 0:
            buffer_tensor = state.get("momentum_buffer")
            if buffer_tensor is None:
                buffer = grad.copy()                   # b_1 = g_1
                state["momentum_buffer"] = as_tensor(buffer)
            else:
                buffer = buffer_tensor.array
                buffer *= momentum                     # b_t = μ b_{t-1} + (1 - τ) g_t
                if dampening == 0:
                    buffer += grad
                else:
                    buffer += grad * (1.0 - dampening)
            if group["nesterov"]:
                direction = buffer * momentum          # d_t = g_t + μ b_t
                direction += grad
                grad, owned = direction, True
            else:
                grad, owned = buffer, False
        if owned:
            grad *= lr                                 # θ_t = θ_{t-1} - γ d_t
            param -= grad
        else:
            param -= lr * grad

