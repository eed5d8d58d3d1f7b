"""nnscratch.memory: large numpy buffers are reused instead of page-faulted, when the program
(or nnscratch's own entry points) asks for it; importing the library changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from nnscratch import memory

# A child process (the setting is process-wide) runs SETUP, then allocates and frees the same
# 40 MB array (above glibc's largest dynamic mmap threshold, 32 MiB, like an LM's logits) 10
# times and counts minor page faults: with freed memory kept the later rounds fault nothing,
# with glibc's behaviour each round maps the array afresh. The fault count is the truth about
# the allocator's setting; memory.applied is what the module believes.
CHILD = """
import json, resource, sys
import numpy as np
exec(sys.argv[1])
from nnscratch import memory
for _ in range(3):
    np.ones(10_000_000, dtype=np.float32).sum()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(ROUNDS):
    np.ones(10_000_000, dtype=np.float32).sum()
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(json.dumps({"applied": memory.applied, "faults": faults, "returned": RETURNED}))
"""
ROUNDS = 10
# 40 MB mapped afresh each round: 9,766 pages, or 20 if the kernel gives 2 MiB huge pages
FRESH, KEPT = ROUNDS * 15, 15
needs_glibc = pytest.mark.skipif(memory._glibc() is None, reason="needs glibc's mallopt (Linux)")


def run_child(setup: str, keep: str | None = None) -> dict:
    environment = dict(os.environ)
    environment.pop(memory.ENVIRONMENT_VARIABLE, None)
    if keep is not None:
        environment[memory.ENVIRONMENT_VARIABLE] = keep
    code = CHILD.replace("ROUNDS", str(ROUNDS))
    finished = subprocess.run([sys.executable, "-c", code, setup], capture_output=True, text=True,
                              timeout=120, env=environment)
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout)


@needs_glibc
def test_importing_the_library_leaves_the_allocator_alone():
    # everything a program may import, and the recipe catalog that imports every recipe
    result = run_child("import nnscratch, nnscratch.nn, nnscratch.optim, nnscratch.data\n"
                       "import nnscratch.datasets, nnscratch.models, nnscratch.train\n"
                       "from nnscratch.recipes.registry import all_recipes\n"
                       "all_recipes()\nRETURNED = None")
    assert result["applied"] is False
    assert result["faults"] >= FRESH


@needs_glibc
def test_the_programs_call_keeps_freed_memory_for_its_own_loop():
    result = run_child("import nnscratch as ns\nRETURNED = ns.memory.keep_freed_memory()")
    assert result["returned"] is True and result["applied"] is True
    assert result["faults"] < KEPT


@needs_glibc
@pytest.mark.parametrize("keep, kept", [(None, True), (" 0", False)])
def test_nnscratchs_own_entry_points_keep_it_unless_the_environment_opts_out(keep, kept):
    result = run_child("from nnscratch import memory\nRETURNED = memory.apply_default()", keep)
    assert result["returned"] is kept and result["applied"] is kept
    assert (result["faults"] < KEPT) if kept else (result["faults"] >= FRESH)


@needs_glibc
def test_the_entry_points_respect_the_programs_choice():
    # a program that restored glibc's behaviour keeps it when it then calls Trainer.fit
    result = run_child("from nnscratch import memory\nmemory.keep_freed_memory(False)\n"
                       "RETURNED = memory.apply_default()")
    assert result["returned"] is False and result["applied"] is False
    assert result["faults"] >= FRESH


def test_without_glibc_it_reports_that_nothing_was_set(monkeypatch) -> None:
    monkeypatch.setattr(memory, "_glibc", lambda: None)
    monkeypatch.setattr(memory, "applied", False)  # module state, restored after the test
    monkeypatch.setattr(memory, "chosen", None)
    monkeypatch.delenv(memory.ENVIRONMENT_VARIABLE, raising=False)
    assert memory.apply_default() is False and memory.applied is False
    assert memory.keep_freed_memory() is False and memory.applied is False


@needs_glibc
def test_trainer_fit_keeps_freed_memory_for_the_loop_it_owns():
    # the Trainer owns its loop, as the CLI owns its process: fit() applies the default
    result = run_child(
        "import nnscratch as ns\nfrom nnscratch.train import Trainer\n"
        "from nnscratch.data import DataLoader, TensorDataset\n"
        "model = ns.nn.Linear(2, 1)\n"
        "data = DataLoader(TensorDataset(ns.randn(8, 2), ns.randn(8, 1)), batch_size=4)\n"
        "Trainer(model, ns.nn.functional.mse_loss, ns.optim.SGD(model.parameters(), lr=0.1), data,"
        " epochs=1, progress='off').fit()\nRETURNED = None")
    assert result["applied"] is True
    assert result["faults"] < KEPT
