"""Recipes: named, registered functions that set up a training run.

A recipe is a function ``build(settings) -> Task`` registered with its name, a one-line
description and its default settings::

    @recipe("mlp-spirals", "an MLP on two generated spirals", epochs=40, lr=0.01, hidden=64)
    def mlp_spirals(settings: Settings) -> Task:
        ...

Settings are resolved in order: the common defaults (:data:`COMMON_DEFAULTS`), the recipe's
defaults, a TOML file (``--config``), then command-line flags. Every setting has a type (its
default's, or :data:`COMMON_TYPES` for those that default to None); a value of another type or
an unknown name is refused with a :class:`SettingsError` that names it.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..train.hooks import default_forward


class SettingsError(ValueError):
    """A bad setting, config file or recipe name (the CLI prints it and exits with code 2)."""


class Settings(dict):
    """The resolved settings of a run: a dict that also reads as attributes (``s.lr``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"no setting named {name!r}") from None


# settings every recipe has (a recipe's defaults override the values, not the names)
COMMON_DEFAULTS: dict[str, Any] = {
    "epochs": 10,
    "steps": None,  # stop after this many optimiser steps (None: after `epochs`)
    "batch_size": 32,
    "lr": 1e-3,
    "device": "cpu",
    "seed": 0,
    "log_every": 20,
    "checkpoint_every": None,  # steps between checkpoints (one is always saved per epoch)
    "keep_checkpoints": 3,
    "clip_grad_norm": None,
    "early_stopping_patience": None,
    "plots": True,
}
COMMON_TYPES: dict[str, type] = {"steps": int, "checkpoint_every": int,
                                 "clip_grad_norm": float, "early_stopping_patience": int}
POSITIVE = {"epochs", "steps", "batch_size", "lr", "log_every", "checkpoint_every",
            "keep_checkpoints", "clip_grad_norm", "early_stopping_patience"}


@dataclass
class Task:
    """What a recipe builds: the model, the data, the loss and how to optimise and measure.

    ``make_optimizer(parameters)`` and ``make_scheduler(optimizer)`` are called after the model
    is moved to its device. ``forward(model, batch, state) -> (output, target, state)`` and
    ``count(target) -> int`` are the trainer's hooks (see Trainer).
    """

    model: Any
    loss: Callable[[Any, Any], Any]
    train_data: Any
    make_optimizer: Callable[[Any], Any]
    val_data: Any = None
    test_data: Any = None
    metrics: list[str] = field(default_factory=lambda: ["loss"])
    monitor: str = "loss"
    make_scheduler: Callable[[Any], Any] | None = None
    scheduler_interval: str = "epoch"
    forward: Callable = default_forward
    count: Callable[[Any], int] | None = None
    callbacks: list = field(default_factory=list)  # extra Trainer callbacks (e.g. files for the run folder)


@dataclass
class Recipe:
    name: str
    description: str
    build: Callable[[Settings], Task]
    defaults: dict[str, Any]

    def setting_type(self, name: str) -> type | None:
        default = self.defaults.get(name)
        if default is None:
            return COMMON_TYPES.get(name)
        return type(default)


RECIPES: dict[str, Recipe] = {}

# modules that register recipes when imported; a new recipe adds its module here
RECIPE_MODULES = ["nnscratch.recipes.mlp_spirals", "nnscratch.recipes.language", "nnscratch.recipes.cnn",
                  "nnscratch.recipes.seq2seq", "nnscratch.recipes.autoencoder", "nnscratch.recipes.rbm",
                  "nnscratch.recipes.forecast", "nnscratch.recipes.caption"]


