"""Array backends, devices, dtypes and the library's random generators.

``xp`` is the array module of the data at hand: ``numpy`` on the CPU, ``cupy`` on a GPU.
CuPy is imported lazily, the first time something asks for a CUDA device, so the CPU path
never needs it.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy

# dtypes are numpy dtype objects: ``t.dtype == ns.float32`` and ``numpy.float32`` agree.
float16 = numpy.dtype("float16")
float32 = numpy.dtype("float32")
float64 = numpy.dtype("float64")
int8 = numpy.dtype("int8")
int16 = numpy.dtype("int16")
int32 = numpy.dtype("int32")
int64 = numpy.dtype("int64")
uint8 = numpy.dtype("uint8")
bool_ = numpy.dtype("bool")

_default_dtype = float32


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype that Python floats and float factories get (float32 or float64)."""
    global _default_dtype
    dtype = numpy.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {dtype}")
    _default_dtype = dtype


def get_default_dtype() -> numpy.dtype:
    """The dtype of Python floats turned into tensors (float32 unless changed)."""
    return _default_dtype


def as_dtype(dtype: Any) -> numpy.dtype | None:
    """Normalise a dtype-like (``ns.float32``, ``"float32"``, ``numpy.float32``, ``float``)."""
    if dtype is None:
        return None
    if dtype is float:
        return _default_dtype
    return numpy.dtype(dtype)


class device:  # noqa: N801 - named as torch.device
    """Where a tensor lives: ``device("cpu")``, ``device("cuda")``, ``device("cuda", 1)``.

    ``str(device)`` is ``"cpu"`` or ``"cuda:N"``.
    """

    __slots__ = ("type", "index")

    def __init__(self, spec: Any = "cpu", index: int | None = None) -> None:
        if isinstance(spec, device):
            spec, index = spec.type, spec.index if index is None else index
        if not isinstance(spec, str):
            raise TypeError(f"device: expected a string such as 'cpu' or 'cuda:0', got {spec!r}")
        kind, _, number = spec.partition(":")
        if kind not in ("cpu", "cuda"):
            raise RuntimeError(f"device: unknown device type {kind!r} (expected 'cpu' or 'cuda')")
        if number:
            index = int(number)
        if kind == "cuda" and index is None:
            index = 0
        self.type = kind
        self.index = index if kind == "cuda" else None

    def __str__(self) -> str:
        return "cpu" if self.type == "cpu" else f"cuda:{self.index}"

    def __repr__(self) -> str:
        if self.type == "cpu":
            return "device(type='cpu')"
        return f"device(type='cuda', index={self.index})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")


def cupy_module():
    """Import CuPy on first use; raise a clear error when it is not installed."""
    try:
        return importlib.import_module("cupy")
    except ImportError as error:  # pragma: no cover - depends on the machine
        raise RuntimeError(
            "CUDA device requested but CuPy is not installed: pip install 'nnscratch[gpu]'"
        ) from error


def cuda_is_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    try:
        cupy = importlib.import_module("cupy")
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001 - any failure means no usable GPU
        return False


def get_array_module(array: Any):
    """numpy for host arrays, cupy for device arrays (without importing cupy needlessly)."""
    if isinstance(array, numpy.ndarray) or type(array).__module__ == "numpy":
        return numpy
    if type(array).__module__.startswith("cupy"):
        return cupy_module()
    return numpy


def device_of(array: Any) -> device:
    """The device an array lives on."""
    if isinstance(array, numpy.ndarray):
        return CPU
    if type(array).__module__.startswith("cupy"):
        return device("cuda", array.device.id)
    return CPU


def to_device(array: Any, target: device) -> Any:
    """Copy an array to ``target`` (no copy when it is already there)."""
    if device_of(array) == target:
        return array
    if target.type == "cpu":
        return array.get()
    cupy = cupy_module()
    with cupy.cuda.Device(target.index):
        return cupy.asarray(array)


def xp_for(target: device):
    """The array module that makes arrays on ``target``."""
    return numpy if target.type == "cpu" else cupy_module()


_seed = 0
_generators: dict[device, Any] = {}


def manual_seed(seed: int) -> None:
    """Seed every random draw of the library: initialisation, dropout, shuffling."""
    global _seed
    _seed = int(seed)
    _generators.clear()


def generator(target: device = CPU):
    """The random generator of a device (created from the current seed on first use)."""
    gen = _generators.get(target)
    if gen is None:
        if target.type == "cpu":
            gen = numpy.random.Generator(numpy.random.PCG64(_seed))
        else:
            cupy = cupy_module()
            with cupy.cuda.Device(target.index):
                gen = cupy.random.Generator(cupy.random.XORWOW(_seed))
        _generators[target] = gen
    return gen


def get_rng_state() -> dict:
    """The CPU generator's state as a JSON-friendly dict (for checkpoints)."""
    return {"seed": _seed, "cpu": generator(CPU).bit_generator.state}


def set_rng_state(state: dict) -> None:
    """Restore what :func:`get_rng_state` returned."""
    global _seed
    _seed = state["seed"]
    generator(CPU).bit_generator.state = state["cpu"]
