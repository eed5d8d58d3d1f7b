"""One BLAS thread while an experiment runs, and the previous count back afterwards."""

import numpy as np

from nnscratch.experiments.blas_threads import _blas_controls, single_blas_thread


def test_single_blas_thread_restores_the_thread_count():
    controls = _blas_controls()
    if controls is None:
        with single_blas_thread():  # nothing to control: a no-op
            pass
        return
    set_threads, get_threads = controls
    before = get_threads()
    with single_blas_thread():
        assert get_threads() == 1
        a = np.ones((64, 64))
        np.testing.assert_allclose(a @ a, 64.0)
    assert get_threads() == before
