"""Checkpoints that survive crashes: tensors in safetensors, everything else in a JSON file.

One checkpoint is two files in ``checkpoints/``::

    step-00000120-3fa2c1d0.safetensors   every array of the state (model, optimiser moments …)
    step-00000120.json                   the rest of the state, with references to the arrays,
                                         and the size and SHA-256 of the tensors file

The tensors file is written first and the JSON last, each atomically (:mod:`.atomic`), so the
JSON is the commit record: a checkpoint exists once its JSON does, and the hash it holds proves
the tensors file whole. A crash mid-write leaves at most an orphan tensors file, which the next
save removes. The tensors file name carries a hash prefix so rewriting the checkpoint of one step
never overwrites the file a valid JSON still points to.

:meth:`Checkpointer.load_latest` walks checkpoints newest first, reports each truncated or
corrupt one, and returns the newest valid one.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import safetensors.numpy

from .atomic import WriteError, atomic_write_bytes, atomic_write_json
from .state_tree import flatten, unflatten

FORMAT = "nnscratch-checkpoint"
VERSION = 1
_JSON_NAME = re.compile(r"^step-(\d+)\.json$")


class CheckpointError(ValueError):
    """A checkpoint file is missing, truncated or corrupt (the message names it and the fault)."""


@dataclass
class CheckpointInfo:
    """Where a checkpoint lives and what its JSON says without reading the tensors."""

    step: int
    path: Path  # the JSON file
    metric: float | None = None


class Checkpointer:
    """Save and find checkpoints in one directory, keeping the last ``keep_last`` and the best.

    ``mode`` says whether a smaller (``"min"``, a loss) or larger (``"max"``, an accuracy)
    monitored metric is better; checkpoints saved with ``metric=None`` never count as best.
    """

    def __init__(self, directory: str | Path, keep_last: int = 3, mode: str = "min") -> None:
        if keep_last < 1:
            raise ValueError(f"Checkpointer: keep_last must be >= 1, got {keep_last}")
        if mode not in ("min", "max"):
            raise ValueError(f"Checkpointer: mode must be 'min' or 'max', got {mode!r}")
        self.directory = Path(directory)
        self.keep_last = keep_last
        self.mode = mode

    # ------------------------------------------------------------------ saving
    def save(self, step: int, state: dict, metric: float | None = None) -> Path:
        """Write the checkpoint of ``step`` atomically and prune old ones; return its JSON path.

        Raises :class:`~.atomic.WriteError` (folder unwritable, disk full) with every earlier
        checkpoint untouched.
        """
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise WriteError(f"cannot create {self.directory}: {error.strerror or error}") from error
        skeleton, arrays = flatten(state)
        blob = safetensors.numpy.save(arrays)
        digest = hashlib.sha256(blob).hexdigest()
        tensors_path = self.directory / f"step-{step:08d}-{digest[:8]}.safetensors"
        json_path = self.directory / f"step-{step:08d}.json"
        atomic_write_bytes(tensors_path, blob)
        record = {
            "format": FORMAT, "version": VERSION, "step": step,
            "metric": metric if metric is None or metric == metric else None,  # NaN is no metric
            "tensors": tensors_path.name, "bytes": len(blob), "sha256": digest,
            "state": skeleton,
        }
        try:
            atomic_write_json(json_path, record, strict=False)
        except WriteError:
            tensors_path.unlink(missing_ok=True)
            raise
        self._prune()
        return json_path

    def _prune(self) -> None:
        """Delete all but the last ``keep_last`` checkpoints and the best one; drop orphans."""
        checkpoints = self.list()
        keep = {info.path for info in checkpoints[-self.keep_last:]}
        best = self.best(checkpoints)
        if best is not None:
            keep.add(best.path)
        referenced = set()
        for info in checkpoints:
            if info.path in keep:
                referenced.add(_read_json_quietly(info.path).get("tensors"))
                continue
            tensors = _read_json_quietly(info.path).get("tensors")
            info.path.unlink(missing_ok=True)  # the JSON first: never a record without tensors
            if tensors:
                (self.directory / tensors).unlink(missing_ok=True)
        for orphan in self.directory.glob("step-*.safetensors"):
            if orphan.name not in referenced:
                orphan.unlink(missing_ok=True)

    # ------------------------------------------------------------------ finding
    def list(self) -> list[CheckpointInfo]:
        """Every checkpoint JSON in the directory, oldest step first (validity not checked)."""
        if not self.directory.is_dir():
            return []
        found = []
        for path in self.directory.iterdir():
            match = _JSON_NAME.match(path.name)
            if match:
                metric = _read_json_quietly(path).get("metric")
                metric = metric if isinstance(metric, (int, float)) else None
                found.append(CheckpointInfo(int(match.group(1)), path, metric))
        return sorted(found, key=lambda info: info.step)

    def best(self, checkpoints: list[CheckpointInfo] | None = None) -> CheckpointInfo | None:
        """The checkpoint with the best monitored metric (the earliest among equals)."""
        scored = [c for c in (checkpoints if checkpoints is not None else self.list())
                  if c.metric is not None]
        if not scored:
            return None
        sign = 1.0 if self.mode == "min" else -1.0
        return min(scored, key=lambda c: (sign * c.metric, c.step))

    def load_latest(
        self, device: Any = None, warn: Callable[[str], None] | None = None
    ) -> tuple[CheckpointInfo, dict] | None:
        """The newest valid checkpoint as ``(info, state)``, or None when there is none.

        Each newer checkpoint that fails validation is reported through ``warn`` (default:
        a line on stderr) and skipped.
        """
        warn = warn or _warn_on_stderr
        checkpoints = self.list()
        for newer_index in range(len(checkpoints) - 1, -1, -1):
            info = checkpoints[newer_index]
            try:
                return info, load_checkpoint(info.path, device)
            except CheckpointError as error:
                older = "an older one" if newer_index else "none older is left"
                warn(f"warning: {error}; skipping it ({older})")
        return None

    def last_valid(self) -> Path | None:
        """The JSON path of the newest checkpoint that validates (hash included)."""
        for info in reversed(self.list()):
            try:
                _read_validated(info.path)
                return info.path
            except CheckpointError:
                continue
        return None


def load_checkpoint(json_path: str | Path, device: Any = None) -> dict:
    """Read and validate one checkpoint; raise :class:`CheckpointError` naming the fault."""
    record, arrays = _read_validated(Path(json_path))
    return unflatten(record["state"], arrays, device)


def _read_validated(json_path: Path) -> tuple[dict, dict]:
    try:
        record = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"checkpoint {json_path} is unreadable ({error})") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT or "state" not in record:
        raise CheckpointError(f"checkpoint {json_path} is not an nnscratch checkpoint")
    tensors_path = json_path.parent / str(record.get("tensors"))
    try:
        blob = tensors_path.read_bytes()
    except OSError as error:
        raise CheckpointError(f"checkpoint {json_path}: tensors file {tensors_path.name} is "
                              f"missing ({error.strerror or error})") from None
    if len(blob) != record.get("bytes"):
        raise CheckpointError(f"checkpoint {tensors_path} is truncated ({len(blob)} bytes, "
                              f"expected {record.get('bytes')})")
    if hashlib.sha256(blob).hexdigest() != record.get("sha256"):
        raise CheckpointError(f"checkpoint {tensors_path} is corrupt (SHA-256 mismatch)")
    try:
        arrays = safetensors.numpy.load(blob)
    except Exception as error:  # noqa: BLE001 - safetensors raises its own error types
        raise CheckpointError(f"checkpoint {tensors_path} cannot be parsed ({error})") from None
    return record, arrays


def _read_json_quietly(path: Path) -> dict:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def _warn_on_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
