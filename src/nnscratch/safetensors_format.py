"""The safetensors file format, read as untrusted input: the header's structure and dtypes.

A safetensors file is::

    u64 little-endian N | N bytes of JSON header (an object, padded with spaces) | data section

The header maps each tensor name to ``{"dtype": "F32", "shape": [3, 4], "data_offsets": [b, e]}``
(byte range ``[b, e)`` of the data section) and may hold ``"__metadata__"``, an object of strings.
:func:`read_layout` checks everything the format promises before a single tensor byte is read:
the length fits the file, the JSON is an object (no nesting or long-integer bombs), every entry
has a known dtype and a shape whose size matches its byte range, and the ranges tile the data
section exactly (sorted, contiguous, no overlap, no hole, nothing left over), as the reference
implementation requires. The work is bounded by the file: a header may hold at most
:data:`MAX_HEADER_VALUES` JSON values, counted while it is read, so a 100 MB header of millions
of empty entries is refused after reading its first megabytes.

When the first bytes do not have this structure, :func:`diagnose` says what the file looks like
instead (a pickle, a ``torch.save`` zip archive, something else), for the error message only:
nothing is ever unpickled.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy

#: the reference implementation's limit on the JSON header's size
HEADER_LIMIT = 100_000_000
#: at most this many JSON values (counted as ``,`` ``{`` ``[`` bytes) in a header: about 8 per
#: tensor, so room for 125,000 tensors, while loading stays under ~2 s and ~200 MB
MAX_HEADER_VALUES = 1_000_000
_CHUNK = 1 << 20
_MAX_NDIM = 64  # numpy's limit on the number of dimensions


def _bfloat16_to_float32(raw: numpy.ndarray) -> numpy.ndarray:
    # a bfloat16 is the top 16 bits of a float32: shifting them back up is exact (NaNs included)
    return (raw.astype(numpy.uint32) << 16).view(numpy.float32)


def _e5m2_to_float32(raw: numpy.ndarray) -> numpy.ndarray:
    # float8_e5m2 is the top 8 bits of an IEEE float16 (1 sign, 5 exponent, 2 mantissa bits)
    return (raw.astype(numpy.uint16) << 8).view(numpy.float16).astype(numpy.float32)


def _e4m3fn_table() -> numpy.ndarray:
    """The 256 float8_e4m3fn values: 1 sign, 4 exponent (bias 7), 3 mantissa bits, no
    infinities, NaN at S.1111.111; exponent 0 is subnormal, m·2⁻⁹."""
    codes = numpy.arange(256)
    exponent, mantissa = (codes >> 3) & 0xF, codes & 0x7
    magnitude = numpy.where(exponent == 0, mantissa * 2.0 ** -9,
                            (8 + mantissa) * 2.0 ** (exponent - 10))  # (1 + m/8)·2^(e-7)
    values = numpy.where(codes & 0x80, -magnitude, magnitude).astype(numpy.float32)
    values[(codes & 0x7F) == 0x7F] = numpy.nan
    return values


_E4M3FN = _e4m3fn_table()


def _e4m3fn_to_float32(raw: numpy.ndarray) -> numpy.ndarray:
    return _E4M3FN[raw]


@dataclass(frozen=True)
class Dtype:
    """A safetensors dtype nnscratch reads: how its bytes are stored, and the exact
    conversion to a dtype nnscratch has (None: loaded as stored)."""

    name: str
    storage: numpy.dtype  # little-endian, as in the file
    convert: Any = None

    @property
    def itemsize(self) -> int:
        return self.storage.itemsize


DTYPES = {d.name: d for d in (
    Dtype("BOOL", numpy.dtype("|u1"), lambda raw: raw != 0),  # any non-zero byte is True
    Dtype("U8", numpy.dtype("|u1")), Dtype("I8", numpy.dtype("|i1")),
    Dtype("U16", numpy.dtype("<u2")), Dtype("I16", numpy.dtype("<i2")),
    Dtype("U32", numpy.dtype("<u4")), Dtype("I32", numpy.dtype("<i4")),
    Dtype("U64", numpy.dtype("<u8")), Dtype("I64", numpy.dtype("<i8")),
    Dtype("F16", numpy.dtype("<f2")), Dtype("F32", numpy.dtype("<f4")),
    Dtype("F64", numpy.dtype("<f8")),
    Dtype("BF16", numpy.dtype("<u2"), _bfloat16_to_float32),
    Dtype("F8_E5M2", numpy.dtype("|u1"), _e5m2_to_float32),
    Dtype("F8_E4M3", numpy.dtype("|u1"), _e4m3fn_to_float32),
)}
#: the numpy dtypes ``save`` writes, by safetensors name
SAVED_DTYPES = {d.storage.newbyteorder("="): name for name, d in DTYPES.items() if d.convert is None}
SAVED_DTYPES[numpy.dtype(bool)] = "BOOL"
#: safetensors dtypes that nnscratch has no exact representation for
UNSUPPORTED = {"C64": "complex numbers", "F8_E8M0": "8-bit exponent-only scales",
               "F4": "4-bit floats", "F6_E2M3": "6-bit floats", "F6_E3M2": "6-bit floats"}


@dataclass(frozen=True)
class Entry:
    """One tensor of the header: its name, dtype, shape and byte range in the data section."""

    name: str
    dtype: Dtype
    shape: tuple[int, ...]
    begin: int
    end: int


@dataclass(frozen=True)
class Layout:
    """A checked header: the tensors in data order, the metadata, where the data begins."""

    entries: list[Entry]
    metadata: dict[str, str]
    data_start: int


def read_layout(file: BinaryIO, size: int, fault: Any) -> Layout:
    """Read and check the header of the safetensors file ``file`` of ``size`` bytes, at its
    start. ``fault(reason)`` makes the error (naming the file) that is raised for any flaw."""
    prefix = file.read(8)
    if len(prefix) < 8:
        raise fault(f"the file has only {size} bytes, too short for a safetensors header")
    (header_size,) = struct.unpack("<Q", prefix)
    first = file.read(1)
    if not (2 <= header_size <= min(size - 8, HEADER_LIMIT) and first == b"{"):
        file.seek(-1, 2)
        raise fault(diagnose(prefix, first, file.read(1), header_size, size))
    raw = _read_bounded(file, header_size, first, fault)
    header = parse_json(raw, fault)  # it begins with '{', so if it parses it is an object
    metadata = _metadata(header.pop("__metadata__", None), fault)
    data_size = size - 8 - header_size
    entries = sorted((_entry(name, value, data_size, fault) for name, value in header.items()),
                     key=lambda entry: (entry.begin, entry.end))
    _check_tiling(entries, data_size, fault)
    return Layout(entries, metadata, 8 + header_size)


def diagnose(prefix: bytes, first: bytes, last: bytes, header_size: int, size: int) -> str:
    """Why a file whose first bytes are ``prefix`` (then ``first``; ``last`` is its last
    byte) is not safetensors, saying what it looks like instead."""
    if prefix[:4] == b"PK\x03\x04":
        return "it is a zip archive (e.g. written by torch.save), not safetensors"
    if prefix[0] == 0x80 and 2 <= prefix[1] <= 5:
        return (f"it looks like a protocol-{prefix[1]} pickle file; pickles are never loaded "
                "(they can run code); convert it to safetensors")
    if prefix[:1] in b"c(]}ISVLFN" and last == b".":  # protocol 0/1 opcodes ... STOP
        return ("it looks like a protocol-0 pickle file; pickles are never loaded (they can "
                "run code); convert it to safetensors")
    if header_size > min(size - 8, HEADER_LIMIT):
        return (f"it is not safetensors: the header claims {header_size} bytes but the file "
                f"has {size} bytes")
    return (f"it is not safetensors: the {header_size}-byte header does not begin with '{{' "
            f"(it begins with {first!r})")


def parse_json(text: bytes | str, fault: Any, what: str = "the header") -> Any:
    """``text`` (``what``) as strict JSON: UTF-8, no NaN or Infinity, nested no deeper than
    Python's recursion limit, and no integer of more than 20 digits (no size or offset of
    safetensors can have more), which also keeps a header of huge numbers from costing the
    quadratic time of converting them. ``fault(reason)`` makes the error raised."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise fault(f"{what} is not UTF-8 text ({error})") from None
    try:
        return json.loads(text, parse_int=_u64_digits, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise fault(f"{what} is not valid JSON ({error})") from None
    except RecursionError:  # json's C parser raises it at once at Python's recursion limit
        raise fault(f"{what} nests JSON too deeply (a nesting bomb?)") from None
    except ValueError as error:  # from _u64_digits or _no_constant
        raise fault(f"{what} is not valid JSON ({error})") from None


def _u64_digits(digits: str) -> int:
    length = len(digits.lstrip("-"))
    if length > 20:
        raise ValueError(f"an integer of {length} digits, more than any safetensors size or "
                         "offset has (20)")
    return int(digits)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _read_bounded(file: BinaryIO, header_size: int, first: bytes, fault: Any) -> bytes:
    """The header's bytes, read in chunks while counting its JSON values: refused as soon as
    there are more than :data:`MAX_HEADER_VALUES`, so a huge header costs little."""
    chunks, values, left = [first], 0, header_size - 1
    while left:
        chunk = file.read(min(_CHUNK, left))
        if not chunk:
            raise fault(f"the file ended inside its {header_size}-byte header (was it truncated "
                        "while being read?)")
        values += chunk.count(b",") + chunk.count(b"{") + chunk.count(b"[")
        if values > MAX_HEADER_VALUES:
            raise fault(f"the header holds more than {MAX_HEADER_VALUES:,} JSON values (a "
                        f"{header_size:,}-byte header), more than a checkpoint of nnscratch's "
                        "may have")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _metadata(metadata: Any, fault: Any) -> dict[str, str]:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise fault("the header's __metadata__ is not an object of strings")
    return metadata


def _entry(name: str, value: Any, data_size: int, fault: Any) -> Entry:
    """One header entry checked: a known dtype, a shape of non-negative integers, offsets
    inside the data section that span exactly the shape's bytes."""
    if not isinstance(value, dict) or not {"dtype", "shape", "data_offsets"} <= value.keys():
        raise fault(f"the header entry of {_short(name)} lacks dtype, shape or data_offsets")
    dtype_name, shape, offsets = value["dtype"], value["shape"], value["data_offsets"]
    if isinstance(dtype_name, str) and dtype_name in UNSUPPORTED:
        raise fault(f"tensor {_short(name)} has dtype {dtype_name} ({UNSUPPORTED[dtype_name]}), "
                    f"which nnscratch cannot represent; nnscratch reads {', '.join(DTYPES)}")
    if not isinstance(dtype_name, str) or dtype_name not in DTYPES:
        raise fault(f"tensor {_short(name)} has dtype {_short(dtype_name)}, which is not a "
                    f"safetensors dtype nnscratch reads ({', '.join(DTYPES)})")
    if not (isinstance(shape, list) and len(shape) <= _MAX_NDIM and _counts(shape)):
        raise fault(f"the shape of {_short(name)} is not a list of at most {_MAX_NDIM} "
                    f"non-negative integers: {_short(shape)}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and _counts(offsets)):
        raise fault(f"the data_offsets of {_short(name)} are not two non-negative integers: "
                    f"{_short(offsets)}")
    begin, end = offsets
    if not begin <= end <= data_size:
        raise fault(f"tensor {_short(name)} claims bytes {begin}..{end} but the data section has "
                    f"{data_size} bytes")
    dtype = DTYPES[dtype_name]
    # numpy refuses shapes whose size (zero dimensions counted as one) overflows
    if math.prod(max(d, 1) for d in shape) * dtype.itemsize >= 2 ** 62:
        raise fault(f"the shape {shape} of {_short(name)} is too large for any array")
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes != end - begin:
        raise fault(f"tensor {_short(name)} of dtype {dtype_name} and shape {shape} needs {nbytes} "
                    f"bytes but its data_offsets {begin}..{end} span {end - begin}")
    return Entry(name, dtype, tuple(shape), begin, end)


def _check_tiling(entries: list[Entry], data_size: int, fault: Any) -> None:
    """The byte ranges (sorted) must follow each other with no gap and no overlap and end
    where the data section ends."""
    covered, previous = 0, None
    for entry in entries:
        if entry.begin < covered:
            raise fault(f"tensor {_short(entry.name)} (bytes {entry.begin}..{entry.end}) overlaps "
                        f"tensor {_short(previous.name)} (bytes {previous.begin}..{previous.end})")
        if entry.begin > covered:
            raise fault(f"bytes {covered}..{entry.begin} of the data section belong to no tensor "
                        f"(a hole before {_short(entry.name)})")
        covered, previous = entry.end, entry
    if covered != data_size:
        raise fault(f"the data section has {data_size} bytes but the tensors cover only "
                    f"{covered}")


def _counts(values: list) -> bool:
    """Every value a non-negative int (``type() is int``: a bool is not a count)."""
    return all(type(value) is int and value >= 0 for value in values)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
