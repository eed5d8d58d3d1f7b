"""The fused BatchNorm and LayerNorm Functions against finite differences."""

import numpy as np
import pytest

import nnscratch.nn.functional as F
from harness import numeric_gradcheck


@pytest.mark.parametrize("shape", [(4, 3), (3, 2, 2), (2, 2, 2, 2)])
def test_batch_norm_training_gradcheck_input_weight_bias(rng, shape):
    x = rng.standard_normal(shape)
    w = rng.uniform(0.5, 1.5, shape[1])
    b = rng.standard_normal(shape[1])
    numeric_gradcheck(lambda a, c, d: F.batch_norm(a, None, None, c, d, training=True), x, w, b)


def test_batch_norm_eval_gradcheck_uses_fixed_statistics(rng):
    import nnscratch as ns

    x = rng.standard_normal((3, 2, 2))
    mean = ns.tensor(rng.standard_normal(2))
    var = ns.tensor(rng.uniform(0.5, 2, 2))
    numeric_gradcheck(lambda a, c, d: F.batch_norm(a, mean, var, c, d, training=False),
                      x, rng.standard_normal(2), rng.standard_normal(2))


def test_batch_norm_without_affine_gradcheck(rng):
    numeric_gradcheck(lambda a: F.batch_norm(a, None, None, training=True),
                      rng.standard_normal((5, 2)))


@pytest.mark.parametrize("normalized_shape", [(4,), (2, 3)])
def test_layer_norm_gradcheck(rng, normalized_shape):
    x = rng.standard_normal((2,) + normalized_shape)
    w = rng.uniform(0.5, 1.5, normalized_shape)
    b = rng.standard_normal(normalized_shape)
    numeric_gradcheck(lambda a, c, d: F.layer_norm(a, normalized_shape, c, d), x, w, b)
    numeric_gradcheck(lambda a: F.layer_norm(a, normalized_shape), x)


def test_batch_norm_running_stats_need_no_gradient_and_stay_float32(rng):
    import nnscratch as ns

    x = ns.tensor(rng.standard_normal((6, 3)).astype(np.float32), requires_grad=True)
    mean, var = ns.zeros(3), ns.ones(3)
    y = F.batch_norm(x, mean, var, training=True)
    y.sum().backward()
    assert y.dtype == mean.dtype == var.dtype == ns.float32
    assert not mean.requires_grad and mean.grad is None
