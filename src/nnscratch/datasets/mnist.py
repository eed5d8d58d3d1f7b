"""MNIST and Fashion-MNIST from their IDX files (gzipped or not).

Both data sets are 28x28 grey-level images with labels 0-9 in four IDX files::

    train-images-idx3-ubyte   (60000, 28, 28) uint8     train-labels-idx1-ubyte   (60000,) uint8
    t10k-images-idx3-ubyte    (10000, 28, 28) uint8     t10k-labels-idx1-ubyte    (10000,) uint8

Files are looked up in ``root``, then ``root/<ClassName>/raw`` (torchvision's layout), each
with or without ``.gz``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy

from .batching import image_batch
from .files import find_file
from .idx import read_idx

IMAGE_SIZE = 28
NUM_CLASSES = 10


class MNIST:
    """Handwritten digits: items are ``(image, label)``.

    ``image`` is a float32 array of shape ``(1, 28, 28)`` with values in [0, 1] (then passed
    through ``transform`` if given) and ``label`` an ``int`` in 0..9. ``data`` holds all
    images as uint8 ``(N, 28, 28)`` and ``targets`` the labels as int64 ``(N,)``.

    ``download=True`` fetches missing files from ``mirrors`` into ``root`` first.
    """

    classes = ("0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine")
    mirrors = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/")
    split_files = {
        True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    }

    def __init__(
        self,
        root: str | os.PathLike,
        train: bool = True,
        transform: Callable[[Any], Any] | None = None,
        download: bool = False,
    ) -> None:
        self.root = Path(root)
        self.train = bool(train)
        self.transform = transform
        image_name, label_name = self.split_files[self.train]
        if download:
            self.download()
        image_path, label_path = self._locate(image_name), self._locate(label_name)
        self.data = self._read_images(image_path)
        self.targets = self._read_labels(label_path, len(self.data), image_path)

    @classmethod
    def expected_files(cls, train: bool = True) -> tuple[str, ...]:
        """The file names this data set reads for a split (each also accepted with ``.gz``)."""
        return cls.split_files[bool(train)]

    @classmethod
    def missing_files(cls, root: str | os.PathLike) -> list[str]:
        """The files of either split not found under ``root`` (empty when all four are there)."""
        directories = cls._directories_of(Path(root))
        return [name for names in cls.split_files.values() for name in names
                if find_file(directories, [name, name + ".gz", _dotted(name), _dotted(name) + ".gz"]) is None]

    @classmethod
    def _directories_of(cls, root: Path) -> list[Path]:
        return [root, root / cls.__name__ / "raw"]

    def _directories(self) -> list[Path]:
        return self._directories_of(self.root)

    def _locate(self, name: str) -> Path:
        path = find_file(self._directories(), [name, name + ".gz", _dotted(name), _dotted(name) + ".gz"])
        if path is None:
            names = " and ".join(f"{n} (or {n}.gz)" for n in self.split_files[self.train])
            where = " or ".join(str(d) for d in self._directories())
            raise FileNotFoundError(
                f"{type(self).__name__}: {name} not found in {where}; "
                f"this split needs {names}"
            )
        return path

    @staticmethod
    def _read_images(path: Path) -> numpy.ndarray:
        images = read_idx(path)
        if images.dtype != numpy.uint8 or images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(
                f"{path}: MNIST images are uint8 (N, {IMAGE_SIZE}, {IMAGE_SIZE}), this file holds "
                f"{images.dtype} {images.shape}; for IDX images of other sizes or classes use "
                f"the cnn-images recipe (nnscratch train cnn-images --data DIR)"
            )
        return images

    @staticmethod
    def _read_labels(path: Path, count: int, image_path: Path) -> numpy.ndarray:
        labels = read_idx(path)
        if labels.dtype != numpy.uint8 or labels.ndim != 1:
            raise ValueError(
                f"{path}: expected uint8 labels of shape (N,), got {labels.dtype} {labels.shape}"
            )
        if len(labels) != count:
            raise ValueError(f"{path}: {len(labels)} labels but {image_path} holds {count} images")
        if len(labels) and labels.max() >= NUM_CLASSES:
            raise ValueError(f"{path}: label {int(labels.max())} out of range 0..{NUM_CLASSES - 1}")
        return labels.astype(numpy.int64)

    def download(self) -> None:
        """Fetch the gzipped files of both splits that are not yet in ``root``."""
        self.root.mkdir(parents=True, exist_ok=True)
        for names in self.split_files.values():
            for name in names:
                if find_file(self._directories(), [name, name + ".gz"]) is None:
                    _download_first(self.mirrors, name + ".gz", self.root / (name + ".gz"))

    def arrays(self) -> tuple[numpy.ndarray, numpy.ndarray]:
        """All images as float32 ``(N, 1, 28, 28)`` in [0, 1] and labels int64 ``(N,)``
        (no transform), for whole-set tensors without a per-item loop."""
        return (self.data[:, None].astype(numpy.float32) / numpy.float32(255.0)), self.targets

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        image = self.data[index][None].astype(numpy.float32) / numpy.float32(255.0)
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.targets[index])

    def fetch_batch(self, indices: Sequence[int]) -> list:
        """``[images (B, C, H, W), labels (B,)]`` as Tensors at once (used by DataLoader)."""
        return image_batch(self.data[:, None], self.targets, indices, self.transform)

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"{type(self).__name__}(root={str(self.root)!r}, split={split}, size={len(self)})"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: the same IDX files and shapes as :class:`MNIST`, ten clothing classes."""

    classes = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
    mirrors = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)


def _dotted(name: str) -> str:
    """The variant some archives use: ``train-images.idx3-ubyte`` for ``train-images-idx3-ubyte``."""
    stem, _, kind = name.rpartition("-idx")
    return f"{stem}.idx{kind}"


def _download_first(mirrors: tuple[str, ...], name: str, target: Path) -> None:
    """Download ``name`` from the first mirror that answers, atomically into ``target``."""
    failures = []
    for mirror in mirrors:
        url = mirror + name
        partial = None
        try:
            with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - fixed mirrors
                with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as handle:
                    partial = Path(handle.name)
                    shutil.copyfileobj(response, handle)
            os.replace(partial, target)
            return
        except OSError as error:  # urllib's URLError is an OSError
            if partial is not None:
                partial.unlink(missing_ok=True)
            failures.append(f"{url}: {error}")
    raise RuntimeError(f"could not download {name}: " + "; ".join(failures))
