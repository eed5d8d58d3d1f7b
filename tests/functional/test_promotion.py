"""functional/promotion.py: the dtype a binary op computes in is PyTorch's.

Hypothesis draws two operands — a tensor of some dtype and rank 0 or 1, or a Python int,
float or bool — and compares the dtype (and values) of ``+``, ``*`` and ``/`` with torch's, so
the promotion rules (float beats integer, a 0-d tensor does not widen a dimensioned one of its
kind, a Python float keeps a float tensor's dtype, true division of integers gives the default
float) are checked on every pair instead of a hand-picked few.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import nnscratch as ns
from nnscratch.functional.promotion import as_float, as_tensor

DTYPES = ["float32", "float64", "int32", "int64", "uint8", "bool"]

tensor_specs = st.tuples(st.just("tensor"), st.sampled_from(DTYPES), st.sampled_from([0, 1]))
number_specs = st.tuples(st.just("number"), st.sampled_from(["int", "float", "bool"]), st.just(0))
operand_specs = st.one_of(tensor_specs, number_specs)
OPS = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b, "truediv": lambda a, b: a / b}


def _values(spec) -> np.ndarray:
    kind, dtype, rank = spec
    if kind == "number":
        return {"int": 3, "float": 2.5, "bool": True}[dtype]
    base = np.array([2, 3, 1] if rank else 2)
    return base.astype(dtype)


def _operand(spec, lib):
    value = _values(spec)
    if spec[0] == "number":
        return value
    return ns.tensor(value) if lib is ns else torch.tensor(value)


@settings(max_examples=150, deadline=None)
@given(a=operand_specs, b=operand_specs, op=st.sampled_from(sorted(OPS)))
def test_binary_ops_compute_in_torchs_promoted_dtype(a, b, op):
    if a[0] == "number" and b[0] == "number":
        return  # two Python numbers never meet a tensor
    if op == "add" and a[1] == b[1] == "bool" and a[0] == b[0] == "tensor":
        return  # bool + bool: torch gives bool (logical or); not part of the promotion rules
    theirs = OPS[op](_operand(a, torch), _operand(b, torch))
    ours = OPS[op](_operand(a, ns), _operand(b, ns))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), (a, b, op)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy().astype(np.float64),
                               theirs.numpy().astype(np.float64), rtol=1e-6)


@pytest.mark.parametrize("default", ["float32", "float64"])
def test_integer_true_division_and_python_floats_take_the_default_dtype(default):
    ns.set_default_dtype(getattr(ns, default))
    previous = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, default))
    try:
        ints = [1, 2, 3]
        assert str((ns.tensor(ints) / 2).dtype) == str((torch.tensor(ints) / 2).dtype)[6:] == default
        assert str((ns.tensor(ints) * 0.5).dtype) == str((torch.tensor(ints) * 0.5).dtype)[6:]
        assert (ns.tensor(ints, dtype=ns.float16) * 0.5).dtype == ns.float16
    finally:
        torch.set_default_dtype(previous)


def test_tensors_on_different_devices_are_refused_as_torch_does():
    class FakeGpuArray(np.ndarray):
        pass  # another array type than numpy's stands in for a cupy array

    a = ns.tensor([1.0, 2.0])
    b = ns.Tensor._make(np.array([1.0, 2.0]).view(FakeGpuArray))
    with pytest.raises(RuntimeError, match="same device"):
        a + b


def test_as_tensor_and_as_float():
    t = ns.tensor([1.0])
    assert as_tensor(t) is t
    assert as_tensor(t, dtype=ns.float64).dtype == ns.float64
    assert as_tensor([1, 2]).dtype == ns.int64 and as_tensor(2.5).dtype == ns.float32
    assert as_float(ns.tensor([1, 2])).dtype == ns.float32
    assert as_float(t) is t
