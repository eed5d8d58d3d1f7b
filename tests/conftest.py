"""Shared fixtures: every test starts from the same library seed."""

import numpy as np
import pytest

import nnscratch as ns


@pytest.fixture(autouse=True)
def _seed_everything():
    ns.manual_seed(0)
    ns.set_default_dtype(ns.float32)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
