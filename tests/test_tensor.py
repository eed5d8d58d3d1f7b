"""Tensor creation, dtypes, devices and conversions as PyTorch defines them."""

import numpy as np
import pytest
import torch

import nnscratch as ns


def test_dtype_rules_of_tensor():
    assert ns.tensor(1.5).dtype == ns.float32
    assert ns.tensor([1, 2]).dtype == ns.int64
    assert ns.tensor([True]).dtype == ns.bool
    assert ns.tensor(np.zeros(2)).dtype == ns.float64  # numpy keeps its dtype
    assert ns.tensor([1.0], dtype=ns.float64).dtype == ns.float64
    ns.set_default_dtype(ns.float64)
    assert ns.tensor(1.5).dtype == ns.float64 and ns.zeros(2).dtype == ns.float64
    ns.set_default_dtype(ns.float32)


def test_factories_accept_both_shape_forms():
    for make in (ns.zeros, ns.ones, ns.empty, ns.randn, ns.rand):
        assert make(2, 3).shape == (2, 3) == make((2, 3)).shape
    assert ns.full((2, 2), 7.0).numpy().tolist() == [[7.0, 7.0], [7.0, 7.0]]
    assert ns.arange(5).dtype == ns.int64 and ns.arange(0, 1, 0.25).dtype == ns.float32
    np.testing.assert_array_equal(ns.arange(1, 7, 2).numpy(), torch.arange(1, 7, 2).numpy())
    assert ns.zeros_like(ns.ones(2, dtype=ns.float64)).dtype == ns.float64


def test_manual_seed_makes_draws_repeatable():
    ns.manual_seed(3)
    a = ns.randn(4).numpy()
    ns.manual_seed(3)
    b = ns.randn(4).numpy()
    ns.manual_seed(4)
    c = ns.randn(4).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_conversions_and_attributes():
    t = ns.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.ndim == 2 and t.size() == (2, 2) and t.size(1) == 2 and t.numel() == 4
    assert len(t) == 2 and t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert t[1, 0].item() == 3.0
    assert t.double().dtype == ns.float64 and t.to(ns.float64).dtype == ns.float64
    assert str(t.device) == "cpu" and t.device.type == "cpu" and t.device.index is None
    assert t.to("cpu") is t
    assert isinstance(t.array, np.ndarray)
    assert t.numpy() is t.array
    clone = t.clone()
    clone.array[0, 0] = 9
    assert t.numpy()[0, 0] == 1.0
    with pytest.raises(RuntimeError, match="4 elements"):
        t.item()


def test_device_objects():
    assert str(ns.device("cuda")) == "cuda:0" and ns.device("cuda:1").index == 1
    assert ns.device("cpu") == "cpu"
    with pytest.raises(RuntimeError, match="device type"):
        ns.device("tpu")


def test_comparisons_return_bool_tensors_without_grad():
    x = ns.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = x > 1.5
    assert mask.dtype == ns.bool and not mask.requires_grad
    assert mask.tolist() == [False, True, True]
    assert (x == 2.0).tolist() == [False, True, False]


def test_repr_is_readable():
    assert repr(ns.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "requires_grad=True" in repr(ns.ones(1, requires_grad=True))
    assert "dtype=float64" in repr(ns.ones(1, dtype=ns.float64))


def test_cuda_is_optional():
    assert isinstance(ns.cuda.is_available(), bool)


def test_foreign_arrays_keep_their_dtype():
    assert ns.tensor(torch.zeros(2, dtype=torch.float64)).dtype == ns.float64
    assert ns.tensor(np.float64(1.5)).dtype == ns.float64
    assert ns.tensor(torch.tensor([1, 2])).dtype == ns.int64


def test_contiguous_copies_only_when_needed_and_passes_gradients():
    x = ns.randn(3, 4, requires_grad=True)
    assert x.contiguous() is x and x.is_contiguous()
    transposed = x.t()
    assert not transposed.is_contiguous()
    made = transposed.contiguous()
    assert made.is_contiguous() and np.array_equal(made.numpy(), x.numpy().T)
    (made * ns.arange(12.0).reshape(4, 3)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(12.0).reshape(4, 3).T)
