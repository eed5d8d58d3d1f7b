"""functional/activation.py: the activations' Tensor-level functions against PyTorch.

Forward and backward, float64 (tight) and float32, on hypothesis-drawn shapes, on every device
the ``device`` fixture offers; the keyword forms (slopes, β and threshold, ``approximate``,
``dtype=``, ``inplace=``) and the legacy implicit softmax dim.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnscratch as ns
import nnscratch.nn.functional as F
from harness import check_op

# the device fixture is a plain string, the same for every example
examples = settings(max_examples=12, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
# keep x away from the kinks of relu and friends, where the two sides' gradients differ
values = st.floats(-4, 4).filter(lambda v: abs(v) > 1e-3)

ACTIVATIONS = [
    ("relu", F.relu, TF.relu),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    ("elu", lambda x: F.elu(x, alpha=0.7), lambda x: TF.elu(x, alpha=0.7)),
    ("gelu", F.gelu, TF.gelu),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    ("softplus", F.softplus, TF.softplus),
    ("softplus_beta", lambda x: F.softplus(x, beta=2.0, threshold=3.0),
     lambda x: TF.softplus(x, beta=2.0, threshold=3.0)),
    ("sigmoid", ns.sigmoid, torch.sigmoid),
    ("tanh", ns.tanh, torch.tanh),
]


@pytest.mark.parametrize("name, ns_fn, torch_fn", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
@examples
@given(x=hnp.arrays(np.float64, shapes, elements=values))
def test_activations_match_torch(name, ns_fn, torch_fn, x, device):
    check_op(ns_fn, torch_fn, [x], device=device)


@examples
@given(x=hnp.arrays(np.float64, shapes, elements=st.floats(-30, 30)), data=st.data())
def test_softmax_and_log_softmax_match_torch_along_any_dim(x, data, device):
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    check_op(lambda t: ns.softmax(t, dim=dim), lambda t: torch.softmax(t, dim=dim), [x],
             device=device)
    check_op(lambda t: F.log_softmax(t, dim=dim), lambda t: TF.log_softmax(t, dim=dim), [x],
             device=device)


def test_softmax_dtype_casts_first_like_torch(rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    ours = ns.softmax(ns.tensor(x), dim=1, dtype=ns.float64)
    theirs = torch.softmax(torch.tensor(x), dim=1, dtype=torch.float64)
    assert ours.dtype == ns.float64
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    ints = ns.softmax(ns.tensor([[1, 2, 3]]), dim=1)  # an integer input becomes the default float
    assert ints.dtype == ns.float32
    np.testing.assert_allclose(ints.numpy(), torch.softmax(torch.tensor([[1.0, 2, 3]]), 1), rtol=1e-6)


@pytest.mark.parametrize("shape", [(5,), (2, 3), (2, 3, 4)])
def test_the_implicit_softmax_dim_is_torchs_legacy_choice(rng, shape):
    x = rng.standard_normal(shape)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        ours = F.softmax(ns.tensor(x))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        theirs = TF.softmax(torch.tensor(x))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    with pytest.warns(UserWarning):
        np.testing.assert_allclose(F.log_softmax(ns.tensor(x)).numpy(),
                                   TF.log_softmax(torch.tensor(x)).numpy(), rtol=1e-12)


@pytest.mark.parametrize("name, ns_fn, torch_fn", [
    ("relu", lambda x: F.relu(x, inplace=True), lambda x: TF.relu(x, inplace=True)),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.3, inplace=True),
     lambda x: TF.leaky_relu(x, 0.3, inplace=True)),
    ("elu", lambda x: F.elu(x, inplace=True), lambda x: TF.elu(x, inplace=True)),
])
def test_inplace_writes_into_the_input_outside_a_graph(rng, name, ns_fn, torch_fn):
    x = rng.standard_normal((3, 4))
    ours, theirs = ns.tensor(x), torch.tensor(x)
    assert ns_fn(ours) is ours and torch_fn(theirs) is theirs
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    leaf = ns.tensor(x, requires_grad=True)  # inside a graph: the same values, the input kept
    out = ns_fn(leaf)
    np.testing.assert_allclose(out.numpy(), theirs.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(leaf.numpy(), x)


def test_gelu_refuses_an_unknown_approximation():
    with pytest.raises(RuntimeError, match="gelu: approximate"):
        F.gelu(ns.zeros(2), approximate="erf")
