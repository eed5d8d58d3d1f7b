"""Run a recipe into a run folder (``nnscratch train``) and evaluate a finished run.

The order of a run's random draws is fixed — seed, then the recipe builds its data and model,
then the trainer — so a resumed run rebuilds exactly the same data and then restores the
generator state of its checkpoint.

A schedule's horizon is the run's number of optimiser steps (:func:`total_steps`): the bound
``steps``, or ``epochs`` × batches per epoch, whichever ends the run first. A time budget
(char-lm's ``minutes``) or early stopping may end a run sooner; the horizon stays that bound,
so the same settings give the same learning rates at every step on any machine. A resumed run
keeps its horizon; one resumed with a larger ``--steps``/``--epochs`` decays over the new, longer
horizon from the step it has reached (the learning rate is the new cosine's at that step). A
completed run resumed without a longer bound is left as it is.

A resume may change the learning rate (``--lr``): the run's base rate becomes the new one and
the schedule restored from the checkpoint continues from it (the rule is
:meth:`Trainer.load_state_dict`'s: every group's rate is scaled by new/old, a cosine is
recomputed at the step reached as ``new · (1 + cos(π t / T)) / 2``). The new rate replaces
the old in config.json's settings and the change joins its ``resumes`` history.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .. import backend
from ..train.atomic import WriteError
from ..train.callbacks import Callback
from ..train.run import RunFolder, default_run_path
from ..train.trainer import FitResult, Trainer
from ..untrusted import field, read_json_object
from .registry import Recipe, Settings, SettingsError, Task, check_setting, get_recipe, resolve_settings

# settings a resumed run may change: they bound or report the run, not what it computes,
# and the learning rate (a run that diverged continues from its last good checkpoint slower)
RESUME_OVERRIDABLE = {"epochs", "steps", "checkpoint_every", "keep_checkpoints", "log_every",
                      "plots", "device", "data", "lr"}


def saved_run(run: RunFolder, doing: str) -> tuple[Recipe, Settings]:
    """The recipe and settings of a run folder's config.json, each value checked as a flag
    would be; SettingsError naming the file and the field otherwise."""
    if not run.path.exists():
        raise SettingsError(f"cannot {doing}: run folder {run.path} does not exist")
    try:
        saved = run.read_config()
    except (FileNotFoundError, ValueError) as error:
        raise SettingsError(f"cannot {doing}: {error}") from None
    source = run.config_path
    try:
        name = field(saved, "recipe", str, source=source)
        values = field(saved, "settings", dict, source=source)
    except ValueError as error:
        raise SettingsError(f"cannot {doing}: {error}") from None
    try:
        recipe = get_recipe(name)
    except SettingsError as error:
        raise SettingsError(f"cannot {doing}: {source}: field 'recipe': {error}") from None
    try:
        settings = resolve_settings(recipe, {k: v for k, v in values.items() if k in recipe.defaults},
                                    source=str(source))
    except SettingsError as error:
        raise SettingsError(f"cannot {doing}: {error}") from None
    return recipe, settings


def completed_steps(run: RunFolder) -> int | None:
    """The number of steps of a completed run (its summary.json says so), else None."""
    if not run.summary_path.exists():
        return None
    try:
        summary = read_json_object(run.summary_path, what="summary")
        if field(summary, "status", str, source=run.summary_path) != "completed":
            return None
        return field(summary, "steps", int, source=run.summary_path, low=0)
    except ValueError as error:
        raise SettingsError(f"cannot resume: {error}") from None


def prepare(recipe_name: str | None, flags: dict[str, Any], config: dict[str, Any],
            out: str | None, resume: str | None) -> tuple[Recipe, Settings, RunFolder]:
    """Resolve the recipe, its settings and the run folder; SettingsError on any bad input."""
    if resume is not None:
        if out is not None and Path(out).resolve() != Path(resume).resolve():
            raise SettingsError(f"--resume {resume} continues the run in its own folder; drop --out {out}")
        run = RunFolder(resume)
        recipe, settings = saved_run(run, "resume")
        if recipe_name is not None and recipe_name != recipe.name:
            raise SettingsError(f"cannot resume: {resume} is a run of recipe "
                                f"{recipe.name!r}, not {recipe_name!r}")
        given = {**config, **flags}
        for name, value in given.items():
            value = check_setting(recipe, name, value)
            if value != settings[name] and name not in RESUME_OVERRIDABLE:
                raise SettingsError(f"cannot resume with {name}={value!r}: the run used "
                                    f"{settings[name]!r} (only {', '.join(sorted(RESUME_OVERRIDABLE))}"
                                    f" may change)")
            settings[name] = value
        for bound, other in (("steps", "epochs"), ("epochs", "steps")):
            if bound in given and other not in given:
                settings[other] = None  # as for a new run: the one bound given bounds it
        if settings.epochs is None and settings.steps is None:
            raise SettingsError("cannot resume with neither epochs nor steps: the run would never end")
        return recipe, settings, run
    if recipe_name is None:
        raise SettingsError("train: name a recipe (see `nnscratch recipes`) or give --resume DIR")
    recipe = get_recipe(recipe_name)
    settings = resolve_settings(recipe, config, flags)
    run = RunFolder(out if out is not None else default_run_path(recipe.name))
    if run.has_run():
        raise SettingsError(f"{run.path} already holds a run; continue it with --resume "
                            f"{run.path} or choose another --out")
    return recipe, settings, run


def total_steps(settings: Settings, train_data: Any) -> int:
    """The number of optimiser steps the run will take: ``steps``, or ``epochs`` × batches per
    epoch, whichever is smaller (of those given). A time budget is not counted: it may end
    the run sooner, but the horizon of a schedule stays this bound."""
    bounds = [] if settings.steps is None else [settings.steps]
    if settings.epochs is not None:
        try:
            batches = len(train_data)
        except TypeError:
            if not bounds:
                raise SettingsError("the training data has no length: bound the run with --steps N") from None
            batches = None
        if batches is not None:
            bounds.append(settings.epochs * max(batches, 1))
    return max(1, min(bounds))


class ScheduleHorizon(Callback):
    """Sets a resumed cosine schedule's horizon to the run's ``total_steps`` when the resume
    changed it (a longer ``--steps``/``--epochs``); the learning rate becomes the new cosine's
    at the step reached. Without a change it does nothing."""

    def __init__(self, total: int) -> None:
        self.total = total

    def on_fit_start(self, trainer: Any) -> None:
        scheduler = trainer.scheduler
        if scheduler is None or getattr(scheduler, "T_max", self.total) == self.total:
            return
        scheduler.T_max = self.total
        for group, lr in zip(scheduler.optimizer.param_groups, scheduler._get_closed_form_lr()):
            group["lr"] = lr
        scheduler._last_lr = [group["lr"] for group in scheduler.optimizer.param_groups]


def build(recipe: Recipe, settings: Settings) -> tuple[Task, Any, Any]:
    """Seed, build the recipe's task on its device; return ``(task, optimizer, scheduler)``.

    The scheduler is made with the run's horizon (:func:`total_steps`)."""
    device = backend.device(settings.device)
    if device.type == "cuda" and not backend.cuda_is_available():
        raise SettingsError(f"device {settings.device!r}: no usable GPU (CuPy missing or no "
                            f"CUDA device); use --device cpu")
    backend.manual_seed(settings.seed)
    task = recipe.build(settings)
    task.model.to(device)
    optimizer = task.make_optimizer(task.model.parameters())
    scheduler = None
    if task.make_scheduler is not None:
        total = total_steps(settings, task.train_data)
        scheduler = task.make_scheduler(optimizer, total)
        if task.scheduler_interval == "step" and hasattr(scheduler, "T_max"):
            task.callbacks = [*task.callbacks, ScheduleHorizon(total)]  # last: see Trainer's callbacks
    return task, optimizer, scheduler


