"""RMSprop against torch.optim.RMSprop: plain, centered, momentum, weight decay."""

import pytest
import torch
from optim_parity import check_state_dict, check_trajectory

import nnscratch.optim as optim

OPTIONS = [
    dict(lr=0.01),
    dict(lr=0.01, alpha=0.9, eps=1e-6),
    dict(lr=0.01, centered=True),
    dict(lr=0.01, momentum=0.9),
    dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1),
    dict(lr=0.01, alpha=0.3, centered=True, maximize=True),  # 1 - α ≥ 0.5: lerp's other branch
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mode", ["loss", "random"])
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_trajectory_matches_pytorch(options, mode, dtype):
    check_trajectory(lambda p: optim.RMSprop(p, **options),
                     lambda p: torch.optim.RMSprop(p, **options), dtype, mode)


def test_positional_order_is_pytorchs():
    p = [__import__("nnscratch").nn.Parameter(__import__("nnscratch").randn(2))]
    group = optim.RMSprop(p, 0.1, 0.8, 1e-5, 0.01, 0.7, True).param_groups[0]
    assert (group["lr"], group["alpha"], group["eps"], group["weight_decay"], group["momentum"],
            group["centered"]) == (0.1, 0.8, 1e-5, 0.01, 0.7, True)


@pytest.mark.parametrize("options", [dict(lr=0.01, momentum=0.9, centered=True)], ids=str)
def test_state_dict_round_trip(options):
    check_state_dict(lambda p: optim.RMSprop(p, **options),
                     lambda p: torch.optim.RMSprop(p, **options))
