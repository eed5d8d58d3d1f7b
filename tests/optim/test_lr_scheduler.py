"""Schedulers' learning-rate sequences against torch.optim.lr_scheduler over 30+ epochs."""

import json
import math

import numpy as np
import pytest
import torch

import nnscratch as ns
import nnscratch.optim as optim
from nnscratch.optim import lr_scheduler

EPOCHS = 30


def make_pair(lrs=(0.1, 0.02)):
    """An nnscratch and a PyTorch SGD, with one parameter group per learning rate."""
    ours = optim.SGD([{"params": [ns.nn.Parameter(ns.randn(2))], "lr": lr} for lr in lrs],
                     lr=lrs[0], momentum=0.9)
    theirs = torch.optim.SGD(
        [{"params": [torch.nn.Parameter(torch.randn(2))], "lr": lr} for lr in lrs],
        lr=lrs[0], momentum=0.9)
    return ours, theirs


def assert_same_lrs(ours, theirs, what):
    np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12, atol=0,
                               err_msg=what)
    np.testing.assert_allclose([g["lr"] for g in ours.optimizer.param_groups],
                               [g["lr"] for g in theirs.optimizer.param_groups], rtol=1e-12,
                               atol=0, err_msg=what)


def run_side_by_side(make_ours, make_theirs, epochs=EPOCHS):
    opt_ours, opt_theirs = make_pair()
    ours, theirs = make_ours(opt_ours), make_theirs(opt_theirs)
    assert_same_lrs(ours, theirs, "after construction")
    for epoch in range(epochs):
        opt_theirs.step()
        ours.step()
        theirs.step()
        assert_same_lrs(ours, theirs, f"epoch {epoch + 1}")
    return ours, theirs


CASES = {
    "StepLR": (lambda o: lr_scheduler.StepLR(o, step_size=7, gamma=0.5),
               lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.5)),
    "MultiStepLR": (lambda o: lr_scheduler.MultiStepLR(o, milestones=[3, 10, 10, 20], gamma=0.3),
                    lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=[3, 10, 10, 20],
                                                                   gamma=0.3)),
    "ExponentialLR": (lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9),
                      lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)),
    "CosineAnnealingLR past T_max": (
        lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=8, eta_min=0.001),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=8, eta_min=0.001)),
    "CosineAnnealingLR eta_min=0": (
        lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=5),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=5)),
    "LambdaLR": (lambda o: lr_scheduler.LambdaLR(o, lambda e: 1.0 / (1 + e)),
                 lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda e: 1.0 / (1 + e))),
    "LambdaLR per group": (
        lambda o: lr_scheduler.LambdaLR(o, [lambda e: 0.9**e, lambda e: min(1.0, (e + 1) / 5)]),
        lambda o: torch.optim.lr_scheduler.LambdaLR(
            o, [lambda e: 0.9**e, lambda e: min(1.0, (e + 1) / 5)])),
}


@pytest.mark.parametrize("name", list(CASES))
def test_sequence_matches_pytorch(name):
    run_side_by_side(*CASES[name])


def test_cosine_annealing_rises_again_past_t_max():
    opt, _ = make_pair(lrs=(1.0,))
    scheduler = lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    lrs = []
    for _ in range(8):
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    assert lrs[3] == pytest.approx(0.0, abs=1e-15)  # the minimum at T_max
    expected = [(1 + math.cos(math.pi * t / 4)) / 2 for t in range(1, 9)]
    np.testing.assert_allclose(lrs, expected, atol=1e-12)


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_resumes_the_sequence(name):
    make_ours, make_theirs = CASES[name]
    ours, theirs = run_side_by_side(make_ours, make_theirs, epochs=12)
    saved = json.loads(json.dumps(ours.state_dict()))  # JSON-friendly, as checkpoints keep it
    optimizer_state = ours.optimizer.state_dict()
    opt_fresh, _ = make_pair()
    resumed = make_ours(opt_fresh)
    opt_fresh.load_state_dict(optimizer_state)
    resumed.load_state_dict(saved)
    for epoch in range(12, 30):
        for scheduler in (ours, resumed, theirs):
            scheduler.step()
        assert_same_lrs(resumed, theirs, f"resumed, epoch {epoch + 1}")
        assert resumed.get_last_lr() == ours.get_last_lr()


def test_step_with_epoch_uses_closed_form():
    opt_ours, opt_theirs = make_pair()
    ours = lr_scheduler.StepLR(opt_ours, step_size=3, gamma=0.5)
    with pytest.warns(UserWarning):
        theirs = torch.optim.lr_scheduler.StepLR(opt_theirs, step_size=3, gamma=0.5)
        theirs.step(7)
    ours.step(7)
    assert_same_lrs(ours, theirs, "step(7)")


PLATEAU_OPTIONS = [
    dict(),
    dict(patience=2),
    dict(patience=1, cooldown=2, factor=0.5),
    dict(patience=0, min_lr=0.004, factor=0.5),
    dict(patience=1, min_lr=[0.01, 0.001], factor=0.3),
    dict(mode="max", patience=2, threshold=0.1, threshold_mode="abs"),
    dict(mode="min", patience=1, threshold=0.05, threshold_mode="rel", eps=0.01),
]


@pytest.mark.parametrize("options", PLATEAU_OPTIONS, ids=str)
def test_reduce_on_plateau_matches_pytorch(options):
    opt_ours, opt_theirs = make_pair()
    ours = lr_scheduler.ReduceLROnPlateau(opt_ours, **options)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(opt_theirs, **options)
    rng = np.random.default_rng(0)
    # improves, then plateaus with noise, improves again, then plateaus for good
    metrics = np.concatenate([np.linspace(1.0, 0.5, 6), 0.5 + 0.01 * rng.standard_normal(10),
                              np.linspace(0.49, 0.3, 4), 0.3 + 0.02 * rng.random(15)])
    for epoch, metric in enumerate(metrics):
        value = ns.tensor(metric) if epoch % 2 else float(metric)  # 0-d tensors work too
        ours.step(value)
        theirs.step(float(metric))
        assert_same_lrs(ours, theirs, f"epoch {epoch + 1}")
        assert (ours.num_bad_epochs, ours.cooldown_counter) == (theirs.num_bad_epochs,
                                                                theirs.cooldown_counter)
    assert ours.get_last_lr() != [0.1, 0.02]  # the scenario did reduce


def test_reduce_on_plateau_state_dict_round_trip():
    opt, _ = make_pair()
    scheduler = lr_scheduler.ReduceLROnPlateau(opt, patience=1, cooldown=1)
    for metric in [1.0, 0.9, 0.95, 0.96]:
        scheduler.step(metric)
    saved = json.loads(json.dumps(scheduler.state_dict()))
    other_opt, _ = make_pair()
    other_opt.load_state_dict(opt.state_dict())
    resumed = lr_scheduler.ReduceLROnPlateau(other_opt)
    resumed.load_state_dict(saved)
    for metric in [0.97, 0.98, 0.99, 1.0, 0.5]:
        scheduler.step(metric)
        resumed.step(metric)
        assert resumed.get_last_lr() == scheduler.get_last_lr()
        assert resumed.best == scheduler.best


def test_bad_arguments():
    opt, _ = make_pair()
    with pytest.raises(ValueError, match="factor"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode"):
        lr_scheduler.ReduceLROnPlateau(opt, mode="sideways")
    with pytest.raises(ValueError, match="expected 2 min_lrs"):
        lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.1])
    with pytest.raises(ValueError, match="expected 2 lr_lambdas"):
        lr_scheduler.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(TypeError, match="not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=1)
