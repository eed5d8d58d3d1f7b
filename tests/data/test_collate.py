"""data/collate.py: ``default_collate`` batches any nesting of examples as PyTorch's does.

Hypothesis draws a structure (dicts, tuples and lists of tensors, numpy arrays and scalars,
Python numbers, strings and None), fills a batch of examples with it, and compares the result
with ``torch.utils.data.default_collate`` node by node. The one documented difference: a
Python float becomes the default dtype (float32), where PyTorch gives float64; and None is kept
as a list of Nones, where PyTorch refuses it.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import nnscratch as ns
from nnscratch.data import default_collate

Pair = namedtuple("Pair", "left right")

leaf_kinds = st.one_of(
    st.sampled_from(["float", "int", "bool", "str", "np_float64", "np_int32"]),
    st.tuples(st.sampled_from(["array", "tensor"]),
              st.lists(st.integers(0, 3), max_size=3).map(tuple),
              st.sampled_from(["float32", "float64", "int64", "uint8"])),
)
schemas = st.recursive(
    leaf_kinds,
    lambda inner: st.one_of(
        st.dictionaries(st.sampled_from(["a", "b", "image", "label"]), inner, min_size=1,
                        max_size=3).map(lambda d: ("dict", d)),
        st.lists(inner, min_size=1, max_size=3).map(lambda items: ("tuple", items)),
        st.lists(inner, min_size=1, max_size=3).map(lambda items: ("list", items)),
        st.tuples(inner, inner).map(lambda items: ("pair", list(items))),
    ),
    max_leaves=6,
)


def _example(schema, rng: np.random.Generator, as_torch: bool):
    """One example of ``schema`` (its values from ``rng``), in nnscratch or torch form."""
    if isinstance(schema, str):
        return {
            "float": lambda: float(rng.standard_normal()),
            "int": lambda: int(rng.integers(-5, 5)),
            "bool": lambda: bool(rng.integers(2)),
            "str": lambda: f"s{rng.integers(100)}",
            "np_float64": lambda: np.float64(rng.standard_normal()),
            "np_int32": lambda: np.int32(rng.integers(100)),
        }[schema]()
    kind = schema[0]
    if kind in ("array", "tensor"):
        _, shape, dtype = schema
        array = (rng.standard_normal(shape) * 10).astype(dtype)
        if kind == "array":
            return array
        return torch.tensor(array) if as_torch else ns.tensor(array)
    if kind == "dict":
        return {key: _example(sub, rng, as_torch) for key, sub in schema[1].items()}
    items = [_example(sub, rng, as_torch) for sub in schema[1]]
    return {"tuple": tuple, "list": list, "pair": lambda x: Pair(*x)}[kind](items)


def _assert_same(ours, theirs, where: str = "batch") -> None:
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, ns.Tensor), f"{where}: {type(ours).__name__}, not a Tensor"
        assert tuple(ours.shape) == tuple(theirs.shape), where
        expected_dtype = str(theirs.dtype).replace("torch.", "")
        if expected_dtype == "float64" and ours.dtype == ns.float32:
            expected_dtype = "float32"  # a Python float: the default dtype, not float64
        assert str(ours.dtype) == expected_dtype, f"{where}: {ours.dtype} vs {theirs.dtype}"
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, err_msg=where)
    elif isinstance(theirs, dict):
        assert type(ours) is dict and ours.keys() == theirs.keys(), where
        for key in theirs:
            _assert_same(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, Pair):
        assert isinstance(ours, Pair), where
        for name in Pair._fields:
            _assert_same(getattr(ours, name), getattr(theirs, name), f"{where}.{name}")
    elif isinstance(theirs, (list, tuple)):
        assert isinstance(ours, list) and len(ours) == len(theirs), where
        for k, (a, b) in enumerate(zip(ours, theirs)):
            _assert_same(a, b, f"{where}[{k}]")
    else:
        assert ours == theirs, where


@settings(max_examples=60, deadline=None)
@given(schema=schemas, batch_size=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_any_nesting_collates_as_pytorch_does(schema, batch_size, seed):
    ours = [_example(schema, np.random.default_rng(seed + i), as_torch=False)
            for i in range(batch_size)]
    theirs = [_example(schema, np.random.default_rng(seed + i), as_torch=True)
              for i in range(batch_size)]
    _assert_same(default_collate(ours), torch.utils.data.default_collate(theirs))


def test_python_floats_take_the_default_dtype():
    assert default_collate([0.5, 1.5]).dtype == ns.float32
    ns.set_default_dtype(ns.float64)
    assert default_collate([0.5, 1.5]).dtype == ns.float64


def test_none_is_kept_as_a_list_where_pytorch_refuses_it():
    assert default_collate([{"mask": None}, {"mask": None}]) == {"mask": [None, None]}
    with pytest.raises(TypeError):
        torch.utils.data.default_collate([None, None])


def test_a_collated_tensor_is_a_copy_and_keeps_the_graph():
    a = ns.tensor([1.0, 2.0], requires_grad=True)
    batch = default_collate([a, a * 3])
    batch.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [4.0, 4.0])  # stack's backward reaches a


@pytest.mark.parametrize("batch, error, words", [
    ([], ValueError, "empty batch"),
    ([np.zeros(2), np.zeros(3)], RuntimeError, r"\(2,\).*\(3,\)"),
    ([np.array(["a"]), np.array(["b"])], TypeError, "<U1"),
    ([{"a": [1, 2]}, {"a": [1]}], RuntimeError, r"lengths \[1, 2\]"),
    ([1j, 2j], TypeError, "complex"),
])
def test_batches_that_cannot_be_stacked_are_refused_by_name(batch, error, words):
    with pytest.raises(error, match="default_collate") as caught:
        default_collate(batch)
    assert caught.match(words)
