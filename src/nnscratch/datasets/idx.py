"""The IDX file format of MNIST and Fashion-MNIST (LeCun et al.).

Layout, all integers big-endian::

    byte 0-1   0x00 0x00
    byte 2     type code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    byte 3     number of dimensions d
    4 * d      the size of each dimension (uint32)
    rest       prod(sizes) values of the type, row-major (the last index changes fastest)

``train-images-idx3-ubyte`` is ``(60000, 28, 28)`` uint8; ``train-labels-idx1-ubyte`` is
``(60000,)`` uint8. Files may be gzipped; that is detected from the content, not the name.

A file is untrusted input: the header is read and checked first, it fixes the exact number of
bytes the file must hold, a stored file of another size is refused before its body is read,
and the body is read once into an array of that size (a gzipped body is decompressed in
chunks and never past the declared size + 1 byte), so the memory used is the array's.
"""

from __future__ import annotations

import os

import numpy

from ..untrusted import UntrustedFileError
from .files import DataStream, bytes_stream, open_data

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
    with bytes_stream(data, source) as stream:
        return read_idx_stream(stream)


def read_idx(path: str | os.PathLike) -> numpy.ndarray:
    """Read an IDX file (gzipped or not); see :func:`parse_idx`. A missing file raises
    ``FileNotFoundError``; a FIFO, device or folder is refused without reading."""
    with open_data(path, what="IDX file") as stream:
        return read_idx_stream(stream)


def read_idx_header(stream: DataStream) -> tuple[numpy.dtype, tuple[int, ...]]:
    """The stored dtype and the shape declared by the header at the start of ``stream``."""
    source = stream.source
    magic = stream.read(4)
    if len(magic) < 4:
        raise UntrustedFileError(
            f"{source}: not an IDX file: {len(magic)} bytes, shorter than the 4-byte magic number"
        )
    if magic[0] != 0 or magic[1] != 0:
        raise UntrustedFileError(
            f"{source}: not an IDX file: magic number starts with 0x{magic[0]:02x} 0x{magic[1]:02x}, "
            "expected 0x00 0x00"
        )
    type_code, ndim = magic[2], magic[3]
    if type_code not in IDX_TYPES:
        known = ", ".join(f"0x{code:02x}" for code in IDX_TYPES)
        raise UntrustedFileError(f"{source}: unknown IDX type code 0x{type_code:02x} (known: {known})")
    if not 1 <= ndim <= MAX_DIMS:
        raise UntrustedFileError(f"{source}: IDX header gives {ndim} dimensions, expected 1 to {MAX_DIMS}")
    sizes = stream.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise UntrustedFileError(
            f"{source}: truncated IDX header: {ndim} dimensions need {4 + 4 * ndim} bytes, "
            f"file has {4 + len(sizes)}"
        )
    shape = tuple(int.from_bytes(sizes[4 * k: 4 * k + 4], "big") for k in range(ndim))
    return IDX_TYPES[type_code], shape


def read_idx_stream(stream: DataStream) -> numpy.ndarray:
    """The array of the IDX file ``stream``: header checked, then exactly the body it declares."""
    source = stream.source
    dtype, shape = read_idx_header(stream)
    header_size = stream.position
    count, nonzero_count = 1, 1
    for size in shape:
        count *= size
        nonzero_count *= max(size, 1)
    if nonzero_count * dtype.itemsize > numpy.iinfo(numpy.intp).max:  # numpy refuses such shapes
        raise UntrustedFileError(f"{source}: IDX sizes {shape} describe an array too large to represent")
    body = count * dtype.itemsize
    expected = header_size + body
    if not stream.compressed and stream.stored_size != expected:
        fault = "truncated" if stream.stored_size < expected else "trailing bytes after the data"
        raise UntrustedFileError(
            f"{source}: IDX sizes {shape} of {dtype.name} need {expected} bytes, "
            f"file has {stream.stored_size} ({fault})"
        )
    if stream.compressed and body > stream.most_bytes:
        raise UntrustedFileError(
            f"{source}: IDX sizes {shape} of {dtype.name} need {body} bytes after the header, "
            f"more than a gzip file of {stream.stored_size} bytes can decompress to (truncated)"
        )
    try:
        values = numpy.empty(count, dtype=dtype)
    except MemoryError:
        raise UntrustedFileError(f"{source}: IDX sizes {shape} of {dtype.name} need {body} bytes, "
                                 f"more memory than this machine can give") from None
    got = stream.readinto(memoryview(values.view(numpy.uint8)))
    if got < body:
        raise UntrustedFileError(
            f"{source}: IDX sizes {shape} of {dtype.name} need {expected} bytes, the decompressed "
            f"data has {header_size + got} (truncated)"
        )
    if stream.compressed and not stream.at_end():
        raise UntrustedFileError(
            f"{source}: IDX sizes {shape} of {dtype.name} need {expected} bytes, the decompressed "
            f"data has more (trailing bytes after the data)"
        )
    if not dtype.isnative and dtype.itemsize > 1:  # big-endian to native, in place (no copy)
        values.byteswap(inplace=True)
    return values.view(dtype.newbyteorder("=")).reshape(shape)
