"""AdamW against torch.optim.AdamW."""

import pytest
import torch
from optim_parity import check_state_dict, check_trajectory

import nnscratch.optim as optim

OPTIONS = [
    dict(lr=0.05),
    dict(lr=0.05, weight_decay=0.3),
    dict(lr=0.05, weight_decay=0.1, amsgrad=True),
    dict(lr=0.05, weight_decay=0.1, betas=(0.7, 0.95), maximize=True),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mode", ["loss", "random"])
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_trajectory_matches_pytorch(options, mode, dtype):
    check_trajectory(lambda p: optim.AdamW(p, **options),
                     lambda p: torch.optim.AdamW(p, **options), dtype, mode)


def test_default_weight_decay_is_decoupled():
    opt = optim.AdamW([optim.Adam.__mro__ and __import__("nnscratch").nn.Parameter(
        __import__("nnscratch").randn(2))])
    group = opt.param_groups[0]
    assert group["weight_decay"] == 1e-2 and group["decoupled_weight_decay"] is True


def test_state_dict_round_trip():
    options = dict(lr=0.05, weight_decay=0.2, amsgrad=True)
    check_state_dict(lambda p: optim.AdamW(p, **options),
                     lambda p: torch.optim.AdamW(p, **options))
