"""BatchNorm1d/2d and LayerNorm against PyTorch: outputs, gradients, running statistics over
several steps, evaluation mode, options, shape errors that leave the state unchanged."""

import numpy as np
import pytest
import torch

import nnscratch as ns
import nnscratch.nn as nn
from harness import check_module


def _random_affine(module, seed=0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        if module.weight is not None:
            module.weight.copy_(torch.rand(module.weight.shape, generator=gen) + 0.5)
    return module


@pytest.mark.parametrize("cls, shape", [
    ("BatchNorm1d", (4, 3)), ("BatchNorm1d", (2, 3, 5)), ("BatchNorm1d", (2, 3, 1)),
    ("BatchNorm2d", (2, 3, 4, 4)), ("BatchNorm2d", (1, 3, 2, 1)),
])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_matches_torch(rng, cls, shape, training):
    ours, theirs = getattr(nn, cls)(3), _random_affine(getattr(torch.nn, cls)(3))
    with torch.no_grad():  # non-trivial running statistics for eval mode
        theirs.running_mean.copy_(torch.tensor(rng.standard_normal(3)))
        theirs.running_var.copy_(torch.tensor(rng.uniform(0.5, 2, 3)))
    ours.train(training)
    theirs.train(training)
    check_module(ours, theirs, [rng.standard_normal(shape) * 2 + 1])


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_running_statistics_after_several_steps_equal_torch(rng, momentum):
    ours, theirs = nn.BatchNorm2d(3, momentum=momentum).double(), \
        torch.nn.BatchNorm2d(3, momentum=momentum).double()
    for _ in range(4):
        x = rng.standard_normal((4, 3, 2, 2)) * 3 + 2
        ours(ns.tensor(x))
        theirs(torch.tensor(x))
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name].numpy(), value.numpy(), rtol=1e-12,
                                   err_msg=name)
    assert ours.num_batches_tracked.item() == 4
    assert ours.num_batches_tracked.dtype == ns.int64
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((3, 3, 2, 2))
    np.testing.assert_allclose(ours(ns.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12, atol=1e-12)


def test_running_statistics_float32_stay_float32(rng):
    bn = nn.BatchNorm1d(4)
    bn(ns.tensor(rng.standard_normal((5, 4)).astype(np.float32)))
    assert bn.running_mean.dtype == bn.running_var.dtype == ns.float32


@pytest.mark.parametrize("affine, track", [(False, True), (True, False), (False, False)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_options_match_torch(rng, affine, track, training):
    ours = nn.BatchNorm1d(3, affine=affine, track_running_stats=track)
    theirs = torch.nn.BatchNorm1d(3, affine=affine, track_running_stats=track)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.train(training)
    theirs.train(training)
    check_module(ours, theirs, [rng.standard_normal((4, 3, 2))])


def test_batch_norm_without_bias_matches_torch(rng):
    ours, theirs = nn.BatchNorm1d(3, bias=False), torch.nn.BatchNorm1d(3, bias=False)
    assert [n for n, _ in ours.named_parameters()] == ["weight"]
    check_module(ours, _random_affine(theirs), [rng.standard_normal((4, 3))])


def test_batch_norm_defaults_and_repr_match_torch():
    ours, theirs = nn.BatchNorm2d(5), torch.nn.BatchNorm2d(5)
    assert repr(ours) == repr(theirs)
    for name, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[name].numpy(), value.numpy())
    assert repr(nn.BatchNorm1d(2, affine=False, momentum=None)) == \
        repr(torch.nn.BatchNorm1d(2, affine=False, momentum=None))


def _state(module):
    return {k: v.numpy().copy() for k, v in module.state_dict().items()}


@pytest.mark.parametrize("shape, match", [
    ((4, 5), r"BatchNorm1d\(3\).*3 channels.*\(4, 5\)"),
    ((4, 3, 2, 2), r"BatchNorm1d\(3\).*2D or 3D.*\(4, 3, 2, 2\)"),
    ((1, 3), r"BatchNorm1d\(3\).*more than 1 value per channel.*\(1, 3\)"),
])
def test_batch_norm_errors_name_layer_and_shape_and_change_nothing(shape, match):
    bn = nn.BatchNorm1d(3)
    before = _state(bn)
    with pytest.raises(ValueError, match=match):
        bn(ns.randn(*shape))
    for key, value in _state(bn).items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_batch_norm_single_sample_is_fine_in_eval():
    bn = nn.BatchNorm1d(3).eval()
    assert bn(ns.randn(1, 3)).shape == (1, 3)


@pytest.mark.parametrize("normalized_shape, shape", [
    (4, (3, 4)), ((4,), (2, 3, 4)), ((3, 4), (2, 3, 4)), (1, (2, 1)), (5, (5,)),
])
def test_layer_norm_matches_torch(rng, normalized_shape, shape):
    check_module(nn.LayerNorm(normalized_shape), _random_affine(torch.nn.LayerNorm(normalized_shape)),
                 [rng.standard_normal(shape) * 3])


@pytest.mark.parametrize("kwargs", [{"elementwise_affine": False}, {"bias": False}, {"eps": 1e-3}])
def test_layer_norm_options_match_torch(rng, kwargs):
    ours, theirs = nn.LayerNorm(4, **kwargs), torch.nn.LayerNorm(4, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    if theirs.weight is not None:
        _random_affine(theirs)
    check_module(ours, theirs, [rng.standard_normal((2, 4))])


def test_layer_norm_shape_error_names_layer_and_shapes():
    with pytest.raises(RuntimeError, match=r"LayerNorm\(\(3, 4\)\).*3, 4.*\(2, 4, 3\)"):
        nn.LayerNorm((3, 4))(ns.randn(2, 4, 3))
