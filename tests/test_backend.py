"""backend.py: dtypes, the default dtype, devices, array modules and the seeded generators.

The truths are PyTorch's (dtype names, ``torch.device``'s parsing and repr, the default-dtype
rules), numpy's (a seed's PCG64 stream) and a fake CuPy module for the GPU paths, so that they
are tested on a machine without one.
"""

from __future__ import annotations

import json
import sys
import types

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import nnscratch as ns
from nnscratch import backend

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8"]


@pytest.mark.parametrize("name", DTYPES)
def test_dtypes_are_numpy_dtypes_named_as_torch_names_them(name):
    ours = getattr(ns, name)
    assert ours == np.dtype(name) == getattr(np, name)
    assert str(ours) == str(getattr(torch, name)).replace("torch.", "")
    assert ns.bool == np.dtype(bool)


@pytest.mark.parametrize("spelling", ["float64", np.float64, np.dtype("float64"), ns.float64])
def test_as_dtype_accepts_every_spelling(spelling):
    assert backend.as_dtype(spelling) == np.float64
    assert backend.as_dtype(None) is None
    assert backend.as_dtype(float) == ns.get_default_dtype()


def test_the_default_dtype_rules_follow_torch():
    previous = torch.get_default_dtype()
    try:
        for name in ("float64", "float32"):
            ns.set_default_dtype(getattr(ns, name))
            torch.set_default_dtype(getattr(torch, name))
            for make_ns, make_torch in [(lambda: ns.tensor(1.5), lambda: torch.tensor(1.5)),
                                        (lambda: ns.zeros(2), lambda: torch.zeros(2)),
                                        (lambda: ns.tensor([1, 2]) * 0.5,
                                         lambda: torch.tensor([1, 2]) * 0.5),
                                        (lambda: ns.tensor([1, 2]), lambda: torch.tensor([1, 2]))]:
                assert str(make_ns().dtype) == str(make_torch().dtype).replace("torch.", "")
            assert ns.get_default_dtype() == getattr(ns, name)
    finally:
        torch.set_default_dtype(previous)


@pytest.mark.parametrize("dtype", [ns.int64, "int32", bool])
def test_only_floating_default_dtypes_are_allowed(dtype):
    with pytest.raises(TypeError, match="set_default_dtype"):
        ns.set_default_dtype(dtype)
    assert ns.get_default_dtype() == ns.float32  # unchanged


@settings(max_examples=30, deadline=None)
@given(spec=st.one_of(st.just("cpu"), st.just("cuda"),
                      st.integers(0, 15).map(lambda i: f"cuda:{i}")))
def test_device_parses_and_prints_as_torch_device(spec):
    ours, theirs = ns.device(spec), torch.device(spec)
    assert ours.type == theirs.type
    if theirs.index is not None:
        assert ours.index == theirs.index and repr(ours) == repr(theirs) and str(ours) == str(theirs)
    # torch leaves a bare "cuda" without an index; nnscratch means the current GPU, cuda:0
    assert str(ours) == ("cpu" if spec == "cpu" else f"cuda:{ours.index}")
    assert ns.device(ours) == ours == str(ours) and hash(ns.device(str(ours))) == hash(ours)


def test_device_forms_and_errors():
    assert ns.device("cuda", 2) == "cuda:2" and ns.device(ns.device("cuda:1"), 3).index == 3
    assert ns.device("cpu") != ns.device("cuda") and ns.device("cpu") != 5
    assert repr(ns.device("cpu")) == repr(torch.device("cpu"))
    with pytest.raises(RuntimeError, match="unknown device type 'tpu'"):
        ns.device("tpu")
    with pytest.raises(RuntimeError):
        torch.device("tpu")
    with pytest.raises(TypeError, match="device"):
        ns.device(3.5)


def test_host_arrays_live_on_the_cpu():
    array = np.zeros(3)
    assert backend.device_of(array) == backend.CPU and backend.get_array_module(array) is np
    assert backend.xp_for(backend.CPU) is np
    assert backend.to_device(array, backend.CPU) is array  # no copy when it is already there


def test_a_seed_gives_numpys_pcg64_stream_and_every_seed_resets_it():
    ns.manual_seed(42)
    expected = np.random.Generator(np.random.PCG64(42)).random(5)
    np.testing.assert_array_equal(backend.generator().random(5), expected)
    ns.manual_seed(42)
    np.testing.assert_array_equal(backend.generator(backend.CPU).random(5), expected)


def test_rng_state_round_trips_through_json():
    ns.manual_seed(9)
    backend.generator().random(3)  # move the stream along
    state = json.loads(json.dumps(ns.get_rng_state()))
    ahead = ns.rand(4).numpy().copy()
    ns.manual_seed(0)  # another seed and stream in between
    ns.rand(7)
    ns.set_rng_state(state)
    np.testing.assert_array_equal(ns.rand(4).numpy(), ahead)
    assert ns.get_rng_state()["seed"] == 9


def _fake_cupy(device_count) -> types.ModuleType:
    module = types.ModuleType("cupy")

    def count():
        if isinstance(device_count, Exception):
            raise device_count
        return device_count

    module.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=count))
    return module


def test_cuda_is_available_only_when_cupy_imports_and_sees_a_gpu(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # "import cupy" raises ImportError
    assert not backend.cuda_is_available() and not ns.cuda.is_available()
    with pytest.raises(RuntimeError, match="CuPy is not installed"):
        backend.cupy_module()
    with pytest.raises(RuntimeError, match="CuPy is not installed"):
        backend.xp_for(ns.device("cuda"))
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(0))
    assert not backend.cuda_is_available()
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(RuntimeError("no CUDA driver")))
    assert not backend.cuda_is_available()
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(2))
    assert backend.cuda_is_available()
    assert backend.xp_for(ns.device("cuda:1")) is sys.modules["cupy"]
