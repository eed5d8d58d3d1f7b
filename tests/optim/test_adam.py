"""Adam against torch.optim.Adam: trajectories with every option, state dicts."""

import numpy as np
import pytest
import torch
from optim_parity import check_state_dict, check_trajectory

import nnscratch as ns
import nnscratch.optim as optim

OPTIONS = [
    dict(lr=0.05),
    dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.05, amsgrad=True),
    dict(lr=0.05, amsgrad=True, weight_decay=0.1, maximize=True),
    dict(lr=0.05, betas=(0.3, 0.9)),  # β1 < 0.5: PyTorch's lerp takes its other branch
    dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mode", ["loss", "random"])
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_trajectory_matches_pytorch(options, mode, dtype):
    check_trajectory(lambda p: optim.Adam(p, **options), lambda p: torch.optim.Adam(p, **options),
                     dtype, mode)


def test_param_groups_with_their_own_options():
    groups = [dict(lr=0.1, amsgrad=True), dict(betas=(0.5, 0.99), weight_decay=0.3)]
    check_trajectory(lambda p: optim.Adam(p, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01),
                     "float64", group_options=groups)


@pytest.mark.parametrize("options", [dict(lr=0.05), dict(lr=0.05, amsgrad=True)], ids=str)
def test_state_dict_round_trip(options):
    check_state_dict(lambda p: optim.Adam(p, **options), lambda p: torch.optim.Adam(p, **options))


def test_state_holds_float32_buffers_and_a_step_count():
    p = ns.nn.Parameter(ns.randn(3))
    opt = optim.Adam([p], amsgrad=True)
    for _ in range(3):
        p.grad = ns.randn(3)
        opt.step()
    state = opt.state_dict()["state"][0]
    assert state["step"].item() == 3
    assert {k: v.dtype for k, v in state.items() if k != "step"} == {
        "exp_avg": ns.float32, "exp_avg_sq": ns.float32, "max_exp_avg_sq": ns.float32}
    assert p.dtype == ns.float32


def test_bad_betas():
    with pytest.raises(ValueError, match="beta parameter at index 1"):
        optim.Adam([ns.nn.Parameter(ns.randn(2))], betas=(0.9, 1.0))


def test_parameters_without_gradients_are_left_alone():
    a, b = ns.nn.Parameter(ns.randn(2)), ns.nn.Parameter(ns.randn(2))
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = ns.ones(2)
    before = b.numpy().copy()
    opt.step()
    np.testing.assert_array_equal(b.numpy(), before)
    assert list(opt.state_dict()["state"]) == [0]
