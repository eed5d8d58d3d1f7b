"""``nnscratch info``: the version, the array backend, numpy's BLAS and whether a GPU is usable."""

from __future__ import annotations

import argparse
import importlib
from typing import Any

NAME = "info"
HELP = "print the version, the array backend, numpy's BLAS and whether a GPU is usable"


def configure(parser: argparse.ArgumentParser) -> None:
    """No arguments."""


def run(args: argparse.Namespace) -> int:
    import platform

    import numpy

    from .. import __version__
    from ..threads import get_num_threads

    print(f"nnscratch {__version__}")
    print(f"python    {platform.python_version()} ({platform.system()} {platform.machine()})")
    print(f"numpy     {numpy.__version__}, BLAS: {blas_description(numpy)}")
    print(f"threads   {get_num_threads()} in matrix products (OPENBLAS_NUM_THREADS=N before "
          "start, or ns.set_num_threads(N))")
    print("backend   numpy on cpu; cupy on cuda")
    print(f"gpu       {gpu_description()}")
    return 0


def blas_description(numpy: Any) -> str:
    """Name, version and configuration of the BLAS numpy was built with, or ``unknown``."""
    try:
        config = numpy.show_config(mode="dicts")  # numpy >= 1.25
        blas = config["Build Dependencies"]["blas"]
    except Exception:  # noqa: BLE001 - older numpy: no machine-readable config
        return "unknown"
    name, version = blas.get("name", "unknown"), blas.get("version", "")
    detail = blas.get("openblas configuration", "")
    return " ".join(part for part in (name, version, f"({detail})" if detail else "") if part)


def gpu_description() -> str:
    """Whether CuPy is installed and sees a CUDA device, and the devices' names."""
    try:
        cupy = importlib.import_module("cupy")
    except ImportError:
        return "not usable (CuPy is not installed: pip install 'nnscratch[gpu]')"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # noqa: BLE001 - any CUDA failure means no GPU
        return f"not usable (CuPy {cupy.__version__}: {error})"
    if count == 0:
        return f"not usable (CuPy {cupy.__version__} sees no CUDA device)"
    names = []
    for index in range(count):
        name = cupy.cuda.runtime.getDeviceProperties(index)["name"]
        names.append(name.decode() if isinstance(name, bytes) else str(name))
    return f"usable: CuPy {cupy.__version__}, {count} device(s): {', '.join(names)}"
