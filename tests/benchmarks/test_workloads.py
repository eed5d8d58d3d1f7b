"""Every benchmark workload computes the same thing in nnscratch and in PyTorch, in float32.

At each workload's ``small`` size: the nnscratch and PyTorch first-step losses agree to 1e-5
relative (same weights, same batch, drawn by numpy), and every array the nnscratch side makes —
parameters, each op's outputs (activations), the gradients each op's backward returns, and the
parameters' .grad — is float32. Workloads whose layers do not exist yet are skipped.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root: benchmarks/

from benchmarks.workloads import MODULES, get  # noqa: E402
from benchmarks.workloads.base import UnavailableError, check_available  # noqa: E402

from nnscratch.autograd.function import Function, TensorFunction  # noqa: E402

LOSS_TOLERANCE = 1e-5


def _built(workload, side):
    try:
        if side == "nnscratch":
            check_available(workload.requires)
            return workload.build_nnscratch(workload.config("small"), "cpu")
        return workload.build_reference(workload.config("small"), "cpu")
    except UnavailableError as reason:
        pytest.skip(f"{workload.name}: {reason}")


def _first_loss(step):
    if step.run is None:  # a side that runs its own loop (the Trainer)
        assert len(step.run_many(2)) == 2
        return step.loss_of(None)
    return step.loss_of(step.run())


@pytest.fixture
def dtype_log(monkeypatch):
    """Record the dtype of every floating array an nnscratch op returns, forward and backward."""
    log = []

    def record(kind, op, arrays):
        arrays = arrays if isinstance(arrays, tuple) else (arrays,)
        for array in arrays:
            if array is not None and getattr(array, "dtype", np.dtype(int)).kind == "f":
                log.append((kind, op.__name__, array.dtype))

    for base in (Function, TensorFunction):
        forward = base.__dict__["_forward"].__func__
        backward = base.__dict__["_backward"].__func__

        def patched_forward(cls, ctx, arrays, options, _forward=forward):
            outputs = _forward(cls, ctx, arrays, options)
            record("forward", cls, outputs)
            return outputs

        def patched_backward(cls, ctx, grads, _backward=backward):
            grads_in = _backward(cls, ctx, grads)
            record("backward", cls, grads_in)
            return grads_in

        monkeypatch.setattr(base, "_forward", classmethod(patched_forward))
        monkeypatch.setattr(base, "_backward", classmethod(patched_backward))
    return log


@pytest.mark.parametrize("name", list(MODULES))
def test_first_step_loss_matches_pytorch_and_stays_float32(name, dtype_log):
    workload = get(name)
    ours = _built(workload, "nnscratch")
    theirs = _built(workload, "reference")

    for parameter_name, parameter in ours.model.named_parameters():
        assert parameter.dtype == np.float32, f"{name}: parameter {parameter_name} is {parameter.dtype}"
    our_loss, their_loss = _first_loss(ours), _first_loss(theirs)

    assert our_loss == pytest.approx(their_loss, rel=LOSS_TOLERANCE, abs=0), (
        f"{name}: nnscratch first-step loss {our_loss} vs PyTorch {their_loss}"
    )
    assert dtype_log, f"{name}: no nnscratch op ran"
    leaks = sorted({f"{kind} of {op}: {dtype}" for kind, op, dtype in dtype_log if dtype != np.float32})
    assert not leaks, f"{name}: arrays that are not float32: {leaks}"
    if workload.training:
        assert any(kind == "backward" for kind, _, _ in dtype_log), f"{name}: no backward ran"
        for parameter_name, parameter in ours.model.named_parameters():
            assert parameter.dtype == np.float32, f"{name}: {parameter_name} became {parameter.dtype}"
            assert parameter.grad is not None, f"{name}: {parameter_name} got no gradient"
            assert parameter.grad.dtype == np.float32, (
                f"{name}: {parameter_name}.grad is {parameter.grad.dtype}"
            )


@pytest.mark.parametrize("name", list(MODULES))
def test_flop_count_is_positive_and_grows_with_size(name):
    workload = get(name)
    assert 0 < workload.flops(workload.config("small")) < workload.flops(workload.config("full"))


def test_both_sides_get_identical_weights_and_batches():
    """The shared generator is keyed by name: the same name always gives the same array."""
    from benchmarks.workloads import mlp

    config = mlp.SIZES["small"]
    first, second = mlp.weights(config), mlp.weights(config)
    assert list(first) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    for key in first:
        assert first[key].dtype == np.float32
        np.testing.assert_array_equal(first[key], second[key])
    assert not np.array_equal(first["0.weight"][:4, :4], first["2.weight"][:4, :4])


def test_dtype_log_catches_a_float64_leak(dtype_log):
    """The float32 check can fail: a float64 operand turns the product float64."""
    import nnscratch as ns

    x = ns.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    leak = ns.tensor(np.full(3, 2.0))  # a numpy float64 array keeps its dtype
    (x * leak).sum().backward()
    kinds_with_float64 = {kind for kind, _, dtype in dtype_log if dtype == np.float64}
    assert kinds_with_float64 == {"forward", "backward"}
