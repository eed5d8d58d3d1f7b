"""Recipe ``cnn-images``: the CNN of ``cnn-shapes`` trained on a user's own images.

``--data DIR`` is one of

- IDX files (MNIST's format, gzipped or not): MNIST's names, or any pairs
  ``NAME-images-idx3-ubyte`` + ``NAME-labels-idx1-ubyte`` (``.gz`` and the dotted
  ``NAME-images.idx3-ubyte`` accepted). A pair whose name holds ``train`` is the training
  set and one whose name holds ``test`` or ``t10k`` the test set; a single pair is split.
  Images are uint8 ``(N, H, W)`` of any size, labels integers ``0 … K-1`` for any K >= 2.
- image files, one sub-folder per class (:class:`~nnscratch.datasets.ImageFolder`): either
  ``DIR/train/<class>/…`` with an optional ``DIR/test/<class>/…``, or ``DIR/<class>/…``
  split into training and test images.

Without a test set, ``test_fraction`` of the images is held out as the test set (a seeded
random split, so ``evaluate`` and ``viz`` rebuild the same one); ``val_fraction`` of the
rest is the validation set. Every image is stretched to ``image_size`` x ``image_size``
(Resize, bilinear, as torchvision's) with ``channels`` 1 (grey, ITU-R 601-2) or 3; 0 means
"as the data": the IDX images' larger side and one channel, 32 pixels for image files and one
channel only when every file is grey. Pixels are standardised per channel with the training
images' mean and standard deviation. The run folder, plots and ``viz filters`` /
``viz feature-maps`` are those of ``cnn-shapes``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy

from .. import backend
from ..data.dataset import Dataset
from ..datasets.batching import image_batch
from ..datasets.idx import read_idx
from ..datasets.image_folder import ImageFolder, pil_image
from ..datasets.transforms import Grayscale, Normalize, Resize
from ..models.cnn import SimpleCNN
from .cnn import CNN_RANGES, _classification_task, _split_off_validation
from .registry import Range, Settings, SettingsError, Task, recipe

FOLDER_IMAGE_SIZE = 32  # image_size=0 for image files
MIN_IMAGE_SIZE = 8  # SimpleCNN's three blocks halve the side three times
GREY_MODES = {"1", "L", "LA", "I", "I;16", "F"}
_IDX_NAME = re.compile(r"^(?P<name>.+)-(?P<kind>images|labels)[.-]idx(?P<ndim>[13])-ubyte(?:\.gz)?$")


class ImageArrays(Dataset):
    """Images held as uint8 ``pixels`` (N, C, H, W) with int64 ``targets`` (N,); items are
    ``(float32 (C, H, W) in [0, 1] after transform, label)``; batches come whole
    (``fetch_batch``). ``classes`` names each label."""

    def __init__(self, pixels: numpy.ndarray, targets: numpy.ndarray, classes: Sequence[str],
                 transform: Callable[[Any], Any] | None = None) -> None:
        self.pixels, self.targets, self.classes = pixels, targets, tuple(classes)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.pixels)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        image = self.pixels[index].astype(numpy.float32) / numpy.float32(255.0)
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.targets[index])

    def fetch_batch(self, indices: Sequence[int]) -> list:
        return image_batch(self.pixels, self.targets, indices, self.transform)

    def subset(self, indices: numpy.ndarray) -> ImageArrays:
        return ImageArrays(self.pixels[indices], self.targets[indices], self.classes, self.transform)


@dataclass
class LoadedImages:
    """The training images, the test images (None: split off) and what they are."""

    train: ImageArrays
    test: ImageArrays | None
    description: str


@recipe(
    "cnn-images",
    "SimpleCNN on your own images from --data DIR: class folders of PNG/JPEG files or IDX "
    "files of any size and number of classes",
    ranges={**CNN_RANGES, "image_size": (0, 512), "channels": (0, 3),
            "val_fraction": Range(0, 1, high_open=True), "test_fraction": Range(0, 1, low_open=True,
                                                                               high_open=True)},
    data="", image_size=0, channels=0, val_fraction=0.1, test_fraction=0.2, epochs=10,
    batch_size=64, lr=2e-3, log_every=25, width=16, hidden=128, dropout=0.25,
)
def cnn_images(settings: Settings) -> Task:
    if settings.channels == 2:
        raise SettingsError("recipe 'cnn-images': setting 'channels' must be 1 (grey), 3 (colour) "
                            "or 0 (as the data), got 2")
    if 0 < settings.image_size < MIN_IMAGE_SIZE:
        raise SettingsError(f"recipe 'cnn-images': setting 'image_size' must be 0 (as the data) or "
                            f">= {MIN_IMAGE_SIZE} (the CNN halves it three times), got "
                            f"{settings.image_size}")
    if settings.val_fraction + settings.test_fraction >= 1:
        raise SettingsError(f"recipe 'cnn-images': val_fraction + test_fraction must be < 1, got "
                            f"{settings.val_fraction} + {settings.test_fraction}")
    loaded = load_images(settings.data, settings.image_size, settings.channels)
    train, test = loaded.train, loaded.test
    if test is None:
        train, test = _split(train, settings.test_fraction, "test_fraction")
    mean, std = _channel_statistics(train.pixels)
    normalize = Normalize(mean, std)
    train.transform = test.transform = normalize
    val_size = int(round(settings.val_fraction * len(train)))
    if val_size >= len(train):
        raise SettingsError(f"recipe 'cnn-images': val_fraction {settings.val_fraction} leaves no "
                            f"training image of {len(train)}")
    train, val = _split_off_validation(train, val_size, normalize)
    channels, size = loaded.train.pixels.shape[1], loaded.train.pixels.shape[2]
    width = settings.width
    model = SimpleCNN(in_channels=channels, num_classes=len(loaded.train.classes), image_size=size,
                      channels=(width, 2 * width, 4 * width), hidden=settings.hidden,
                      dropout=settings.dropout)
    return _classification_task(model, settings, train, val, test)


def load_images(data: str, image_size: int, channels: int) -> LoadedImages:
    """The images of ``--data DIR`` (see the module docstring), as uint8 ``(N, C, S, S)``."""
    if not data:
        raise SettingsError("recipe 'cnn-images' needs --data DIR: a folder of IDX image and label "
                            "files, or of one sub-folder of PNG/JPEG images per class (or train/ "
                            "and test/ folders of those)")
    folder = Path(data)
    if not folder.is_dir():
        raise SettingsError(f"recipe 'cnn-images': --data {folder} is not a folder")
    pairs = idx_pairs(folder)
    if pairs:
        return _idx_images(folder, pairs, image_size, channels)
    return _folder_images(folder, image_size or FOLDER_IMAGE_SIZE, channels)


def idx_pairs(folder: Path) -> dict[str, tuple[Path, Path]]:
    """``{name: (images, labels)}`` for each ``name-images-idx3-ubyte`` +
    ``name-labels-idx1-ubyte`` pair in ``folder``; a file without its partner is an error."""
    found: dict[str, dict[str, Path]] = {}
    for path in sorted(folder.iterdir()):
        match = _IDX_NAME.match(path.name)
        if match is None or (match["kind"] == "images") != (match["ndim"] == "3"):
            continue
        found.setdefault(match["name"], {}).setdefault(match["kind"], path)
    lonely = {name: kinds for name, kinds in found.items() if len(kinds) != 2}
    if lonely:
        shown = ", ".join(str(path) for kinds in lonely.values() for path in kinds.values())
        raise SettingsError(f"recipe 'cnn-images': {shown} has no partner (every "
                            f"NAME-images-idx3-ubyte needs a NAME-labels-idx1-ubyte, and back)")
    return {name: (kinds["images"], kinds["labels"]) for name, kinds in found.items()}


def _idx_images(folder: Path, pairs: dict[str, tuple[Path, Path]], image_size: int,
                channels: int) -> LoadedImages:
    train_names = [name for name in pairs if "train" in name.lower()]
    test_names = [name for name in pairs if re.search("test|t10k", name.lower())]
    if len(pairs) == 1:
        train_names, test_names = list(pairs), []
    elif len(train_names) != 1 or len(test_names) > 1 or set(train_names) & set(test_names) \
            or len(train_names) + len(test_names) != len(pairs):
        raise SettingsError(f"recipe 'cnn-images': {folder} holds the IDX pairs {sorted(pairs)}; "
                            f"expected one pair, or one whose name holds 'train' and at most one "
                            f"whose name holds 'test' or 't10k'")
    parts = [_read_idx_pair(*pairs[name]) for name in train_names + test_names]
    height, width = parts[0][0].shape[1:]
    for images, _ in parts[1:]:
        if images.shape[1:] != (height, width):
            raise SettingsError(f"recipe 'cnn-images': the training images are {height}x{width}, "
                                f"the test images {images.shape[1]}x{images.shape[2]}")
    size = image_size or max(height, width)
    if size < MIN_IMAGE_SIZE:
        raise SettingsError(f"recipe 'cnn-images': the IDX images are {height}x{width}; the CNN "
                            f"needs at least {MIN_IMAGE_SIZE}x{MIN_IMAGE_SIZE}: set image_size="
                            f"{MIN_IMAGE_SIZE} (or more) to enlarge them")
    count = max(int(labels.max(initial=0)) for _, labels in parts) + 1
    if count < 2:
        raise SettingsError(f"recipe 'cnn-images': the labels of {folder} name a single class; "
                            f"a classifier needs at least two")
    classes = tuple(str(k) for k in range(count))
    arrays = [ImageArrays(_fit_idx(images, size, channels or 1), labels, classes)
              for images, labels in parts]
    described = " and ".join(str(pairs[name][0].name) for name in train_names + test_names)
    return LoadedImages(arrays[0], arrays[1] if len(arrays) > 1 else None,
                        f"IDX images {described} ({height}x{width}, {count} classes)")


def _read_idx_pair(images_path: Path, labels_path: Path) -> tuple[numpy.ndarray, numpy.ndarray]:
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.dtype != numpy.uint8 or images.ndim != 3 or 0 in images.shape:
        raise SettingsError(f"{images_path}: expected uint8 images (N, H, W) with N, H, W >= 1, "
                            f"got {images.dtype} {images.shape}")
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise SettingsError(f"{labels_path}: expected integer labels (N,), got {labels.dtype} "
                            f"{labels.shape}")
    if len(labels) != len(images):
        raise SettingsError(f"{labels_path}: {len(labels)} labels but {images_path} holds "
                            f"{len(images)} images")
    if labels.min() < 0 or labels.max() >= 65_536:
        bad = int(labels.min() if labels.min() < 0 else labels.max())
        raise SettingsError(f"{labels_path}: label {bad} is not a class index in 0..65535")
    return images, labels.astype(numpy.int64)


def _fit_idx(images: numpy.ndarray, size: int, channels: int) -> numpy.ndarray:
    """Grey ``(N, H, W)`` uint8 as ``(N, channels, size, size)`` uint8."""
    pixels = images[:, None]
    if pixels.shape[2:] != (size, size):
        resized = Resize((size, size))(pixels.astype(numpy.float32))
        pixels = numpy.clip(numpy.rint(resized), 0, 255).astype(numpy.uint8)
    return numpy.repeat(pixels, channels, axis=1) if channels == 3 else pixels


def _folder_images(folder: Path, size: int, channels: int) -> LoadedImages:
    roles = {"train": folder / "train", "test": folder / "test"}
    root = roles["train"] if roles["train"].is_dir() else folder
    try:
        train = ImageFolder(root)
        test = ImageFolder(roles["test"]) if root != folder and roles["test"].is_dir() else None
    except FileNotFoundError as error:
        raise SettingsError(f"recipe 'cnn-images': {error}; --data must hold IDX files or one "
                            f"sub-folder of images per class") from None
    if len(train.classes) < 2:
        raise SettingsError(f"recipe 'cnn-images': {root} has the single class folder "
                            f"{train.classes[0]!r}; a classifier needs at least two")
    if test is not None:
        unknown = sorted(set(test.classes) - set(train.classes))
        if unknown:
            raise SettingsError(f"recipe 'cnn-images': {roles['test']} has classes that "
                                f"{roles['train']} lacks: {unknown}")
    decoded = [_decode(train, size, train.class_to_idx)]
    if test is not None:
        decoded.append(_decode(test, size, train.class_to_idx))
    grey = all(all_grey for _, _, all_grey in decoded)
    wanted = channels or (1 if grey else 3)
    arrays = [ImageArrays(pixels if wanted == 3 else _grey(pixels), labels, train.classes)
              for pixels, labels, _ in decoded]
    return LoadedImages(arrays[0], arrays[1] if len(arrays) > 1 else None,
                        f"images of {root} ({len(train.classes)} classes, {size}x{size})")


def _decode(dataset: ImageFolder, size: int,
            class_to_idx: dict[str, int]) -> tuple[numpy.ndarray, numpy.ndarray, bool]:
    """Every image of ``dataset`` decoded, resized to ``size`` x ``size`` in RGB: uint8
    ``(N, 3, size, size)``, the labels in ``class_to_idx``'s numbering, and whether every
    file was grey."""
    resize = Resize((size, size))
    pixels = numpy.empty((len(dataset), 3, size, size), dtype=numpy.uint8)
    labels = numpy.empty(len(dataset), dtype=numpy.int64)
    grey = True
    for k, (path, target) in enumerate(dataset.samples):
        image = pil_image(path)
        grey = grey and image.mode in GREY_MODES
        try:
            rgb = image.convert("RGB")
        except Exception as error:  # noqa: BLE001 - Pillow's many ways to fail on a bad file
            raise SettingsError(f"image file {path} cannot be converted to RGB ({error})") from None
        pixels[k] = numpy.asarray(resize(rgb)).transpose(2, 0, 1)
        labels[k] = class_to_idx[dataset.classes[target]]
    return pixels, labels, grey


def _grey(pixels: numpy.ndarray) -> numpy.ndarray:
    """RGB uint8 ``(N, 3, H, W)`` as grey ``(N, 1, H, W)`` (ITU-R 601-2 weights, rounded)."""
    grey = Grayscale()(pixels.astype(numpy.float32))
    return numpy.clip(numpy.rint(grey), 0, 255).astype(numpy.uint8)


def _split(images: ImageArrays, fraction: float, name: str) -> tuple[ImageArrays, ImageArrays]:
    """A seeded random ``(rest, held_out)`` split with ``fraction`` of the images held out."""
    held_out = int(round(fraction * len(images)))
    if not 1 <= held_out < len(images):
        raise SettingsError(f"recipe 'cnn-images': {name} {fraction} of {len(images)} images holds "
                            f"out {held_out}; it must leave at least one on each side")
    order = backend.generator().permutation(len(images))
    return images.subset(order[held_out:]), images.subset(order[:held_out])


def _channel_statistics(pixels: numpy.ndarray) -> tuple[list[float], list[float]]:
    """Per-channel mean and standard deviation of uint8 ``(N, C, H, W)`` scaled to [0, 1]
    (a constant channel gets std 1, so Normalize only centres it)."""
    mean, std = [], []
    for channel in range(pixels.shape[1]):
        values = pixels[:, channel].astype(numpy.float64) / 255.0
        mean.append(float(values.mean()))
        spread = float(values.std())
        std.append(spread if spread > 1e-6 else 1.0)
    return mean, std
