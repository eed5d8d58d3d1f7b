"""A resume may change the learning rate (issue 14.10): the restored schedule continues from
the new base. The truth is a bare loop that sets each step's lr by the closed form."""

import math

import numpy as np
import pytest

import nnscratch as ns
import nnscratch.nn as nn
import nnscratch.nn.functional as F
from nnscratch.data import DataLoader, TensorDataset
from nnscratch.optim import SGD
from nnscratch.optim.lr_scheduler import CosineAnnealingLR, ReduceLROnPlateau
from nnscratch.train import CheckpointError, RunFolder, Trainer

HORIZON = 12


def regression_setup(seed=0, n=128, batch_size=16):
    """A linear regression of 8 batches an epoch: with lr 1e38 one step makes its weights
    ~1e38 and the next loss overflows float32."""
    ns.manual_seed(seed)
    x = ns.randn(n, 3)
    y = ns.tensor((x.numpy() @ np.array([1.0, -2.0, 0.5], dtype=np.float32))[:, None])
    model = nn.Linear(3, 1)
    return model, DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)


def cosine(base, t):
    return base * (1 + math.cos(math.pi * t / HORIZON)) / 2


def session(run, lr, max_steps, resume):
    model, loader = regression_setup()
    optimizer = SGD(model.parameters(), lr=lr)
    trainer = Trainer(model, F.mse_loss, optimizer, loader, epochs=None, max_steps=max_steps,
                      scheduler=CosineAnnealingLR(optimizer, T_max=HORIZON),
                      scheduler_interval="step", log_every=1, run=run, progress="off",
                      plots=False)
    return trainer, trainer.fit(resume=resume)


def test_a_diverged_run_resumes_with_a_smaller_lr_and_completes(tmp_path):
    run = RunFolder(tmp_path / "run")
    _, first = session(run, 0.05, 4, resume=False)  # steps 1-4, saved mid-epoch at 4
    assert first.status == "completed"
    diverged, second = session(run, 1e38, HORIZON, resume=True)
    assert second.status == "failed", second.message
    assert "last good checkpoint" in second.message and "step-00000004" in second.message
    # the divergent session took step 5 with the cosine over its new base 1e38
    assert diverged.history[0]["step"] == 5 and diverged.history[0]["lr"] == cosine(1e38, 4)
    resumed, third = session(RunFolder(tmp_path / "run"), 0.02, HORIZON, resume=True)
    assert third.status == "completed" and third.steps == HORIZON
    assert [r["lr"] for r in resumed.history if r["split"] == "train"] == \
        pytest.approx([cosine(0.02, step - 1) for step in range(5, HORIZON + 1)], rel=1e-12)

    # a bare loop: steps 1-4 over the base 0.05, steps 5-12 over the base 0.02
    model, loader = regression_setup()
    optimizer = SGD(model.parameters(), lr=0.05)
    step = 0
    while step < HORIZON:
        for inputs, targets in loader:
            optimizer.param_groups[0]["lr"] = cosine(0.05 if step < 4 else 0.02, step)
            loss = F.mse_loss(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step == HORIZON:
                break
    for mine, truth in zip(resumed.model.parameters(), model.parameters()):
        np.testing.assert_allclose(mine.numpy(), truth.numpy(), rtol=1e-6, atol=1e-7)
    assert np.isfinite(resumed.model.weight.numpy()).all()


def trainer_with(lr, scheduler=None, momentum=0.9):
    model, loader = regression_setup()
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)
    made = scheduler(optimizer) if scheduler else None
    return Trainer(model, F.mse_loss, optimizer, loader, scheduler=made, progress="off")


def test_without_a_scheduler_the_new_lr_replaces_the_old():
    old = trainer_with(0.1)
    old.fit()
    state = old.state_dict()
    new = trainer_with(0.3)
    new.load_state_dict(state)
    assert new.optimizer.param_groups[0]["lr"] == 0.3 and new.state_dict()["base_lrs"] == [0.3]
    for position, values in old.optimizer.state_dict()["state"].items():  # moments kept
        np.testing.assert_array_equal(
            new.optimizer.state_dict()["state"][position]["momentum_buffer"],
            values["momentum_buffer"])


def test_a_plateau_reduced_lr_keeps_its_reductions():
    def plateau(optimizer):
        return ReduceLROnPlateau(optimizer, factor=0.5, patience=0)

    old = trainer_with(0.1, plateau)
    old.optimizer.param_groups[0]["lr"] = 0.025  # as after two reductions
    new = trainer_with(0.3, plateau)
    new.load_state_dict(old.state_dict())
    assert new.optimizer.param_groups[0]["lr"] == pytest.approx(0.075, rel=1e-15)


def test_a_state_of_before_base_lrs_takes_the_new_lr():
    old = trainer_with(0.1, lambda optimizer: CosineAnnealingLR(optimizer, T_max=10))
    for _ in range(3):
        old.scheduler.step()
    state = old.state_dict()
    del state["base_lrs"]
    new = trainer_with(0.4, lambda optimizer: CosineAnnealingLR(optimizer, T_max=10))
    new.load_state_dict(state)
    assert new.optimizer.param_groups[0]["lr"] == pytest.approx(0.4 * (1 + math.cos(0.3 * math.pi)) / 2)
    assert new.scheduler.base_lrs == [0.4] and new.optimizer.param_groups[0]["initial_lr"] == 0.4


@pytest.mark.parametrize("bad", [[-1.0], [0.0], [float("inf")], ["0.1"], [0.1, 0.2], 0.1, [True]])
def test_crafted_base_lrs_are_refused_before_anything_changes(bad):
    old = trainer_with(0.1)
    state = old.state_dict()
    state["base_lrs"] = bad
    new = trainer_with(0.3)
    before = new.model.weight.numpy().copy()
    with pytest.raises(CheckpointError, match="base_lrs"):
        new.load_state_dict(state, source="crafted")
    assert new.optimizer.param_groups[0]["lr"] == 0.3
    np.testing.assert_array_equal(new.model.weight.numpy(), before)
