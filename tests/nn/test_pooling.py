"""nn.MaxPool2d / AvgPool2d / AdaptiveAvgPool2d against torch.nn (values, gradients, repr)."""

import numpy as np
import pytest
import torch

import nnscratch as ns
import nnscratch.nn as nn
from harness import check_module


@pytest.mark.parametrize("name, args, kwargs", [
    ("MaxPool2d", (2,), dict()),
    ("MaxPool2d", (3,), dict(stride=2, padding=1, dilation=1, ceil_mode=True)),
    ("MaxPool2d", ((3, 2),), dict(stride=1, dilation=(1, 2))),
    ("AvgPool2d", (2,), dict()),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ("AvgPool2d", (3,), dict(stride=1, padding=1, divisor_override=4)),
    ("AdaptiveAvgPool2d", ((3, 2),), dict()),
    ("AdaptiveAvgPool2d", (1,), dict()),
])
def test_pooling_layers_match_torch(rng, name, args, kwargs):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    x = np.round(rng.standard_normal((2, 3, 7, 8)) * 2)  # ties
    check_module(ours, theirs, [x])
    check_module(ours, theirs, [x[0]])  # unbatched


def test_max_pool_return_indices(rng):
    ours, theirs = nn.MaxPool2d(3, 2, 1, return_indices=True), torch.nn.MaxPool2d(3, 2, 1, return_indices=True)
    x = np.round(rng.standard_normal((2, 2, 6, 5)))
    check_module(ours, theirs, [x], call=lambda module, t: module(t)[0])
    np.testing.assert_array_equal(ours(ns.tensor(x))[1].numpy(), theirs(torch.tensor(x))[1].numpy())


def test_stride_defaults_to_kernel_size():
    assert nn.MaxPool2d(3).stride == 3 and nn.AvgPool2d((2, 3)).stride == (2, 3)
    assert list(nn.MaxPool2d(2).parameters()) == []