def recipe(name: str, description: str, **defaults: Any) -> Callable:
    """Decorator registering ``build(settings) -> Task`` as recipe ``name``."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise ValueError(f"recipe: name {name!r} must be lower-case words joined by '-'")

    def register(build: Callable[[Settings], Task]) -> Callable[[Settings], Task]:
        if name in RECIPES and RECIPES[name].build is not build:
            raise ValueError(f"recipe: {name!r} is registered twice")
        RECIPES[name] = Recipe(name, description, build, {**COMMON_DEFAULTS, **defaults})
        return build

    return register


def all_recipes() -> dict[str, Recipe]:
    """Every registered recipe, by name (importing the recipe modules on first use)."""
    for module in RECIPE_MODULES:
        import_quietly(module)
    return dict(sorted(RECIPES.items()))


_FAILED_IMPORTS: set[str] = set()


def import_quietly(module: str) -> None:
    """Import a module that registers recipes or commands; one that cannot be imported (a
    missing optional dependency) is reported once on stderr and the others still work."""
    try:
        importlib.import_module(module)
    except ImportError as error:
        if module not in _FAILED_IMPORTS:
            _FAILED_IMPORTS.add(module)
            print(f"nnscratch: warning: {module} is unavailable ({error})", file=sys.stderr)


def get_recipe(name: str) -> Recipe:
    recipes = all_recipes()
    if name not in recipes:
        raise SettingsError(f"unknown recipe {name!r}; known recipes: {', '.join(recipes)}")
    return recipes[name]


# ---------------------------------------------------------------------------- settings
def read_config_file(path: str | Path) -> dict[str, Any]:
    """The settings in a TOML file (top-level keys; ``batch-size`` and ``batch_size`` agree)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            values = tomllib.load(handle)
    except FileNotFoundError:
        raise SettingsError(f"config file {path} does not exist") from None
    except OSError as error:
        raise SettingsError(f"config file {path} cannot be read ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"config file {path} is not valid TOML ({error})") from None
    nested = [key for key, value in values.items() if isinstance(value, dict)]
    if nested:
        raise SettingsError(f"config file {path}: settings are top-level keys; found tables "
                            f"{nested}")
    return {key.replace("-", "_"): value for key, value in values.items()}


def parse_value(text: str) -> Any:
    """A command-line value read as TOML (``3``, ``0.5``, ``true``, ``"x"``), else as text."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def resolve_settings(recipe: Recipe, *overrides: dict[str, Any], source: str = "") -> Settings:
    """Recipe defaults updated by each dict of ``overrides`` in turn, checked and typed.

    When ``steps`` is given and ``epochs`` is not, the run is bounded by steps alone.
    """
    settings = Settings(recipe.defaults)
    given: set[str] = set()
    for values in overrides:
        for name, value in values.items():
            settings[name] = check_setting(recipe, name, value)
            given.add(name)
    if "steps" in given and "epochs" not in given:
        settings["epochs"] = None
    return settings


def check_setting(recipe: Recipe, name: str, value: Any) -> Any:
    """``value`` converted to the setting's type, or SettingsError naming what is wrong."""
    if name not in recipe.defaults:
        raise SettingsError(f"recipe {recipe.name!r} has no setting {name!r}; its settings: "
                            f"{', '.join(recipe.defaults)}")
    expected = recipe.setting_type(name)
    if value is None:
        # epochs is None when --steps alone bounds a run; evaluate reloads such configs
        if name in COMMON_TYPES or name == "epochs" or recipe.defaults.get(name) is None:
            return None
        raise SettingsError(f"setting {name!r} cannot be empty")
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if expected is not None and not (isinstance(value, expected)
                                     and (expected is bool or not isinstance(value, bool))):
        raise SettingsError(f"setting {name!r} must be {_type_name(expected)}, got {value!r}")
    if name in POSITIVE and value <= 0:
        raise SettingsError(f"setting {name!r} must be positive, got {value!r}")
    if name == "seed" and value < 0:
        raise SettingsError(f"setting 'seed' must be >= 0, got {value}")
    if name == "device" and not re.fullmatch(r"cpu|cuda(:\d+)?", value):
        raise SettingsError(f"setting 'device' must be 'cpu', 'cuda' or 'cuda:N', got {value!r}")
    return value


def _type_name(kind: type) -> str:
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(
        kind, kind.__name__)
