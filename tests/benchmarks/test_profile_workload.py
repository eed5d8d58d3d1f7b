"""benchmarks/profile_workload.py: a workload's step op by op, from ns.autograd.profiler."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root: benchmarks/

from benchmarks import profile_workload  # noqa: E402


def test_the_report_names_the_ops_of_the_step_and_their_shares():
    text = profile_workload.profile_workload("mlp", steps=2, rows=4, pyinstrument=False)
    assert text.startswith("## mlp")
    assert "| Linear | backward | 6 |" in text and "| Linear | forward | 6 |" in text  # 3 layers x 2 steps
    assert "inside ops" in text and "(outside ops" in text
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert len(table) == 2 + 4 + 1  # header, separator, 4 rows, the outside-ops row


def test_a_workload_with_its_own_loop_is_named_not_profiled():
    assert "runs its own loop" in profile_workload.profile_workload("mlp_trainer", 1, 3, False)
