"""Grey 28x28 images with labels for the representation-learning recipes (autoencoder, RBM).

Embedded: :class:`~nnscratch.datasets.Shapes` drawn at 28x28 with one shape per image and
turned grey by taking the brightest channel (every shape colour has a channel >= 0.9, the
background stays <= 0.3 plus noise), labelled by shape (5 classes). With ``--data DIR``: MNIST
(or Fashion-MNIST with ``fashion=true``) read from its IDX files. Pixels are float32 in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy

from ..datasets.mnist import MNIST, FashionMNIST
from ..datasets.shapes import SHAPES, Shapes
from .registry import Settings, SettingsError

IMAGE_SIZE = 28


@dataclass
class ImageData:
    """``train_images`` (N, 1, 28, 28) float32 in [0, 1], ``train_labels`` (N,) int64, the same
    for the test images, the ``classes`` names and a ``description`` for titles."""

    train_images: numpy.ndarray
    train_labels: numpy.ndarray
    test_images: numpy.ndarray
    test_labels: numpy.ndarray
    classes: tuple[str, ...]
    description: str


def shapes_grey(count: int, seed: int) -> tuple[numpy.ndarray, numpy.ndarray]:
    """``count`` one-shape images (N, 1, 28, 28), grey = the brightest channel, and labels."""
    images, labels = Shapes(count, image_size=IMAGE_SIZE, seed=seed, two_shape_fraction=0.0).arrays()
    return images.max(axis=1, keepdims=True), labels


def load_image_data(settings: Settings, recipe: str) -> ImageData:
    """The recipe's images: MNIST from ``settings.data``, else generated shapes.
    ``train_size`` / ``test_size`` bound how many are used (0: all of a real data set)."""
    if settings.train_size < 1 or settings.test_size < 1:
        if not settings.data:
            raise SettingsError(f"{recipe}: train_size and test_size must be >= 1 for generated "
                                f"images, got {settings.train_size} and {settings.test_size}")
    if not settings.data:
        train = shapes_grey(settings.train_size, 2 * settings.seed)
        test = shapes_grey(settings.test_size, 2 * settings.seed + 1)  # never seen in training
        return ImageData(*train, *test, SHAPES, "generated shapes (28x28, grey)")
    kind = FashionMNIST if settings.fashion else MNIST
    missing = kind.missing_files(settings.data)
    if missing:
        expected = [name for names in kind.split_files.values() for name in names]
        raise SettingsError(f"{recipe}: {', '.join(missing)} not found in {settings.data}; it needs "
                            f"{', '.join(expected)} (each may be gzipped)")
    splits = []
    for train, size in ((True, settings.train_size), (False, settings.test_size)):
        dataset = kind(settings.data, train=train)
        kept = slice(0, size if size > 0 else None)
        images = dataset.data[kept][:, None].astype(numpy.float32) / numpy.float32(255.0)
        splits += [images, dataset.targets[kept]]
    return ImageData(*splits, tuple(kind.classes), kind.__name__)
