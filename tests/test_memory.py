"""nnscratch.memory.keep_freed_memory: large numpy buffers are reused instead of page-faulted."""

from __future__ import annotations

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
from nnscratch import memory
applied = memory.keep_freed_memory() if sys.argv[1] == "keep" else None
for _ in range(3):
    np.ones(10_000_000, dtype=np.float32).sum()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(30):
    np.ones(10_000_000, dtype=np.float32).sum()
print(applied, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> tuple[str, int]:
    out = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True,
                         check=True, timeout=120).stdout.split()
    return out[0], int(out[1])


@pytest.mark.skipif(memory._glibc() is None, reason="needs glibc's mallopt (Linux)")
def test_kept_memory_is_reused_instead_of_faulted_in_again() -> None:
    applied, kept = _faults("keep")
    _, default = _faults("default")
    assert applied == "True"
    # 40 MB mapped afresh each time: 9,766 pages, or 20 if the kernel gives 2 MiB huge pages
    assert default >= 30 * 15
    assert kept < 15


def test_without_glibc_it_reports_that_nothing_was_set(monkeypatch) -> None:
    monkeypatch.setattr(memory, "_glibc", lambda: None)
    assert memory.keep_freed_memory() is False
