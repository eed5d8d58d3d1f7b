"""Automatic differentiation: the graph, the backward engine, grad modes, gradcheck."""

from . import profiler
from .function import TensorFunction as Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradient_check import gradcheck

__all__ = ["Function", "enable_grad", "gradcheck", "is_grad_enabled", "no_grad", "profiler",
           "set_grad_enabled"]
