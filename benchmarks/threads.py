"""How many threads numpy's BLAS uses, and the environment that fixes it for a child process.

numpy reads no thread setting of its own: its BLAS (OpenBLAS in the numpy wheels, MKL or
Accelerate elsewhere) reads ``OPENBLAS_NUM_THREADS`` / ``MKL_NUM_THREADS`` / ``OMP_NUM_THREADS``
when it is loaded, so the count must be in the environment before numpy is imported. PyTorch
reads ``OMP_NUM_THREADS`` too and ``torch.set_num_threads(n)`` changes it at run time.
"""

from __future__ import annotations

import ctypes
import os

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

# (library name fragment, function returning the thread count), as the BLAS builds name them.
_GETTERS = (
    ("openblas", "scipy_openblas_get_num_threads64_"),
    ("openblas", "scipy_openblas_get_num_threads"),
    ("openblas", "openblas_get_num_threads64_"),
    ("openblas", "openblas_get_num_threads"),
    ("mkl_rt", "MKL_Get_Max_Threads"),
)


def _loaded_libraries() -> list:
    """Paths of the shared libraries mapped into this process (Linux: /proc/self/maps)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "/" in line and ".so" in line}
    except OSError:
        return []
    return sorted(paths)


def blas_threads() -> int | None:
    """Threads numpy's BLAS will use, asked from the library itself; None when it cannot say."""
    import numpy  # noqa: F401 - loads the BLAS into the process

    for path in _loaded_libraries():
        name = os.path.basename(path).lower()
        for fragment, getter in _GETTERS:
            if fragment in name:
                try:
                    function = getattr(ctypes.CDLL(path), getter)
                except (OSError, AttributeError):
                    continue
                function.restype = ctypes.c_int
                return int(function())
    return None


def default_threads() -> int:
    """The number of threads numpy's BLAS uses here (what the benchmarks default to)."""
    found = blas_threads()
    if found:
        return found
    for variable in THREAD_VARIABLES:
        if os.environ.get(variable, "").isdigit():
            return int(os.environ[variable])
    return os.cpu_count() or 1


def thread_environment(threads: int) -> dict:
    """A copy of the environment with every BLAS/OpenMP thread variable set to ``threads``."""
    environment = dict(os.environ)
    for variable in THREAD_VARIABLES:
        environment[variable] = str(threads)
    return environment
