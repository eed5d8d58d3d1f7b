"""functional/regularization.py: ``dropout`` behaves as ``torch.nn.functional.dropout``.

The mask is random, so the truths are the ones PyTorch documents: the identity for p = 0 or out
of training, zeros for p = 1, survivors scaled by 1/(1-p) with a kept fraction near 1-p
(a fixed seed, bounds of many standard errors), a backward that is the same mask, and a
ValueError for p outside [0, 1].
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

import nnscratch as ns
import nnscratch.nn.functional as F


@settings(max_examples=15, deadline=None)
@given(p=st.floats(0.05, 0.95), dtype=st.sampled_from(["float32", "float64"]))
def test_survivors_are_scaled_and_their_fraction_is_one_minus_p(p, dtype):
    ns.manual_seed(1)
    x = ns.ones(20_000, dtype=getattr(ns, dtype), requires_grad=True)
    y = F.dropout(x, p=p)
    assert y.dtype == x.dtype and tuple(y.shape) == (20_000,)
    out = y.numpy()
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1.0 / (1.0 - p), rtol=1e-6)
    sd = np.sqrt(p * (1 - p) / 20_000)  # ≤ 3.5e-3
    assert abs(kept.mean() - (1 - p)) < 8 * sd
    upstream = np.random.default_rng(0).standard_normal(20_000).astype(dtype)
    y.backward(ns.tensor(upstream))
    np.testing.assert_allclose(x.grad.numpy(), upstream * out, rtol=1e-6)  # dy/dx is the mask


def test_torch_keeps_the_same_fraction_and_scale():
    torch.manual_seed(1)
    theirs = TF.dropout(torch.ones(20_000), p=0.3).numpy()
    ns.manual_seed(1)
    ours = F.dropout(ns.ones(20_000), p=0.3).numpy()
    np.testing.assert_allclose(np.unique(ours), [0.0, 1 / 0.7], rtol=1e-6)
    np.testing.assert_allclose(np.unique(theirs), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((ours != 0).mean() - (theirs != 0).mean()) < 0.02  # both ≈ 0.7, sd 3.2e-3


@pytest.mark.parametrize("p, training", [(0.0, True), (0.5, False), (1.0, False)])
def test_the_identity_cases_return_the_input(rng, p, training):
    x = ns.tensor(rng.standard_normal((3, 4)))
    assert F.dropout(x, p=p, training=training) is x
    expected = TF.dropout(torch.tensor(x.numpy()), p=p, training=training)
    np.testing.assert_array_equal(x.numpy(), expected.numpy())


def test_p_one_zeroes_everything_and_its_gradient(rng):
    x = ns.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    y = F.dropout(x, p=1.0)
    np.testing.assert_array_equal(y.numpy(), TF.dropout(torch.ones(3, 4), p=1.0).numpy())
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((3, 4)))


def test_inplace_outside_a_graph_writes_into_the_input():
    ns.manual_seed(2)
    x = ns.ones(1000)
    assert F.dropout(x, p=0.5, inplace=True) is x
    assert set(np.unique(x.numpy())) == {0.0, 2.0}


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_a_probability_outside_the_unit_interval_is_a_value_error(p):
    with pytest.raises(ValueError, match=f"dropout probability.*{p}"):
        F.dropout(ns.ones(3), p=p)
    with pytest.raises(ValueError):
        TF.dropout(torch.ones(3), p=p)
