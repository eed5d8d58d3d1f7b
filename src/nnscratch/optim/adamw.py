"""AdamW: Adam with decoupled weight decay (PyTorch's ``torch.optim.AdamW``)."""

from __future__ import annotations

from typing import Any

from .adam import Adam


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019): ``θ ← θ(1 - γλ)`` before
    the Adam step instead of adding ``λθ`` to the gradient. Default ``weight_decay=1e-2``."""

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
