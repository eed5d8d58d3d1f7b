"""Indexing with gradients: basic, integer arrays (with repeats), boolean masks, mixed."""

import numpy as np
import pytest
import torch

import nnscratch as ns
from harness import check_op, numeric_gradcheck

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
