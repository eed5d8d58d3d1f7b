"""Arithmetic ops against PyTorch: values, gradients, broadcasting, dtype promotion."""

import numpy as np
import pytest
import torch

import nnscratch as ns
from harness import check_op, numeric_gradcheck

SHAPE_PAIRS = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((2, 1, 4), (3, 1)),
    ((1,), (2, 3)),
    ((), (2, 3)),
    ((5, 1), (1, 6)),
]


@pytest.mark.parametrize("shape_a, shape_b", SHAPE_PAIRS)
@pytest.mark.parametrize(
    "op", [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b]
)
def test_binary_ops_broadcast_like_torch(rng, shape_a, shape_b, op, device):
    a = rng.standard_normal(shape_a)
    b = rng.standard_normal(shape_b) + 3.0  # keep division away from zero
    check_op(op, op, [a, b], device=device)


@pytest.mark.parametrize("scalar", [2.5, -3, 0.5])
def test_ops_with_python_scalars_on_both_sides(rng, scalar):
    x = rng.standard_normal((3, 2)) + 4.0
    for op in (
        lambda t: t + scalar, lambda t: scalar + t, lambda t: t - scalar, lambda t: scalar - t,
        lambda t: t * scalar, lambda t: scalar * t, lambda t: t / scalar, lambda t: scalar / t,
        lambda t: -t,
    ):
        check_op(op, op, [x])


def test_pow_all_forms(rng):
    x = rng.uniform(0.5, 2.0, (3, 4))
    y = rng.uniform(-1.0, 1.0, (3, 4))
    check_op(lambda a: a ** 3, lambda a: a ** 3, [x])
    check_op(lambda a: a ** -0.5, lambda a: a ** -0.5, [x])
    check_op(lambda a: 2.0 ** a, lambda a: 2.0 ** a, [y])
    check_op(lambda a, b: a ** b, lambda a, b: a ** b, [x, y])
    check_op(lambda a, b: ns.pow(a, b), lambda a, b: torch.pow(a, b), [x, y])


@pytest.mark.parametrize(
    "shape_a, shape_b",
    [((3, 4), (4, 5)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4, 5)),
     ((2, 3, 4), (2, 4, 5)), ((1, 3, 4), (2, 4, 2)), ((1, 1), (1, 1))],
)
def test_matmul_shapes(rng, shape_a, shape_b, device):
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    check_op(lambda x, y: x @ y, lambda x, y: x @ y, [a, b], device=device)


def test_matmul_error_names_shapes():
    with pytest.raises(RuntimeError, match=r"matmul.*\(3, 4\).*\(5, 2\)"):
        ns.randn(3, 4) @ ns.randn(5, 2)


def test_type_promotion_follows_torch():
    f32 = ns.ones(2)
    assert (f32 * 2.5).dtype == ns.float32
    assert (f32 + ns.ones(2, dtype=ns.float64)).dtype == ns.float64
    assert (ns.tensor([1, 2]) * 1.5).dtype == ns.float32
    assert (ns.tensor([1, 2]) / ns.tensor([2, 2])).dtype == ns.float32
    assert (ns.tensor([1, 2]) + 1).dtype == ns.int64
    assert (f32 * ns.tensor(2.0, dtype=ns.float64)).dtype == ns.float32  # 0-d does not widen
    assert (np.float64(2.0) * f32).dtype == ns.float32


def test_arithmetic_gradcheck(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3,)) + 2
    numeric_gradcheck(lambda x, y: (x * y + x / y - y) ** 2, a, b)
    numeric_gradcheck(lambda x, y: x @ y.unsqueeze(1), a, b)


def test_fused_linear_matches_composition(rng):
    from nnscratch.ops.arithmetic import Linear

    x, w, b = rng.standard_normal((2, 5, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    check_op(lambda x, w, b: Linear.apply(x, w, b), lambda x, w, b: x @ w.T + b, [x, w, b])
    check_op(lambda x, w: Linear.apply(x, w, None), lambda x, w: x @ w.T, [x, w])
