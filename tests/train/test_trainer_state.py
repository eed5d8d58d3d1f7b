"""Trainer.resume past checkpoints whose hash is valid but whose state is not, and checkpoints
that would hold diverged (non-finite) weights.

The truth is an uninterrupted run with the same seed: a resume that skips a bad newest
checkpoint and continues from the one before it must end bit-identical to it.
"""

import json

import numpy as np
import pytest

import nnscratch as ns
import nnscratch.nn as nn
import nnscratch.nn.functional as F
from nnscratch.data import DataLoader, TensorDataset
from nnscratch.optim import SGD, Adam
from nnscratch.optim.lr_scheduler import StepLR
from nnscratch.train import Callback, EarlyStopping, RunFolder, Trainer
from nnscratch.train.checkpoint import Checkpointer, CheckpointError


def make(run=None, max_steps=None, lr=0.05, optimizer=Adam, checkpoint_every=2):
    ns.manual_seed(0)
    x = ns.randn(96, 3)
    y = ns.tensor((x.numpy().sum(axis=1) > 0).astype(np.int64))
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
    opt = optimizer(model.parameters(), lr=lr)
    trainer = Trainer(model, F.cross_entropy, opt, loader, epochs=3, max_steps=max_steps,
                      scheduler=StepLR(opt, step_size=1, gamma=0.9), checkpoint_every=checkpoint_every,
                      run=run, progress="off", plots=False)
    return model, trainer


def weights(model):
    return [p.numpy().tobytes() for p in model.parameters()]


@pytest.fixture(scope="module")
def reference():
    model, trainer = make()
    assert trainer.fit().status == "completed"
    return weights(model)


def set_in(tree, path, value):
    *parents, last = path
    for key in parents:
        tree = tree[key]
    if value is DELETE:
        del tree[last]
    else:
        tree[last] = value


DELETE = object()
CRAFTED = {  # the newest record's "state", changed; its tensors (and so its hash) stay valid
    "empty": ((), {}),
    "null": ((), None),
    "string-counter": (("counters", "global_step"), "10"),
    "negative-epoch": (("counters", "epoch"), -1),
    "bool-counter": (("counters", "step_in_epoch"), True),
    "string-seconds": (("counters", "seconds"), "x"),
    "no-counters": (("counters",), DELETE),
    "epoch-loss-count": (("epoch_loss", "count"), "many"),
    "scheduler-garbage": (("scheduler", "last_epoch"), "x"),
    "scheduler-keys": (("scheduler",), {"gamma": 0.5}),
    "optimizer-groups": (("optimizer", "param_groups"), []),
    "optimizer-lr": (("optimizer", "param_groups", 0, "lr"), "fast"),
    "model-key": (("model", "0.weight"), DELETE),  # the tensors then hold an unnamed array
    "rng": (("rng", "cpu", "bit_generator"), "MT19937"),  # fails last, after all else applied
    "rng-type": (("rng", "cpu"), [1, 2]),
    "data-position": (("data", "batches_yielded"), 999),  # fails after model and optimiser
    "callbacks": (("callbacks",), "none"),
    "validation": (("last_validation",), {"loss": "low"}),
}


@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_a_valid_hash_with_a_bad_state_falls_back_to_the_previous_checkpoint(tmp_path, reference,
                                                                             case):
    run = RunFolder(tmp_path / "run")
    _, first = make(run, max_steps=9)  # checkpoints at 2, 4, 6 (epoch end), 8, 9 (the end)
    assert first.fit().status == "completed"
    newest = Checkpointer(run.checkpoints).list()[-1]
    record = json.loads(newest.path.read_text())
    path, value = CRAFTED[case]
    if path:
        set_in(record["state"], path, value)
    else:
        record["state"] = value
    newest.path.write_text(json.dumps(record))
    warnings = []
    model, second = make(run)
    assert second.resume(warn=warnings.append) == 8
    assert len(warnings) == 1 and newest.path.name in warnings[0], warnings
    assert second.fit(resume=True).status == "completed"
    assert weights(model) == reference


