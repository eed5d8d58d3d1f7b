"""Recipes: named, registered functions that set up a training run.

A recipe is a function ``build(settings) -> Task`` registered with its name, a one-line
description, the ranges of its settings and its default settings::

    @recipe("mlp-spirals", "an MLP on two generated spirals",
            ranges={"hidden": (1, 8192), "dropout": Range(0, 1, high_open=True)},
            epochs=40, lr=0.01, hidden=64, dropout=0.0)
    def mlp_spirals(settings: Settings) -> Task:
        ...

Settings are resolved in order: the common defaults (:data:`COMMON_DEFAULTS`), the recipe's
defaults, a TOML file (``--config``), then command-line flags. Every setting has a type (its
default's, or :data:`COMMON_TYPES` for those that default to None) and every number a declared
:class:`Range` (:data:`COMMON_RANGES`, then the recipe's ``ranges``); a text setting may
declare its :class:`Choice` of values. A value of another type, outside its range or an unknown
name is refused with a :class:`SettingsError` that names it, before anything is built. An
optional setting (one whose default is None, shown as ``none`` by ``nnscratch recipes``) is
turned off with the value ``none``.
"""

from __future__ import annotations

import math
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
# settings that may be None (turned off); `none` on the command line means None
OPTIONAL = {"epochs", *COMMON_TYPES}


@dataclass(frozen=True)
class Range:
    """The allowed values of a numeric setting: ``low <= value <= high``, with ``<`` at an
    open end; never NaN or infinite."""

    low: float
    high: float
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def __str__(self) -> str:
        return (f"{'(' if self.low_open else '['}{_number(self.low)}, {_number(self.high)}"
                f"{')' if self.high_open else ']'}")


@dataclass(frozen=True)
class Choice:
    """The allowed values of a text setting."""

    values: tuple[str, ...]

    def __contains__(self, value: str) -> bool:
        return value in self.values

    def __str__(self) -> str:
        return "|".join(self.values)


def _number(value: float) -> str:
    """A bound as written: ``1e9`` for a power of ten, else the exact integer or ``%g``."""
    if float(value).is_integer():
        digits = str(int(value))
        if len(digits) > 6 and digits.strip("-").rstrip("0") == "1":
            return f"{'-' if value < 0 else ''}1e{len(digits.strip('-')) - 1}"
        return digits
    return f"{value:g}"


def as_range(name: str, declared: Any) -> Range | Choice:
    """A declaration of ``ranges``: a Range, a Choice, ``(low, high)`` (closed) or a tuple of
    the strings allowed."""
    if isinstance(declared, (Range, Choice)):
        return declared
    if isinstance(declared, tuple) and declared and all(isinstance(v, str) for v in declared):
        return Choice(declared)
    if (isinstance(declared, tuple) and len(declared) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in declared)
            and declared[0] <= declared[1]):
        return Range(*declared)
    raise ValueError(f"recipe: range of setting {name!r} must be a Range, a Choice, (low, high) "
                     f"or a tuple of strings, got {declared!r}")


# ranges of the common settings: wide enough for any real run, narrow enough that a typo
# (a sign, a missing decimal point) is refused before it allocates or diverges
COMMON_RANGES: dict[str, Range | Choice] = {
    "epochs": Range(1, 100_000),
    "steps": Range(1, 10**9),
    "batch_size": Range(1, 65_536),
    "lr": Range(0, 100, low_open=True),
    "seed": Range(0, 2**32 - 1),
    "log_every": Range(1, 10**9),
    "checkpoint_every": Range(1, 10**9),
    "keep_checkpoints": Range(1, 1000),
    "clip_grad_norm": Range(0, 1e6, low_open=True),
    "early_stopping_patience": Range(1, 100_000),
}


@dataclass
class Task:
    """What a recipe builds: the model, the data, the loss and how to optimise and measure.

    ``make_optimizer(parameters)`` and ``make_scheduler(optimizer, total_steps)`` are called
    after the model is moved to its device; ``total_steps`` is the number of optimiser steps
    the run will take (its horizon: a schedule that decays over the run decays over that many
    steps, with ``scheduler_interval="step"``). ``forward(model, batch, state) -> (output,
    target, state)`` and ``count(target) -> int`` are the trainer's hooks (see Trainer).
    ``loss_name`` says what the loss is, for the progress lines and the loss plot (metrics.jsonl
    keeps the key ``"loss"``).
    """

    model: Any
    loss: Callable[[Any, Any], Any]
    train_data: Any
    make_optimizer: Callable[[Any], Any]
    val_data: Any = None
    test_data: Any = None
    metrics: list[str] = field(default_factory=lambda: ["loss"])
    monitor: str = "loss"
    make_scheduler: Callable[[Any, int], Any] | None = None
    scheduler_interval: str = "epoch"
    forward: Callable = default_forward
    count: Callable[[Any], int] | None = None
    callbacks: list = field(default_factory=list)  # extra Trainer callbacks (e.g. files for the run folder)
    loss_name: str = "loss"


