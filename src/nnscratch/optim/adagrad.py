"""Adagrad with learning-rate decay, PyTorch's rule step for step."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..creation import as_tensor
from .optimizer import (
    Optimizer,
    check_hyper_parameters,
    effective_grad,
    increment_step,
    new_step_counter,
    scratch_like,
)


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), PyTorch's ``torch.optim.Adagrad`` step for step.

    With :math:`g_t = \nabla f_t(\theta_{t-1}) + \lambda\theta_{t-1}` (negated first when
    ``maximize``)::

        γ̃_t = γ / (1 + (t - 1) η)                       (lr_decay η)
        s_t = s_{t-1} + g_t²                             (s_0 = initial_accumulator_value)
        θ_t = θ_{t-1} - γ̃_t g_t / (sqrt(s_t) + ε)

    State per parameter (created with the optimiser, as in PyTorch): ``step``, ``sum``.
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        check_hyper_parameters("Adagrad", lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                               initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict) -> None:
        """Append a group; its parameters' accumulators start at ``initial_accumulator_value``."""
        first_new = sum(len(group["params"]) for group in self.param_groups)
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for offset, param in enumerate(group["params"]):
            self._init_state(self.state[first_new + offset], param.array, group)

    @staticmethod
    def _init_state(state: dict, param: Any, group: dict) -> None:
        xp = backend.get_array_module(param)
        state["step"] = new_step_counter()
        state["sum"] = as_tensor(xp.full_like(param, group["initial_accumulator_value"]))

    def _update(self, param: Any, grad: Any, state: dict, group: dict) -> None:
        xp = backend.get_array_module(param)
        if not state:
            self._init_state(state, param, group)
        step = increment_step(state)
        grad, _ = effective_grad(param, grad, group["weight_decay"], group["maximize"])
        clr = group["lr"] / (1.0 + (step - 1.0) * group["lr_decay"])
        state_sum = state["sum"].array

        scratch = scratch_like(param)
        xp.multiply(grad, grad, out=scratch)             # s_t = s_{t-1} + g²
        state_sum += scratch
        std = scratch
        xp.sqrt(state_sum, out=std)                      # θ -= γ̃ g / (sqrt(s) + ε)
        std += group["eps"]
        xp.divide(grad, std, out=std)
        std *= clr
        param -= std

