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

A checkpoint folder may come from someone else, so its records are untrusted input
(:mod:`nnscratch.untrusted`): a record is read only if it is a regular file of bounded size, the
tensors file it names must be a plain name of the form the writer uses
(``step-NNNNNNNN-xxxxxxxx.safetensors``) inside the folder, and it is read with the size the
record states as its bound. Pruning deletes only files of those two forms, so no record can
make nnscratch delete or read anything else.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy
import safetensors.numpy

from .. import untrusted
from .atomic import WriteError, atomic_write_bytes, atomic_write_json
from .state_tree import flatten, unflatten

FORMAT = "nnscratch-checkpoint"
VERSION = 1
_JSON_NAME = re.compile(r"^step-(\d{8,})\.json$")
#: the only tensors-file names a record may name, exactly as :meth:`Checkpointer.save` writes them
TENSORS_NAME = re.compile(r"^step-\d{8,}-[0-9a-f]{8}\.safetensors$")
#: the largest checkpoint record (the JSON skeleton: counters, optimiser groups, RNG state …)
RECORD_LIMIT = 16 * 1024 * 1024
#: the largest tensors file a record may claim (a bound on what is read, not a target)
TENSORS_LIMIT = 1 << 40
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class CheckpointError(ValueError):
    """A checkpoint file is missing, truncated or corrupt (the message names it and the fault)."""


class NonFiniteStateError(ValueError):
    """The state to checkpoint holds NaN or Inf (diverged weights are never saved)."""

    def __init__(self, step: int, key: str) -> None:
        super().__init__(f"the state after step {step} is not finite ({key} holds NaN or Inf); "
                         f"no checkpoint written")
        self.step, self.key = step, key


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

    def save(self, step: int, state: dict, metric: float | None = None) -> Path:
        """Write the checkpoint of ``step`` atomically and prune old ones; return its JSON path.

        Raises :class:`~.atomic.WriteError` (folder unwritable, disk full) with every earlier
        checkpoint untouched, and :class:`NonFiniteStateError`, before writing anything, when
        an array of ``state`` holds NaN or Inf.
        """
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise WriteError(f"cannot create {self.directory}: {error.strerror or error}") from error
        skeleton, arrays = flatten(state)
        bad = first_non_finite(arrays)
        if bad is not None:
            raise NonFiniteStateError(step, bad)
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
        """Delete all but the last ``keep_last`` checkpoints and the best one; drop orphans.

        Only files named as the writer names them are deleted: ``step-N.json`` records and
        ``step-N-xxxxxxxx.safetensors`` tensors, each a regular file or a link (the link itself
        is removed, never what it points to).
        """
        checkpoints = self.list()
        keep = {info.path for info in checkpoints[-self.keep_last:]}
        best = self.best(checkpoints)
        if best is not None:
            keep.add(best.path)
        referenced = set()
        for info in checkpoints:
            tensors = _tensors_name_quietly(info.path)
            if info.path in keep:
                referenced.add(tensors)
                continue
            _remove_file(info.path)  # the JSON first: never a record without tensors
            if tensors is not None:
                _remove_file(self.directory / tensors)
        for orphan in self.directory.glob("step-*.safetensors"):
            if TENSORS_NAME.match(orphan.name) and orphan.name not in referenced:
                _remove_file(orphan)

    def list(self) -> list[CheckpointInfo]:
        """Every checkpoint JSON in the directory, oldest step first (validity not checked)."""
        if not self.directory.is_dir():
            return []
        found = []
        for path in self.directory.iterdir():
            match = _JSON_NAME.match(path.name)
            if match:
                metric = _read_json_quietly(path).get("metric")
                metric = metric if isinstance(metric, (int, float)) and not isinstance(
                    metric, bool) and metric == metric else None
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
        self, device: Any = None, warn: Callable[[str], None] | None = None,
        accept: Callable[[CheckpointInfo, dict], None] | None = None,
    ) -> tuple[CheckpointInfo, dict] | None:
        """The newest valid checkpoint as ``(info, state)``, or None when there is none.

        Each newer checkpoint that fails validation is reported through ``warn`` (default:
        a line on stderr) and skipped. ``accept(info, state)``, when given, is a further check
        (the trainer applies the state there): a :class:`CheckpointError` it raises skips that
        checkpoint too.
        """
        warn = warn or _warn_on_stderr
        checkpoints = self.list()
        for newer_index in range(len(checkpoints) - 1, -1, -1):
            info = checkpoints[newer_index]
            try:
                state = load_checkpoint(info.path, device)
                if accept is not None:
                    accept(info, state)
                return info, state
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
    json_path = Path(json_path)
    record, arrays = _read_validated(json_path)
    try:
        return unflatten(record["state"], arrays, device)
    except ValueError as error:
        raise CheckpointError(f"checkpoint {json_path}: its state does not match its tensors "
                              f"({error})") from None


