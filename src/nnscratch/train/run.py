"""The run folder: everything one training run leaves behind, in one directory.

::

    runs/<name>/
      config.json        every setting, the seed, the recipe, library and Python versions
      metrics.jsonl      one JSON object per logged step and per evaluation
      summary.json       {"recipe", "status", "steps", "seconds", "final"} written at the end,
                         and "model": {"file", "bytes", "sha256"} once the weights are written
      model.safetensors  the final weights (written when the run completes)
      checkpoints/       see checkpoint.py
      plots/             PNG learning curves
      .lock              held (flock, through ``filelock``) by the process running the run;
      .lock.owner        that process's pid and start time, for the message of a second one

JSON files are written atomically; ``metrics.jsonl`` is appended and flushed line by line, and
on resume it is cut back to the checkpoint's step so that replayed steps are not logged twice.
Everything read back from a run folder is untrusted input (:mod:`nnscratch.untrusted`): a run
folder may have been sent by someone else.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import stat
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TextIO

from .. import untrusted
from . import folder_lock
from .atomic import WriteError, atomic_write_json
from .folder_lock import RunFolderBusy

__all__ = ["CONFIG_LIMIT", "STATUSES", "TEMPORARY_NAMES", "RunFolder", "RunFolderBusy",
           "default_run_path", "finite_or_none"]

STATUSES = ("completed", "stopped", "failed")
#: the largest config.json / summary.json / .lock.owner read back
CONFIG_LIMIT = 1024 * 1024
#: a line of metrics.jsonl longer than this is not one the trainer wrote; it is skipped
METRICS_LINE_LIMIT = 1024 * 1024
# a metrics log of ~200-byte records: 1 GiB is five million log points, far beyond a real run
METRICS_LIMIT = 1024 * 1024 * 1024
#: hidden temporaries of the run folder's writers: atomic.py's ``.NAME.tmp-PID`` and
#: serialization.save's ``.NAME.XXXXXXXX.tmp`` (tempfile.mkstemp's 8 random characters)
TEMPORARY_NAMES = (re.compile(r"^\..+\.tmp-\d+$"), re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$"))


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
        """Make the folder and its sub-folders; raise WriteError if it cannot be written.

        ``checkpoints/`` and ``plots/`` must be real folders inside the run folder: one that is
        a link (planted in a shared folder, it would make the run write and prune files
        elsewhere) or a file is refused with a ValueError naming it.
        """
        for directory in (self.checkpoints, self.plots):
            if directory.is_symlink() or (directory.exists() and not directory.is_dir()):
                kind = "a link" if directory.is_symlink() else "not a folder"
                raise untrusted.UntrustedFileError(
                    f"{directory} is {kind}; a run folder's {directory.name}/ must be a folder "
                    f"inside it (nothing outside a run folder is written)")
        try:
            for directory in (self.path, self.checkpoints, self.plots):
                directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise WriteError(f"cannot create run folder {self.path}: "
                             f"{error.strerror or error}") from error

    def final_weights(self, device: Any = "cpu", fits: Callable[[dict], Any] | None = None) -> dict:
        """The run's trained weights: ``model.safetensors``, or for a run that did not
        complete, its newest valid checkpoint's (said on stderr). FileNotFoundError if neither.

        ``fits(weights)`` (e.g. ``model.load_state_dict``) is tried on each checkpoint's
        weights, newest first: one whose weights do not fit is skipped with a warning, as a
        corrupt one is, and an older one is used.

        When summary.json records the weights' size and SHA-256 (every run since they were
        recorded), ``model.safetensors`` must match them: a ValueError names the file otherwise.
        A run folder from before has no record and loads unchecked.
        """
        import sys

        from ..serialization import load
        from .checkpoint import Checkpointer, CheckpointError

        if self.model_path.exists() or self.model_path.is_symlink():
            self.verify_model()
            return load(self.model_path, device=device)
        def accept(info: Any, state: dict) -> None:
            weights = state.get("model") if isinstance(state, dict) else None
            if not isinstance(weights, dict):
                raise CheckpointError(f"checkpoint {info.path} holds no model weights")
            if fits is None:
                return
            try:
                fits(weights)
            except (RuntimeError, KeyError, ValueError, TypeError) as error:
                raise CheckpointError(f"checkpoint {info.path}: its weights do not fit the model "
                                      f"({' '.join(str(error).split())})") from None

        found = Checkpointer(self.checkpoints).load_latest(device, accept=accept)
        if found is None:
            raise FileNotFoundError(f"{self.path} has neither model.safetensors nor a valid checkpoint")
        info, state = found
        print(f"note: {self.path} did not complete; using its checkpoint of step {info.step}",
              file=sys.stderr)
        return state["model"]

    def has_run(self) -> bool:
        return self.config_path.exists() or any(self.checkpoints.glob("step-*.json"))

    def model_record(self) -> dict:
        """``{"file", "bytes", "sha256"}`` of ``model.safetensors`` as it is now on disk."""
        size, digest = untrusted.sha256_of(self.model_path, what="weights file")
        return {"file": self.model_path.name, "bytes": size, "sha256": digest}

    def forget_model_record(self) -> None:
        """Drop the weights' record from summary.json before the weights are rewritten (a
        resumed run), so a crash between the two writes leaves weights that load unchecked
        rather than weights that fail a stale digest. A summary that cannot be read is left."""
        try:
            summary = untrusted.read_json_object(self.summary_path, max_bytes=CONFIG_LIMIT)
        except (ValueError, OSError):
            return
        if "model" in summary:
            del summary["model"]
            atomic_write_json(self.summary_path, finite_or_none(summary))

    def verify_model(self) -> None:
        """Check ``model.safetensors`` against the size and digest summary.json records for
        it; ValueError naming the file on a mismatch. Nothing to check without a record."""
        recorded = self._recorded_model()
        if recorded is None:
            return
        size = untrusted.check_regular_file(self.model_path, what="weights file").stat().st_size
        # hashed in chunks: memory stays bounded whatever size the record claims
        found = self.model_record() if size == recorded["bytes"] else {"bytes": size, "sha256": ""}
        if found["bytes"] != recorded["bytes"] or found["sha256"] != recorded["sha256"]:
            raise untrusted.UntrustedFileError(
                f"{self.model_path}: model.safetensors does not match the digest recorded in "
                f"{self.summary_path} ({size} bytes, recorded {recorded['bytes']}; the "
                f"weights were changed or damaged after the run wrote them)")

    def _recorded_model(self) -> dict | None:
        if not (self.summary_path.exists() or self.summary_path.is_symlink()):
            return None
        summary = untrusted.read_json_object(self.summary_path, max_bytes=CONFIG_LIMIT,
                                             what="summary")
        record = untrusted.field(summary, "model", (dict, type(None)), source=self.summary_path,
                                 default=None)
        if record is None:
            return None
        source = f"{self.summary_path} (field 'model')"
        name = untrusted.field(record, "file", str, source=source)
        if name != self.model_path.name:
            raise untrusted.UntrustedFileError(f"{source}: 'file' must be "
                                               f"{self.model_path.name!r}, got {name!r}")
        size = untrusted.field(record, "bytes", int, source=source, low=0, high=1 << 40)
        digest = untrusted.field(record, "sha256", str, source=source)
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise untrusted.UntrustedFileError(f"{source}: 'sha256' is not a SHA-256 hex digest")
        return {"file": name, "bytes": size, "sha256": digest}

    def lock(self) -> AbstractContextManager[Path]:
        """Hold the run folder's exclusive lock for a ``with`` block (creating the folder);
        :class:`RunFolderBusy` at once, naming the holder's pid, when another process holds
        it. See :mod:`.folder_lock`."""
        return folder_lock.hold(self.path)

    def remove_orphans(self) -> list[Path]:
        """Delete the hidden temporaries that writers killed mid-write leave behind (in the
        folder, checkpoints/ and plots/); return what was removed.

        Only names of the forms the writers use (:data:`TEMPORARY_NAMES`) and only regular
        files: a link or folder of such a name stays, and no link is followed. Call it while
        holding :meth:`lock`, so no live writer's temporary is taken.
        """
        removed = []
        for folder in (self.path, self.checkpoints, self.plots):
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                if not any(pattern.match(entry.name) for pattern in TEMPORARY_NAMES):
                    continue
                try:
                    if stat.S_ISREG(entry.stat(follow_symlinks=False).st_mode):
                        os.unlink(entry.path)
                        removed.append(Path(entry.path))
                except OSError:
                    continue
        return removed

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
        """The run's config.json; FileNotFoundError / ValueError name the file and fault.

        Schema: ``recipe`` a string, ``settings`` an object of string keys whose values are
        JSON scalars (null, true/false, a number, a string) or flat lists of them (the
        Trainer's own ``metrics``). Special files, huge files and nesting bombs are refused
        (:mod:`nnscratch.untrusted`).
        """
        if not (self.config_path.exists() or self.config_path.is_symlink()):
            raise FileNotFoundError(f"{self.path} is not a run folder (no config.json)")
        config = untrusted.read_json_object(self.config_path, max_bytes=CONFIG_LIMIT,
                                            what="config")
        untrusted.field(config, "recipe", str, source=self.config_path)
        settings = untrusted.field(config, "settings", dict, source=self.config_path)
        for name, value in settings.items():
            items = value if isinstance(value, list) else [value]
            if not all(item is None or isinstance(item, (bool, int, float, str)) for item in items):
                raise untrusted.UntrustedFileError(
                    f"{self.config_path}: setting {name!r} must be a number, a string, true/"
                    f"false or null, got {untrusted._short(value)}")
        return config

    def write_summary(self, recipe: str, status: str, steps: int, seconds: float,
                      final: dict[str, float], model: dict | None = None) -> None:
        """Write summary.json; ``model`` (from :meth:`model_record`) when weights were written."""
        if status not in STATUSES:
            raise ValueError(f"summary: status must be one of {STATUSES}, got {status!r}")
        summary = {"recipe": recipe, "status": status, "steps": int(steps),
                   "seconds": round(float(seconds), 3), "final": final}
        if model is not None:
            summary["model"] = model
        atomic_write_json(self.summary_path, finite_or_none(summary))

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
        """Every record of metrics.jsonl (a torn last line from a crash is skipped, and so is
        any line that is not a JSON object)."""
        records = []
        for line in self._read_lines() if self.metrics_path.exists() else []:
            try:
                record = untrusted.parse_json(line, source=self.metrics_path)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records

    def close(self) -> None:
        if self._metrics is not None:
            self._metrics.close()
            self._metrics = None

    def _read_lines(self) -> list[str]:
        """The non-empty lines of metrics.jsonl, read from a regular file only (opened without
        blocking) and one bounded line at a time; over-long lines are dropped."""
        with untrusted.open_regular(self.metrics_path, what="metrics log") as handle:
            info = os.fstat(handle.fileno())
            if info.st_size > METRICS_LIMIT:
                raise untrusted.UntrustedFileError(
                    f"metrics log {self.metrics_path} has {info.st_size} bytes, more than the "
                    f"{METRICS_LIMIT} a run's log may hold")
            lines, skipping = [], False
            while True:
                raw = handle.readline(METRICS_LINE_LIMIT)
                if not raw:
                    return lines
                complete = raw.endswith(b"\n")
                if skipping or (not complete and len(raw) >= METRICS_LINE_LIMIT):
                    skipping = not complete  # the rest of an over-long line
                    continue
                line = raw.decode("utf-8", errors="replace")
                if line.strip():
                    lines.append(line if complete else line + "\n")


def atomic_write_text(path: Path, text: str) -> None:
    from .atomic import atomic_write_bytes

    atomic_write_bytes(path, text.encode("utf-8"))


def _step_of(line: str) -> int | None:
    try:
        record = untrusted.parse_json(line, source="metrics.jsonl")
    except ValueError:
        return None
    step = record.get("step") if isinstance(record, dict) else None
    return step if isinstance(step, int) and not isinstance(step, bool) else None
