"""``ns.cuda``: is a GPU usable, synchronise it, seed it."""

from __future__ import annotations

from . import backend


def is_available() -> bool:
    """True when CuPy is installed and sees a GPU."""
    return backend.cuda_is_available()


def device_count() -> int:
    if not is_available():
        return 0
    return backend.cupy_module().cuda.runtime.getDeviceCount()


def synchronize() -> None:
    """Wait for every queued GPU kernel to finish (for timing)."""
    if is_available():
        backend.cupy_module().cuda.Stream.null.synchronize()


def manual_seed(seed: int) -> None:
    """Seed the GPU generators (the library seeds every device from one seed)."""
    backend.manual_seed(seed)
