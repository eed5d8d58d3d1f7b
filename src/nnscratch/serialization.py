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
import struct
import tempfile
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy

from . import backend
from .tensor import Tensor

_ORDER_KEY = "nnscratch.key_order"
_SUPPORTED_KINDS = "biuf"
_HEADER_LIMIT = 100_000_000  # safetensors' own limit on the JSON header size
_PICKLE_0_STARTS = (b"c", b"(", b"]", b"}", b"I", b"S", b"V", b"L", b"F", b"N")  # opcodes


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
        if array.dtype.kind not in _SUPPORTED_KINDS:
            raise TypeError(
                f"save: value of {key!r} has dtype {array.dtype} (shape {array.shape}), which "
                "safetensors cannot hold; use bool, integer or float dtypes"
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
    A missing file raises FileNotFoundError; a file that is not a valid safetensors
    checkpoint (empty, truncated, random bytes, a pickle or ``torch.save`` file, a header
    whose sizes or offsets do not match the data) raises ValueError naming the file and
    the fault. Nothing in the file is ever executed.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such file: {path!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"load: {path!r} is a folder, not a checkpoint file")
    header = _read_header(path)
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(path, framework="np") as file:
            names = list(file.keys())
            arrays = {name: file.get_tensor(name) for name in names}
    except SafetensorError as error:
        raise ValueError(f"load: {path!r} is not a valid checkpoint: {error}") from None
    order = _saved_order(path, header, names)
    target = backend.device(device) if device is not None else backend.CPU
    result = OrderedDict()
    for name in order:
        array = arrays[name]
        if not array.flags.writeable:
            array = array.copy()
        result[name] = Tensor._make(backend.to_device(array, target))
    return result


def _read_header(path: str) -> dict:
    """Parse and sanity-check the safetensors header; ValueError on anything malformed."""
    size = os.path.getsize(path)

    def fault(reason: str) -> ValueError:
        return ValueError(f"load: {path!r} is not a valid checkpoint: {reason}")

    if size == 0:
        raise fault("the file is empty")
    with open(path, "rb") as file:
        prefix = file.read(8)
        if len(prefix) < 8:
            raise fault(f"the file has only {size} bytes, too short for a safetensors header")
        if prefix[:1] == b"\x80" or prefix[:2] in (b"(d", b"(l", b"}q", b"]q"):
            raise fault("it looks like a pickle file; pickles are never loaded (they can run "
                        "code); convert it to safetensors")
        if prefix[:4] == b"PK\x03\x04":
            raise fault("it is a zip archive (e.g. written by torch.save), not safetensors")
        (header_size,) = struct.unpack("<Q", prefix)
        if header_size > min(size - 8, _HEADER_LIMIT):
            file.seek(-1, os.SEEK_END)
            hint = ""
            if prefix[:1] in _PICKLE_0_STARTS and file.read(1) == b".":
                hint = " (it looks like a protocol-0 pickle, which is never loaded)"
            raise fault(
                f"the header claims {header_size} bytes but the file has {size} bytes{hint}"
            )
        raw = file.read(header_size)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise fault(f"the header is not valid JSON ({error})") from None
    if not isinstance(header, dict):
        raise fault(f"the header is a JSON {type(header).__name__}, not an object")
    data_size = size - 8 - header_size
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= set(entry):
            raise fault(f"the header entry of {name!r} lacks dtype, shape or data_offsets")
        offsets = entry["data_offsets"]
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(isinstance(o, int) for o in offsets)):
            raise fault(f"the data_offsets of {name!r} are not two integers: {offsets!r}")
        begin, end = offsets
        if not 0 <= begin <= end <= data_size:
            raise fault(
                f"tensor {name!r} claims bytes {begin}..{end} but the data section has "
                f"{data_size} bytes"
            )
    return header


def _saved_order(path: str, header: dict, names: list) -> list:
    """The names in the order ``save`` received them (file order for foreign files)."""
    metadata = header.get("__metadata__") or {}
    if _ORDER_KEY not in metadata:  # not written by ns.save: keep the data layout order
        return sorted(names, key=lambda name: header[name]["data_offsets"][0])
    try:
        order = json.loads(metadata[_ORDER_KEY])
    except (TypeError, json.JSONDecodeError):
        order = None
    if not isinstance(order, list) or sorted(order) != sorted(names):
        raise ValueError(
            f"load: {path!r} is not a valid checkpoint: its key order metadata does not list "
            "exactly the tensors stored"
        )
    return order
