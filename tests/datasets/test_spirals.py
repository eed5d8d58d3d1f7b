"""make_spirals against its closed form: each point lies on its class's arm."""

import math

import numpy as np
import pytest

import nnscratch as ns
from nnscratch.datasets.spirals import make_spirals


def test_shapes_dtypes_and_balance():
    points, labels = make_spirals(101)
    assert points.shape == (101, 2) and points.dtype == np.float32
    assert labels.shape == (101,) and labels.dtype == np.int64
    assert abs(int(labels.sum()) - 50) <= 1 and set(labels.tolist()) == {0, 1}
    assert np.abs(points).max() < 1.2


def test_noise_free_points_lie_on_their_arm():
    turns = 1.5
    points, labels = make_spirals(500, noise=0.0, turns=turns)
    scale = turns * 2 * math.pi
    radius = np.hypot(points[:, 0], points[:, 1]).astype(np.float64)
    angle = radius * scale  # t, recovered from the radius
    expected = angle + math.pi * labels
    measured = np.arctan2(points[:, 1], points[:, 0])
    # the direction of each point is (cos, sin) of t + π·label
    difference = np.angle(np.exp(1j * (measured - expected)))
    assert np.abs(difference).max() < 1e-4


def test_the_library_seed_fixes_the_data():
    ns.manual_seed(5)
    a = make_spirals(50)
    ns.manual_seed(5)
    b = make_spirals(50)
    c = make_spirals(50)
    assert np.array_equal(a[0], b[0]) and not np.array_equal(b[0], c[0])


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_samples"):
        make_spirals(0)
    with pytest.raises(ValueError, match="noise"):
        make_spirals(10, noise=-1)
