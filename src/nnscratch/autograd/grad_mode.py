"""Whether operations record a graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


class _State:
    enabled = True
    retain_graph = False  # set by the engine while a backward that keeps the graph runs


def is_grad_enabled() -> bool:
    """True when operations record the graph for backward."""
    return _State.enabled


class _GradMode:
    """Context manager and decorator that sets grad mode and restores it on exit."""

    mode = True

    def __enter__(self) -> None:
        self._previous = _State.enabled
        _State.enabled = self.mode

    def __exit__(self, *exc: Any) -> None:
        _State.enabled = self._previous

    def __call__(self, fn: Callable) -> Callable:
        mode_class = type(self)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with mode_class():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):  # noqa: N801 - named as torch.no_grad
    """Operations inside record no graph (inference, parameter updates)."""

    mode = False


class enable_grad(_GradMode):  # noqa: N801
    """Operations inside record the graph, even within ``no_grad``."""

    mode = True


class set_grad_enabled(_GradMode):  # noqa: N801
    """``set_grad_enabled(False)`` acts as ``no_grad``; also usable as a plain call."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._previous = _State.enabled
        _State.enabled = self.mode

    def __enter__(self) -> None:
        pass

    def __call__(self, fn: Callable) -> Callable:
        _State.enabled = self._previous
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper
