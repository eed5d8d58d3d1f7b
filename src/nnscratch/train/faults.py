"""What goes wrong during training and how the trainer hears of it.

- :class:`NonFiniteLossError`: a NaN/Inf loss; the run stops, naming the step.
- :class:`StopSignals`: SIGINT (Ctrl-C) and SIGTERM set a flag the trainer checks between steps,
  so it can save a checkpoint and stop cleanly; a second Ctrl-C interrupts at once.
- :class:`FaultInjector`: test hooks read from the environment, off unless set:

  ``NNSCRATCH_TEST_NAN_AT_STEP=K``        the loss of optimiser step K (1-based) becomes NaN
  ``NNSCRATCH_TEST_SIGNAL_AT_STEP=K:SIG``  after step K the process sends itself signal SIG
                                         (``SIGKILL``, ``SIGINT``, ``SIGTERM`` …)

  The end-to-end tests use them to crash, interrupt and poison a run at an exact step.
"""

from __future__ import annotations

import math
import os
import signal
import threading
from typing import Any

NAN_ENV = "NNSCRATCH_TEST_NAN_AT_STEP"
SIGNAL_ENV = "NNSCRATCH_TEST_SIGNAL_AT_STEP"


class NonFiniteLossError(RuntimeError):
    """The loss became NaN or infinite at ``step``."""

    def __init__(self, step: int, value: float) -> None:
        super().__init__(f"loss is {value} at step {step}")
        self.step, self.value = step, value


class StopSignals:
    """Context manager: SIGINT/SIGTERM request a clean stop instead of killing the process.

    ``requested`` is the name of the first signal received (``"SIGINT"``), else None. A second
    SIGINT raises KeyboardInterrupt, for when saving itself hangs. Outside the main thread
    (where Python cannot install handlers) it does nothing.
    """

    SIGNALS = ("SIGINT", "SIGTERM")

    def __init__(self) -> None:
        self.requested: str | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for name in self.SIGNALS:
                number = getattr(signal, name, None)
                if number is not None:
                    self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous.clear()

    def _handle(self, number: int, frame: Any) -> None:
        if self.requested == "SIGINT" and number == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = self.requested or signal.Signals(number).name


class FaultInjector:
    """Test hooks from the environment (see the module docstring); None when none is set."""

    def __init__(self, nan_at_step: int | None, signal_at_step: tuple[int, int] | None) -> None:
        self.nan_at_step = nan_at_step
        self.signal_at_step = signal_at_step

    @classmethod
    def from_environment(cls) -> FaultInjector | None:
        nan_text, signal_text = os.environ.get(NAN_ENV), os.environ.get(SIGNAL_ENV)
        if not nan_text and not signal_text:
            return None
        nan_at_step = int(nan_text) if nan_text else None
        signal_at_step = None
        if signal_text:
            step_text, _, name = signal_text.partition(":")
            signal_at_step = (int(step_text), int(getattr(signal, name or "SIGKILL")))
        return cls(nan_at_step, signal_at_step)

    def poison(self, step: int, loss: Any) -> Any:
        """The loss of 1-based step ``step``: NaN if the hook says so (the graph is kept)."""
        return loss * math.nan if step == self.nan_at_step else loss

    def after_step(self, step: int) -> None:
        if self.signal_at_step is not None and step == self.signal_at_step[0]:
            os.kill(os.getpid(), self.signal_at_step[1])