@dataclass
class Recipe:
    name: str
    description: str
    build: Callable[[Settings], Task]
    defaults: dict[str, Any]
    ranges: dict[str, Range | Choice] = field(default_factory=dict)

    def setting_type(self, name: str) -> type | None:
        default = self.defaults.get(name)
        if default is None:
            return COMMON_TYPES.get(name)
        return type(default)

    def is_optional(self, name: str) -> bool:
        """Whether the setting may be None (``none``): it defaults to None or bounds a run."""
        return name in OPTIONAL or self.defaults.get(name) is None


RECIPES: dict[str, Recipe] = {}


def recipe(name: str, description: str, ranges: dict[str, Any] | None = None,
           **defaults: Any) -> Callable:
    """Decorator registering ``build(settings) -> Task`` as recipe ``name``.

    ``ranges`` maps a setting to its allowed values (see :func:`as_range`); the common
    settings' come from :data:`COMMON_RANGES` unless the recipe narrows them.
    """
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise ValueError(f"recipe: name {name!r} must be lower-case words joined by '-'")
    all_defaults = {**COMMON_DEFAULTS, **defaults}
    declared = {**COMMON_RANGES, **{key: as_range(key, value) for key, value in (ranges or {}).items()}}
    unknown = sorted(set(declared) - set(all_defaults))
    if unknown:
        raise ValueError(f"recipe {name!r}: ranges given for settings it does not have: {unknown}")
    for key, allowed in declared.items():
        default = all_defaults[key]
        kind = type(default) if default is not None else COMMON_TYPES.get(key)
        if (kind not in (int, float)) if isinstance(allowed, Range) else kind is not str:
            raise ValueError(f"recipe {name!r}: setting {key!r} ({kind.__name__ if kind else 'untyped'}) "
                             f"cannot have the range {allowed}")
        if default is not None and not isinstance(default, bool) and default not in allowed:
            raise ValueError(f"recipe {name!r}: default {key}={default!r} is outside its range {allowed}")

    def register(build: Callable[[Settings], Task]) -> Callable[[Settings], Task]:
        if name in RECIPES and RECIPES[name].build is not build:
            raise ValueError(f"recipe: {name!r} is registered twice")
        RECIPES[name] = Recipe(name, description, build, all_defaults, declared)
        return build

    return register


def all_recipes() -> dict[str, Recipe]:
    """Every recipe, by name: nnscratch's own (recipes/catalog.py imports their modules) and
    any other defined with :func:`recipe`."""
    from . import catalog  # at call time: catalog imports the recipe modules, which import this one

    return catalog.recipes()


def get_recipe(name: str) -> Recipe:
    recipes = all_recipes()
    if name not in recipes:
        raise SettingsError(f"unknown recipe {name!r}; known recipes: {', '.join(recipes)}")
    return recipes[name]


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

    When ``steps`` is given and ``epochs`` is not, the run is bounded by steps alone; a run
    bounded by neither is refused (it would never end). ``source`` names where the values were
    read (a run's ``config.json``): every SettingsError message then starts with it.
    """
    settings = Settings(recipe.defaults)
    given: set[str] = set()
    try:
        for values in overrides:
            for name, value in values.items():
                settings[name] = check_setting(recipe, name, value)
                given.add(name)
        if "steps" in given and "epochs" not in given:
            settings["epochs"] = None
        if settings.get("epochs") is None and settings.get("steps") is None:
            raise SettingsError("settings 'epochs' and 'steps' cannot both be none: give --epochs N "
                                "or --steps N")
    except SettingsError as error:
        if not source:
            raise
        raise SettingsError(f"{source}: {error}") from None
    return settings


def check_setting(recipe: Recipe, name: str, value: Any) -> Any:
    """``value`` converted to the setting's type, or SettingsError naming what is wrong."""
    if name not in recipe.defaults:
        raise SettingsError(f"recipe {recipe.name!r} has no setting {name!r}; its settings: "
                            f"{', '.join(recipe.defaults)}")
    expected = recipe.setting_type(name)
    if isinstance(value, str) and value.lower() == "none" and recipe.is_optional(name):
        value = None  # `--set clip_grad_norm=none`: what `recipes` shows as none
    if value is None:
        # epochs is None when --steps alone bounds a run; evaluate reloads such configs
        if recipe.is_optional(name):
            return None
        raise SettingsError(f"setting {name!r} cannot be none")
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if expected is not None and not (isinstance(value, expected)
                                     and (expected is bool or not isinstance(value, bool))):
        raise SettingsError(f"setting {name!r} must be {_type_name(expected)}, got {value!r}")
    allowed = recipe.ranges.get(name)
    if allowed is not None and not isinstance(value, bool) and value not in allowed:
        kind = "one of" if isinstance(allowed, Choice) else "in"
        raise SettingsError(f"recipe {recipe.name!r}: setting {name!r} must be {kind} {allowed}, "
                            f"got {value!r}")
    if name == "device" and not re.fullmatch(r"cpu|cuda(:\d+)?", value):
        raise SettingsError(f"setting 'device' must be 'cpu', 'cuda' or 'cuda:N', got {value!r}")
    return value


def _type_name(kind: type) -> str:
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(
        kind, kind.__name__)
