"""benchmarks/trainer_overhead.py: interleaved in-process comparison of Trainer and bare loop."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root: benchmarks/

from benchmarks import trainer_overhead  # noqa: E402


def test_interleave_reports_the_ratio_and_difference_of_the_two_sides() -> None:
    calls: list = []

    def side(name: str, seconds: float):
        def run(steps: int) -> list:
            calls.append((name, steps))
            return [seconds] * steps
        return run

    result = trainer_overhead.interleave(side("trainer", 3e-3), side("loop", 2e-3), rounds=4, block=5)
    assert result["paired_ratio"] == pytest.approx(1.5)
    assert result["overhead_us"] == pytest.approx(1000.0)
    assert result["trainer_ms"] == pytest.approx(3.0) and result["loop_ms"] == pytest.approx(2.0)
    timed = calls[2:]  # after one warm-up call of each
    assert [name for name, _ in timed] == ["trainer", "loop", "loop", "trainer"] * 2  # alternating
    assert all(steps == 5 for _, steps in timed)


def test_both_sides_really_train_the_same_tiny_model() -> None:
    trainer, loop = trainer_overhead._tiny_sides()
    assert len(trainer(7)) == 7 and len(loop(4)) == 4
    assert all(t > 0 for t in trainer(3) + loop(3))
