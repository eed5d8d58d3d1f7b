"""ns.get_num_threads / ns.set_num_threads and single_blas_thread: the BLAS's own count."""

import numpy as np
import pytest

import nnscratch as ns
from nnscratch import threads

needs_blas = pytest.mark.skipif(threads._blas_controls() is None,
                                reason="numpy's BLAS cannot be reached here")


@needs_blas
def test_set_num_threads_changes_what_the_blas_reports_and_products_stay_right():
    before = ns.get_num_threads()
    _, get_threads = threads._blas_controls()
    try:
        ns.set_num_threads(1)
        assert ns.get_num_threads() == 1 == get_threads()
        a = np.ones((64, 64))
        np.testing.assert_allclose(a @ a, 64.0)
    finally:
        ns.set_num_threads(before)
    assert ns.get_num_threads() == before


@needs_blas
def test_single_blas_thread_restores_the_thread_count():
    before = ns.get_num_threads()
    with threads.single_blas_thread():
        assert ns.get_num_threads() == 1
    assert ns.get_num_threads() == before


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2"])
def test_set_num_threads_refuses_a_bad_count(bad):
    with pytest.raises(ValueError, match="set_num_threads"):
        ns.set_num_threads(bad)


def test_without_a_reachable_blas(monkeypatch):
    monkeypatch.setattr(threads, "_blas_controls", lambda: None)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert ns.get_num_threads() == 3
    with pytest.raises(RuntimeError, match="OPENBLAS_NUM_THREADS"):
        ns.set_num_threads(2)
    with threads.single_blas_thread():  # nothing to control: a no-op
        pass