def make_trainer(recipe: Recipe, settings: Settings, task: Task, optimizer: Any, scheduler: Any,
                 run: RunFolder | None, progress: str) -> Trainer:
    return Trainer(
        task.model, task.loss, optimizer, task.train_data, val_data=task.val_data,
        test_data=task.test_data, metrics=task.metrics, monitor=task.monitor,
        scheduler=scheduler, scheduler_interval=task.scheduler_interval,
        clip_grad_norm=settings.clip_grad_norm, epochs=settings.epochs,
        max_steps=settings.steps, log_every=settings.log_every,
        checkpoint_every=settings.checkpoint_every, keep_checkpoints=settings.keep_checkpoints,
        early_stopping_patience=settings.early_stopping_patience, forward=task.forward,
        callbacks=task.callbacks,
        count=task.count, device=settings.device, run=run, progress=progress,
        recipe=recipe.name, plots=settings.plots, loss_name=task.loss_name)


def train(recipe_name: str | None, flags: dict[str, Any], config: dict[str, Any],
          out: str | None = None, resume: str | None = None, quiet: bool = False) -> int:
    """``nnscratch train``: returns the exit code: 0 completed (or already complete), 1 failed,
    128 + N when signal N stopped it (130 for Ctrl-C, 143 for SIGTERM; the shell's convention),
    so ``nnscratch train … && nnscratch evaluate …`` does not go on after an interrupted run."""
    recipe, settings, run = prepare(recipe_name, flags, config, out, resume)
    # a completed run continues only when its bound is lengthened (not after early stopping)
    done = completed_steps(run) if resume is not None else None
    if done is not None and not {"steps", "epochs"} & {*flags, *config}:
        return _already_complete(run, done)
    task, optimizer, scheduler = build(recipe, settings)
    if done is not None:
        bound = total_steps(settings, task.train_data)
        if bound <= max(done, total_steps(saved_run(run, "resume")[1], task.train_data)):
            return _already_complete(run, done)
    # the lock (taken after build, which may still refuse the settings, since taking it makes
    # the folder) is held from the "already holds a run" check to the summary, so two trainers
    # started together cannot both pass the check: the second gets RunFolderBusy naming the first
    with run.lock():
        if resume is None and run.has_run():
            raise SettingsError(f"{run.path} already holds a run; continue it with --resume "
                                f"{run.path} or choose another --out")
        try:
            run.create()
            if resume is None:
                run.write_config(recipe.name, dict(settings))
            else:
                record_resume(run, settings)
        except WriteError as error:
            raise SettingsError(str(error)) from None
        trainer = make_trainer(recipe, settings, task, optimizer, scheduler, run,
                               "off" if quiet else "auto")
        result = trainer.fit(resume=resume is not None)
    report(result, run, quiet)
    if result.status == "failed":
        return 1
    signal_number = getattr(result, "signal", None)  # the signal that stopped the run, if any
    if result.status == "stopped" and signal_number is not None:
        return 128 + int(signal_number)
    return 0


