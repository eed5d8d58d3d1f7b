"""CIFAR-10, binary version (``cifar-10-binary.tar.gz``, extracted).

Each batch file is a run of 10000 records of 3073 bytes::

    byte 0        label 0..9
    bytes 1-3072  the 32x32 image: 1024 red, then 1024 green, then 1024 blue values, row-major

Training reads ``data_batch_1.bin`` … ``data_batch_5.bin``, test reads ``test_batch.bin``, from
``root`` or ``root/cifar-10-batches-bin/`` (gzipped files are accepted too).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy

from .batching import image_batch
from .files import find_file, maybe_gunzip

CHANNELS, IMAGE_SIZE, NUM_CLASSES = 3, 32, 10
RECORD_SIZE = 1 + CHANNELS * IMAGE_SIZE * IMAGE_SIZE  # 3073
TRAIN_FILES = tuple(f"data_batch_{k}.bin" for k in range(1, 6))
TEST_FILES = ("test_batch.bin",)


def parse_cifar_batch(data: bytes, source: str = "<bytes>") -> tuple[numpy.ndarray, numpy.ndarray]:
    """Decode one binary batch file into images uint8 ``(N, 3, 32, 32)`` and labels int64 ``(N,)``.

    Raises ``ValueError`` naming ``source`` when the length is not a positive multiple of the
    3073-byte record or a label byte is not in 0..9.
    """
    data = maybe_gunzip(bytes(data), source)
    if len(data) == 0 or len(data) % RECORD_SIZE:
        raise ValueError(
            f"{source}: CIFAR-10 batch of {len(data)} bytes is not a positive multiple of the "
            f"{RECORD_SIZE}-byte record (1 label byte + {RECORD_SIZE - 1} pixel bytes)"
        )
    records = numpy.frombuffer(data, dtype=numpy.uint8).reshape(-1, RECORD_SIZE)
    labels = records[:, 0].astype(numpy.int64)
    bad = numpy.flatnonzero(labels >= NUM_CLASSES)
    if bad.size:
        raise ValueError(
            f"{source}: record {int(bad[0])} has label {int(labels[bad[0]])}, expected 0..{NUM_CLASSES - 1}"
        )
    images = records[:, 1:].reshape(-1, CHANNELS, IMAGE_SIZE, IMAGE_SIZE).copy()
    return images, labels


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
        parts = [parse_cifar_batch(_read(path), str(path)) for path in paths.values()]
        self.data = numpy.concatenate([images for images, _ in parts])
        self.targets = numpy.concatenate([labels for _, labels in parts])

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


def _read(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()
