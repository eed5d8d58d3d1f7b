"""Callbacks: code the trainer calls at fixed points, and early stopping built on them.

A callback overrides any of the hooks below; the trainer calls the per-step hooks
(``on_loss``, ``on_step_end``) only for the callbacks that override them, so an unused hook
costs nothing per step. ``on_loss`` may replace a training step's loss before its backward
(the test fault injector makes it NaN there). A callback with state that
must survive a resume defines ``state_dict``/``load_state_dict``; the trainer puts it in the
checkpoint. Setting ``trainer.should_stop = True`` ends the run after the current epoch (or
step), with status ``completed``.
"""

from __future__ import annotations

import math
from typing import Any


class Callback:
    """Base class; every hook does nothing."""

    def on_fit_start(self, trainer: Any) -> None: ...

    def on_epoch_start(self, trainer: Any, epoch: int) -> None: ...

    def on_loss(self, trainer: Any, step: int, loss: Any) -> Any:
        """The loss of 1-based training step ``step``, before backward; returned as it is."""
        return loss

    def on_step_end(self, trainer: Any, step: int) -> None: ...

    def on_log(self, trainer: Any, record: dict) -> None: ...

    def on_epoch_end(self, trainer: Any, epoch: int, results: dict[str, float]) -> None: ...

    def on_fit_end(self, trainer: Any, status: str) -> None: ...

    def on_run_closed(self, trainer: Any, result: Any) -> None:
        """After summary.json is written and the run folder closed (only with a run folder):
        the last word on the run; ``result`` is its ``FitResult``, whose ``message`` may be
        added to (the plots say there what they could not write)."""

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None: ...


def overrides(callback: Callback, hook: str) -> bool:
    """True when ``callback`` defines ``hook`` itself (not just the base's no-op)."""
    return getattr(type(callback), hook) is not getattr(Callback, hook)


class EarlyStopping(Callback):
    """Stop when the validation ``monitor`` has not improved by ``min_delta`` for ``patience``
    epochs. ``mode`` ``"min"`` (a loss) or ``"max"`` (an accuracy).
    """

    def __init__(self, monitor: str = "loss", patience: int = 5, mode: str = "min",
                 min_delta: float = 0.0) -> None:
        if patience < 1:
            raise ValueError(f"EarlyStopping: patience must be >= 1, got {patience}")
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        self.monitor, self.patience, self.mode, self.min_delta = monitor, patience, mode, min_delta
        self.best = math.inf if mode == "min" else -math.inf
        self.bad_epochs = 0

    def improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, trainer: Any, epoch: int, results: dict[str, float]) -> None:
        value = results.get(self.monitor)
        if value is None or value != value:  # no validation this epoch, or NaN
            return
        if self.improved(value):
            self.best, self.bad_epochs = value, 0
            return
        self.bad_epochs += 1
        if self.bad_epochs >= self.patience:
            trainer.should_stop = True
            trainer.progress.message(
                f"early stopping: validation {self.monitor} has not improved for "
                f"{self.patience} epochs (best {self.best:.4g})")

    def state_dict(self) -> dict:
        return {"best": self.best, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.bad_epochs = state["best"], state["bad_epochs"]


class CheckpointEvery(Callback):
    """Save a checkpoint after every ``every``-th optimiser step, except an epoch's last step
    (the end of the epoch saves then, with its validation metric).

    The Trainer adds it for ``checkpoint_every``, not in ``Trainer.callbacks`` (it keeps no
    state), and calls it after the step's log; without a run folder the save only flushes the
    loss window (one train record), as :meth:`Trainer.save_checkpoint` does.
    """

    def __init__(self, every: int) -> None:
        self.every = every

    def on_step_end(self, trainer: Any, step: int) -> None:
        if step % self.every == 0 and trainer.step_in_epoch != trainer.steps_in_epoch:
            trainer.save_checkpoint()