BOUNDS = ("epochs", "steps")
# the changes a later resume keeps: the new value replaces the old in config.json's settings
KEPT_ON_RESUME = (*BOUNDS, "lr")


def record_resume(run: RunFolder, settings: Settings) -> None:
    """Write a resume's changed settings into config.json: the new bounds (``epochs``,
    ``steps``) and learning rate (``lr``) replace the old, so a later resume keeps them, and
    ``resumes`` lists every change (``{"at": time, "changed": {name: [old, new]}}``).
    Nothing is written when nothing changed."""
    import time

    from ..train.atomic import atomic_write_json

    config = run.read_config()
    saved = config["settings"]
    changed = {name: [saved.get(name), settings[name]] for name in RESUME_OVERRIDABLE
               if name in settings and saved.get(name) != settings[name]}
    if not changed:
        return
    config["settings"] = {**saved, **{name: settings[name] for name in KEPT_ON_RESUME if name in changed}}
    history = config.get("resumes") if isinstance(config.get("resumes"), list) else []
    config["resumes"] = [*history, {"at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "changed": changed}]
    atomic_write_json(run.config_path, config)


def _already_complete(run: RunFolder, steps: int) -> int:
    print(f"{run.path} is complete ({steps} steps); nothing to do (give a larger --steps or "
          f"--epochs to train further)", flush=True)
    return 0


def report(result: FitResult, run: RunFolder, quiet: bool) -> None:
    if result.status == "failed":
        print(f"error: {result.message} (run folder {run.path})", file=sys.stderr, flush=True)
        return
    if result.status == "stopped":
        print(f"{result.message}; continue with: nnscratch train --resume {run.path}",
              file=sys.stderr, flush=True)
        return
    if result.message:
        print(f"warning: {result.message}", file=sys.stderr, flush=True)
    if not quiet:
        metrics = "  ".join(f"{name} {value:.4g}" for name, value in result.final.items())
        print(f"completed {result.steps} steps in {result.seconds:.1f} s: {metrics}\n"
              f"run folder: {run.path}", flush=True)


def evaluate(run_dir: str, device: str | None = None) -> dict[str, float]:
    """Rebuild a run's recipe, load its final weights (or newest valid checkpoint), and
    return the metrics on its test data (validation data when it has no test set), on the
    run's device or ``device``."""
    run = RunFolder(run_dir)
    recipe, settings = saved_run(run, "evaluate")
    if device is not None:
        settings["device"] = check_setting(recipe, "device", device)
    task, _, _ = build(recipe, settings)
    weights = _final_weights(run, settings.device, task.model.load_state_dict)
    try:
        task.model.load_state_dict(weights)
    except (RuntimeError, KeyError, ValueError, TypeError) as error:
        problems = " ".join(str(error).split())
        source = run.model_path if run.model_path.exists() else f"the newest checkpoint of {run.path}"
        raise SettingsError(f"cannot evaluate: the weights of {source} do not fit the model of "
                            f"{run.config_path} ({problems})") from None
    trainer = make_trainer(recipe, settings, task, None, None, None, "off")
    data = task.test_data if task.test_data is not None else task.val_data
    if data is None:
        raise SettingsError(f"cannot evaluate: recipe {recipe.name!r} has no test or "
                            f"validation data")
    return trainer.evaluate(data)


def _final_weights(run: RunFolder, device: str, fits: Any = None) -> Any:
    try:
        return run.final_weights(device, fits=fits)
    except (FileNotFoundError, ValueError) as error:
        raise SettingsError(f"cannot evaluate: {error}") from None
