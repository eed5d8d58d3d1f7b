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


def _cuda_available() -> bool:
    return ns.cuda.is_available()


@pytest.fixture(params=[
    "cpu",
    pytest.param("cuda", marks=[
        pytest.mark.gpu,
        pytest.mark.skipif(not _cuda_available(), reason="needs CuPy and a GPU"),
    ]),
])
def device(request) -> str:
    """Each device a test should pass on: cpu always, cuda where CuPy sees a GPU (the
    harness's ``device=``)."""
    return request.param
