"""SGD against torch.optim.SGD: trajectories, options, state dicts, errors."""

import numpy as np
import pytest
import torch
from optim_parity import check_state_dict, check_trajectory

import nnscratch as ns
import nnscratch.optim as optim

OPTIONS = [
    dict(lr=0.05),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.05, momentum=0.8, weight_decay=0.1, nesterov=True),
    dict(lr=0.05, momentum=0.5, dampening=0.5, weight_decay=0.05, maximize=True),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mode", ["loss", "random"])
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_trajectory_matches_pytorch(options, mode, dtype):
    check_trajectory(lambda p: optim.SGD(p, **options), lambda p: torch.optim.SGD(p, **options),
                     dtype, mode)


def test_param_groups_with_their_own_options():
    groups = [dict(lr=0.1, momentum=0.9), dict(weight_decay=0.2, nesterov=True, momentum=0.5)]
    check_trajectory(lambda p: optim.SGD(p, lr=0.01), lambda p: torch.optim.SGD(p, lr=0.01),
                     "float64", group_options=groups)


@pytest.mark.parametrize("options", [dict(lr=0.05, momentum=0.9, nesterov=True),
                                     dict(lr=0.05, momentum=0.9, dampening=0.2)], ids=str)
def test_state_dict_round_trip(options):
    check_state_dict(lambda p: optim.SGD(p, **options), lambda p: torch.optim.SGD(p, **options))


def test_plain_sgd_keeps_no_state_and_float32():
    p = ns.nn.Parameter(ns.randn(3))
    opt = optim.SGD([p], lr=0.1)
    p.grad = ns.ones(3)
    before = p.numpy().copy()
    opt.step()
    assert opt.state_dict()["state"] == {}
    assert p.dtype == ns.float32
    np.testing.assert_allclose(p.numpy(), before - np.float32(0.1), rtol=1e-6)


def test_update_is_in_place_and_grad_untouched():
    p = ns.nn.Parameter(ns.randn(4))
    storage = p.array
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True, maximize=True)
    p.grad = ns.randn(4)
    grad_before = p.grad.numpy().copy()
    opt.step()
    assert p.array is storage
    np.testing.assert_array_equal(p.grad.numpy(), grad_before)


def test_zero_grad_sets_none_or_zeros():
    p = ns.nn.Parameter(ns.randn(2))
    opt = optim.SGD([p], lr=0.1)
    p.grad = ns.ones(2)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.numpy(), [0, 0])
    opt.zero_grad()
    assert p.grad is None


def test_closure_is_called_and_its_loss_returned():
    p = ns.nn.Parameter(ns.tensor([1.0, -2.0]))
    opt = optim.SGD([p], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.numpy(), [0.0, 0.0])


def test_bad_arguments():
    p = ns.nn.Parameter(ns.randn(2))
    with pytest.raises(ValueError, match="lr"):
        optim.SGD([p], lr=-1.0)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="ordered"):
        optim.SGD({p}, lr=0.1)
    with pytest.raises(TypeError, match="Tensor"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)


def test_step_checks_gradient_shapes_before_changing_anything():
    a, b = ns.nn.Parameter(ns.randn(2)), ns.nn.Parameter(ns.randn(3))
    opt = optim.SGD([a, b], lr=0.1)
    a.grad, b.grad = ns.ones(2), ns.ones(4)
    before = a.numpy().copy()
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(4,\)"):
        opt.step()
    np.testing.assert_array_equal(a.numpy(), before)


def test_state_is_keyed_by_position_and_reachable_by_parameter():
    a, b = ns.nn.Parameter(ns.randn(2)), ns.nn.Parameter(ns.randn(3))
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.5})
    a.grad, b.grad = ns.ones(2), ns.ones(3)
    opt.step()
    assert set(opt.state_dict()["state"]) == {0, 1}
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.9
    assert opt.state[b]["momentum_buffer"].shape == (3,)
    assert opt.state_dict()["param_groups"][1]["params"] == [1]


def test_load_state_dict_rejects_mismatches_without_changing_anything():
    a = ns.nn.Parameter(ns.randn(2))
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    a.grad = ns.ones(2)
    opt.step()
    saved = opt.state_dict()
    other = optim.SGD([ns.nn.Parameter(ns.randn(2)), ns.nn.Parameter(ns.randn(2))], lr=0.3)
    with pytest.raises(ValueError, match="doesn't match the size"):
        other.load_state_dict(saved)
    wrong_shape = optim.SGD([ns.nn.Parameter(ns.randn(5))], lr=0.3, momentum=0.9)
    with pytest.raises(ValueError, match=r"\(2,\).*\(5,\)"):
        wrong_shape.load_state_dict(saved)
    assert wrong_shape.param_groups[0]["lr"] == 0.3 and not wrong_shape.state
