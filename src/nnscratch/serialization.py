"""Saving and loading state dicts as safetensors files (``ns.save`` / ``ns.load``).

A checkpoint is a flat mapping ``name -> array``. It is written in the safetensors format
(a JSON header describing dtypes, shapes and byte ranges, then the raw bytes), which holds
data only: loading it can never run code, unlike pickle. Writes are atomic (a temporary file
in the same folder, flushed to disk, then renamed over the target), so a crash mid-save
leaves the previous checkpoint intact. safetensors sorts names; the saved order is kept in
the header's metadata so ``load`` returns the names in the order they were given.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, BinaryIO

import numpy

from . import backend, safetensors_format
from ._tensor import Tensor
from .creation import as_tensor
from .untrusted import UntrustedFileError, open_regular

_ORDER_KEY = "nnscratch.key_order"


def save(obj: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Write ``obj`` (a dict of str -> Tensor or numpy array) to ``path`` as safetensors.

    Raises TypeError, before touching the disk, for anything else: a non-dict, a non-str
    key, a nested dict, a list, a number, an array of an unsupported dtype.
    """
    arrays = _host_arrays(obj)
    from safetensors.numpy import save as to_bytes  # imported here: only saving needs it

    metadata = {_ORDER_KEY: json.dumps(list(arrays))}
    payload = to_bytes(arrays, metadata=metadata)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(
        dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp"
    )
    try:
        os.chmod(temporary, 0o666 & ~_current_umask())  # mkstemp makes it private (0600)
        with os.fdopen(handle, "wb") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    _fsync_folder(folder)


def _host_arrays(obj: Any) -> dict[str, numpy.ndarray]:
    """Check ``obj`` and return its values as contiguous host numpy arrays, in order."""
    if not isinstance(obj, Mapping):
        raise TypeError(
            f"save: expected a dict of str -> Tensor or numpy array, got {type(obj).__name__}"
        )
    arrays: dict[str, numpy.ndarray] = {}
    for key, value in obj.items():
        if not isinstance(key, str):
            raise TypeError(f"save: keys must be str, got {type(key).__name__} {key!r}")
        if key == "__metadata__":
            raise TypeError("save: the key '__metadata__' is reserved by the safetensors format")
        if isinstance(value, Tensor):
            array = value.numpy()
        elif isinstance(value, numpy.ndarray):
            array = value
        else:
            raise TypeError(
                f"save: value of {key!r} is a {type(value).__name__}; only Tensors and numpy "
                "arrays can be saved (flatten nested dicts into 'a.b' names, keep other "
                "objects in a JSON file)"
            )
        if not array.dtype.isnative:  # safetensors is little-endian: write values, not bytes
            array = array.astype(array.dtype.newbyteorder("="))
        if array.dtype not in safetensors_format.SAVED_DTYPES:
            raise TypeError(
                f"save: value of {key!r} has dtype {array.dtype} (shape {array.shape}), which "
                "safetensors cannot hold; use bool, (u)int8-64 or float16/32/64"
            )
        # (not numpy.ascontiguousarray: it turns 0-d arrays into shape (1,))
        arrays[key] = array if array.flags.c_contiguous else array.copy(order="C")
    return arrays


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (where the platform allows opening a folder)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(descriptor)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(descriptor)


def load(path: str | os.PathLike, device: Any = None) -> OrderedDict:
    """Read a checkpoint written by :func:`save` (or any safetensors file).

    Returns an OrderedDict name -> Tensor in the saved order (on ``device``, default CPU).
    bfloat16 and float8 (``F8_E4M3``, ``F8_E5M2``) tensors are converted exactly to float32,
    as ``t.float()`` does in PyTorch. A missing file raises FileNotFoundError; anything else
    that is not a valid safetensors file raises ValueError naming the file and the fault,
    before any tensor is built: a folder, FIFO or device, an empty, truncated or random
    file, a pickle or ``torch.save`` archive, a malformed or oversized header (see
    :func:`nnscratch.safetensors_format.read_layout`), a dtype nnscratch cannot represent,
    key-order metadata that does not list the tensors. Nothing in the file is ever executed.
    """
    path = os.fspath(path)

    def fault(reason: str) -> UntrustedFileError:
        return UntrustedFileError(f"load: {path!r} is not a valid checkpoint: {reason}")

    with open_regular(path, what="load: checkpoint") as file:
        size = os.fstat(file.fileno()).st_size
        if size == 0:
            raise fault("the file is empty")
        layout = safetensors_format.read_layout(file, size, fault)
        order = _saved_order(layout, fault)
        file.seek(layout.data_start)
        arrays = {entry.name: _read_array(file, entry, fault) for entry in layout.entries}
    target = backend.device(device) if device is not None else backend.CPU
    return OrderedDict((name, as_tensor(backend.to_device(arrays[name], target)))
                       for name in order)


def _read_array(file: BinaryIO, entry: safetensors_format.Entry, fault: Any) -> numpy.ndarray:
    """The next ``entry.end - entry.begin`` bytes of ``file`` as an owned, writable array of
    ``entry``'s shape, converted to the dtype nnscratch holds it in."""
    size = entry.end - entry.begin
    buffer = numpy.empty(size, dtype=numpy.uint8)
    filled = 0
    view = memoryview(buffer)
    while filled < size:
        count = file.readinto(view[filled:])
        if not count:
            raise fault(f"the file ended inside tensor {entry.name[:60]!r} (was it truncated while "
                        "being read?)")
        filled += count
    array = buffer.view(entry.dtype.storage).reshape(entry.shape)
    if entry.dtype.convert is not None:
        return entry.dtype.convert(array)
    native = entry.dtype.storage.newbyteorder("=")
    return array if array.dtype == native else array.astype(native)


def _saved_order(layout: safetensors_format.Layout, fault: Any) -> list[str]:
    """The names in the order ``save`` received them (data order for foreign files)."""
    names = [entry.name for entry in layout.entries]
    if _ORDER_KEY not in layout.metadata:  # not written by ns.save
        return names
    order = safetensors_format.parse_json(layout.metadata[_ORDER_KEY], fault,
                                          what=f"its {_ORDER_KEY} metadata")
    if not isinstance(order, list) or not all(isinstance(name, str) for name in order):
        raise fault(f"its {_ORDER_KEY} metadata is not a JSON list of strings")
    if len(set(order)) != len(order):
        raise fault(f"its {_ORDER_KEY} metadata lists a name twice")
    if set(order) != set(names):
        missing = [name[:40] for name in sorted(set(names) - set(order))[:3]]
        extra = [name[:40] for name in sorted(set(order) - set(names))[:3]]
        raise fault(f"its key order metadata does not list exactly the tensors stored "
                    f"(unlisted: {missing}, not stored: {extra})")
    return order