def first_non_finite(arrays: dict[str, Any]) -> str | None:
    """The key of the first floating-point array holding NaN or Inf, else None."""
    for key, array in arrays.items():
        if array.dtype.kind in "fc" and not numpy.isfinite(array).all():
            return key
    return None


def _read_record(json_path: Path) -> dict:
    """The checkpoint record at ``json_path``, its fields checked; CheckpointError otherwise."""
    try:
        # a record holds JSON's Infinity where a state does (EarlyStopping's first best)
        record = untrusted.read_json_object(json_path, max_bytes=RECORD_LIMIT,
                                            what="checkpoint", allow_constants=True)
        if record.get("format") != FORMAT or "state" not in record:
            raise CheckpointError(f"checkpoint {json_path} is not an nnscratch checkpoint")
        untrusted.field(record, "step", int, source=json_path, low=0)
        untrusted.field(record, "bytes", int, source=json_path, low=0, high=TENSORS_LIMIT)
        digest = untrusted.field(record, "sha256", str, source=json_path)
        if not _SHA256.match(digest):
            raise CheckpointError(f"{json_path}: field 'sha256' is not a SHA-256 hex digest")
        tensors = untrusted.plain_name(record.get("tensors"), json_path.parent, source=json_path)
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint {json_path} is missing") from None
    except CheckpointError:
        raise
    except ValueError as error:
        raise CheckpointError(f"checkpoint {error}" if str(error).startswith(str(json_path))
                              else str(error)) from None
    if not TENSORS_NAME.match(tensors.name):
        raise CheckpointError(f"{json_path}: field 'tensors' is {tensors.name!r}, not a tensors "
                              f"file name of the form step-NNNNNNNN-xxxxxxxx.safetensors")
    return record


def _read_validated(json_path: Path) -> tuple[dict, dict]:
    record = _read_record(json_path)
    tensors_path = json_path.parent / record["tensors"]
    expected = record["bytes"]
    try:
        size = untrusted.check_regular_file(tensors_path, what="tensors file").stat().st_size
        if size != expected:  # refused before a byte is read
            raise CheckpointError(f"checkpoint {tensors_path} has {size} bytes, its record says "
                                  f"{expected}" + (" (truncated)" if size < expected else ""))
        # the digest first, in chunks: a record claiming a huge file costs no memory, and
        # only a file that matches its record is read whole
        size, digest = untrusted.sha256_of(tensors_path, what="tensors file")
        if size == expected and digest == record["sha256"]:
            blob = untrusted.read_bytes(tensors_path, max_bytes=expected, what="tensors file")
        else:
            blob = b""
    except FileNotFoundError as error:
        raise CheckpointError(f"checkpoint {json_path}: tensors file {tensors_path.name} is "
                              f"missing ({error})") from None
    except CheckpointError:
        raise
    except (ValueError, OSError) as error:
        raise CheckpointError(f"checkpoint {json_path}: {error}") from None
    except MemoryError:
        raise CheckpointError(f"checkpoint {tensors_path} ({expected} bytes) does not fit in "
                              f"memory") from None
    if size != expected:
        raise CheckpointError(f"checkpoint {tensors_path} has {size} bytes, its record says "
                              f"{expected}")
    if hashlib.sha256(blob).hexdigest() != record["sha256"]:
        raise CheckpointError(f"checkpoint {tensors_path} is corrupt (SHA-256 mismatch)")
    try:
        arrays = safetensors.numpy.load(blob)
    except Exception as error:  # noqa: BLE001 - safetensors raises its own error types
        raise CheckpointError(f"checkpoint {tensors_path} cannot be parsed ({error})") from None
    return record, arrays


def _read_json_quietly(path: Path) -> dict:
    """A record's JSON for bookkeeping (metric, tensors name); {} for anything unreadable."""
    try:
        return untrusted.read_json_object(path, max_bytes=RECORD_LIMIT, allow_constants=True)
    except (ValueError, OSError):
        return {}


def _tensors_name_quietly(path: Path) -> str | None:
    """The tensors file a record names, if it is a name the writer could have written."""
    name = _read_json_quietly(path).get("tensors")
    return name if isinstance(name, str) and TENSORS_NAME.match(name) else None


def _remove_file(path: Path) -> None:
    """Unlink ``path`` if it is a regular file or a link (never a folder; links not followed)."""
    try:
        mode = os.lstat(path).st_mode
        if stat.S_ISREG(mode) or stat.S_ISLNK(mode):
            path.unlink()
    except OSError:
        pass


def _warn_on_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
