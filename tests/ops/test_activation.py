"""ops/activation.py: the one sigmoid (``sigmoid_array``) against torch.sigmoid, in every way
the library calls it (a new array, in place into a strided slice as the recurrent kernels do)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nnscratch.ops.activation import sigmoid_array

EXTREMES = [-1000.0, -745.0, -104.0, -100.0, -90.0, -88.5, -88.0, -50.0, -20.0, -17.0, -1.0,
            -1e-30, 0.0, 1e-30, 1.0, 17.0, 20.0, 50.0, 88.0, 100.0, 745.0, 1000.0]


def _torch_sigmoid(x: np.ndarray) -> np.ndarray:
    return torch.sigmoid(torch.from_numpy(np.ascontiguousarray(x))).numpy()


def _assert_close(ours: np.ndarray, expected: np.ndarray) -> None:
    """A few ulp relative, and equal below the smallest normal number (where float32 PyTorch
    flushes some values to 0 that are subnormal in exact arithmetic)."""
    info = np.finfo(ours.dtype)
    assert ours.dtype == expected.dtype
    np.testing.assert_allclose(ours, expected, rtol=8 * info.eps, atol=info.tiny)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_matches_torch_at_extreme_values_without_warnings(dtype):
    x = np.array(EXTREMES, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e^1000 = inf must not warn
        ours = sigmoid_array(np, x)
    _assert_close(ours, _torch_sigmoid(x))
    assert np.all((ours >= 0) & (ours <= 1))
    # the tail keeps its relative accuracy: σ(-17) ≈ 4.1e-8 and σ(-50) ≈ 1.9e-22 are not 0
    assert ours[EXTREMES.index(-17.0)] > 0 and ours[EXTREMES.index(-50.0)] > 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_in_place_into_a_strided_slice(dtype):
    """The recurrent kernels' use: ``out`` is the input itself, a column block of a buffer."""
    rng = np.random.default_rng(0)
    block = (rng.standard_normal((6, 12)) * 300).astype(dtype)
    block[0, :4] = EXTREMES[:4]
    expected = block.copy()
    expected[:, 3:9] = _torch_sigmoid(block[:, 3:9])
    view = block[:, 3:9]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = sigmoid_array(np, view, out=view)
    assert result is view
    _assert_close(block, expected)  # the columns outside the slice are untouched, bit for bit


@settings(max_examples=60, deadline=None)
@given(
    dtype=st.sampled_from([np.float32, np.float64]),
    data=st.data(),
)
def test_sigmoid_matches_torch_on_any_finite_array(dtype, data):
    x = data.draw(hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, max_side=5),
                             elements=st.floats(-1e4, 1e4, width=np.finfo(dtype).bits)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = np.asarray(sigmoid_array(np, x))
        in_place = x.copy()
        sigmoid_array(np, in_place, out=in_place)
    expected = _torch_sigmoid(x)
    assert ours.shape == x.shape
    _assert_close(ours, expected)
    np.testing.assert_array_equal(in_place, ours)  # one function: both ways give the same bits
