"""functional/normalization.py: ``batch_norm`` and ``layer_norm`` against PyTorch's functions.

Outputs and gradients (input, weight, bias) in float64 and float32 on drawn shapes, the
running statistics batch_norm updates in training, and the shape errors.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nnscratch as ns
import nnscratch.nn.functional as F
from harness import check_op

examples = settings(max_examples=10, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
# the normalisation divides by a batch std: keep it from collapsing with a few distinct draws
TOL = {"float64": dict(rtol=1e-8, atol=1e-9), "float32": dict(rtol=1e-4, atol=1e-4)}


@examples
@given(n=st.integers(2, 4), c=st.integers(1, 3), spatial=st.lists(st.integers(1, 3), max_size=2),
       seed=st.integers(0, 1000))
def test_batch_norm_training_matches_torch(n, c, spatial, seed, device):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, *spatial))
    weight, bias = rng.uniform(0.5, 1.5, c), rng.standard_normal(c)

    def run(lib, functional):
        def fn(x, w, b):
            running_mean, running_var = lib.zeros(c, dtype=x.dtype), lib.ones(c, dtype=x.dtype)
            if lib is ns:
                running_mean, running_var = running_mean.to(device), running_var.to(device)
            return functional.batch_norm(x, running_mean, running_var, w, b, training=True,
                                         momentum=0.3, eps=1e-4)
        return fn

    check_op(run(ns, F), run(torch, TF), [x, weight, bias], tol=TOL, device=device)


def test_batch_norm_updates_the_running_stats_as_torch_does(rng):
    x = rng.standard_normal((5, 3, 2))
    ours_mean, ours_var = ns.zeros(3, dtype=ns.float64), ns.ones(3, dtype=ns.float64)
    torch_mean, torch_var = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    for step in range(3):
        batch = x + step
        F.batch_norm(ns.tensor(batch), ours_mean, ours_var, training=True, momentum=0.2)
        TF.batch_norm(torch.tensor(batch), torch_mean, torch_var, training=True, momentum=0.2)
    np.testing.assert_allclose(ours_mean.numpy(), torch_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours_var.numpy(), torch_var.numpy(), rtol=1e-12)  # unbiased
    evaluated = F.batch_norm(ns.tensor(x), ours_mean, ours_var, training=False)
    expected = TF.batch_norm(torch.tensor(x), torch_mean, torch_var, training=False)
    np.testing.assert_allclose(evaluated.numpy(), expected.numpy(), rtol=1e-12)


@examples
@given(lead=st.lists(st.integers(1, 3), min_size=1, max_size=2),
       normalized=st.lists(st.integers(2, 4), min_size=1, max_size=2), affine=st.booleans(),
       seed=st.integers(0, 1000))
def test_layer_norm_matches_torch(lead, normalized, affine, seed, device):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((*lead, *normalized))
    params = [rng.uniform(0.5, 1.5, normalized), rng.standard_normal(normalized)] if affine else []
    check_op(lambda x, *wb: F.layer_norm(x, normalized, *wb, eps=1e-4),
             lambda x, *wb: TF.layer_norm(x, normalized, *wb, eps=1e-4),
             [x, *params], tol=TOL, device=device)


def test_shape_errors_name_the_function_and_shapes():
    with pytest.raises(RuntimeError, match=r"layer_norm: Given normalized_shape=\[4\].*\[2, 3\]"):
        F.layer_norm(ns.zeros(2, 3), 4)
    with pytest.raises(RuntimeError, match=r"batch_norm: weight should contain 3 elements"):
        F.batch_norm(ns.zeros(2, 3), ns.zeros(3), ns.ones(3), weight=ns.ones(2), training=True)
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3\)"):
        F.batch_norm(ns.zeros(1, 3), ns.zeros(3), ns.ones(3), training=True)
    with pytest.raises(ValueError, match="batch_norm"):
        F.batch_norm(ns.zeros(3), None, None, training=True)
