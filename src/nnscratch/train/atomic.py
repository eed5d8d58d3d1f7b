"""Write files so that a crash leaves either the old file or the new one, never half of one.

The recipe is the classic one: write a temporary file in the same directory, flush and
``fsync`` it, ``os.replace`` it over the target (atomic on POSIX and Windows), then ``fsync`` the
directory so the rename itself survives a power cut. If anything fails the temporary file is
removed and the target is untouched; that includes a KeyboardInterrupt (a second Ctrl-C) or any
other exception landing mid-write. Only a kill that leaves no time to clean up (SIGKILL, a power
cut) leaves the hidden temporary ``.NAME.tmp-PID``, which :meth:`RunFolder.remove_orphans
<nnscratch.train.run.RunFolder.remove_orphans>` removes when the run next starts.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from . import faults


class WriteError(OSError):
    """A file could not be written (unwritable folder, full disk); the old file is intact."""


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Replace ``path`` by ``data`` atomically; raise :class:`WriteError` naming the file."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        faults.in_write(path)
        os.replace(temporary, path)
    except OSError as error:
        _remove_quietly(temporary)
        reason = error.strerror or str(error)
        raise WriteError(f"cannot write {path}: {reason}") from error
    except BaseException:  # KeyboardInterrupt mid-write: no temporary left behind
        _remove_quietly(temporary)
        raise
    fsync_directory(path.parent)


def atomic_write_json(path: str | os.PathLike, value: Any, *, strict: bool = True) -> None:
    """Write ``value`` as indented JSON atomically (``strict``: NaN/Inf are refused)."""
    text = json.dumps(value, indent=2, allow_nan=not strict) + "\n"
    atomic_write_bytes(path, text.encode("utf-8"))


def fsync_directory(directory: str | os.PathLike) -> None:
    """Make a rename in ``directory`` durable (a no-op where directories cannot be opened)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:  # Windows, or a filesystem that refuses: the rename is still atomic
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
