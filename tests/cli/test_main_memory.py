"""The ``nnscratch`` command owns its process, so its ``main`` keeps numpy's freed buffers
(memory.apply_default), unless NNSCRATCH_KEEP_FREED_MEMORY=0: counted in page faults by
test_memory's child process."""

from __future__ import annotations

import pytest

from test_memory import FRESH, KEPT, needs_glibc, run_child

MAIN = ("import contextlib, io\nfrom nnscratch.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    RETURNED = main(['recipes'])")


@needs_glibc
@pytest.mark.parametrize("keep, kept", [(None, True), ("0", False)])
def test_the_command_keeps_freed_memory_unless_the_environment_opts_out(keep, kept):
    result = run_child(MAIN, keep)
    assert result["returned"] == 0 and result["applied"] is kept
    assert (result["faults"] < KEPT) if kept else (result["faults"] >= FRESH)
