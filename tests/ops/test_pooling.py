"""max_pool2d, avg_pool2d, adaptive_avg_pool2d against PyTorch (values, gradients, indices)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import nnscratch as ns
import nnscratch.nn.functional as F
from harness import check_op, numeric_gradcheck


def _random_window(rng, with_dilation):
    kernel = tuple(int(k) for k in rng.integers(1, 4, size=2))
    stride = tuple(int(s) for s in rng.integers(1, 4, size=2))
    dilation = tuple(int(d) for d in rng.integers(1, 3, size=2)) if with_dilation else (1, 1)
    padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
    ceil_mode = bool(rng.integers(0, 2))
    reach = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4)),
             int(rng.integers(reach[0], 10)), int(rng.integers(reach[1], 10)))
    return shape, dict(kernel_size=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode), dilation


@pytest.mark.parametrize("seed", range(30))
def test_max_pool2d_matches_torch_with_ties_and_overlaps(seed):
    rng = np.random.default_rng(seed)
    shape, options, dilation = _random_window(rng, with_dilation=True)
    x = np.round(rng.standard_normal(shape) * 1.5)  # many equal values: ties go to the first max
    options = dict(options, dilation=dilation, return_indices=True)
    check_op(lambda t: F.max_pool2d(t, **options), lambda t: TF.max_pool2d(t, **options), [x])
    ours = F.max_pool2d(ns.tensor(x), **options)[1]
    theirs = TF.max_pool2d(torch.tensor(x), **options)[1]
    assert ours.dtype == ns.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("seed", range(20))
def test_avg_pool2d_matches_torch(seed):
    rng = np.random.default_rng(100 + seed)
    shape, options, _ = _random_window(rng, with_dilation=False)
    options["count_include_pad"] = bool(rng.integers(0, 2))
    if rng.integers(0, 4) == 0:
        options["divisor_override"] = int(rng.integers(1, 6))
    x = rng.standard_normal(shape)
    check_op(lambda t: F.avg_pool2d(t, **options), lambda t: TF.avg_pool2d(t, **options), [x])


@pytest.mark.parametrize("pool, options", [
    ("max_pool2d", dict(kernel_size=2)),
    ("max_pool2d", dict(kernel_size=3, stride=2, padding=1)),
    ("avg_pool2d", dict(kernel_size=2)),
    ("avg_pool2d", dict(kernel_size=3, stride=1, padding=1, count_include_pad=False)),
])
def test_channels_last_input(rng, pool, options):
    x = np.round(rng.standard_normal((2, 6, 7, 3)) * 2)  # NHWC data, seen as NCHW by permute
    check_op(lambda t: getattr(F, pool)(t.permute(0, 3, 1, 2), **options),
             lambda t: getattr(TF, pool)(t.permute(0, 3, 1, 2), **options), [x])


@pytest.mark.parametrize("hw, options", [
    ((8, 6), dict(kernel_size=2)),  # the cnn benchmark's case
    ((9, 6), dict(kernel_size=(3, 2))),
    ((6, 8), dict(kernel_size=2, padding=1)),  # padded, then cropped back
    ((7, 5), dict(kernel_size=2, ceil_mode=True)),  # the last window reaches past the edge
])
def test_channels_last_windows_that_tile_the_input(rng, hw, options):
    # the conv layers hand pooling channels-last arrays; tiled windows take a fast backward.
    # Rounded values and a ReLU make ties (zeros above all): the first maximum gets the gradient
    x = np.maximum(np.round(rng.standard_normal((2, *hw, 5)) * 1.5), 0)
    check_op(lambda t: F.max_pool2d(t.permute(0, 3, 1, 2), **options),
             lambda t: TF.max_pool2d(t.permute(0, 3, 1, 2), **options), [x])
    with_indices = dict(options, return_indices=True)
    ours = F.max_pool2d(ns.tensor(x).permute(0, 3, 1, 2), **with_indices)[1]
    theirs = TF.max_pool2d(torch.tensor(x).permute(0, 3, 1, 2), **with_indices)[1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    unbatched = x[0]  # (H, W, C) seen as (C, H, W)
    check_op(lambda t: F.max_pool2d(t.permute(2, 0, 1), **options),
             lambda t: TF.max_pool2d(t.permute(2, 0, 1), **options), [unbatched])


def test_non_overlapping_fast_case_and_remainders(rng):
    for shape in [(3, 4, 8, 8), (1, 2, 9, 7)]:  # exact tiling, then rows/columns left over
        x = np.round(rng.standard_normal(shape))
        check_op(lambda t: F.max_pool2d(t, 2), lambda t: TF.max_pool2d(t, 2), [x])
        check_op(lambda t: F.avg_pool2d(t, 2), lambda t: TF.avg_pool2d(t, 2), [x])


def test_first_maximum_wins_in_overlapping_windows():
    x = np.zeros((1, 1, 4, 4))  # all equal: every window's argmax is its first element
    options = dict(kernel_size=3, stride=1, return_indices=True)
    check_op(lambda t: F.max_pool2d(t, **options), lambda t: TF.max_pool2d(t, **options), [x])
    np.testing.assert_array_equal(F.max_pool2d(ns.tensor(x), **options)[1].numpy(),
                                  TF.max_pool2d(torch.tensor(x), **options)[1].numpy())


def test_unbatched_and_no_grad(rng):
    x = rng.standard_normal((3, 7, 6))
    check_op(lambda t: F.max_pool2d(t, 3, 2, 1), lambda t: TF.max_pool2d(t, 3, 2, 1), [x])
    check_op(lambda t: F.avg_pool2d(t, 2, ceil_mode=True), lambda t: TF.avg_pool2d(t, 2, ceil_mode=True), [x])
    check_op(lambda t: F.adaptive_avg_pool2d(t, 3), lambda t: TF.adaptive_avg_pool2d(t, 3), [x])
    with ns.no_grad():
        y = F.max_pool2d(ns.tensor(x), 2)
    np.testing.assert_array_equal(y.numpy(), TF.max_pool2d(torch.tensor(x), 2).numpy())


def test_nan_propagates_like_torch():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 0, 1] = np.nan
    x[0, 0, 1, 0] = np.nan
    ours = F.max_pool2d(ns.tensor(x), 2, return_indices=True)
    theirs = TF.max_pool2d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


@pytest.mark.parametrize("size, out", [((10, 7), (3, 4)), ((5, 5), 1), ((6, 9), (None, 4)),
                                       ((4, 4), (4, 4)), ((3, 5), (7, 6))])
def test_adaptive_avg_pool2d_matches_torch(rng, size, out):
    x = rng.standard_normal((2, 3, *size))
    check_op(lambda t: F.adaptive_avg_pool2d(t, out), lambda t: TF.adaptive_avg_pool2d(t, out), [x])


def test_numeric_gradcheck(rng):
    x = rng.standard_normal((1, 2, 5, 6))
    numeric_gradcheck(lambda t: F.max_pool2d(t, 3, 2, 1), x)
    numeric_gradcheck(lambda t: F.avg_pool2d(t, 3, 2, 1, count_include_pad=False), x)
    numeric_gradcheck(lambda t: F.adaptive_avg_pool2d(t, (2, 4)), x)


@pytest.mark.parametrize("call, error, match", [
    (lambda x: F.max_pool2d(x, 3, padding=2), RuntimeError, r"max_pool2d.*pad should be smaller than or equal to half.*padding=\(2, 2\)"),
    (lambda x: F.avg_pool2d(x, 2, padding=2), RuntimeError, "avg_pool2d.*pad should be smaller than or equal to half"),
    (lambda x: F.max_pool2d(x, 6), RuntimeError, r"max_pool2d.*\(2x4x5\).*\(2x0x0\).*too small"),
    (lambda x: F.max_pool2d(x[0, 0], 2), RuntimeError, r"max_pool2d.*3D.*4D.*\[4, 5\]"),
    (lambda x: F.max_pool2d(x, 0), RuntimeError, "max_pool2d.*greater than zero"),
    (lambda x: F.avg_pool2d(x, 2, divisor_override=0), RuntimeError, "avg_pool2d.*divisor"),
    (lambda x: F.adaptive_avg_pool2d(x, (1, 2, 3)), ValueError, "adaptive_avg_pool2d.*output_size"),
    (lambda x: F.max_pool2d(x.numpy(), 2), TypeError, "max_pool2d.*Tensor"),
])
def test_errors_name_the_op_and_shapes(rng, call, error, match):
    with pytest.raises(error, match=match):
        call(ns.tensor(rng.standard_normal((1, 2, 4, 5))))
