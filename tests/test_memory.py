"""nnscratch.memory.keep_freed_memory: large numpy buffers are reused instead of page-faulted."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from nnscratch import memory

# A child process (the setting is process-wide): allocate and free the same 40 MB array (above
# glibc's largest dynamic mmap threshold, 32 MiB, like an LM's logits) 30 times and count
# minor page faults; with freed memory kept, the later rounds fault nothing.
CHILD = """
import resource, sys
import numpy as np
from nnscratch import memory  # imports nnscratch: its default applies unless the environment opts out
applied = memory.applied
for _ in range(3):
    np.ones(10_000_000, dtype=np.float32).sum()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(30):
    np.ones(10_000_000, dtype=np.float32).sum()
print(applied, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(keep: str | None) -> tuple[str, int]:
    environment = dict(os.environ)
    environment.pop(memory.ENVIRONMENT_VARIABLE, None)
    if keep is not None:
        environment[memory.ENVIRONMENT_VARIABLE] = keep
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                         check=True, timeout=120, env=environment).stdout.split()
    return out[0], int(out[1])


@pytest.mark.skipif(memory._glibc() is None, reason="needs glibc's mallopt (Linux)")
def test_importing_nnscratch_keeps_freed_memory_unless_the_environment_opts_out() -> None:
    applied, kept = _faults(None)
    opted_out, default = _faults("0")
    assert applied == "True" and opted_out == "False"
    # 40 MB mapped afresh each time: 9,766 pages, or 20 if the kernel gives 2 MiB huge pages
    assert default >= 30 * 15
    assert kept < 15


def test_without_glibc_it_reports_that_nothing_was_set(monkeypatch) -> None:
    monkeypatch.setattr(memory, "_glibc", lambda: None)
    assert memory.keep_freed_memory() is False
    monkeypatch.delenv(memory.ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.setattr(memory, "applied", memory.applied)  # restored after the test
    assert memory.apply_default() is False and memory.applied is False
