"""Recipes: registered set-ups of a training run, driven by ``nnscratch train RECIPE``.

See registry.py for how a recipe is declared and how its settings are resolved.
"""

from .registry import (
    COMMON_DEFAULTS,
    RECIPES,
    Recipe,
    Settings,
    SettingsError,
    Task,
    all_recipes,
    get_recipe,
    read_config_file,
    recipe,
    resolve_settings,
)

__all__ = ["COMMON_DEFAULTS", "RECIPES", "Recipe", "Settings", "SettingsError", "Task", "all_recipes",
           "get_recipe", "read_config_file", "recipe", "resolve_settings"]
