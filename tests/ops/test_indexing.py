"""Indexing with gradients: basic, integer arrays (with repeats), boolean masks, mixed."""

import numpy as np
import pytest
import torch

import nnscratch as ns
from harness import check_op, numeric_gradcheck
from nnscratch.ops import indexing

INDICES = [
    ("int", lambda: 1),
    ("slice", lambda: slice(1, 3)),
    ("step", lambda: (slice(None, None, 2), 1)),
    ("ellipsis", lambda: (Ellipsis, 0)),
    ("newaxis", lambda: (None, slice(0, 2))),
    ("int_array_repeats", lambda: np.array([0, 2, 0, 0])),
    ("two_arrays", lambda: (np.array([0, 1, 1]), np.array([2, 2, 0]))),
    ("mixed", lambda: (slice(None), np.array([3, 3, 1]))),
    ("bool_mask", lambda: np.array([True, False, True])),
    ("bool_full", lambda: np.arange(12).reshape(3, 4) % 3 == 0),
    ("negative", lambda: (-1, slice(None, -1))),
]


@pytest.mark.parametrize("name, make_index", INDICES, ids=[i[0] for i in INDICES])
def test_getitem_matches_torch(rng, name, make_index):
    x = rng.standard_normal((3, 4))
    index = make_index()

    def convert(idx, to):
        if isinstance(idx, tuple):
            return tuple(convert(i, to) for i in idx)
        return to(idx) if isinstance(idx, np.ndarray) else idx

    check_op(lambda t: t[convert(index, ns.tensor)], lambda t: t[convert(index, torch.tensor)], [x])


def test_repeated_indices_accumulate_gradient():
    x = ns.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[ns.tensor([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_setitem_outside_graph():
    t = ns.zeros(3, 4)
    t[1] = 5.0
    t[:, 2] = ns.ones(3)
    assert t.numpy()[1].tolist() == [5.0, 5.0, 1.0, 5.0]
    p = ns.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        p[0] = 1.0
    with ns.no_grad():
        p[0] = 1.0
    assert p.numpy()[0] == 1.0


def test_indexing_gradcheck(rng):
    x = rng.standard_normal((4, 3))
    numeric_gradcheck(lambda t: t[ns.tensor([1, 1, 3])][:, 1:] * t[0, 1:], x)


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"Mul.*\(3, 2\).*\(3,\)"):
        ns.zeros(3, 2) * ns.zeros(3)


def index_select(x, dim, index):
    """ns.index_select as it is to be wired: the checks, then the op."""
    axis, vector = indexing.check_index_select(x.shape, dim, index._array)
    return indexing.IndexSelect.apply(x, vector, axis=axis)


SELECTS = [  # input shape, dim, index
    ((3, 4), 0, [2, 0, 2, 2]),
    ((3, 4), 1, [3]),
    ((3, 4), -1, [1, 1]),
    ((2, 3, 4), 1, []),
    ((3, 4), 0, 1),  # a 0-d index keeps the dimension, with size 1
    ((), 0, [0]),
    ((), -1, 0),
    ((5,), 0, np.array([4, 0], np.int32)),
]


@pytest.mark.parametrize("shape, dim, index", SELECTS, ids=[str(s[:2]) for s in SELECTS])
def test_index_select_matches_torch(rng, shape, dim, index):
    x = rng.standard_normal(shape)
    index = np.asarray(index, dtype=getattr(index, "dtype", np.int64))
    check_op(lambda t, i: index_select(t, dim, i), lambda t, i: torch.index_select(t, dim, i),
             [x, index])


BAD_SELECTS = {  # input shape, dim, index, words of the message
    "negative index": ((3, 4), 0, [-1], "index -1 is out of range for dim 0 of size 3"),
    "negative index, dim 1": ((3, 4), 1, [0, -1], "index -1 is out of range for dim 1 of size 4"),
    "index = size": ((3, 4), 0, [3], "index 3 is out of range for dim 0 of size 3"),
    "index past size, dim 1": ((3, 4), 1, [7], "index 7 is out of range for dim 1 of size 4"),
    "empty dimension": ((0, 3), 0, [0], "of size 0"),
    "dim too large": ((3, 4), 2, [0], "[-2, 1], but got 2"),
    "dim too small": ((3, 4), -3, [0], "but got -3"),
    "float index": ((3, 4), 0, np.array([0.0]), "dtype float"),
    "bool index": ((3, 4), 0, np.array([True]), "dtype bool"),
    "matrix index": ((3, 4), 0, [[0]], "vector"),
    "scalar input, two indices": ((), 0, [0, 0], "only 1 value"),
    "scalar input, index 1": ((), 0, [1], "index 1 is out of range"),
}


@pytest.mark.parametrize("case", list(BAD_SELECTS))
def test_index_select_refuses_as_torch_does(case):
    shape, dim, index, words = BAD_SELECTS[case]
    index = np.asarray(index, dtype=getattr(index, "dtype", np.int64))
    x = np.zeros(shape)
    with pytest.raises((IndexError, RuntimeError)) as expected:
        torch.index_select(torch.tensor(x), dim, torch.tensor(index))
    with pytest.raises(type(expected.value)) as error:  # the type PyTorch raises
        index_select(ns.tensor(x), dim, ns.tensor(index))
    assert isinstance(error.value, ValueError)  # and nnscratch's rule for bad input
    assert "index_select" in str(error.value) and words in str(error.value), str(error.value)


def test_public_index_select_refuses_negative_index():
    """Issue 14 item 13: ns.index_select(t, 0, ns.tensor([-1])) returned the last row."""
    t = ns.arange(6.0).reshape(2, 3)
    with pytest.raises(IndexError):
        torch.index_select(torch.arange(6.0).reshape(2, 3), 0, torch.tensor([-1]))
    with pytest.raises(IndexError, match="index out of range"):
        ns.index_select(t, 0, ns.tensor([-1]))
    assert ns.index_select(t, 0, ns.tensor(1)).shape == (1, 3)