def test_a_checkpoint_of_another_model_falls_back_and_changes_nothing(tmp_path):
    run = RunFolder(tmp_path / "run")
    _, first = make(run, max_steps=4)
    first.fit()
    ns.manual_seed(5)
    wider = nn.Sequential(nn.Linear(3, 9), nn.Tanh(), nn.Linear(9, 2))
    before = weights(wider)
    trainer = Trainer(wider, F.cross_entropy, SGD(wider.parameters(), lr=0.1), [], epochs=1,
                      run=run, progress="off", plots=False)
    warnings = []
    assert trainer.resume(warn=warnings.append) is None  # none of them fits
    assert len(warnings) == len(Checkpointer(run.checkpoints).list())
    assert all("does not fit this run" in w or "trainer" in w or "must" in w for w in warnings)
    assert weights(wider) == before and trainer.global_step == 0


def test_load_state_dict_checks_counters_before_changing_anything():
    model, trainer = make()
    state = trainer.state_dict()
    state["counters"] = {**state["counters"], "global_step": -3}
    before = weights(model)
    with pytest.raises(CheckpointError, match="global_step"):
        trainer.load_state_dict(state)
    assert weights(model) == before


def test_an_overflowing_step_writes_no_checkpoint_of_infinite_weights(tmp_path):
    run = RunFolder(tmp_path / "run")
    model, trainer = make(run, lr=1e39, optimizer=SGD, checkpoint_every=1)  # float32 overflows
    result = trainer.fit()
    assert not all(np.isfinite(p.numpy()).all() for p in model.parameters())
    assert result.status == "failed"
    assert "state after step 1 is not finite" in result.message
    assert "no checkpoint was written" in result.message
    assert Checkpointer(run.checkpoints).list() == [] and not run.model_path.exists()
    assert json.loads(run.summary_path.read_text())["status"] == "failed"


class Poison(Callback):
    """Makes one weight infinite after step ``at`` (a diverging run, made exact)."""

    def __init__(self, at):
        self.at = at

    def on_step_end(self, trainer, step):
        if step == self.at:
            next(iter(trainer.model.parameters())).array[0, 0] = np.inf


def test_the_last_good_checkpoint_named_is_finite(tmp_path):
    run = RunFolder(tmp_path / "run")
    _, trainer = make(run, optimizer=SGD, checkpoint_every=2)
    trainer.callbacks.append(Poison(3))
    trainer._step_callbacks.append(trainer.callbacks[-1])
    result = trainer.fit()
    checkpointer = Checkpointer(run.checkpoints)
    assert [info.step for info in checkpointer.list()] == [2]
    assert result.status == "failed" and "after step 4 is not finite (model/0.weight" in result.message
    assert f"last good checkpoint: {checkpointer.last_valid()}" in result.message
    state = checkpointer.load_latest()[1]
    assert all(np.isfinite(t.numpy()).all() for t in state["model"].values())


def test_an_early_stopping_state_of_the_wrong_kind_falls_back(tmp_path):
    def with_patience(run=None, max_steps=None):
        model, trainer = make(run, max_steps=max_steps)
        trainer.val_data = trainer.train_data
        trainer.callbacks.append(EarlyStopping("loss", patience=50))
        return model, trainer

    run = RunFolder(tmp_path / "run")
    with_patience(run, max_steps=9)[1].fit()
    newest = Checkpointer(run.checkpoints).list()[-1]
    record = json.loads(newest.path.read_text())
    assert record["state"]["callbacks"][0]["bad_epochs"] == 0
    record["state"]["callbacks"][0]["bad_epochs"] = "many"
    newest.path.write_text(json.dumps(record))
    warnings = []
    _, second = with_patience(run)
    assert second.resume(warn=warnings.append) == 8
    assert "callbacks[0].bad_epochs must be a number" in warnings[0]
