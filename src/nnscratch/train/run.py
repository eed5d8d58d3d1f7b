"""The run folder: everything one training run leaves behind, in one directory.

::

    runs/<name>/
      config.json        every setting, the seed, the recipe, library and Python versions
      metrics.jsonl      one JSON object per logged step and per evaluation
      summary.json       {"recipe", "status", "steps", "seconds", "final"} written at the end
      model.safetensors  the final weights (written when the run completes)
      checkpoints/       see checkpoint.py
      plots/             PNG learning curves

JSON files are written atomically; ``metrics.jsonl`` is appended and flushed line by line, and
on resume it is cut back to the checkpoint's step so that replayed steps are not logged twice.
"""

from __future__ import annotations

import json
import math
import platform
import time
from pathlib import Path
from typing import Any, TextIO

from .atomic import WriteError, atomic_write_json

STATUSES = ("completed", "stopped", "failed")


def default_run_path(recipe: str, root: str | Path = "runs") -> Path:
    """``runs/<recipe>-<YYYYmmdd-HHMMSS>`` (with a counter if that exists already)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = Path(root) / f"{recipe}-{stamp}"
    counter = 1
    while path.exists():
        counter += 1
        path = Path(root) / f"{recipe}-{stamp}-{counter}"
    return path


def finite_or_none(value: Any) -> Any:
    """JSON has no NaN/Inf: map them (recursively) to None so every file parses strictly."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(v) for v in value]
    return value


class RunFolder:
    """Paths and writers of one run directory."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.config_path = self.path / "config.json"
        self.metrics_path = self.path / "metrics.jsonl"
        self.summary_path = self.path / "summary.json"
        self.model_path = self.path / "model.safetensors"
        self.checkpoints = self.path / "checkpoints"
        self.plots = self.path / "plots"
        self._metrics: TextIO | None = None

    def create(self) -> None:
        """Make the folder and its sub-folders; raise WriteError if it cannot be written."""
        try:
            for directory in (self.path, self.checkpoints, self.plots):
                directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise WriteError(f"cannot create run folder {self.path}: "
                             f"{error.strerror or error}") from error

    def final_weights(self, device: Any = "cpu") -> dict:
        """The run's trained weights: ``model.safetensors``, or for a run that did not
        complete, its newest valid checkpoint's (said on stderr). FileNotFoundError if neither."""
        import sys

        from ..serialization import load
        from .checkpoint import Checkpointer

        if self.model_path.exists():
            return load(self.model_path, device=device)
        found = Checkpointer(self.checkpoints).load_latest(device)
        if found is None:
            raise FileNotFoundError(f"{self.path} has neither model.safetensors nor a valid checkpoint")
        info, state = found
        print(f"note: {self.path} did not complete; using its checkpoint of step {info.step}",
              file=sys.stderr)
        return state["model"]

    def has_run(self) -> bool:
        return self.config_path.exists() or any(self.checkpoints.glob("step-*.json"))

    # ------------------------------------------------------------------ config and summary
    def write_config(self, recipe: str, settings: dict) -> None:
        import numpy

        from .. import __version__

        config = {
            "recipe": recipe,
            "settings": settings,
            "seed": settings.get("seed"),
            "nnscratch_version": __version__,
            "numpy_version": numpy.__version__,
            "python_version": platform.python_version(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        atomic_write_json(self.config_path, finite_or_none(config))

    def read_config(self) -> dict:
        """The run's config.json; FileNotFoundError / ValueError name the file and fault."""
        try:
            text = self.config_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise FileNotFoundError(f"{self.path} is not a run folder (no config.json)") from None
        try:
            config = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"{self.config_path} is not valid JSON ({error})") from None
        if not isinstance(config, dict) or "recipe" not in config or "settings" not in config:
            raise ValueError(f"{self.config_path} lacks 'recipe' or 'settings'")
        return config

    def write_summary(self, recipe: str, status: str, steps: int, seconds: float,
                      final: dict[str, float]) -> None:
        if status not in STATUSES:
            raise ValueError(f"summary: status must be one of {STATUSES}, got {status!r}")
        summary = {"recipe": recipe, "status": status, "steps": int(steps),
                   "seconds": round(float(seconds), 3), "final": final}
        atomic_write_json(self.summary_path, finite_or_none(summary))

    # ------------------------------------------------------------------ metrics log
    def open_metrics(self, keep_until_step: int | None = None) -> None:
        """Open metrics.jsonl for appending; on resume keep only records up to that step."""
        try:
            if keep_until_step is not None and self.metrics_path.exists():
                kept = [line for line in self._read_lines()
                        if _step_of(line) is not None and _step_of(line) <= keep_until_step]
                atomic_write_text(self.metrics_path, "".join(kept))
            self._metrics = open(self.metrics_path, "a", encoding="utf-8")  # noqa: SIM115
        except OSError as error:
            raise WriteError(f"cannot write {self.metrics_path}: {error.strerror or error}") from error

    def log(self, record: dict) -> None:
        """Append one record (a line of JSON) and flush it."""
        if self._metrics is None:
            self.open_metrics()
        line = json.dumps(finite_or_none(record), allow_nan=False)
        try:
            self._metrics.write(line + "\n")
            self._metrics.flush()
        except OSError as error:
            raise WriteError(f"cannot write {self.metrics_path}: {error.strerror or error}") from error

    def read_metrics(self) -> list[dict]:
        """Every record of metrics.jsonl (a torn last line from a crash is skipped)."""
        records = []
        for line in self._read_lines() if self.metrics_path.exists() else []:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return records

    def close(self) -> None:
        if self._metrics is not None:
            self._metrics.close()
            self._metrics = None

    def _read_lines(self) -> list[str]:
        with open(self.metrics_path, encoding="utf-8") as handle:
            return [line if line.endswith("\n") else line + "\n" for line in handle if line.strip()]


def atomic_write_text(path: Path, text: str) -> None:
    from .atomic import atomic_write_bytes

    atomic_write_bytes(path, text.encode("utf-8"))


def _step_of(line: str) -> int | None:
    try:
        step = json.loads(line).get("step")
    except (json.JSONDecodeError, AttributeError):
        return None
    return step if isinstance(step, int) else None
