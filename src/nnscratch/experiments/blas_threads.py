"""Run numpy's BLAS on one thread while an experiment trains.

The experiments' networks are small (matrices of tens to a few hundred rows): a multi-threaded
BLAS spends more time waking and synchronising its threads than multiplying, and on a machine
whose cores are busy with other work its threads spin waiting for one another — measured here,
the quick ``dropout`` experiment took 26 s of CPU with two OpenBLAS threads and 7 s with one.
numpy reads the thread count only when it loads its BLAS, so :func:`single_blas_thread` asks the
loaded library itself (OpenBLAS or MKL, through ctypes) and restores the count afterwards; where
no known library is found it changes nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator

# (library name fragment, setter, getter) as the BLAS builds name them
_CONTROLS = (
    ("openblas", "scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("openblas", "scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
    ("openblas", "openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("openblas", "openblas_set_num_threads", "openblas_get_num_threads"),
    ("mkl_rt", "MKL_Set_Num_Threads", "MKL_Get_Max_Threads"),
)


def _blas_controls() -> tuple | None:
    """(set, get) functions of the BLAS loaded by numpy, or None."""
    import numpy  # noqa: F401 - loads the BLAS into the process

    try:
        with open("/proc/self/maps") as maps:  # Linux; elsewhere nothing is changed
            paths = sorted({line.split()[-1] for line in maps if "/" in line and ".so" in line})
    except OSError:
        return None
    for path in paths:
        name = os.path.basename(path).lower()
        for fragment, setter, getter in _CONTROLS:
            if fragment not in name:
                continue
            try:
                library = ctypes.CDLL(path)
                set_threads, get_threads = getattr(library, setter), getattr(library, getter)
            except (OSError, AttributeError):
                continue
            get_threads.restype = ctypes.c_int
            return set_threads, get_threads
    return None


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Inside the block numpy's BLAS uses one thread; the previous count is restored after."""
    controls = _blas_controls()
    if controls is None:
        yield
        return
    set_threads, get_threads = controls
    previous = int(get_threads())
    set_threads(1)
    try:
        yield
    finally:
        set_threads(previous)
