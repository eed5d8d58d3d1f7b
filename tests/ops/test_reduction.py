"""Reductions against PyTorch, including dims, keepdim, ties and empty inputs."""

import numpy as np
import pytest
import torch

import nnscratch as ns
from harness import check_op, numeric_gradcheck


@pytest.mark.parametrize("dim", [None, 0, 1, -1, (0, 2)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_and_mean(rng, dim, keepdim):
    x = rng.standard_normal((3, 4, 2))
    if dim is None:
        check_op(lambda t: t.sum(), lambda t: t.sum(), [x])
        check_op(lambda t: t.mean(), lambda t: t.mean(), [x])
        return
    check_op(lambda t: t.sum(dim=dim, keepdim=keepdim), lambda t: t.sum(dim=dim, keepdim=keepdim), [x])
    check_op(lambda t: ns.mean(t, dim, keepdim), lambda t: torch.mean(t, dim, keepdim), [x])


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_along_dim_return_values_and_indices(rng, dim, keepdim):
    x = rng.standard_normal((3, 4, 5))
    check_op(lambda t: t.max(dim=dim, keepdim=keepdim), lambda t: t.max(dim=dim, keepdim=keepdim), [x])
    check_op(lambda t: t.min(dim, keepdim), lambda t: t.min(dim, keepdim), [x])
    values, indices = ns.tensor(x).max(dim=dim)
    assert indices.dtype == ns.int64
    np.testing.assert_array_equal(indices.numpy(), torch.tensor(x).max(dim=dim).indices.numpy())


def test_max_ties_gradients_follow_torch():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    check_op(lambda t: t.max(), lambda t: t.max(), [x])  # full max: split evenly among ties
    check_op(lambda t: t.max(dim=1), lambda t: t.max(dim=1), [x])  # dim: to the returned index
    check_op(lambda t: ns.maximum(t, t * 0 + 2.0),
             lambda t: torch.maximum(t, t * 0 + 2.0), [x])


def test_elementwise_max_with_tensor_argument(rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4,))
    check_op(lambda x, y: ns.max(x, y), lambda x, y: torch.max(x, y), [a, b])
    check_op(lambda x, y: ns.minimum(x, y), lambda x, y: torch.minimum(x, y), [a, b])


def test_argmax_argmin(rng):
    x = rng.standard_normal((4, 6))
    for dim in (None, 0, 1):
        np.testing.assert_array_equal(
            ns.tensor(x).argmax(dim).numpy(), torch.tensor(x).argmax(dim).numpy())
        np.testing.assert_array_equal(
            ns.tensor(x).argmin(dim).numpy(), torch.tensor(x).argmin(dim).numpy())


@pytest.mark.parametrize("correction", [0, 1])
def test_var_std(rng, correction):
    x = rng.standard_normal((4, 5))
    check_op(lambda t: t.var(dim=1, correction=correction),
             lambda t: t.var(dim=1, correction=correction), [x])
    check_op(lambda t: t.std(), lambda t: t.std(), [x])


def test_logsumexp_and_prod(rng):
    x = rng.standard_normal((3, 4)) * 30
    check_op(lambda t: t.logsumexp(dim=1), lambda t: t.logsumexp(dim=1), [x])
    y = rng.standard_normal((3, 4))
    check_op(lambda t: t.prod(dim=1), lambda t: t.prod(dim=1), [y])


def test_empty_reductions_where_torch_allows():
    empty = np.zeros((0, 3))
    check_op(lambda t: t.sum(dim=0), lambda t: t.sum(dim=0), [empty])
    check_op(lambda t: t.sum(), lambda t: t.sum(), [empty])
    with pytest.raises(RuntimeError):
        ns.zeros(0, 3).max()


def test_reduction_gradcheck(rng):
    x = rng.standard_normal((3, 4))
    numeric_gradcheck(lambda t: t.var(dim=0) + t.mean(dim=1, keepdim=True).sum(), x)
    numeric_gradcheck(lambda t: t.logsumexp(dim=-1), x)
    numeric_gradcheck(lambda t: t.max(dim=1)[0], x)
