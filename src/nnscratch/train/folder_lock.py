"""One process at a time per run folder: an exclusive OS lock held for the life of a run.

Two trainers writing one folder interleave their metrics and leave a config of one seed with
the weights of another. So a run holds ``RUN/.lock`` (``flock`` on POSIX, through the
:mod:`filelock` library) from before it writes anything until its summary is written. The
kernel releases the lock when the holder exits, however it exits (SIGKILL included), so a
killed run never leaves a folder locked. The lock file itself stays; it holds nothing.

Right after taking the lock the holder writes ``RUN/.lock.owner`` (its pid and start time,
atomically); a second process is refused at once (no waiting) with :class:`RunFolderBusy`,
whose one-line message names the folder and that pid. The note is read as untrusted input: a
missing, special or malformed note only makes the message say the pid is not recorded.

The lock is re-entrant within one process (``nnscratch train`` locks the folder and the
Trainer it runs locks it again); a forked child does not inherit the parent's hold.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .. import untrusted
from .atomic import WriteError, atomic_write_json

LOCK_NAME, OWNER_NAME = ".lock", ".lock.owner"
#: the largest owner note read back
OWNER_LIMIT = 4096
#: how long a refused process waits for the holder's note (written just after the lock)
NOTE_WAIT = 1.0


class RunFolderBusy(ValueError):  # noqa: N818 - named for the state it reports
    """Another process holds the run folder's lock (the message names the folder and holder)."""


@contextmanager
def hold(folder: str | os.PathLike) -> Iterator[Path]:
    """Hold ``folder``'s lock for the ``with`` block, creating the folder; yields its path.

    Raises :class:`RunFolderBusy` when another process holds it, :class:`~.atomic.WriteError`
    when the folder or its lock file cannot be created.
    """
    import filelock

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise WriteError(f"cannot create run folder {folder}: {error.strerror or error}") from error
    key = os.path.realpath(folder)
    with _HELD_GUARD:
        held = _HELD.get(key)
        nested = held is not None and held[0] == os.getpid()
        if nested:
            _HELD[key] = (held[0], held[1], held[2] + 1)
    if not nested:
        file_lock = filelock.FileLock(folder / LOCK_NAME, timeout=0)
        try:
            file_lock.acquire()
        except filelock.Timeout:
            raise RunFolderBusy(f"run folder {folder} is in use by {holder(folder)}; wait for "
                                f"it to end or choose another folder") from None
        except OSError as error:
            raise WriteError(f"cannot lock run folder {folder}: {folder / LOCK_NAME} "
                             f"{_why_unlockable(folder / LOCK_NAME, error)}") from error
        with _HELD_GUARD:
            _HELD[key] = (os.getpid(), file_lock, 1)
    try:
        if not nested:
            atomic_write_json(folder / OWNER_NAME, {
                "pid": os.getpid(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
        yield folder
    finally:
        _release(key)


def holder(folder: str | os.PathLike) -> str:
    """'another process (pid 1234, since …)' from the folder's owner note.

    The holder writes its note just after it takes the lock, so a note that is missing, or
    names a process that no longer exists (a holder killed before), is waited for briefly.
    """
    owner = Path(folder) / OWNER_NAME
    deadline = time.monotonic() + NOTE_WAIT
    while True:
        try:
            note = untrusted.read_json_object(owner, max_bytes=OWNER_LIMIT)
            pid = untrusted.field(note, "pid", int, source=owner, low=1, high=1 << 31)
            started = untrusted.field(note, "started", str, source=owner, default="")
            if _is_alive(pid) or time.monotonic() > deadline:
                since = f", since {started[:40]}" if started else ""
                return f"another process (pid {pid}{since})"
        except FileNotFoundError:
            if time.monotonic() > deadline:
                break
        except (ValueError, OSError):
            break
        time.sleep(0.02)
    return "another process (its pid is not recorded)"


def _why_unlockable(path: Path, error: OSError) -> str:
    """Why the lock file cannot be opened, in words: something else put in its place (a
    link, which is never followed, or a folder), or the system's reason."""
    if path.is_symlink():
        return "is a link, not the run's lock file (remove it)"
    if path.is_dir():
        return "is a folder, not the run's lock file (remove it)"
    return f"cannot be opened ({error.strerror or error})"


def _release(key: str) -> None:
    with _HELD_GUARD:
        pid, file_lock, depth = _HELD[key]
        if depth > 1:
            _HELD[key] = (pid, file_lock, depth - 1)
            return
        del _HELD[key]
    # the note goes while the lock is still held, so it never names a later holder
    try:
        os.unlink(Path(file_lock.lock_file).with_name(OWNER_NAME))
    except OSError:
        pass
    file_lock.release()


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by another user
        return True
    return True


# folders this process holds: realpath -> (pid, FileLock, depth); the pid guards a fork
_HELD: dict[str, tuple[int, Any, int]] = {}
_HELD_GUARD = threading.Lock()
