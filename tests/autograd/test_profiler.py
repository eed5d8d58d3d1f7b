"""ns.autograd.profiler.profile: per-op forward/backward times, off outside the block."""

from __future__ import annotations

import time

import pytest

import nnscratch as ns
from nnscratch.autograd.function import Function, TensorFunction


class SlowExp(ns.autograd.Function):
    """eˣ whose forward sleeps and calls another op (exp): self time must exclude the exp."""

    @staticmethod
    def forward(ctx, x):
        time.sleep(0.02)
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


def test_counts_each_op_per_phase_and_leaves_nothing_patched() -> None:
    originals = {cls: (cls.__dict__["_forward"], cls.__dict__["_backward"])
                 for cls in (Function, TensorFunction)}
    model = ns.nn.Sequential(ns.nn.Linear(3, 4), ns.nn.ReLU(), ns.nn.Linear(4, 2))
    x, y = ns.randn(5, 3), ns.randint(0, 2, (5,))
    with ns.autograd.profiler.profile() as prof:
        for _ in range(3):
            ns.nn.functional.cross_entropy(model(x), y).backward()
    counts = {(s.name, s.phase): s.count for s in prof.key_averages()}
    assert counts[("Linear", "forward")] == 6 and counts[("Linear", "backward")] == 6
    assert counts[("ReLU", "forward")] == 3 and counts[("ReLU", "backward")] == 3
    for cls, (forward, backward) in originals.items():
        assert cls.__dict__["_forward"] is forward and cls.__dict__["_backward"] is backward
    assert 0 < prof.op_seconds <= prof.seconds
    table = prof.table(row_limit=3)
    assert table.count("\n") == 2 + 3 and "outside ops" in table


def test_self_time_excludes_the_ops_an_op_calls() -> None:
    x = ns.randn(4, requires_grad=True)
    with ns.autograd.profiler.profile() as prof:
        SlowExp.apply(x).sum().backward()
    stats = {(s.name, s.phase): s for s in prof.key_averages()}
    slow = stats["SlowExp", "forward"]
    assert slow.total_s >= 0.02 and slow.self_s >= 0.02
    exp = stats["Exp", "forward"]
    assert exp.count == 1
    assert slow.self_s == pytest.approx(slow.total_s - exp.total_s, abs=1e-9)
    assert ("SlowExp", "backward") in stats


def test_restores_after_an_error_and_refuses_nesting() -> None:
    original = Function.__dict__["_forward"]
    with pytest.raises(ValueError), ns.autograd.profiler.profile():
        ns.randn(2, 3) + ns.randn(4, 5)
    assert Function.__dict__["_forward"] is original
    with ns.autograd.profiler.profile(), pytest.raises(RuntimeError, match="nested"):
        with ns.autograd.profiler.profile():
            pass
    assert Function.__dict__["_forward"] is original
