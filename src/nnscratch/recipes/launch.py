"""Run a recipe into a run folder (``nnscratch train``) and evaluate a finished run.

The order of a run's random draws is fixed — seed, then the recipe builds its data and model,
then the trainer — so a resumed run rebuilds exactly the same data and then restores the
generator state of its checkpoint.
"""

from __future__ import annotations

import sys
from typing import Any

from .. import backend
from ..train.atomic import WriteError
from ..train.run import RunFolder, default_run_path
from ..train.trainer import FitResult, Trainer
from .registry import Recipe, Settings, SettingsError, Task, check_setting, get_recipe, resolve_settings

# settings a resumed run may change: they bound or report the run, not what it computes
RESUME_OVERRIDABLE = {"epochs", "steps", "checkpoint_every", "keep_checkpoints", "log_every",
                      "plots", "device", "data"}


def prepare(recipe_name: str | None, flags: dict[str, Any], config: dict[str, Any],
            out: str | None, resume: str | None) -> tuple[Recipe, Settings, RunFolder]:
    """Resolve the recipe, its settings and the run folder; SettingsError on any bad input."""
    if resume is not None:
        run = RunFolder(resume)
        try:
            saved = run.read_config()
        except (FileNotFoundError, ValueError) as error:
            raise SettingsError(f"cannot resume: {error}") from None
        if recipe_name is not None and recipe_name != saved["recipe"]:
            raise SettingsError(f"cannot resume: {resume} is a run of recipe "
                                f"{saved['recipe']!r}, not {recipe_name!r}")
        recipe = get_recipe(saved["recipe"])
        settings = resolve_settings(recipe, {k: v for k, v in saved["settings"].items()
                                             if k in recipe.defaults})
        for name, value in {**config, **flags}.items():
            value = check_setting(recipe, name, value)
            if value != settings[name] and name not in RESUME_OVERRIDABLE:
                raise SettingsError(f"cannot resume with {name}={value!r}: the run used "
                                    f"{settings[name]!r} (only {', '.join(sorted(RESUME_OVERRIDABLE))}"
                                    f" may change)")
            settings[name] = value
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


def build(recipe: Recipe, settings: Settings) -> tuple[Task, Any, Any]:
    """Seed, build the recipe's task on its device; return ``(task, optimizer, scheduler)``."""
    device = backend.device(settings.device)
    if device.type == "cuda" and not backend.cuda_is_available():
        raise SettingsError(f"device {settings.device!r}: no usable GPU (CuPy missing or no "
                            f"CUDA device); use --device cpu")
    backend.manual_seed(settings.seed)
    task = recipe.build(settings)
    task.model.to(device)
    optimizer = task.make_optimizer(task.model.parameters())
    scheduler = task.make_scheduler(optimizer) if task.make_scheduler is not None else None
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
        recipe=recipe.name, plots=settings.plots)


def train(recipe_name: str | None, flags: dict[str, Any], config: dict[str, Any],
          out: str | None = None, resume: str | None = None, quiet: bool = False) -> int:
    """``nnscratch train``: returns the exit code (0 completed or stopped, 1 failed)."""
    recipe, settings, run = prepare(recipe_name, flags, config, out, resume)
    task, optimizer, scheduler = build(recipe, settings)
    try:
        run.create()
        if resume is None:
            run.write_config(recipe.name, dict(settings))
    except WriteError as error:
        raise SettingsError(str(error)) from None
    trainer = make_trainer(recipe, settings, task, optimizer, scheduler, run,
                           "off" if quiet else "auto")
    result = trainer.fit(resume=resume is not None)
    report(result, run, quiet)
    return 1 if result.status == "failed" else 0


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


def evaluate(run_dir: str) -> dict[str, float]:
    """Rebuild a run's recipe, load its final weights (or newest valid checkpoint), and
    return the metrics on its test data (validation data when it has no test set)."""
    run = RunFolder(run_dir)
    try:
        saved = run.read_config()
    except (FileNotFoundError, ValueError) as error:
        raise SettingsError(f"cannot evaluate: {error}") from None
    recipe = get_recipe(saved["recipe"])
    settings = resolve_settings(recipe, {k: v for k, v in saved["settings"].items()
                                         if k in recipe.defaults})
    task, _, _ = build(recipe, settings)
    task.model.load_state_dict(_final_weights(run, settings.device))
    trainer = make_trainer(recipe, settings, task, None, None, None, "off")
    data = task.test_data if task.test_data is not None else task.val_data
    if data is None:
        raise SettingsError(f"cannot evaluate: recipe {recipe.name!r} has no test or "
                            f"validation data")
    return trainer.evaluate(data)


def _final_weights(run: RunFolder, device: str) -> Any:
    try:
        return run.final_weights(device)
    except (FileNotFoundError, ValueError) as error:
        raise SettingsError(f"cannot evaluate: {error}") from None
