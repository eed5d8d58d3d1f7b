"""Adagrad against torch.optim.Adagrad: lr decay, weight decay, initial accumulator."""

import pytest
import torch
from optim_parity import check_state_dict, check_trajectory

import nnscratch as ns
import nnscratch.optim as optim

OPTIONS = [
    dict(lr=0.1),
    dict(lr=0.1, lr_decay=0.05),
    dict(lr=0.1, weight_decay=0.1),
    dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-6),
    dict(lr=0.1, lr_decay=0.01, weight_decay=0.05, initial_accumulator_value=0.1, maximize=True),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mode", ["loss", "random"])
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_trajectory_matches_pytorch(options, mode, dtype):
    check_trajectory(lambda p: optim.Adagrad(p, **options),
                     lambda p: torch.optim.Adagrad(p, **options), dtype, mode)


def test_state_exists_from_construction_as_in_pytorch():
    opt = optim.Adagrad([ns.nn.Parameter(ns.randn(2))], initial_accumulator_value=0.25)
    opt.add_param_group({"params": [ns.nn.Parameter(ns.randn(3))], "initial_accumulator_value": 1.0})
    state = opt.state_dict()["state"]
    assert state[0]["sum"].tolist() == [0.25, 0.25] and state[1]["sum"].tolist() == [1.0] * 3
    assert state[0]["step"].item() == 0


def test_state_dict_round_trip():
    options = dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)
    check_state_dict(lambda p: optim.Adagrad(p, **options),
                     lambda p: torch.optim.Adagrad(p, **options))
