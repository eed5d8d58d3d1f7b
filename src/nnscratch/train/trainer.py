"""The training engine: model + loss + optimiser over a DataLoader, with everything around it.

One step is what a bare loop does (forward, loss, zero_grad, backward, optional clipping,
optimizer.step) plus a list append and a few integer tests. Losses stay backend arrays in a
window until a log point (every ``log_every`` steps, before each checkpoint and at epoch end);
there they are copied to the host at once, checked for NaN/Inf (the first bad step is named),
logged, and shown. So a GPU run synchronises once per log, not once per step.

Recurrent models trained with truncated BPTT pass ``forward(model, batch, state) -> (output,
target, new_state)``: the trainer detaches ``new_state`` and hands it to the next window of the
same epoch (and keeps it in checkpoints), so gradients stop at the window edge while the hidden
state flows on.

Each train record logs the ``lr`` its last step used (read before that step's scheduler step):
a cosine over the run never reads 0 in a record, since no step is taken at the schedule's end.

A resume may change the learning rate: see :meth:`Trainer.load_state_dict` for the rule.

Throughput is logged as ``samples_per_second`` (examples: the batch size of each batch, see
:func:`examples_in`) and, for sequence tasks, ``tokens_per_second`` (the targets ``count``
counts: tokens of a language model, a caption, an answer).

A run with a run folder holds the folder's lock (:meth:`RunFolder.lock`) from start to end, so
two processes never train into one folder; when it starts it removes the temporaries an earlier
killed process left. A signal gives a checkpoint and ``FitResult.signal``; a second Ctrl-C while
the first is handled interrupts the checkpoint (no temporary is left) but never the summary.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy

from .. import backend, memory, untrusted
from ..autograd.grad_mode import no_grad
from .atomic import WriteError
from .callbacks import Callback, CheckpointEvery, EarlyStopping, overrides
from .checkpoint import Checkpointer, CheckpointError, CheckpointInfo, NonFiniteStateError
from .faults import FaultInjector, NonFiniteLossError, StopSignals
from .hooks import default_forward, detach_state, move_to
from .metrics import FROM_LOSS, RunningMean, make_metrics, mode_of
from .plots import PlotsCallback
from .progress import Progress
from .run import RunFolder
from .throughput import examples_in, rate_unit
from .trainer_state import check_state, restore, snapshot


@dataclass
class FitResult:
    """How a run ended: ``status`` completed | stopped | failed, and why when not completed.

    ``signal``: the number of the signal that stopped the run (2 SIGINT, 15 SIGTERM), else
    None; a command line exits with ``128 + signal`` then, as shells do.
    """

    status: str
    steps: int
    seconds: float
    final: dict[str, float] = field(default_factory=dict)
    message: str | None = None
    signal: int | None = None


class Trainer:
    """Train ``model`` to minimise ``loss_fn(output, target)`` over ``train_data``.

    Args (beyond the obvious): ``metrics`` names evaluated on validation and test data (see
    metrics.py); ``monitor`` the validation metric for the best checkpoint, early stopping and a
    scheduler whose ``needs_metric`` is true (ReduceLROnPlateau: ``step(metric)`` each epoch,
    the validation ``monitor``, else the epoch's training loss); ``scheduler_interval``
    ``"epoch"`` or ``"step"``; ``max_steps`` stops mid-epoch; ``count(target) -> int`` the
    number of targets a batch's mean loss averages over (default ``target.numel()``);
    ``examples(batch) -> int`` the number of examples in a batch (default :func:`examples_in`,
    time-major when ``train_data.batch_first`` is False); ``count_unit`` what ``count`` counts,
    for the throughput it logs as ``<unit>_per_second`` next to ``samples_per_second``
    (``"auto"``: ``"tokens"`` when the targets are integer class indices, or objects with a
    ``count``, outnumbering the examples; None: no second rate); ``run`` a :class:`RunFolder`
    for metrics, checkpoints, summary, model and plots (without one, nothing is written);
    ``loss_name`` what the loss is, for people: the progress lines and the loss plot say it
    (metrics.jsonl keeps the key ``"loss"``).

    The base learning rates (:attr:`base_lrs`) are the optimiser's when the trainer is made:
    the scheduler's ``base_lrs`` when it has them, else each parameter group's
    ``initial_lr`` or ``lr``. Checkpoints keep them (see :meth:`load_state_dict`).
    """

    def __init__(
        self, model: Any, loss_fn: Callable, optimizer: Any, train_data: Iterable, *,
        val_data: Iterable | None = None, test_data: Iterable | None = None,
        metrics: Sequence[str] = ("loss",), monitor: str = "loss", scheduler: Any = None,
        scheduler_interval: str = "epoch", clip_grad_norm: float | None = None,
        epochs: int | None = 1, max_steps: int | None = None, log_every: int = 50,
        checkpoint_every: int | None = None, keep_checkpoints: int = 3,
        early_stopping_patience: int | None = None, callbacks: Sequence[Callback] = (),
        forward: Callable = default_forward, count: Callable[[Any], int] | None = None,
        examples: Callable[[Any], int] | None = None, count_unit: str | None = "auto",
        device: Any = "cpu", run: RunFolder | None = None, progress: Progress | str = "auto",
        recipe: str = "custom", plots: bool = True, loss_name: str = "loss",
    ) -> None:
        if epochs is None and max_steps is None:
            raise ValueError("Trainer: give epochs or max_steps (both None would never end)")
        if scheduler_interval not in ("epoch", "step"):
            raise ValueError(f"Trainer: scheduler_interval must be 'epoch' or 'step', "
                             f"got {scheduler_interval!r}")
        if log_every < 1:
            raise ValueError(f"Trainer: log_every must be >= 1, got {log_every}")
        make_metrics(list(metrics) + [monitor])  # unknown names fail here, not after an epoch
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.train_data, self.val_data, self.test_data = train_data, val_data, test_data
        self.metrics, self.monitor, self.monitor_mode = list(metrics), monitor, mode_of(monitor)
        self.scheduler, self.scheduler_interval = scheduler, scheduler_interval
        self.clip_grad_norm, self.epochs, self.max_steps = clip_grad_norm, epochs, max_steps
        self.log_every, self.checkpoint_every = log_every, checkpoint_every
        self.forward, self.count = forward, count or (lambda target: target.numel())
        batch_first = getattr(train_data, "batch_first", True) is not False
        self.examples = examples or (lambda batch: examples_in(batch, batch_first))
        self.count_unit = count_unit
        self.device = backend.device(device)
        self.run, self.recipe, self.plots, self.loss_name = run, recipe, plots, loss_name
        self.progress = progress if isinstance(progress, Progress) else Progress(progress)
        self.progress.loss_label = loss_name
        self.base_lrs = base_lrs_of(optimizer, scheduler)
        self.callbacks = list(callbacks)
        if early_stopping_patience:
            self.callbacks.append(EarlyStopping(monitor, early_stopping_patience, self.monitor_mode))
        self._step_callbacks = [c for c in self.callbacks if overrides(c, "on_step_end")]
        self._loss_callbacks = [c for c in self.callbacks if overrides(c, "on_loss")]
        # the trainer's own step-end callbacks, after the step's log: checkpoint, then faults
        self._after_step_callbacks: list[Callback] = (
            [CheckpointEvery(checkpoint_every)] if checkpoint_every else [])
        # the trainer's own callbacks of a closed run folder: the plots
        self._closing_callbacks: list[Callback] = [PlotsCallback()] if plots else []
        faults = FaultInjector.from_environment()  # NNSCRATCH_TEST_* (tests only): else None
        if faults is not None:
            self._loss_callbacks.append(faults)
            self._after_step_callbacks.append(faults)
        self.checkpointer = (Checkpointer(run.checkpoints, keep_checkpoints, self.monitor_mode)
                             if run is not None else None)
        # counters: completed epochs, steps done in the current epoch, steps in all
        self.epoch = self.step_in_epoch = self.global_step = 0
        self.steps_in_epoch: int | None = None  # len(train_data) when it has one
        self.seconds_before = 0.0  # training time of earlier sessions of a resumed run
        self.carried: Any = None  # detached recurrent state between windows
        self.epoch_loss = RunningMean()
        self.should_stop = False
        self.history: list[dict] = []  # every logged record
        self.last_validation: dict[str, float] = {}
        self._window: list[tuple[Any, int, int, float]] = []  # loss, targets, examples, lr
        self._model_record: dict | None = None
        self._unit: str | None = None  # what count() counts, decided at the first batch
        self._unit_known = False
        self._started = time.monotonic()
        self._window_start = (0, self._started)
        self._epoch_throughput = [0.0, 0.0, 0.0]

    def state_dict(self) -> dict:
        """Everything a resume needs: weights, optimiser, scheduler, RNG, data position …"""
        data_state = None
        if self.step_in_epoch and hasattr(self.train_data, "state_dict"):
            data_state = self.train_data.state_dict()
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "rng": backend.get_rng_state(),
            "data": data_state,
            "carried": self.carried,
            "counters": {"epoch": self.epoch, "step_in_epoch": self.step_in_epoch,
                         "global_step": self.global_step, "seconds": self.elapsed()},
            "epoch_loss": self.epoch_loss.state_dict(),
            "callbacks": [c.state_dict() for c in self.callbacks],
            "last_validation": self.last_validation,
            "base_lrs": list(self.base_lrs),
        }

    def load_state_dict(self, state: dict, source: Any = "checkpoint") -> None:
        """Restore what :meth:`state_dict` gave. The non-array fields are checked against
        this trainer's own state first (:class:`CheckpointError` naming ``source`` and the
        field), so a state of another run, or a crafted one, changes nothing; the model and
        optimiser check their own arrays before changing anything.

        A new learning rate on resume: when the state's base learning rates (its
        ``base_lrs``; a state without them: :func:`base_lrs_of` what it restored) differ from
        this trainer's :attr:`base_lrs` (an optimiser made with another ``lr``), the restored
        schedule is moved onto this trainer's bases. For each parameter group with old base
        ``b`` and new base ``B``: the group's ``initial_lr`` and the scheduler's
        ``base_lrs`` become ``B``, and the group's ``lr`` becomes ``lr · B / b``, or, for a
        scheduler with a closed form (cosine, step, exponential), that form at the step
        reached over the new base: a cosine at step ``t`` of ``T`` continues as
        ``B · (1 + cos(π t / T)) / 2``, a plateau-reduced rate keeps its reductions
        (``B · factor^k``). Checkpoints written afterwards hold the new bases, so a later
        resume with the same optimiser changes nothing."""
        check_state(self, state, source)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self._rebase(state.get("base_lrs"))
        counters = state["counters"]
        self.epoch, self.step_in_epoch = counters["epoch"], counters["step_in_epoch"]
        self.global_step, self.seconds_before = counters["global_step"], counters["seconds"]
        if state.get("data") is not None:
            self.train_data.load_state_dict(state["data"])
        self.carried = state.get("carried")
        self.epoch_loss.load_state_dict(state["epoch_loss"])
        self.last_validation = dict(state.get("last_validation") or {})
        for callback, callback_state in zip(self.callbacks, state.get("callbacks", [])):
            callback.load_state_dict(callback_state)
        backend.set_rng_state(state["rng"])  # last: nothing after it may draw

    def _rebase(self, saved: list[float] | None) -> None:
        """Move the restored learning rates from the bases ``saved`` to :attr:`base_lrs`
        (the rule of :meth:`load_state_dict`)."""
        scheduler = self.scheduler
        if saved is None:  # a state of before base_lrs were kept: what it restored
            saved = base_lrs_of(self.optimizer, scheduler)
        if list(saved) == list(self.base_lrs):
            return
        groups = self.optimizer.param_groups
        for index, (group, old, new) in enumerate(zip(groups, saved, self.base_lrs)):
            lr = group["lr"] * (new / old)
            if not math.isfinite(lr):
                raise ValueError(f"base learning rate {old!r} cannot be moved to {new!r}")
            group["lr"] = lr
            if "initial_lr" in group:
                group["initial_lr"] = new
            if getattr(scheduler, "base_lrs", None) is not None:
                scheduler.base_lrs[index] = new
        closed_form = getattr(scheduler, "_get_closed_form_lr", None)
        if closed_form is not None and getattr(scheduler, "base_lrs", None) is not None:
            for group, lr in zip(groups, closed_form()):  # exact, not a product of ratios
                group["lr"] = lr
        if scheduler is not None and hasattr(scheduler, "_last_lr"):
            scheduler._last_lr = [group["lr"] for group in groups]

    def _apply_checkpoint(self, info: CheckpointInfo, state: dict) -> None:
        """``load_state_dict`` for :meth:`resume`: a state that cannot be applied is a
        :class:`CheckpointError` (so an older checkpoint is tried) and leaves this trainer as
        it was."""
        counters = state.get("counters") if isinstance(state, dict) else None
        if isinstance(counters, dict) and counters.get("global_step") != info.step:
            raise CheckpointError(f"checkpoint {info.path}: its state is of step "
                                  f"{untrusted._short(counters.get('global_step'))}, not {info.step}")
        saved = snapshot(self)
        try:
            self.load_state_dict(state, source=f"checkpoint {info.path}")
        except CheckpointError:
            raise
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, RuntimeError,
                OverflowError) as error:
            restore(self, saved)
            reason = str(error).replace("\n", " ").replace("\t", "")
            raise CheckpointError(f"checkpoint {info.path} does not fit this run "
                                  f"({type(error).__name__}: {reason})") from None

    def elapsed(self) -> float:
        return self.seconds_before + (time.monotonic() - self._started)

    def fit(self, resume: bool = False) -> FitResult:
        """Train, test, and (with a run folder) write metrics, checkpoints, summary, model, plots.

        ``resume``: continue from the newest valid checkpoint of the run folder. NaN/Inf losses
        or weights and write failures end the run with status ``failed``; SIGINT/SIGTERM save a
        checkpoint and end it with ``stopped`` (``FitResult.signal`` says which). Other
        exceptions are recorded as ``failed`` and re-raised. With a run folder the whole run
        holds its lock: :class:`~.run.RunFolderBusy` when another process holds it, before
        anything is written.
        """
        if self.run is None and resume:
            raise RuntimeError("Trainer.fit: resume needs a run folder")
        memory.apply_default()  # the Trainer owns its loop: keep freed buffers (see memory.py)
        holding = self.run.lock() if self.run is not None else contextlib.nullcontext()
        with holding, StopSignals() as signals:
            status, final, message = "failed", {}, None
            try:
                if self.run is not None:
                    self._prepare_run_folder(resume)
                self._started = time.monotonic()
                status = self.train_epochs(signals)
                if status == "completed":
                    final = self._final_evaluation()
                elif status == "stopped":
                    message = (f"stopped by {signals.requested} at step {self.global_step}; "
                               f"checkpoint saved")
            except (NonFiniteLossError, NonFiniteStateError, WriteError) as error:
                status, message = "failed", f"{error}; {self._last_good_text()}"
            except KeyboardInterrupt:
                status, message = "stopped", f"interrupted at step {self.global_step}"
                signals.requested = signals.requested or "SIGINT"
            except BaseException:
                self._finish("failed", {}, "an unexpected error", signals)
                raise
            finally:
                self.progress.close()
            return self._finish(status, final, message, signals)

    def _prepare_run_folder(self, resume: bool) -> None:
        run = self.run
        run.create()
        run.remove_orphans()  # what a killed writer left (we hold the lock: no live writer)
        if not run.config_path.exists():
            run.write_config(self.recipe, {"epochs": self.epochs, "steps": self.max_steps,
                                           "log_every": self.log_every,
                                           "checkpoint_every": self.checkpoint_every,
                                           "metrics": self.metrics, "monitor": self.monitor})
        resumed_step = None
        if resume:
            resumed_step = self.resume(warn=lambda text: print(text, file=sys.stderr, flush=True))
            if resumed_step is None:
                self.progress.message("no valid checkpoint to resume from: starting at step 0")
            else:
                self.progress.message(f"resumed from step {resumed_step}")
        run.open_metrics(keep_until_step=(resumed_step or 0) if resume else None)

    def _final_evaluation(self) -> dict[str, float]:
        if self.test_data is not None:
            final = self.evaluate(self.test_data)
            self._log({"step": self.global_step, "epoch": self.epoch, "split": "test", **final})
        elif self.last_validation:  # no test set: the last validation stands in for it
            final = dict(self.last_validation)
        else:
            final = {"loss": self.epoch_loss.compute()} if self.epoch_loss.count else {}
        if self.run is not None:
            from ..serialization import save
            from .checkpoint import first_non_finite
            from .state_tree import flatten

            bad = first_non_finite(flatten(self.model.state_dict())[1])
            if bad is not None:
                raise NonFiniteStateError(self.global_step, bad)
            try:
                self.run.forget_model_record()
                save(self.model.state_dict(), self.run.model_path)
                self._model_record = self.run.model_record()
            except OSError as error:
                raise WriteError(f"cannot write {self.run.model_path}: "
                                 f"{error.strerror or error}") from error
        return final

    def _last_good_text(self) -> str:
        last = self.checkpointer.last_valid() if self.checkpointer is not None else None
        return f"last good checkpoint: {last}" if last else "no checkpoint was written"

    def _finish(self, status: str, final: dict, message: str | None,
                signals: StopSignals) -> FitResult:
        number = signals.number if status == "stopped" else None
        result = FitResult(status, self.global_step, self.elapsed(), final, message, number)
        with signals.deferred():  # a second Ctrl-C must not cost the summary
            for callback in self.callbacks:
                callback.on_fit_end(self, status)
            if self.run is None:
                return result
            model = self._model_record if status == "completed" else None
            try:
                self.run.write_summary(self.recipe, status, result.steps, result.seconds, final,
                                       model=model)
            except (WriteError, OSError) as error:
                result.message = f"{message + '; ' if message else ''}{error}"
            finally:
                self.run.close()
        for callback in (*self.callbacks, *self._closing_callbacks):
            callback.on_run_closed(self, result)
        return result

    def train_epochs(self, signals: StopSignals) -> str:
        """Run epochs until done; return ``"completed"`` or ``"stopped"`` (by a signal)."""
        for callback in self.callbacks:
            callback.on_fit_start(self)
        while not self._finished():
            epoch_number = self.epoch + 1
            if self.step_in_epoch == 0:
                self.epoch_loss.reset()
                self.carried = None
            for callback in self.callbacks:
                callback.on_epoch_start(self, epoch_number)
            steps_in_epoch = len(self.train_data) if hasattr(self.train_data, "__len__") else None
            self.steps_in_epoch = steps_in_epoch
            self.progress.start_epoch(epoch_number, self.epochs, steps_in_epoch, self.step_in_epoch)
            self._window_start = (self.global_step, time.monotonic())
            self._epoch_throughput = [0.0, 0.0, 0.0]  # samples, targets, seconds of training
            if steps_in_epoch is not None and self.step_in_epoch >= steps_in_epoch:
                exhausted = True  # resumed after the epoch's last step, before its end
            else:
                exhausted = self._run_steps(signals, steps_in_epoch)
            self._flush()
            if signals.requested:
                self.progress.close()
                self.save_checkpoint()
                return "stopped"
            self.progress.hold_messages()  # callbacks' words come after the epoch's line
            if not exhausted:  # max_steps reached mid-epoch: keep the position, then finish
                self.save_checkpoint()
                self.progress.end_epoch(self._end_of_epoch(epoch_number), self._epoch_rates())
                break
            self.epoch += 1
            self.step_in_epoch = 0
            results = self._end_of_epoch(epoch_number)
            self.save_checkpoint(metric=results.get(self.monitor))
            self.progress.end_epoch(results, self._epoch_rates())
        return "completed"

    def _run_steps(self, signals: StopSignals, steps_in_epoch: int | None) -> bool:
        """The inner loop; True when the data ran out (the epoch is complete)."""
        model, optimizer, loss_fn, forward = self.model, self.optimizer, self.loss_fn, self.forward
        clip, window, count, examples = self.clip_grad_norm, self._window, self.count, self.examples
        loss_callbacks, after_step = self._loss_callbacks, self._after_step_callbacks
        per_step_scheduler = self.scheduler if self.scheduler_interval == "step" else None
        move = self.device.type != "cpu"
        if clip is not None:
            from ..nn.utils import clip_grad_norm_
            parameters = [p for group in optimizer.param_groups for p in group["params"]]
        batches = self.train_data
        if self.step_in_epoch and not hasattr(batches, "load_state_dict"):
            batches = itertools.islice(batches, self.step_in_epoch, None)  # resumed mid-epoch
        model.train()
        # a diverging run overflows: the NaN/Inf check names the step, numpy need not shout
        with numpy.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for batch in batches:
                if move:
                    batch = move_to(batch, self.device)
                output, target, state = forward(model, batch, self.carried)
                loss = loss_fn(output, target)
                step = self.global_step + 1
                for callback in loss_callbacks:
                    loss = callback.on_loss(self, step, loss)
                optimizer.zero_grad()
                loss.backward()
                if clip is not None:
                    clip_grad_norm_(parameters, clip)
                used_lr = optimizer.param_groups[0]["lr"]  # before the schedule moves it on
                optimizer.step()
                if per_step_scheduler is not None:
                    per_step_scheduler.step()
                if state is not None:
                    self.carried = detach_state(state)
                if not self._unit_known:
                    self._unit = rate_unit(self.count_unit, batch, target, count, examples)
                    self._unit_known = True
                window.append((loss.array, count(target), examples(batch), used_lr))
                self.global_step = step
                self.step_in_epoch += 1
                self.progress.advance()
                for callback in self._step_callbacks:
                    callback.on_step_end(self, step)
                if step % self.log_every == 0:
                    self._flush()
                for callback in after_step:
                    callback.on_step_end(self, step)
                if signals.requested or self.should_stop or step == self.max_steps:
                    return self.step_in_epoch == steps_in_epoch and not signals.requested
        return True

    def _finished(self) -> bool:
        return (self.should_stop
                or (self.epochs is not None and self.epoch >= self.epochs)
                or (self.max_steps is not None and self.global_step >= self.max_steps))

    def _flush(self) -> None:
        """Move the window's losses to the host, check them, log one record."""
        window = self._window
        if not window:
            return
        first_step, started = self._window_start
        losses = numpy.array([float(entry[0]) for entry in window]) if self.device.type == "cpu" \
            else backend.to_device(backend.xp_for(self.device).stack(
                [entry[0] for entry in window]), backend.CPU).astype(numpy.float64)
        counts = numpy.array([entry[1] for entry in window], dtype=numpy.float64)
        samples = float(sum(entry[2] for entry in window))
        used_lr = window[-1][3]  # the lr of the record's last step
        window.clear()
        bad = numpy.flatnonzero(~numpy.isfinite(losses))
        if bad.size:
            raise NonFiniteLossError(first_step + int(bad[0]) + 1, float(losses[bad[0]]))
        now = time.monotonic()
        total, targets = float((losses * counts).sum()), float(counts.sum())
        self.epoch_loss.add(total / targets, int(targets))
        mean = total / targets
        seconds = max(now - started, 1e-9)
        for index, value in enumerate((samples, targets, now - started)):
            self._epoch_throughput[index] += value
        record = {"step": self.global_step, "epoch": self.epoch + 1, "split": "train",
                  **{name: FROM_LOSS[name](mean) for name in self.metrics if name in FROM_LOSS},
                  "loss": mean, "lr": used_lr,
                  "samples_per_second": samples / seconds}
        rates = {}
        if self._unit not in (None, "samples"):
            record[f"{self._unit}_per_second"] = rates[f"{self._unit}/s"] = targets / seconds
        record["seconds"] = round(self.elapsed(), 3)
        self._window_start = (self.global_step, now)
        self._log(record)
        self.progress.show(self.global_step, mean, record["samples_per_second"], **rates)

    def _epoch_rates(self) -> dict[str, float]:
        """The throughput over the epoch's training steps (validation time not counted)."""
        samples, targets, seconds = self._epoch_throughput
        if seconds <= 0:
            return {}
        rates = {"samples/s": samples / seconds}
        if self._unit not in (None, "samples"):
            rates[f"{self._unit}/s"] = targets / seconds
        return rates

    def _log(self, record: dict) -> None:
        self.history.append(record)
        if self.run is not None:
            self.run.log(record)
        for callback in self.callbacks:
            callback.on_log(self, record)

    def _end_of_epoch(self, epoch_number: int) -> dict[str, float]:
        """Validate, step the epoch scheduler, run callbacks; return the validation results."""
        results: dict[str, float] = {}
        if self.val_data is not None:
            results = self.last_validation = self.evaluate(self.val_data)
            self._log({"step": self.global_step, "epoch": epoch_number, "split": "val", **results})
        if self.scheduler is not None and self.scheduler_interval == "epoch":
            if getattr(self.scheduler, "needs_metric", False):  # ReduceLROnPlateau
                value = results.get(self.monitor, self.epoch_loss.compute())
                self.scheduler.step(value)
            else:
                self.scheduler.step()
        for callback in self.callbacks:
            callback.on_epoch_end(self, epoch_number, results)
        return results

    def evaluate(self, data: Iterable, metrics: Sequence[str] | None = None) -> dict[str, float]:
        """Metrics over a whole data set, in eval mode and without gradients."""
        names = list(metrics or self.metrics)
        if self.monitor not in names and metrics is None:
            names.append(self.monitor)
        accumulators = make_metrics(names)
        was_training = self.model.training
        self.model.eval()
        state = None
        try:
            with no_grad():
                for batch in data:
                    if self.device.type != "cpu":
                        batch = move_to(batch, self.device)
                    output, target, state = self.forward(self.model, batch, state)
                    loss = self.loss_fn(output, target).array
                    count = self.count(target)
                    for accumulator in accumulators.values():
                        accumulator.update(output, target, loss, count)
        finally:
            self.model.train(was_training)
        return {name: accumulator.compute() for name, accumulator in accumulators.items()}

    def save_checkpoint(self, metric: float | None = None) -> Any:
        """Write a checkpoint now (after flushing the loss window); None without a run folder.

        :class:`~.checkpoint.NonFiniteStateError`, with nothing written, when a weight or an
        optimiser moment is NaN or Inf: the last good checkpoint stays the newest."""
        self._flush()
        if self.checkpointer is None:
            return None
        return self.checkpointer.save(self.global_step, self.state_dict(), metric)

    def resume(self, warn: Callable[[str], None] | None = None) -> int | None:
        """Load the newest valid checkpoint of the run folder; return its step (None: none)."""
        if self.checkpointer is None:
            raise RuntimeError("Trainer.resume: there is no run folder to resume from")
        found = self.checkpointer.load_latest(self.device, warn, accept=self._apply_checkpoint)
        return None if found is None else found[0].step


def base_lrs_of(optimizer: Any, scheduler: Any) -> list[float]:
    """The base learning rate of each parameter group: the scheduler's ``base_lrs`` when it
    has them, else the group's ``initial_lr`` (set by a scheduler), else its ``lr``; empty
    without an optimiser (evaluation)."""
    if optimizer is None:
        return []
    bases = getattr(scheduler, "base_lrs", None)
    if bases is not None:
        return [float(lr) for lr in bases]
    return [float(group.get("initial_lr", group["lr"])) for group in optimizer.param_groups]


def fit(model: Any, loss_fn: Callable, optimizer: Any, train_data: Iterable,
        **options: Any) -> FitResult:
    """``Trainer(model, loss_fn, optimizer, train_data, **options).fit()`` in one call."""
    resume = options.pop("resume", False)
    return Trainer(model, loss_fn, optimizer, train_data, **options).fit(resume=resume)
