"""How many threads numpy's BLAS uses: ``ns.get_num_threads()`` / ``ns.set_num_threads(n)``.

numpy has no thread setting of its own: its BLAS (OpenBLAS in the numpy wheels, MKL in some
builds) reads ``OPENBLAS_NUM_THREADS`` / ``MKL_NUM_THREADS`` / ``OMP_NUM_THREADS`` once, when
numpy loads it. These functions ask the loaded library itself, through ctypes, so the count
can change at run time, as PyTorch's ``torch.set_num_threads`` does. Only the matrix products
(and the convolutions built on them) are threaded; numpy's element-wise work runs on one.

Small matrices are faster on one thread: a multi-threaded BLAS spends more time waking and
synchronising its threads than multiplying, and on a busy machine its threads spin waiting for
one another (the quick ``dropout`` experiment took 26 s of CPU with two OpenBLAS threads and
7 s with one), hence :func:`single_blas_thread` for the experiments.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator
from functools import cache

# (library name fragment, setter, getter) as the BLAS builds name them
_CONTROLS = (
    ("openblas", "scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("openblas", "scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
    ("openblas", "openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("openblas", "openblas_set_num_threads", "openblas_get_num_threads"),
    ("mkl_rt", "MKL_Set_Num_Threads", "MKL_Get_Max_Threads"),
)
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@cache
def _blas_controls() -> tuple | None:
    """(set, get) functions of the BLAS loaded by numpy, or None where none is known."""
    import numpy  # noqa: F401 - loads the BLAS into the process

    try:
        with open("/proc/self/maps") as maps:  # Linux; elsewhere the BLAS is not found
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


def get_num_threads() -> int:
    """Threads numpy's matrix products use: the BLAS's own count, else the environment's."""
    controls = _blas_controls()
    if controls is not None:
        return int(controls[1]())
    for variable in THREAD_VARIABLES:
        if os.environ.get(variable, "").isdigit():
            return int(os.environ[variable])
    return os.cpu_count() or 1


def set_num_threads(threads: int) -> None:
    """Use ``threads`` threads in numpy's matrix products from now on.

    Raises ValueError for a count below 1 and RuntimeError where the BLAS cannot be reached
    (then set ``OPENBLAS_NUM_THREADS`` / ``MKL_NUM_THREADS`` before numpy is imported).
    """
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"set_num_threads: expected a positive integer, got {threads!r}")
    controls = _blas_controls()
    if controls is None:
        raise RuntimeError("set_num_threads: numpy's BLAS is not one this function can reach "
                           "(OpenBLAS or MKL on Linux); set OPENBLAS_NUM_THREADS or "
                           "MKL_NUM_THREADS before numpy is imported")
    controls[0](threads)


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Inside the block numpy's BLAS uses one thread; the previous count is restored after.
    Where the BLAS cannot be reached it changes nothing."""
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
