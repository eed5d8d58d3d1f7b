"""Opening data files as untrusted input: regular files only, gzip detected by its magic bytes,
bodies read only after their header said how large they must be, every fault a ``ValueError``.

Loaders of real formats (IDX, CIFAR binary, CSV, text) read through :class:`DataStream`, so that

- a FIFO, a device such as ``/dev/zero`` or a folder is refused before anything is read
  (:func:`nnscratch.untrusted.check_regular_file`, then a non-blocking open);
- a loader reads its header first and then asks for exactly the number of bytes the header
  declares, into an array allocated once (``readinto``): a valid file never peaks at twice its
  size, a bad header is refused after a few bytes, and a gzip stream is decompressed in chunks
  and never past the declared size + 1 byte, so a gzip bomb costs no more memory than the size
  its header claims;
- a declared size larger than the file could hold is refused before any allocation: a stored
  file must have exactly that size, and deflate expands at most :data:`MAX_DEFLATE_RATIO`-fold;
- a corrupt or truncated gzip stream is one ``ValueError`` naming the file, never a
  ``zlib.error``, ``EOFError`` or ``gzip.BadGzipFile`` from deep inside the standard library.
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from ..untrusted import UntrustedFileError, open_regular, read_bytes

GZIP_MAGIC = b"\x1f\x8b"
# deflate encodes at most 258 bytes in about 2 bits, so no stream expands more than 1032-fold
# (zlib's FAQ, "maximum compression ratio"); gzip's own header makes real files smaller still
MAX_DEFLATE_RATIO = 1032
# the largest text or CSV file read into memory at once
TEXT_LIMIT = 4 * 1024 ** 3
READ_CHUNK = 1024 * 1024  # bytes read (or decompressed) per call
_GZIP_FAULTS = (OSError, EOFError, zlib.error)  # BadGzipFile is an OSError


class DataStream:
    """The bytes of one data file (decompressed when it starts with the gzip magic bytes),
    read front to back.

    ``stored_size`` is the size of the file as stored; ``compressed`` says whether it is
    gzip (never with ``decompress=False``). Use :func:`open_data` for a file and
    :func:`bytes_stream` for bytes in memory; close it (or use ``with``) when done.
    """

    def __init__(self, handle: BinaryIO, source: str, stored_size: int, decompress: bool = True) -> None:
        self.source, self.stored_size = source, stored_size
        self._raw = handle
        self.compressed = decompress and _read_up_to(handle, len(GZIP_MAGIC)) == GZIP_MAGIC
        handle.seek(0)
        self._stream: BinaryIO = gzip.GzipFile(fileobj=handle, mode="rb") if self.compressed else handle
        self.position = 0

    def __enter__(self) -> DataStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._stream.close()
        self._raw.close()

    @property
    def most_bytes(self) -> int:
        """An upper bound of the number of bytes this stream can still yield (decompressed)."""
        if self.compressed:
            return MAX_DEFLATE_RATIO * self.stored_size
        return self.stored_size - self.position

    def gzip_declared_size(self) -> int | None:
        """The decompressed size a gzip file's trailer declares (ISIZE: the size modulo 2**32
        of its last member), or None for a stored file or one too short to have a trailer."""
        if not self.compressed or self.stored_size < 18:  # 10-byte header + 8-byte trailer
            return None
        here = self._raw.tell()
        try:
            self._raw.seek(self.stored_size - 4)
            trailer = _read_up_to(self._raw, 4)
        finally:
            self._raw.seek(here)
        return int.from_bytes(trailer, "little") if len(trailer) == 4 else None

    def read(self, count: int) -> bytes:
        """Up to ``count`` bytes (fewer only at the end of the data)."""
        buffer = bytearray(count)
        got = self.readinto(memoryview(buffer))
        return bytes(buffer[:got])

    def readinto(self, buffer: memoryview) -> int:
        """Fill ``buffer`` (a writable byte view) from the stream; returns the number of bytes
        read, less than ``len(buffer)`` only at the end of the data."""
        view, filled = buffer.cast("B") if buffer.format != "B" else buffer, 0
        try:
            while filled < len(view):
                # a bounded piece per call: gzip's readinto decompresses its whole request
                # into a temporary bytes object first, which would double the peak memory
                got = self._stream.readinto(view[filled:filled + READ_CHUNK])
                if not got:
                    break
                filled += got
        except _GZIP_FAULTS as error:
            if not self.compressed:
                raise UntrustedFileError(f"{self.source} cannot be read ({error})") from None
            raise UntrustedFileError(f"{self.source}: corrupt or truncated gzip data ({error})") from None
        self.position += filled
        return filled

    def at_end(self) -> bool:
        """True when no byte is left (reads at most one more)."""
        return not self.read(1)


def open_data(path: str | os.PathLike, what: str = "data file", decompress: bool = True) -> DataStream:
    """A :class:`DataStream` of the regular file ``path``; FileNotFoundError when it is
    missing, :class:`~nnscratch.untrusted.UntrustedFileError` (a ``ValueError``) for a FIFO,
    a device, a folder or a file that cannot be read."""
    handle = open_regular(path, what=what, buffering=0)
    try:
        return DataStream(handle, str(path), os.fstat(handle.fileno()).st_size, decompress)
    except BaseException:
        handle.close()
        raise


def bytes_stream(data: bytes, source: str) -> DataStream:
    """A :class:`DataStream` over bytes already in memory (named ``source`` in errors)."""
    return DataStream(io.BytesIO(bytes(data)), source, len(data))


def read_text(path: str | os.PathLike, what: str = "text file", max_bytes: int = TEXT_LIMIT) -> str:
    """A regular file's text decoded as UTF-8, a leading byte-order mark dropped.

    ValueError naming the file and the byte offset when it is not UTF-8; see
    :func:`nnscratch.untrusted.read_bytes` for what is refused before reading."""
    return decode_utf8(read_bytes(path, max_bytes=max_bytes, what=what), str(path))


def decode_utf8(raw: bytes, source: str) -> str:
    """``raw`` as UTF-8 text without a leading byte-order mark, or ValueError naming ``source``,
    the bad byte and its offset."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = raw[error.start: error.end]
        raise UntrustedFileError(f"{source}: not UTF-8 text: byte 0x{bad[0]:02x} at byte offset "
                                 f"{error.start} ({error.reason}); convert the file to UTF-8 "
                                 f"first") from None
    return text.removeprefix("\ufeff")


def find_file(directories: Sequence[Path], names: Sequence[str]) -> Path | None:
    """The first existing ``directory / name`` over directories, then names; None if none.
    A name that exists but is not a regular file (a FIFO, a folder) is returned too, so
    that opening it reports what it is instead of calling the file missing."""
    for directory in directories:
        for name in names:
            candidate = Path(directory) / name
            if candidate.exists():
                return candidate
    return None


def _read_up_to(handle: BinaryIO, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = handle.read(count - len(data))
        if not chunk:
            break
        data += chunk
    return data
