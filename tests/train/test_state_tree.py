"""state_tree: a nested training state survives flatten → safetensors → unflatten exactly."""

import json

import numpy as np
import pytest
import safetensors.numpy

import nnscratch as ns
from nnscratch.train.state_tree import flatten, unflatten


def round_trip(tree):
    skeleton, arrays = flatten(tree)
    skeleton = json.loads(json.dumps(skeleton))  # what the JSON file gives back
    arrays = safetensors.numpy.load(safetensors.numpy.save(arrays))
    return unflatten(skeleton, arrays)


def test_optimizer_like_state_keeps_types_keys_and_bits():
    rng = np.random.default_rng(0)
    exp_avg = rng.standard_normal((3, 4)).astype(np.float32)
    tree = {
        "state": {0: {"step": ns.tensor(3.0), "exp_avg": ns.from_numpy(exp_avg)},
                  1: {"momentum_buffer": None}},
        "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1], "nesterov": False}],
        "rng": {"state": 2**127 + 12345, "name": "PCG64"},
        "scalar": np.float64(0.1),
        "raw": np.arange(5, dtype=np.int64),
        "flags": np.array([True, False]),
    }
    back = round_trip(tree)
    assert list(back["state"]) == [0, 1]  # int keys stay ints
    step = back["state"][0]["step"]
    assert isinstance(step, ns.Tensor) and step.shape == () and step.dtype == ns.float32
    assert float(step) == 3.0
    assert isinstance(back["state"][0]["exp_avg"], ns.Tensor)
    assert back["state"][0]["exp_avg"].numpy().tobytes() == exp_avg.tobytes()
    assert back["state"][1] == {"momentum_buffer": None}
    assert back["param_groups"][0]["betas"] == (0.9, 0.999)  # a tuple again
    assert back["param_groups"][0]["params"] == [0, 1]
    assert back["rng"]["state"] == 2**127 + 12345
    assert type(back["scalar"]) is np.float64 and back["scalar"] == np.float64(0.1)
    assert isinstance(back["raw"], np.ndarray) and back["raw"].dtype == np.int64
    assert back["flags"].tolist() == [True, False]


def test_non_contiguous_arrays_are_stored_by_value():
    a = np.arange(12, dtype=np.float32).reshape(3, 4).T
    back = round_trip({"a": a})
    assert np.array_equal(back["a"], a)


def test_unknown_types_are_refused_naming_the_path():
    with pytest.raises(TypeError, match="model/x"):
        flatten({"model": {"x": object()}})


def test_a_missing_array_is_reported():
    skeleton, _ = flatten({"w": np.zeros(2)})
    with pytest.raises(ValueError, match="'w'"):
        unflatten(skeleton, {})


@pytest.mark.parametrize("skeleton, fault", [
    ({"a": {"__array__": "a", "kind": "array"}, "b": {"__array__": "a", "kind": "array"}},
     "named twice"),
    ({"a": {"__array__": "a", "kind": "array"}}, "never names: b"),
    ({"a": {"__array__": "a", "kind": "scalar"}, "b": {"__array__": "b", "kind": "array"}},
     "shape"),
    ({"a": {"__items__": [[{"__array__": "a", "kind": "array"}, 1]]},
      "b": {"__array__": "b", "kind": "array"}}, "key of type"),
])
def test_unflatten_refuses_a_skeleton_that_does_not_fit_the_arrays(skeleton, fault):
    arrays = {"a": np.zeros(2), "b": np.ones(1)}
    with pytest.raises(ValueError, match=fault):
        unflatten(skeleton, arrays)


def test_unflatten_of_a_deep_skeleton_is_a_value_error():
    skeleton = []
    for _ in range(5000):
        skeleton = [skeleton]
    with pytest.raises(ValueError, match="nests too deeply"):
        unflatten(skeleton, {})
