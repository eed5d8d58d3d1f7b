"""The vectorised erf (ops/special.py) against math.erf (float64) and torch.special.erf."""

import math

import numpy as np
import pytest
import torch

import nnscratch as ns
from nnscratch.ops.special import erf

# Cody's range boundaries, where a wrong coefficient or branch shows first
BOUNDARIES = [0.46875, 4.0, 6.0]


def _float64_grid() -> np.ndarray:
    dense = np.linspace(-10.0, 10.0, 200_001)  # many blocks, every range, step 1e-4
    tiny = np.array([1e-300, 1e-200, 1e-100, 1e-30, 1e-16, 1e-10, 1e-8, 1e-5, 5e-324, 2.3e-308])
    edges = [np.nextafter(b, toward) for b in BOUNDARIES for toward in (0.0, np.inf)]
    edges = np.array([*BOUNDARIES, *edges])
    big = np.array([26.5, 27.0, 1e3, 1e100, 1e308])
    positive = np.concatenate([tiny, edges, big])
    return np.concatenate([dense, positive, -positive])


def test_float64_matches_math_erf_to_a_few_ulp():
    x = _float64_grid()
    expected = np.array([math.erf(v) for v in x])
    actual = erf(np, x)
    assert actual.dtype == np.float64 and actual.shape == x.shape
    # relative everywhere: near 0 erf(x) ≈ 2x/√π is itself tiny, so this is the strict form of
    # the absolute check there; at x = 0 both sides are exactly 0
    nonzero = expected != 0
    relative = np.abs(actual[nonzero] - expected[nonzero]) / np.abs(expected[nonzero])
    worst = int(np.argmax(relative))
    assert relative[worst] < 2e-15, f"erf({x[nonzero][worst]!r}): relative error {relative[worst]:.3g}"
    assert np.all(actual[~nonzero] == 0)


def test_float64_matches_torch_special_erf(rng):
    x = rng.uniform(-7.0, 7.0, 50_000)
    np.testing.assert_allclose(erf(np, x), torch.special.erf(torch.from_numpy(x)).numpy(),
                               rtol=1e-15, atol=0)


def test_infinities_nan_and_signed_zero():
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0])
    actual = erf(np, x)
    np.testing.assert_array_equal(actual[:2], [1.0, -1.0])
    assert np.isnan(actual[2])
    assert actual[3] == 0 and not np.signbit(actual[3])
    assert actual[4] == 0 and np.signbit(actual[4])  # erf(-0) = -0, as math.erf


def test_is_exactly_odd(rng):
    x = rng.standard_normal(10_000) * 3
    np.testing.assert_array_equal(erf(np, -x), -erf(np, x))


@pytest.mark.parametrize("scale", [1e-3, 1.0, 3.0])
def test_float32_matches_torch_and_stays_float32(rng, scale):
    x = (rng.standard_normal((300, 70)) * scale).astype(np.float32)
    actual = erf(np, x)
    assert actual.dtype == np.float32 and actual.shape == x.shape
    expected = torch.special.erf(torch.from_numpy(x)).numpy()
    # torch evaluates float32 erf in float32 (an ulp or two); ours is float64 rounded once
    np.testing.assert_allclose(actual, expected, rtol=3e-7, atol=0)


def test_shapes_layouts_and_integer_input(rng):
    assert erf(np, np.float64(0.5)).shape == ()
    assert erf(np, np.zeros((0, 3), np.float32)).shape == (0, 3)
    x = rng.standard_normal((40, 30))
    transposed = erf(np, x.T)  # non-contiguous input
    np.testing.assert_array_equal(transposed, erf(np, x).T)
    integers = erf(np, np.arange(-3, 4))
    assert integers.dtype == np.float64
    np.testing.assert_allclose(integers, [math.erf(v) for v in range(-3, 4)], rtol=2e-15)


@pytest.mark.gpu
@pytest.mark.skipif(not ns.cuda.is_available(), reason="needs CuPy and a GPU")
def test_cupy_matches_numpy(rng):
    import cupy

    x = rng.uniform(-8.0, 8.0, 10_000)
    for dtype in (np.float64, np.float32):
        actual = erf(cupy, cupy.asarray(x.astype(dtype)))
        assert actual.dtype == dtype
        np.testing.assert_allclose(cupy.asnumpy(actual), erf(np, x.astype(dtype)),
                                   rtol=1e-14 if dtype == np.float64 else 3e-7)
