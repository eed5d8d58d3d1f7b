"""Keeping numpy's freed buffers for reuse, so that a training step does not page-fault.

numpy takes every array from the C allocator. glibc's ``malloc`` serves a large request
(above its *mmap threshold*, 128 KiB to 32 MiB depending on history) with a fresh ``mmap`` and
gives it back to the kernel on ``free``; the next step's array of the same size is then new
memory again, and touching it costs one page fault per 4 KiB page. A training step makes the
same large temporaries every time (activations, their gradients, the logits), so it pays that
system time on every step: ~2,100 faults and ~10 ms on the ``cnn`` benchmark step (~13% of
it), ~11 ms on ``lstm_lm``.

:func:`keep_freed_memory` raises glibc's mmap and trim thresholds (``mallopt``), so freed
buffers stay in the process's heap and the next step reuses them. Peak memory moves little on
the benchmark workloads (cnn +6%, lstm_lm -8%, the others within 2%), but memory freed after a
peak is not returned to the system until the process ends — what a training process wants, and
what PyTorch's GPU caching allocator does for device memory.

The setting is the whole process's, so it is the application's choice: ``import nnscratch``
leaves the allocator alone. Where nnscratch owns the process — the ``nnscratch`` command and
``Trainer.fit`` — :func:`apply_default` turns it on, unless ``NNSCRATCH_KEEP_FREED_MEMORY=0`` is
in the environment or the program already chose with :func:`keep_freed_memory`. A program with
a training loop of its own calls ``ns.memory.keep_freed_memory()`` once before it. It has an
effect only with glibc (Linux); elsewhere it does nothing and returns False.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from functools import cache

M_TRIM_THRESHOLD = -1  # mallopt parameter numbers from glibc's malloc.h
M_MMAP_THRESHOLD = -3
KEEP = 2**31 - 1  # the largest value mallopt takes (an int): no mmap, no trimming
GLIBC_DEFAULT = 128 * 1024  # glibc's initial mmap and trim thresholds
ENVIRONMENT_VARIABLE = "NNSCRATCH_KEEP_FREED_MEMORY"

applied = False  # whether freed memory is being kept in this process (set by the calls below)
chosen: bool | None = None  # what the program asked of keep_freed_memory (None: nothing yet)


@cache
def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version  # noqa: B018 - only glibc has it (musl has no mallopt thresholds)
        return libc if hasattr(libc, "mallopt") else None
    except (OSError, AttributeError):
        return None


def keep_freed_memory(enabled: bool = True) -> bool:
    """Keep freed memory in the process for reuse (``enabled``) or restore glibc's defaults.

    The call for a program's own training loop (``ns.memory.keep_freed_memory()``, once, before
    it); the choice also stands for a later ``Trainer.fit``. Returns True when the allocator
    accepted the setting, False where it cannot be set. Restoring sets glibc's initial
    thresholds; its dynamic threshold adjustment stays off.
    """
    global chosen
    chosen = enabled
    return _set(enabled)


def apply_default() -> bool:
    """What nnscratch does where it owns the process (the CLI's ``main``, ``Trainer.fit``):
    keep freed memory, unless the environment says ``NNSCRATCH_KEEP_FREED_MEMORY=0`` or the
    program chose with :func:`keep_freed_memory`. Returns whether freed memory is kept."""
    if chosen is None and os.environ.get(ENVIRONMENT_VARIABLE, "1").strip() != "0":
        _set(True)
    return applied


def _set(enabled: bool) -> bool:
    global applied
    libc = _glibc()
    if libc is None:
        return False
    value = KEEP if enabled else GLIBC_DEFAULT
    accepted = bool(libc.mallopt(M_MMAP_THRESHOLD, value)) and bool(libc.mallopt(M_TRIM_THRESHOLD, value))
    applied = enabled and accepted
    return accepted
