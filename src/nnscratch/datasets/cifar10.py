"""CIFAR-10, binary version (``cifar-10-binary.tar.gz``, extracted).

Each batch file is a run of 10000 records of 3073 bytes::

    byte 0        label 0..9
    bytes 1-3072  the 32x32 image: 1024 red, then 1024 green, then 1024 blue values, row-major

Training reads ``data_batch_1.bin`` … ``data_batch_5.bin``, test reads ``test_batch.bin``, from
``root`` or ``root/cifar-10-batches-bin/`` (gzipped files are accepted too).

A batch file is untrusted input: its record count is fixed before any record is read (by the
size of a stored file, or the decompressed size in a gzip file's trailer, past which nothing
is decompressed), and the records go a chunk at a time straight into one array for all the
files of a split, so reading never needs more memory than the images themselves.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy

from ..untrusted import UntrustedFileError
from .batching import image_batch
from .files import DataStream, bytes_stream, find_file, open_data

CHANNELS, IMAGE_SIZE, NUM_CLASSES = 3, 32, 10
RECORD_SIZE = 1 + CHANNELS * IMAGE_SIZE * IMAGE_SIZE  # 3073
TRAIN_FILES = tuple(f"data_batch_{k}.bin" for k in range(1, 6))
TEST_FILES = ("test_batch.bin",)
CHUNK_RECORDS = 256  # records decoded at a time: the only memory beyond the result's


def parse_cifar_batch(data: bytes, source: str = "<bytes>") -> tuple[numpy.ndarray, numpy.ndarray]:
    """Decode one binary batch file into images uint8 ``(N, 3, 32, 32)`` and labels int64 ``(N,)``.

    Raises ``ValueError`` naming ``source`` when the length is not a positive multiple of the
    3073-byte record or a label byte is not in 0..9.
    """
    with bytes_stream(data, source) as stream:
        count = record_count(stream)
        images, labels = _allocate(count, source)
        read_records(stream, count, images, labels)
    return images, labels.astype(numpy.int64)


def record_count(stream: DataStream) -> int:
    """The number of records the batch file ``stream`` declares, checked before any is read.

    A stored file declares it by its size; a gzipped one by the decompressed size in its
    trailer, which is then the most that is decompressed (so a gzip bomb stops there)."""
    source = stream.source
    if stream.compressed:
        size = stream.gzip_declared_size()
        if size is None:
            raise UntrustedFileError(f"{source}: corrupt or truncated gzip data ({stream.stored_size} "
                                     f"bytes, too short for a gzip header and trailer)")
        where = f"gzip data whose trailer declares {size} decompressed bytes"
    else:
        size, where = stream.stored_size, f"batch of {stream.stored_size} bytes"
    if size == 0 or size % RECORD_SIZE or size > stream.most_bytes:
        raise UntrustedFileError(
            f"{source}: CIFAR-10 {where} is not a positive multiple of the "
            f"{RECORD_SIZE}-byte record (1 label byte + {RECORD_SIZE - 1} pixel bytes)"
        )
    return size // RECORD_SIZE


def read_records(stream: DataStream, count: int, images: numpy.ndarray, labels: numpy.ndarray) -> None:
    """Read ``count`` records of ``stream`` into ``images`` (count, 3, 32, 32) and ``labels``
    (count,) uint8, a chunk at a time; refuse a label outside 0..9, a short stream and (for
    gzip) one that holds more than the ``count`` records."""
    source = stream.source
    chunk = numpy.empty((min(count, CHUNK_RECORDS), RECORD_SIZE), dtype=numpy.uint8)
    for start in range(0, count, CHUNK_RECORDS):
        rows = min(CHUNK_RECORDS, count - start)
        got = stream.readinto(memoryview(chunk[:rows].reshape(-1)))
        if got < rows * RECORD_SIZE:
            raise UntrustedFileError(f"{source}: CIFAR-10 data ends after {start * RECORD_SIZE + got} "
                                     f"bytes, {count} records need {count * RECORD_SIZE} (truncated)")
        bad = numpy.flatnonzero(chunk[:rows, 0] >= NUM_CLASSES)
        if bad.size:
            record = start + int(bad[0])
            raise UntrustedFileError(f"{source}: record {record} has label {int(chunk[bad[0], 0])}, "
                                     f"expected 0..{NUM_CLASSES - 1}")
        labels[start:start + rows] = chunk[:rows, 0]
        images[start:start + rows] = chunk[:rows, 1:].reshape(rows, CHANNELS, IMAGE_SIZE, IMAGE_SIZE)
    if stream.compressed and not stream.at_end():
        raise UntrustedFileError(f"{source}: the gzip data holds more than the {count * RECORD_SIZE} "
                                 f"bytes its trailer declares (a multi-member or damaged gzip file; "
                                 f"decompress it first)")


def _allocate(count: int, source: str) -> tuple[numpy.ndarray, numpy.ndarray]:
    try:
        return (numpy.empty((count, CHANNELS, IMAGE_SIZE, IMAGE_SIZE), dtype=numpy.uint8),
                numpy.empty(count, dtype=numpy.uint8))
    except MemoryError:
        raise UntrustedFileError(f"{source}: {count} CIFAR-10 records need more memory than this "
                                 f"machine can give") from None


class CIFAR10:
    """Tiny colour images in ten classes: items are ``(image, label)``.

    ``image`` is a float32 array ``(3, 32, 32)`` in [0, 1] (then passed through ``transform``)
    and ``label`` an ``int``. ``data`` holds all images as uint8 ``(N, 3, 32, 32)`` and
    ``targets`` the labels as int64 ``(N,)``.
    """

    classes = ("airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck")
    subdirectory = "cifar-10-batches-bin"

    def __init__(
        self, root: str | os.PathLike, train: bool = True, transform: Callable[[Any], Any] | None = None
    ) -> None:
        self.root = Path(root)
        self.train = bool(train)
        self.transform = transform
        names = self.expected_files(self.train)
        directories = [self.root, self.root / self.subdirectory]
        paths = {name: find_file(directories, [name, name + ".gz"]) for name in names}
        missing = [name for name, path in paths.items() if path is None]
        if missing:
            raise FileNotFoundError(
                f"CIFAR10: {', '.join(missing)} not found in {self.root} or {self.root / self.subdirectory}; "
                f"the {'train' if self.train else 'test'} split needs {', '.join(names)} "
                "(the binary version, cifar-10-binary.tar.gz)"
            )
        self.data, self.targets = _read_batches([path for path in paths.values() if path is not None])

    @staticmethod
    def expected_files(train: bool = True) -> tuple[str, ...]:
        """The batch files of a split (each also accepted with ``.gz``)."""
        return TRAIN_FILES if train else TEST_FILES

    @classmethod
    def missing_files(cls, root: str | os.PathLike) -> list[str]:
        """The batch files of either split not found under ``root`` (empty when all are there)."""
        directories = [Path(root), Path(root) / cls.subdirectory]
        return [name for name in TRAIN_FILES + TEST_FILES
                if find_file(directories, [name, name + ".gz"]) is None]

    def arrays(self) -> tuple[numpy.ndarray, numpy.ndarray]:
        """All images as float32 ``(N, 3, 32, 32)`` in [0, 1] and labels int64 ``(N,)`` (no transform)."""
        return self.data.astype(numpy.float32) / numpy.float32(255.0), self.targets

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        image = self.data[index].astype(numpy.float32) / numpy.float32(255.0)
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.targets[index])

    def fetch_batch(self, indices: Sequence[int]) -> list:
        """``[images (B, C, H, W), labels (B,)]`` as Tensors at once (used by DataLoader)."""
        return image_batch(self.data, self.targets, indices, self.transform)

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"CIFAR10(root={str(self.root)!r}, split={split}, size={len(self)})"


def _read_batches(paths: list[Path]) -> tuple[numpy.ndarray, numpy.ndarray]:
    """All records of the batch files, read straight into one array (no concatenation): every
    file's record count is checked before any body is read."""
    streams = []
    try:
        for path in paths:
            streams.append(open_data(path, what="CIFAR-10 batch file"))
        counts = [record_count(stream) for stream in streams]
        images, labels = _allocate(sum(counts), ", ".join(str(path) for path in paths))
        start = 0
        for stream, count in zip(streams, counts):
            read_records(stream, count, images[start:start + count], labels[start:start + count])
            start += count
    finally:
        for stream in streams:
            stream.close()
    return images, labels.astype(numpy.int64)
