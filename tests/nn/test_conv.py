"""nn.Conv1d / nn.Conv2d against torch.nn: outputs, every gradient, layout, init, repr, errors."""

import math

import numpy as np
import pytest
import torch

import nnscratch as ns
import nnscratch.nn as nn
from harness import check_module


@pytest.mark.parametrize("args, kwargs, x_shape", [
    ((3, 4, 3), dict(), (2, 3, 7, 6)),
    ((3, 4, 3), dict(padding=1, bias=False), (1, 3, 5, 5)),
    ((4, 6, (3, 2)), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2), (2, 4, 8, 9)),
    ((2, 4, 3), dict(padding="same", dilation=2), (2, 2, 6, 7)),
    ((2, 4, 2), dict(padding="valid", stride=2), (2, 2, 6, 7)),
    ((3, 3, 3), dict(padding=1, groups=3), (2, 3, 5, 5)),
    ((2, 3, 3), dict(padding=2, padding_mode="reflect"), (2, 2, 6, 5)),
    ((2, 3, 3), dict(padding=1, padding_mode="replicate", stride=2), (2, 2, 6, 5)),
    ((2, 3, 3), dict(padding=(1, 2), padding_mode="circular"), (2, 2, 6, 5)),
    ((2, 3, 4), dict(padding="same", padding_mode="reflect"), (2, 2, 6, 5)),
    ((3, 4, 3), dict(padding=1), (3, 7, 6)),  # unbatched
])
def test_conv2d_matches_torch(rng, args, kwargs, x_shape):
    ours, theirs = nn.Conv2d(*args, **kwargs), torch.nn.Conv2d(*args, **kwargs)
    check_module(ours, theirs, [rng.standard_normal(x_shape)])


@pytest.mark.parametrize("args, kwargs, x_shape", [
    ((3, 4, 3), dict(), (2, 3, 9)),
    ((4, 6, 3), dict(stride=2, padding=1, groups=2), (2, 4, 10)),
    ((2, 3, 4), dict(padding="same", dilation=2, bias=False), (2, 2, 9)),
    ((2, 3, 3), dict(padding=2, padding_mode="replicate"), (2, 2, 6)),
    ((3, 4, 3), dict(padding=1), (3, 9)),  # unbatched
])
def test_conv1d_matches_torch(rng, args, kwargs, x_shape):
    ours, theirs = nn.Conv1d(*args, **kwargs), torch.nn.Conv1d(*args, **kwargs)
    check_module(ours, theirs, [rng.standard_normal(x_shape)])


def test_parameters_layout_and_repr_match_torch():
    for args, kwargs in [((3, 8, 3), dict(padding=1)), ((4, 6, (3, 2)), dict(stride=2, groups=2, bias=False)),
                         ((2, 2, 5), dict(dilation=2, padding="same", padding_mode="reflect"))]:
        ours, theirs = nn.Conv2d(*args, **kwargs), torch.nn.Conv2d(*args, **kwargs)
        assert repr(ours) == repr(theirs)
        assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
            [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert repr(nn.Conv1d(2, 3, 4, stride=2)) == repr(torch.nn.Conv1d(2, 3, 4, stride=2))


def test_default_init_is_uniform_within_one_over_sqrt_fan_in():
    layer = nn.Conv2d(8, 64, 3, groups=2)
    fan_in = 4 * 3 * 3
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=√5): gain·√(3/fan_in) = 1/√fan_in
    weight, bias = layer.weight.numpy(), layer.bias.numpy()
    assert weight.dtype == np.float32 and weight.shape == (64, 4, 3, 3)
    assert np.abs(weight).max() <= bound and np.abs(bias).max() <= bound
    assert abs(weight.std() - bound / math.sqrt(3)) < 0.05 * bound  # U(-b, b) has std b/√3
    ns.manual_seed(7)
    first = nn.Conv2d(2, 3, 3).weight.numpy()
    ns.manual_seed(7)
    np.testing.assert_array_equal(first, nn.Conv2d(2, 3, 3).weight.numpy())


@pytest.mark.parametrize("kwargs, match", [
    (dict(in_channels=3, out_channels=4, kernel_size=3, groups=2), "in_channels.*divisible by groups"),
    (dict(in_channels=4, out_channels=3, kernel_size=3, groups=2), "out_channels.*divisible by groups"),
    (dict(in_channels=2, out_channels=2, kernel_size=3, stride=2, padding="same"), "same.*strided"),
    (dict(in_channels=2, out_channels=2, kernel_size=3, padding="full"), "invalid padding string"),
    (dict(in_channels=2, out_channels=2, kernel_size=3, padding_mode="mirror"), "padding_mode"),
    (dict(in_channels=2, out_channels=2, kernel_size=0), "kernel_size"),
])
def test_constructor_errors(kwargs, match):
    with pytest.raises(ValueError, match=f"Conv2d.*{match}"):
        nn.Conv2d(**kwargs)


def test_forward_errors_name_the_shapes(rng):
    layer = nn.Conv2d(3, 4, 3)
    with pytest.raises(RuntimeError, match=r"conv2d.*input\[2, 5, 6, 6\].*3 channels.*5"):
        layer(ns.tensor(rng.standard_normal((2, 5, 6, 6)).astype(np.float32)))


def test_small_cnn_matches_torch(rng):
    """The benchmark's network, small: conv, relu, pool twice, then the classifier."""
    def build(lib):
        return lib.Sequential(lib.Conv2d(1, 4, 3, padding=1), lib.ReLU(), lib.MaxPool2d(2),
                              lib.Conv2d(4, 6, 3, padding=1), lib.ReLU(), lib.MaxPool2d(2),
                              lib.Flatten(), lib.Linear(6 * 3 * 3, 5), lib.ReLU(), lib.Linear(5, 3))

    check_module(build(nn), build(torch.nn), [rng.standard_normal((3, 1, 12, 12))])
