"""Grey 28x28 images with labels for the representation-learning recipes (autoencoder, RBM).

Embedded: :class:`~nnscratch.datasets.Shapes` drawn at 28x28 with one shape per image and
turned grey by taking the brightest channel (every shape colour has a channel >= 0.9, the
background stays <= 0.3 plus noise), labelled by shape (5 classes). With ``--data DIR``: MNIST
(or Fashion-MNIST with ``fashion=true``) read from its IDX files, which must hold 28x28 uint8
images (the models of these recipes are built for 28x28 inputs; the header is checked before the
body is read). Pixels are float32 in [0, 1].

Generated images are drawn as uint8 RGB, converted to float32 RGB and then to float32 grey, so
drawing ``n`` of them needs ``n`` × 28² × 19 bytes at its peak; settings for which that exceeds
:data:`GENERATED_BYTES_LIMIT` are refused before anything is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy

from ..datasets.files import find_file, open_data
from ..datasets.idx import read_idx_header
from ..datasets.mnist import MNIST, FashionMNIST
from ..datasets.shapes import SHAPES, Shapes
from .registry import Settings, SettingsError

IMAGE_SIZE = 28
# generated images are held in memory; each setting's range cannot bound their product (as
# cnn-shapes' GENERATED_BYTES_LIMIT)
GENERATED_BYTES_LIMIT = 4 * 2**30
# bytes per pixel while drawing: uint8 RGB (3) + float32 RGB (12) + float32 grey (4)
DRAWING_BYTES_PER_PIXEL = 19


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
        check_generated_size(recipe, settings)
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
        check_image_file(kind, settings.data, train, recipe)
        dataset = kind(settings.data, train=train)
        kept = slice(0, size if size > 0 else None)
        images = dataset.data[kept][:, None].astype(numpy.float32) / numpy.float32(255.0)
        splits += [images, dataset.targets[kept]]
    return ImageData(*splits, tuple(kind.classes), kind.__name__)


def check_generated_size(recipe: str, settings: Settings) -> None:
    """SettingsError when drawing ``train_size + test_size`` images would need more than
    :data:`GENERATED_BYTES_LIMIT` bytes (``val_size`` is taken from the training images)."""
    count = settings.train_size + settings.test_size
    needed = count * IMAGE_SIZE * IMAGE_SIZE * DRAWING_BYTES_PER_PIXEL
    if needed > GENERATED_BYTES_LIMIT:
        raise SettingsError(f"recipe {recipe!r}: {count} generated {IMAGE_SIZE}x{IMAGE_SIZE} images "
                            f"(train_size {settings.train_size} + test_size {settings.test_size}) "
                            f"need {needed / 2**30:.1f} GiB while drawn, more than "
                            f"{GENERATED_BYTES_LIMIT // 2**30} GiB; lower train_size or test_size")


def check_image_file(kind: type, folder: str, train: bool, recipe: str) -> None:
    """SettingsError unless the images file of the split holds uint8 28x28 images (read from
    its header only); a missing or damaged file is left for the data set to report."""
    name = kind.expected_files(train)[0]
    stem, _, suffix = name.rpartition("-idx")
    names = [name, f"{name}.gz", f"{stem}.idx{suffix}", f"{stem}.idx{suffix}.gz"]
    path = find_file([Path(folder), Path(folder) / kind.__name__ / "raw"], names)
    if path is None:
        return
    with open_data(path, what="IDX file") as stream:
        dtype, shape = read_idx_header(stream)
    if dtype.kind == "u" and dtype.itemsize == 1 and shape[1:] == (IMAGE_SIZE, IMAGE_SIZE) \
            and len(shape) == 3:
        return
    held = "x".join(map(str, shape[1:])) if len(shape) == 3 else f"shape {shape}"
    raise SettingsError(f"{recipe}: {path} holds {dtype.name} images of {held}; the {recipe} "
                        f"recipe reads {kind.__name__}'s 28x28 uint8 images only (its model is "
                        f"built for 28x28 inputs): resize the images to 28x28")
