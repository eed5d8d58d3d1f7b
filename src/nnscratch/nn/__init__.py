"""Layers (``nn.Module`` and friends); see API.md §Layers."""

from .module import Module
from .parameter import Parameter

__all__ = ["Module", "Parameter"]
