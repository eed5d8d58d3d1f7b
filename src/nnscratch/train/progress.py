"""Progress display: tqdm bars on a terminal, a plain line now and then in a log, or nothing.

``Progress(mode="auto")`` picks bars when standard output is a terminal and plain lines
otherwise, so a redirected log gets one line at each log point (every ``log_every`` steps: the
trainer calls :meth:`Progress.show` there) and one per epoch, instead of thousands of
carriage-return updates; ``plain_interval`` (seconds) can thin the log-point lines further.
``mode="off"`` (``--quiet``) prints nothing.

The loss is shown under :attr:`Progress.loss_label` (``"loss"`` unless the trainer says what
its loss is, e.g. the RBM's free-energy gap), the validation loss as ``val <label>``.

Throughput is shown as what it counts: ``samples/s`` (examples) and, for sequence tasks,
``tokens/s``.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


def progress_bar(iterable: Any = None, **kwargs: Any) -> Any:
    """A tqdm bar for any long loop of the library: off when stdout is not a terminal.

    ``disable=None`` is tqdm's own rule (off on a non-TTY); pass ``disable=True`` to silence.
    """
    from tqdm.auto import tqdm

    kwargs.setdefault("disable", None if _is_terminal(sys.stdout) else True)
    kwargs.setdefault("file", sys.stdout)
    kwargs.setdefault("dynamic_ncols", True)
    kwargs.setdefault("mininterval", 0.2)
    return tqdm(iterable, **kwargs)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """What the trainer shows while it runs.

    Call order: ``start_epoch`` → ``advance`` (each step) / ``show`` (each log) → ``end_epoch``
    → … → ``close``. ``advance`` is one integer addition plus tqdm's own rate-limited refresh.
    """

    def __init__(self, mode: str = "auto", stream: TextIO | None = None,
                 plain_interval: float = 0.0, loss_label: str = "loss") -> None:
        stream = stream or sys.stdout
        if mode == "auto":
            mode = "bar" if _is_terminal(stream) else "plain"
        if mode not in ("bar", "plain", "off"):
            raise ValueError(f"Progress: mode must be 'auto', 'bar', 'plain' or 'off', got {mode!r}")
        self.mode, self.stream, self.plain_interval = mode, stream, plain_interval
        self.loss_label = loss_label  # what the loss is (the Trainer sets its loss_name)
        self._bar: Any = None
        self._epoch_text = ""
        self._last_plain = -float("inf")
        self._fields: dict[str, Any] = {}
        self._held: list[str] | None = None

    def start_epoch(self, epoch: int, epochs: int | None, steps_in_epoch: int | None,
                    done: int = 0) -> None:
        """Begin epoch ``epoch`` (1-based) of ``epochs`` (None: open-ended) at step ``done``."""
        self._epoch_text = f"epoch {epoch}/{epochs}" if epochs else f"epoch {epoch}"
        if self.mode == "bar":
            from tqdm.auto import tqdm

            self._bar = tqdm(total=steps_in_epoch, initial=done, desc=self._epoch_text,
                             unit="step", file=self.stream, dynamic_ncols=True, leave=True,
                             mininterval=0.2)

    def advance(self, steps: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(steps)

    def show(self, step: int, loss: float, samples_per_second: float, **extra: Any) -> None:
        """Report the latest logged values (called every ``log_every`` steps); ``extra`` holds
        further rates such as ``**{"tokens/s": 5e4}``."""
        self._fields = {"step": step, self.loss_label: loss, "samples/s": samples_per_second,
                        **extra}
        if self._bar is not None:
            self._bar.set_postfix(_format_fields(self._fields, bar=True), refresh=False)
        elif self.mode == "plain" and time.monotonic() - self._last_plain >= self.plain_interval:
            self._plain_line(self._fields)

    def end_epoch(self, results: dict[str, float], rates: dict[str, float] | None = None) -> None:
        """Close the epoch's bar and print one line: step, training loss, validation results,
        and ``rates`` (the epoch's own throughput, e.g. ``{"samples/s": 700.0}``; default: the
        rates of the last log point)."""
        if self.mode == "off":
            return
        if rates:
            self._fields = {**self._fields, **rates}
        if self._bar is not None:
            if rates:  # the finished bar shows the rate of its own epoch
                self._bar.set_postfix(_format_fields(self._fields, bar=True), refresh=False)
            self._bar.close()
            self._bar = None
        rates = {name: value for name, value in self._fields.items() if name.endswith("/s")}
        label = self.loss_label
        fields = {"step": self._fields.get("step"), f"train {label}": self._fields.get(label),
                  **{f"val {label if name == 'loss' else name}": value
                     for name, value in results.items()}, **rates}
        self._plain_line({name: value for name, value in fields.items() if value is not None})
        self._release_held()

    def hold_messages(self) -> None:
        """Keep :meth:`message` lines until the epoch's line is printed (by :meth:`end_epoch`),
        so that what callbacks say at an epoch's end (early stopping) comes after that epoch."""
        if self._held is None:
            self._held = []

    def message(self, text: str) -> None:
        """A line that does not break a running bar."""
        if self.mode == "off":
            return
        if self._held is not None:
            self._held.append(text)
            return
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self._release_held()

    def _release_held(self) -> None:
        held, self._held = self._held, None
        for text in held or ():
            self.message(text)

    def _plain_line(self, fields: dict[str, Any]) -> None:
        print(f"{self._epoch_text}  {_format_fields(fields)}", file=self.stream, flush=True)
        self._last_plain = time.monotonic()


def _format_fields(fields: dict[str, Any], bar: bool = False) -> Any:
    formatted = {}
    for name, value in fields.items():
        if isinstance(value, float):
            value = f"{value:.0f}" if name.endswith("/s") else f"{value:.4g}"
        formatted[name] = value
    if bar:
        return formatted
    return "  ".join(f"{name} {value}" for name, value in formatted.items())
