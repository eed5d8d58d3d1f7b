"""Trainer in-process: the engine computes exactly what a bare loop computes, and its extras
(truncated BPTT, NaN detection, early stopping, schedulers, callbacks, resume) behave.

The truth for the numbers is a hand-written loop over the same data with the same seed.
"""

import json

import numpy as np
import pytest

import nnscratch as ns
import nnscratch.nn as nn
import nnscratch.nn.functional as F
from nnscratch.data import DataLoader, TensorDataset
from nnscratch.nn.utils import clip_grad_norm_
from nnscratch.optim import SGD, Adam
from nnscratch.optim.lr_scheduler import StepLR
from nnscratch.train import Callback, Checkpointer, RunFolder, Trainer
from nnscratch.train.faults import NAN_ENV, SIGNAL_ENV, FaultInjector
from nnscratch.train.plots import PlotsCallback


def classification_setup(seed=0, n=96, batch_size=16):
    ns.manual_seed(seed)
    x = ns.randn(n, 3)
    y = (x.numpy().sum(axis=1) > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
    loader = DataLoader(TensorDataset(x, ns.tensor(y)), batch_size=batch_size, shuffle=True)
    return model, loader


def parameters_bytes(model):
    return [p.numpy().tobytes() for p in model.parameters()]


def test_trainer_matches_a_bare_loop_bit_for_bit():
    model, loader = classification_setup()
    optimizer = Adam(model.parameters(), lr=0.05)
    scheduler = StepLR(optimizer, step_size=4, gamma=0.5)
    for _ in range(3):
        for inputs, targets in loader:
            loss = F.cross_entropy(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            clip_grad_norm_(list(model.parameters()), 0.5)
            optimizer.step()
            scheduler.step()
    expected = parameters_bytes(model)

    model, loader = classification_setup()
    optimizer = Adam(model.parameters(), lr=0.05)
    trainer = Trainer(model, F.cross_entropy, optimizer, loader, epochs=3, clip_grad_norm=0.5,
                      scheduler=StepLR(optimizer, step_size=4, gamma=0.5),
                      scheduler_interval="step", log_every=5, progress="off")
    result = trainer.fit()
    assert result.status == "completed" and result.steps == 3 * len(loader)
    assert parameters_bytes(model) == expected


class TinyRecurrent(nn.Module):
    """h_t = tanh(W x_t + U h_{t-1}); output the logits of every step."""

    def __init__(self):
        super().__init__()
        self.input, self.hidden, self.output = nn.Linear(1, 4), nn.Linear(4, 4), nn.Linear(4, 2)

    def forward(self, x, h):
        outputs = []
        for t in range(x.shape[1]):
            h = ns.tanh(self.input(x[:, t]) + (self.hidden(h) if h is not None else 0.0))
            outputs.append(self.output(h))
        return ns.stack(outputs, dim=1), h


def recurrent_setup():
    ns.manual_seed(3)
    stream = ns.randn(2, 24, 1)  # 2 parallel sequences cut into windows of 4 steps
    windows = ns.stack([stream[:, i:i + 4] for i in range(0, 24, 4)])  # (6, 2, 4, 1)
    targets = (windows.numpy()[..., 0] > 0).astype(np.int64)
    batches = [(windows[i], ns.tensor(targets[i])) for i in range(6)]
    model = TinyRecurrent()
    return model, batches


def lm_loss(output, target):
    return F.cross_entropy(output.reshape(-1, 2), target.reshape(-1))


def test_truncated_bptt_carries_a_detached_state_between_windows():
    model, batches = recurrent_setup()
    optimizer = SGD(model.parameters(), lr=0.1)
    h = None
    for _ in range(2):
        h = None  # each epoch starts from a zero state
        for x, y in batches:
            output, h = model(x, h)
            loss = lm_loss(output, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            h = h.detach()
    expected = parameters_bytes(model)

    model, batches = recurrent_setup()
    seen = []

    def forward(model, batch, state):
        seen.append(state)
        x, y = batch
        output, h = model(x, state)
        return output, y, h

    trainer = Trainer(model, lm_loss, SGD(model.parameters(), lr=0.1), batches, epochs=2,
                      forward=forward, progress="off")
    trainer.fit()
    assert parameters_bytes(model) == expected
    assert seen[0] is None and seen[6] is None  # reset at each epoch
    carried = [s for s in seen if s is not None]
    assert len(carried) == 10
    assert all(not s.requires_grad and s.is_leaf for s in carried)


def test_nan_loss_is_reported_at_its_exact_step(monkeypatch):
    monkeypatch.setenv(NAN_ENV, "6")
    model, loader = classification_setup()
    trainer = Trainer(model, F.cross_entropy, SGD(model.parameters(), lr=0.1), loader,
                      epochs=2, log_every=4, progress="off")
    result = trainer.fit()
    assert result.status == "failed"
    assert "step 6" in result.message and "nan" in result.message


class Recorder(Callback):
    def __init__(self):
        self.calls = []

    def on_fit_start(self, trainer):
        self.calls.append("fit_start")

    def on_epoch_start(self, trainer, epoch):
        self.calls.append(f"epoch_start {epoch}")

    def on_step_end(self, trainer, step):
        self.calls.append("step")

    def on_epoch_end(self, trainer, epoch, results):
        self.calls.append(f"epoch_end {epoch} {sorted(results)}")

    def on_fit_end(self, trainer, status):
        self.calls.append(f"fit_end {status}")


class DoubleLoss(Callback):
    """Doubles the training loss of every step through the ``on_loss`` hook."""

    def on_loss(self, trainer, step, loss):
        return loss * 2.0


def test_an_on_loss_callback_replaces_the_loss_before_backward():
    model, loader = classification_setup()
    optimizer = SGD(model.parameters(), lr=0.05)
    for _ in range(2):
        for inputs, targets in loader:
            loss = F.cross_entropy(model(inputs), targets) * 2.0
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    expected = parameters_bytes(model)

    model, loader = classification_setup()
    trainer = Trainer(model, F.cross_entropy, SGD(model.parameters(), lr=0.05), loader, epochs=2,
                      callbacks=[DoubleLoss()], progress="off")
    assert trainer.fit().status == "completed"
    assert parameters_bytes(model) == expected


def test_the_fault_injector_is_added_only_when_its_variables_are_set(monkeypatch):
    monkeypatch.delenv(NAN_ENV, raising=False)
    monkeypatch.delenv(SIGNAL_ENV, raising=False)
    model, loader = classification_setup()
    plain = Trainer(model, F.cross_entropy, SGD(model.parameters(), lr=0.1), loader,
                    progress="off")
    assert plain._loss_callbacks == [] and plain._after_step_callbacks == []
    monkeypatch.setenv(SIGNAL_ENV, "99:SIGTERM")
    injected = Trainer(model, F.cross_entropy, SGD(model.parameters(), lr=0.1), loader,
                       progress="off")
    assert [type(c) for c in injected._after_step_callbacks] == [FaultInjector]
    assert injected._loss_callbacks == injected._after_step_callbacks
    # not a callback of the run: its checkpoints are those of a run without it
    assert injected.callbacks == [] and injected.state_dict()["callbacks"] == []


class Closing(Callback):
    """Records, when the run folder is closed, what the result and summary.json say."""

    def __init__(self):
        self.seen = []

    def on_run_closed(self, trainer, result):
        summary = json.loads(trainer.run.summary_path.read_text())
        self.seen.append((result.status, result.steps, summary["status"], summary["steps"]))


@pytest.mark.parametrize("plots", [True, False])
def test_on_run_closed_comes_after_the_summary_and_the_plots_are_a_callback(tmp_path, plots):
    model, loader = classification_setup(n=32)
    closing = Closing()
    run = RunFolder(tmp_path / "run")
    trainer = Trainer(model, F.cross_entropy, SGD(model.parameters(), lr=0.1), loader, epochs=2,
                      callbacks=[closing], run=run, progress="off", plots=plots)
    result = trainer.fit()
    assert closing.seen == [("completed", 2 * len(loader), "completed", 2 * len(loader))]
    assert result.status == "completed"
    assert [type(c) for c in trainer._closing_callbacks] == ([PlotsCallback] if plots else [])
    assert trainer.state_dict()["callbacks"] == [{}]  # only the user's: checkpoints unchanged


def test_without_a_run_folder_on_run_closed_is_not_called():
    model, loader = classification_setup(n=32)
    closing = Closing()
    Trainer(model, F.cross_entropy, SGD(model.parameters(), lr=0.1), loader, callbacks=[closing],
            progress="off").fit()
    assert closing.seen == []


def test_checkpoint_every_saves_mid_epoch_and_leaves_the_epoch_end_to_the_epoch(tmp_path):
    model, loader = classification_setup()  # 6 steps an epoch
    run = RunFolder(tmp_path / "run")
    trainer = Trainer(model, F.cross_entropy, SGD(model.parameters(), lr=0.1), loader, epochs=2,
                      checkpoint_every=4, keep_checkpoints=10, run=run, progress="off",
                      plots=False)
    assert trainer.fit().status == "completed"
    # every 4th step (4, 8) and each epoch's end (6, 12); step 12 is saved once, by the epoch
    assert [info.step for info in Checkpointer(run.checkpoints).list()] == [4, 6, 8, 12]
    assert trainer.state_dict()["callbacks"] == []  # the saver is the trainer's, not the run's


def test_callbacks_are_called_in_order():
    model, loader = classification_setup(n=32)
    recorder = Recorder()
    trainer = Trainer(model, F.cross_entropy, SGD(model.parameters(), lr=0.1), loader, epochs=2,
                      val_data=loader, metrics=["loss", "accuracy"], callbacks=[recorder],
                      progress="off")
    trainer.fit()
    epoch = ["step", "step"]
    assert recorder.calls == ["fit_start", "epoch_start 1", *epoch,
                              "epoch_end 1 ['accuracy', 'loss']", "epoch_start 2", *epoch,
                              "epoch_end 2 ['accuracy', 'loss']", "fit_end completed"]


def test_early_stopping_when_validation_stops_improving():
    model, loader = classification_setup(n=32)
    frozen = SGD(model.parameters(), lr=0.0)  # nothing changes: no epoch improves on the first
    validation = DataLoader(loader.dataset, batch_size=8)  # the same order, the same sums
    trainer = Trainer(model, F.cross_entropy, frozen, loader, val_data=validation, epochs=50,
                      early_stopping_patience=3, progress="off")
    result = trainer.fit()
    assert result.status == "completed"
    assert trainer.epoch == 4 and result.steps == 4 * len(loader)


class MetricScheduler:
    """A scheduler that asks for the metric (``needs_metric``), recording what it is given."""

    needs_metric = True

    def __init__(self):
        self.values = []

    def step(self, value):
        self.values.append(value)

    def state_dict(self):
        return {"values": self.values}


def test_plateau_scheduler_gets_the_validation_monitor():
    model, loader = classification_setup(n=32)
    scheduler = MetricScheduler()
    trainer = Trainer(model, F.cross_entropy, SGD(model.parameters(), lr=0.1), loader,
                      val_data=loader, metrics=["loss", "accuracy"], monitor="accuracy",
                      scheduler=scheduler, epochs=3, progress="off")
    trainer.fit()
    logged = [r["accuracy"] for r in trainer.history if r["split"] == "val"]
    assert scheduler.values == logged and len(logged) == 3


def test_reduce_lr_on_plateau_is_stepped_with_the_monitor_as_torch_would_be():
    import torch

    from nnscratch.optim.lr_scheduler import ReduceLROnPlateau

    assert ReduceLROnPlateau.needs_metric and not getattr(StepLR, "needs_metric", False)
    model, loader = classification_setup(n=32)
    optimizer = SGD(model.parameters(), lr=0.1)
    scheduler = ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=0)
    trainer = Trainer(model, F.cross_entropy, optimizer, loader, val_data=loader,
                      metrics=["accuracy"], monitor="accuracy", scheduler=scheduler, epochs=6,
                      log_every=1, progress="off")
    trainer.fit()
    accuracies = [r["accuracy"] for r in trainer.history if r["split"] == "val"]
    used = [r["lr"] for r in trainer.history if r["split"] == "train"]
    oracle = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(oracle, mode="min", factor=0.5,
                                                         patience=0)
    expected = []
    for accuracy in accuracies:  # the lr of each epoch's steps, then the epoch's step(metric)
        expected += [oracle.param_groups[0]["lr"]] * len(loader)
        plateau.step(accuracy)
    assert len(accuracies) == 6 and used == pytest.approx(expected, rel=1e-12)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(oracle.param_groups[0]["lr"])
    assert optimizer.param_groups[0]["lr"] < 0.1  # "min" on a rising accuracy: it reduces


def test_final_metrics_come_from_the_test_data():
    model, loader = classification_setup()
    x = ns.tensor([[1.0, 1.0, 1.0], [-1.0, -1.0, -1.0]])
    test = [(x, ns.tensor([1, 0]))]
    trainer = Trainer(model, F.cross_entropy, Adam(model.parameters(), lr=0.05), loader,
                      test_data=test, metrics=["loss", "accuracy"], epochs=5, progress="off")
    result = trainer.fit()
    logits = model(x).numpy()
    assert result.final["accuracy"] == float(np.mean(logits.argmax(1) == [1, 0]))


def test_resume_mid_epoch_with_carried_state_is_bit_identical(tmp_path):
    def make(run=None, max_steps=None):
        model, batches = recurrent_setup()
        loader = DataLoader(TensorDataset(ns.stack([b[0] for b in batches]),
                                          ns.stack([b[1] for b in batches])), batch_size=1,
                            shuffle=True, collate_fn=lambda items: items[0])

        def forward(model, batch, state):
            x, y = batch
            output, h = model(x, state)
            return output, y, h

        trainer = Trainer(model, lm_loss, Adam(model.parameters(), lr=0.01), loader, epochs=3,
                          max_steps=max_steps, forward=forward, run=run, progress="off",
                          plots=False)
        return model, trainer

    model, trainer = make()
    trainer.fit()
    expected = parameters_bytes(model)

    run = RunFolder(tmp_path / "run")
    _, first = make(run, max_steps=9)  # stops mid-epoch 2 (6 windows per epoch)
    assert first.fit().status == "completed"
    assert first.carried is not None
    model, second = make(run)
    result = second.fit(resume=True)
    assert result.status == "completed" and result.steps == 18
    assert parameters_bytes(model) == expected


def test_bad_arguments_fail_before_training():
    model, loader = classification_setup(n=16)
    optimizer = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="epochs or max_steps"):
        Trainer(model, F.cross_entropy, optimizer, loader, epochs=None)
    with pytest.raises(ValueError, match="unknown metric"):
        Trainer(model, F.cross_entropy, optimizer, loader, metrics=["acuracy"])
    with pytest.raises(ValueError, match="scheduler_interval"):
        Trainer(model, F.cross_entropy, optimizer, loader, scheduler_interval="batch")


def test_a_full_disk_fails_the_run_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    import errno
    import os

    from nnscratch.train import atomic
    from nnscratch.train.checkpoint import Checkpointer

    model, loader = classification_setup()
    run = RunFolder(tmp_path / "run")
    trainer = Trainer(model, F.cross_entropy, SGD(model.parameters(), lr=0.1), loader, epochs=2,
                      checkpoint_every=2, run=run, progress="off", plots=False)
    real_fsync, calls = os.fsync, {"n": 0}

    def disk_fills_up(descriptor):
        calls["n"] += 1
        if calls["n"] > 12:  # config.json, then the first checkpoints fit
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(descriptor)

    monkeypatch.setattr(atomic.os, "fsync", disk_fills_up)
    result = trainer.fit()
    monkeypatch.undo()
    assert result.status == "failed"
    assert "No space left on device" in result.message
    checkpointer = Checkpointer(run.checkpoints)
    last_good = checkpointer.last_valid()
    assert last_good is not None and str(last_good) in result.message
    info, state = checkpointer.load_latest()
    assert info.path == last_good and state["counters"]["global_step"] == info.step
    assert not list(run.checkpoints.glob(".*tmp*"))  # no half-written file left


def test_a_plain_list_of_batches_resumes_mid_epoch(tmp_path):
    def make(run=None, max_steps=None):
        model, batches = recurrent_setup()

        def forward(model, batch, state):
            output, h = model(batch[0], state)
            return output, batch[1], h

        trainer = Trainer(model, lm_loss, SGD(model.parameters(), lr=0.1), batches, epochs=2,
                          max_steps=max_steps, forward=forward, run=run, progress="off",
                          plots=False)
        return model, trainer

    model, trainer = make()
    trainer.fit()
    expected = parameters_bytes(model)
    run = RunFolder(tmp_path / "run")
    make(run, max_steps=4)[1].fit()
    model, second = make(run)
    assert second.fit(resume=True).steps == 12
    assert parameters_bytes(model) == expected
