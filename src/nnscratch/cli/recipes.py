"""``nnscratch recipes``: every recipe with its description, defaults and allowed values."""

from __future__ import annotations

import argparse
from typing import Any

NAME = "recipes"
HELP = ("list the recipes with their descriptions, default settings and the values each setting "
        "allows")


def configure(parser: argparse.ArgumentParser) -> None:
    """No arguments."""


def run(args: argparse.Namespace) -> int:
    from ..recipes.registry import all_recipes

    for recipe in all_recipes().values():
        print(f"{recipe.name}: {recipe.description}")
        defaults = "  ".join(f"{k}={toml_value(v)}" + (f" {recipe.ranges[k]}" if k in recipe.ranges else "")
                             for k, v in recipe.defaults.items())
        print(f"    defaults and allowed values (none: off): {defaults}")
    return 0


def toml_value(value: Any) -> str:
    """A default as it is written after ``--set KEY=`` (``none`` for off)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value) if isinstance(value, str) else str(value)
