"""The error function erf, vectorised to float64 accuracy (internal helper for GELU).

NumPy has no ``erf`` ufunc and ``numpy.vectorize(math.erf)`` is a per-element Python loop, so the
CPU path evaluates W. J. Cody's rational Chebyshev approximations instead; CuPy has a native
kernel (``cupyx.scipy.special.erf``), which the GPU path keeps.
"""

from __future__ import annotations

from typing import Any

# Coefficients of W. J. Cody, "Rational Chebyshev approximations for the error function",
# Math. Comp. 23 (1969) 631-638, as published in his specfun package (netlib.org/specfun/erf,
# CALERF, IEEE double precision). Each list runs from the highest power down.

# erf(x) ≈ x P(x²) / Q(x²) for |x| ≤ 0.46875
_SMALL_NUMERATOR = [
    1.85777706184603153e-1, 3.16112374387056560e00, 1.13864154151050156e02,
    3.77485237685302021e02, 3.20937758913846947e03,
]
_SMALL_DENOMINATOR = [
    1.0, 2.36012909523441209e01, 2.44024637934444173e02,
    1.28261652607737228e03, 2.84423683343917062e03,
]

# erfc(y) ≈ e^{-y²} P(y) / Q(y) for 0.46875 < y ≤ 4
_MIDDLE_NUMERATOR = [
    2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e00,
    6.61191906371416295e01, 2.98635138197400131e02, 8.81952221241769090e02,
    1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
]
_MIDDLE_DENOMINATOR = [
    1.0, 1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
    1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
    3.43936767414372164e03, 1.23033935480374942e03,
]

# erfc(y) ≈ e^{-y²} / y (1/√π - z P(z) / Q(z)), z = 1/y², for y > 4
_TAIL_NUMERATOR = [
    1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1,
    1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4,
]
_TAIL_DENOMINATOR = [
    1.0, 2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
    6.05183413124413191e-2, 2.33520497626869185e-3,
]

_SMALL_LIMIT = 0.46875
_MIDDLE_LIMIT = 4.0
# erfc(6) ≈ 2.2e-17 is below half an ulp of 1, so erf(y) rounds to 1 for every y ≥ 6: clamping
# the tail there keeps y² and 1/y² finite (no overflow for huge or infinite x) and changes nothing.
_SATURATION = 6.0
_INV_SQRT_PI = 0.56418958354775628695  # 1/√π


_BLOCK = 16384  # elements per block: a block's float64 temporaries stay in the L2 cache


def _rational(xp, t, numerator: list[float], denominator: list[float]):
    """P(t) / Q(t) by Horner's rule on fresh temporaries (t is not modified); Q is monic."""
    num = t * numerator[0]
    num += numerator[1]
    den = t + denominator[1]  # denominator[0] == 1
    for p, q in zip(numerator[2:], denominator[2:]):
        num *= t
        num += p
        den *= t
        den += q
    num /= den
    return num


def _erfc_tail(xp, y):
    """erfc(y) for y > 4 (float64); y is clamped at 6, beyond which 1 - erfc(y) rounds to 1."""
    y = xp.minimum(y, _SATURATION)  # ±inf → 6 → erf = ±1 with no overflow in y² or 1/y²
    z = 1.0 / (y * y)
    erfc = z * _rational(xp, z, _TAIL_NUMERATOR, _TAIL_DENOMINATOR)
    erfc = (_INV_SQRT_PI - erfc) / y
    erfc *= xp.exp(-y * y)
    return erfc


def _erf_block(xp, x):
    """erf of a 1-D float64 array by Cody's three ranges.

    Gathering each range's elements by a boolean mask costs more than the arithmetic, so the small
    and middle ranges are both evaluated on the whole block (with |x| clamped into each range, so
    neither overflows) and one is kept per element; only the rare |x| > 4 are gathered.
    """
    y = xp.abs(x)
    small = y <= _SMALL_LIMIT

    # |x| ≤ 0.46875: erf(x) = x P(x²)/Q(x²), which keeps x's sign and erf(-0) = -0
    t = xp.minimum(y, _SMALL_LIMIT)
    t *= t
    erf_small = _rational(xp, t, _SMALL_NUMERATOR, _SMALL_DENOMINATOR)
    erf_small *= x

    # 0.46875 < |x| ≤ 4: erf(|x|) = 1 - erfc(|x|). e^{-y²} is taken directly rather than by Cody's
    # split of y² (which makes erfc accurate relative to itself): 1 - erfc only needs erfc to
    # absolute precision, and the rounding of y² costs at most y² erfc(y) ε < 0.2 ε. nan stays nan.
    t = xp.clip(y, _SMALL_LIMIT, _MIDDLE_LIMIT)
    erfc = _rational(xp, t, _MIDDLE_NUMERATOR, _MIDDLE_DENOMINATOR)
    t *= t
    xp.negative(t, out=t)
    erfc *= xp.exp(t, out=t)
    erf_large = xp.subtract(1.0, erfc, out=erfc)

    tail = xp.flatnonzero(y > _MIDDLE_LIMIT)
    if tail.size:
        erf_large[tail] = 1.0 - _erfc_tail(xp, y[tail])

    xp.copysign(erf_large, x, out=erf_large)  # erf is odd
    return xp.where(small, erf_small, erf_large)


def _erf_cody(xp, x, dtype):
    """erf of any array, computed block by block in float64 and stored as ``dtype``."""
    flat = x.reshape(-1)
    out = xp.empty(flat.shape, dtype=dtype)
    for start in range(0, flat.size, _BLOCK):
        block = flat[start : start + _BLOCK].astype(xp.float64)
        out[start : start + _BLOCK] = _erf_block(xp, block)
    return out.reshape(x.shape)


def erf(xp: Any, x: Any) -> Any:
    """Error function erf(x) = 2/√π ∫₀ˣ e^{-t²} dt, element-wise.

    x: an array of any shape (numpy or cupy, as ``xp``); returns an array of the same shape and
    float dtype (float64 for integer input). On numpy the value is computed in float64 with
    W. J. Cody's rational Chebyshev approximations (Math. Comp. 23 (1969) 631-638; coefficients
    from his netlib specfun CALERF) over |x| ≤ 0.46875, 0.46875 < |x| ≤ 4 and |x| > 4, relative
    error a few ulp of float64; erf(±inf) = ±1 and erf(nan) = nan. On cupy it is
    ``cupyx.scipy.special.erf``.
    """
    dtype = x.dtype if x.dtype.kind == "f" else xp.dtype(xp.float64)
    if xp.__name__ != "numpy":
        import cupyx.scipy.special  # pragma: no cover - GPU only

        return cupyx.scipy.special.erf(x.astype(dtype, copy=False))  # pragma: no cover
    return _erf_cody(xp, x, dtype)
