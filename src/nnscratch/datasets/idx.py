"""The IDX file format of MNIST and Fashion-MNIST (LeCun et al.).

Layout, all integers big-endian::

    byte 0-1   0x00 0x00
    byte 2     type code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    byte 3     number of dimensions d
    4 * d      the size of each dimension (uint32)
    rest       prod(sizes) values of the type, row-major (the last index changes fastest)

``train-images-idx3-ubyte`` is ``(60000, 28, 28)`` uint8; ``train-labels-idx1-ubyte`` is
``(60000,)`` uint8. Files may be gzipped; that is detected from the content, not the name.
"""

from __future__ import annotations

import os

import numpy

from .files import maybe_gunzip

# type code -> big-endian numpy dtype of the stored values
IDX_TYPES = {
    0x08: numpy.dtype(">u1"),
    0x09: numpy.dtype(">i1"),
    0x0B: numpy.dtype(">i2"),
    0x0C: numpy.dtype(">i4"),
    0x0D: numpy.dtype(">f4"),
    0x0E: numpy.dtype(">f8"),
}
MAX_DIMS = 32


def parse_idx(data: bytes, source: str = "<bytes>") -> numpy.ndarray:
    """Decode the bytes of one IDX file (gzipped or not) into an array of its shape.

    Returns a native-endian array of shape ``(size_0, …, size_{d-1})``. Raises ``ValueError``
    naming ``source`` and the fault for a bad magic number, an unknown type code, a wrong
    number of dimensions, or a length that disagrees with the sizes in the header.
    """
    data = maybe_gunzip(bytes(data), source)
    if len(data) < 4:
        raise ValueError(
            f"{source}: not an IDX file: {len(data)} bytes, shorter than the 4-byte magic number"
        )
    if data[0] != 0 or data[1] != 0:
        raise ValueError(
            f"{source}: not an IDX file: magic number starts with 0x{data[0]:02x} 0x{data[1]:02x}, "
            "expected 0x00 0x00"
        )
    type_code, ndim = data[2], data[3]
    if type_code not in IDX_TYPES:
        known = ", ".join(f"0x{code:02x}" for code in IDX_TYPES)
        raise ValueError(f"{source}: unknown IDX type code 0x{type_code:02x} (known: {known})")
    if not 1 <= ndim <= MAX_DIMS:
        raise ValueError(f"{source}: IDX header gives {ndim} dimensions, expected 1 to {MAX_DIMS}")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise ValueError(
            f"{source}: truncated IDX header: {ndim} dimensions need {header_size} bytes, "
            f"file has {len(data)}"
        )
    shape = tuple(int(size) for size in numpy.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_TYPES[type_code]
    count, nonzero_count = 1, 1
    for size in shape:
        count *= size
        nonzero_count *= max(size, 1)
    if nonzero_count * dtype.itemsize > numpy.iinfo(numpy.intp).max:  # numpy refuses such shapes
        raise ValueError(f"{source}: IDX sizes {shape} describe an array too large to represent")
    expected = header_size + count * dtype.itemsize
    if len(data) != expected:
        fault = "truncated" if len(data) < expected else "trailing bytes after the data"
        raise ValueError(
            f"{source}: IDX sizes {shape} of {dtype.name} need {expected} bytes, "
            f"file has {len(data)} ({fault})"
        )
    values = numpy.frombuffer(data, dtype=dtype, count=count, offset=header_size)
    return values.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def read_idx(path: str | os.PathLike) -> numpy.ndarray:
    """Read an IDX file (gzipped or not); see :func:`parse_idx`. A missing file raises
    ``FileNotFoundError``."""
    with open(path, "rb") as handle:
        raw = handle.read()
    return parse_idx(raw, str(path))
