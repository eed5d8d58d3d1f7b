"""Every recipe nnscratch ships: the modules that define them, imported by name.

A module defines its recipes with the :func:`~nnscratch.recipes.registry.recipe` decorator;
importing it is what puts them in :data:`~nnscratch.recipes.registry.RECIPES`, so this module
imports each one and :func:`~nnscratch.recipes.registry.all_recipes` imports this module. A new
recipe module is added to the imports and to :data:`MODULES` here.

No recipe module needs an optional dependency (matplotlib, Pillow, CuPy) to be imported: a
recipe imports those where it uses them, so listing the recipes works without them and a run
that needs one says which.
"""

from __future__ import annotations

from . import autoencoder, caption, cnn, forecast, images, language, mlp_spirals, rbm, seq2seq
from .registry import RECIPES, Recipe

# the modules whose @recipe functions are nnscratch's recipes
MODULES = (mlp_spirals, language, cnn, seq2seq, autoencoder, rbm, forecast, caption, images)


def recipes() -> dict[str, Recipe]:
    """The recipes of :data:`MODULES` and any other defined with ``@recipe`` since, by name."""
    return dict(sorted(RECIPES.items()))
