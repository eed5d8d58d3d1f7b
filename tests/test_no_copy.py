"""The public no-copy ways between arrays and tensors, against PyTorch's.

``ns.from_numpy(a)`` and ``ns.as_tensor(a)`` wrap an array without copying it and ``t.array``
gives it back (on any device; ``t.numpy()`` on the CPU), as ``torch.from_numpy``,
``torch.as_tensor`` and ``Tensor.numpy()`` do: a write through one side shows on the other, the
dtype and strides are kept, and ``numpy.shares_memory`` says so. The code above the core (the
optimisers, ``nn``, ``data``, the models) uses these instead of the Tensor's private fields.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnscratch as ns
from nnscratch import nn

DTYPES = [np.float32, np.float64, np.float16, np.int64, np.int32, np.uint8, np.bool_]
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not ns.cuda.is_available(), reason="no CUDA device"))]


def arrays():
    """Numpy arrays of the supported dtypes, some of them strided views (every other row)."""
    plain = st.sampled_from(DTYPES).flatmap(
        lambda dtype: hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, min_side=1,
                                                          max_side=4)))
    return st.one_of(plain, plain.filter(lambda a: a.ndim >= 1).map(lambda a: a[::2]))


@settings(max_examples=40, deadline=None)
@given(arrays())
def test_from_numpy_shares_memory_both_ways_as_torch(array: np.ndarray) -> None:
    ours, theirs = array.copy(), array.copy()
    t, expected = ns.from_numpy(ours), torch.from_numpy(theirs)
    assert t.array is ours
    assert np.shares_memory(t.numpy(), ours)
    assert str(t.dtype) == str(expected.dtype).replace("torch.", "")
    assert tuple(t.shape) == tuple(expected.shape)
    assert t.array.strides == expected.numpy().strides
    ours.reshape(-1)[:1] = 1  # a write through the array shows in the tensor …
    theirs.reshape(-1)[:1] = 1
    np.testing.assert_array_equal(t.numpy(), expected.numpy())
    t.zero_()  # … and a write through the tensor in the array
    expected.zero_()
    np.testing.assert_array_equal(ours, theirs)


def test_from_numpy_refuses_what_torch_refuses() -> None:
    for bad in ([1.0, 2.0], np.array(["a", "b"]), np.array([object()], dtype=object), 3.0):
        with pytest.raises(TypeError):
            torch.from_numpy(bad)
        with pytest.raises(TypeError, match="from_numpy"):
            ns.from_numpy(bad)


@settings(max_examples=40, deadline=None)
@given(arrays())
def test_as_tensor_of_an_array_is_a_view_with_its_dtype(array: np.ndarray) -> None:
    expected = torch.as_tensor(array)
    t = ns.as_tensor(array)
    assert np.shares_memory(t.array, array) == np.shares_memory(expected.numpy(), array)
    assert np.shares_memory(t.array, array)
    assert str(t.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_array_equal(t.numpy(), array)


def test_as_tensor_copies_only_for_another_dtype() -> None:
    array = np.arange(6, dtype=np.float64)
    same = ns.as_tensor(array, dtype=ns.float64)
    other = ns.as_tensor(array, dtype=ns.float32)
    assert np.shares_memory(same.array, array)
    assert np.shares_memory(same.numpy(), array) == np.shares_memory(
        torch.as_tensor(array, dtype=torch.float64).numpy(), array)
    assert not np.shares_memory(other.array, array)
    assert other.dtype == np.float32


def test_as_tensor_of_a_list_follows_torch_dtype_rules() -> None:
    for data in ([1.5, 2.0], [1, 2], [True, False], 3.0, 7):
        assert str(ns.as_tensor(data).dtype) == str(torch.as_tensor(data).dtype).replace(
            "torch.", "")


def test_as_tensor_of_a_tensor_is_the_tensor_or_a_differentiable_conversion() -> None:
    values = np.array([0.5, -1.0, 2.0])
    t = ns.tensor(values, dtype=ns.float32, requires_grad=True)
    reference = torch.tensor(values, dtype=torch.float32, requires_grad=True)
    assert ns.as_tensor(t) is t and torch.as_tensor(reference) is reference
    widened = ns.as_tensor(t, dtype=ns.float64)
    expected = torch.as_tensor(reference, dtype=torch.float64)
    assert widened.dtype == np.float64 and widened.requires_grad == expected.requires_grad
    (widened * widened).sum().backward()
    (expected * expected).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), reference.grad.numpy())


@pytest.mark.parametrize("device", DEVICES)
def test_array_is_the_tensors_own_memory_on_any_device(device: str) -> None:
    t = ns.arange(6, dtype=ns.float32, device=device)
    array = t.array
    assert type(array).__module__.split(".")[0] == ("numpy" if device == "cpu" else "cupy")
    array[2] = 40.0  # writing through the array changes the tensor
    assert t.tolist() == [0.0, 1.0, 40.0, 3.0, 4.0, 5.0]
    back = ns.as_tensor(array)  # and as_tensor wraps it again with no copy
    back.array[0] = -1.0
    assert t.tolist()[0] == -1.0 and back.device == t.device and back.dtype == t.dtype


def test_data_and_detach_share_memory_as_in_torch() -> None:
    t = ns.ones(3, requires_grad=True)
    reference = torch.ones(3, requires_grad=True)
    for ours, theirs in ((t.data, reference.data), (t.detach(), reference.detach())):
        assert np.shares_memory(ours.array, t.array)
        assert ours.requires_grad == theirs.requires_grad
        assert ours.is_leaf == theirs.is_leaf


def test_parameter_shares_the_tensors_memory_as_torch() -> None:
    t, reference = ns.zeros(2, 3), torch.zeros(2, 3)
    param, expected = nn.Parameter(t), torch.nn.Parameter(reference)
    with ns.no_grad():
        param.fill_(2.0)
    with torch.no_grad():
        expected.fill_(2.0)
    np.testing.assert_array_equal(t.numpy(), reference.numpy())
    assert param.requires_grad and param.is_leaf


def test_module_to_keeps_the_parameter_objects_as_torch() -> None:
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    ours_weight, theirs_weight = ours.weight, theirs.weight
    ours.double()
    theirs.double()
    assert (ours.weight is ours_weight) == (theirs.weight is theirs_weight) is True
    assert ours.weight.dtype == np.float64 and isinstance(ours.weight, nn.Parameter)
