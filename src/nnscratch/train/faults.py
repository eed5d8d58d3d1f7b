"""What goes wrong during training and how the trainer hears of it.

- :class:`NonFiniteLossError`: a NaN/Inf loss; the run stops, naming the step.
- :class:`StopSignals`: SIGINT (Ctrl-C) and SIGTERM set a flag the trainer checks between steps,
  so it can save a checkpoint and stop cleanly; a second Ctrl-C interrupts at once.
- :class:`FaultInjector`: test hooks read from the environment, off unless set:

  ``NNSCRATCH_TEST_NAN_AT_STEP=K``        the loss of optimiser step K (1-based) becomes NaN
  ``NNSCRATCH_TEST_SIGNAL_AT_STEP=K:SIG``  after step K the process sends itself signal SIG
                                         (``SIGKILL``, ``SIGINT``, ``SIGTERM`` …)
  ``NNSCRATCH_TEST_SIGNAL_IN_WRITE=GLOB:SIG``  the first atomic write of a file whose name
                                         matches GLOB sends SIG while its temporary file is
                                         complete but not yet renamed (once per process)

  The end-to-end tests use them to crash, interrupt and poison a run at an exact step, and to
  deliver a second signal in the middle of the handling of the first.
"""

from __future__ import annotations

import fnmatch
import math
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .callbacks import Callback

NAN_ENV = "NNSCRATCH_TEST_NAN_AT_STEP"
SIGNAL_ENV = "NNSCRATCH_TEST_SIGNAL_AT_STEP"
WRITE_SIGNAL_ENV = "NNSCRATCH_TEST_SIGNAL_IN_WRITE"
_fired_in_write: set[str] = set()


class NonFiniteLossError(RuntimeError):
    """The loss became NaN or infinite at ``step``."""

    def __init__(self, step: int, value: float) -> None:
        super().__init__(f"loss is {value} at step {step}")
        self.step, self.value = step, value


def in_write(path: Any) -> None:
    """The hook of ``NNSCRATCH_TEST_SIGNAL_IN_WRITE`` (called by atomic writes before renaming)."""
    setting = os.environ.get(WRITE_SIGNAL_ENV)
    if not setting or setting in _fired_in_write:
        return
    pattern, _, name = setting.rpartition(":")
    if fnmatch.fnmatchcase(os.path.basename(os.fspath(path)), pattern):
        _fired_in_write.add(setting)
        os.kill(os.getpid(), int(getattr(signal, name)))


class StopSignals:
    """Context manager: SIGINT/SIGTERM request a clean stop instead of killing the process.

    ``requested`` is the name of the first signal received (``"SIGINT"``), else None. A second
    SIGINT raises KeyboardInterrupt, for when saving itself hangs, except inside
    :meth:`deferred` (the writing of summary.json), where it is only noted; it is raised once,
    so a third cannot break into the handling of the second. Outside the main thread (where
    Python cannot install handlers) it does nothing.
    """

    SIGNALS = ("SIGINT", "SIGTERM")

    def __init__(self) -> None:
        self.requested: str | None = None
        self._previous: dict[int, Any] = {}
        self._deferring = 0
        self._interrupted = False

    @property
    def number(self) -> int | None:
        """The number of the first signal received (2 for SIGINT, 15 for SIGTERM), else None."""
        return int(getattr(signal, self.requested)) if self.requested else None

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """A block that no signal interrupts: a signal arriving in it is only noted."""
        self._deferring += 1
        try:
            yield
        finally:
            self._deferring -= 1

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
        if self.requested == "SIGINT" and number == signal.SIGINT and not self._deferring \
                and not self._interrupted:
            self._interrupted = True  # once: later ones must not escape the handling of this one
            raise KeyboardInterrupt
        self.requested = self.requested or signal.Signals(number).name


class FaultInjector(Callback):
    """Test hooks from the environment (see the module docstring), as a callback.

    :meth:`from_environment` gives None when no variable is set, and the trainer adds the
    injector only then, so a run without them has no test code in its step loop. It runs
    after every other callback of a step: ``on_loss`` poisons the loss before backward,
    ``on_step_end`` (called after the step's log and checkpoint) sends the signal. It keeps
    no state, and is not in ``Trainer.callbacks``, so checkpoints are the same with or
    without it.
    """

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

    def on_loss(self, trainer: Any, step: int, loss: Any) -> Any:
        return self.poison(step, loss)

    def on_step_end(self, trainer: Any, step: int) -> None:
        if self.signal_at_step is not None and step == self.signal_at_step[0]:
            os.kill(os.getpid(), self.signal_at_step[1])
