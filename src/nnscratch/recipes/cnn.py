"""Recipes ``cnn-shapes``, ``cnn-mnist`` and ``cnn-cifar10``: convolutional image classifiers.

``cnn-shapes`` needs nothing but the library: it generates coloured shapes
(:class:`~nnscratch.datasets.Shapes`) and learns which shape is the main object of each image
(expected: >= 95% test accuracy on held-out images, in under 3 minutes on two CPU cores;
measured with the defaults: 98.9% test accuracy for 63 s of CPU time on one thread).
``cnn-mnist`` and ``cnn-cifar10`` read the real data sets from ``--data DIR`` and name every
file they miss.
"""

from __future__ import annotations

import copy
from typing import Any

from .. import backend
from ..data import DataLoader
from ..data.dataset import Subset
from ..datasets.cifar10 import CIFAR10
from ..datasets.mnist import MNIST, FashionMNIST
from ..datasets.shapes import SHAPES, Shapes
from ..datasets.transforms import Compose, Normalize, RandomCrop, RandomHorizontalFlip
from ..models.cnn import LeNet, SimpleCNN
from ..nn import functional as F
from ..optim import Adam
from ..optim.lr_scheduler import CosineAnnealingLR
from .registry import Range, Settings, SettingsError, Task, recipe

EVAL_BATCH = 500
MNIST_MEAN, MNIST_STD = (0.1307,), (0.3081,)
CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
# the model's sizes (a typo such as hidden=100000000 is refused before it allocates)
CNN_RANGES = {"width": (1, 1024), "hidden": (1, 8192), "dropout": Range(0, 1, high_open=True)}
# generated images are held in memory as uint8; each setting's range cannot bound their product
GENERATED_BYTES_LIMIT = 4 * 2**30


def check_generated_images(recipe: str, settings: Settings) -> None:
    """SettingsError when ``train_size + val_size + test_size`` generated RGB images of
    ``image_size``² pixels would need more than :data:`GENERATED_BYTES_LIMIT` bytes."""
    count = settings.train_size + settings.val_size + settings.test_size
    needed = count * 3 * settings.image_size ** 2
    if needed > GENERATED_BYTES_LIMIT:
        raise SettingsError(f"recipe {recipe!r}: {count} generated images of {settings.image_size}x"
                            f"{settings.image_size} pixels need {needed / 2**30:.1f} GiB, more than "
                            f"{GENERATED_BYTES_LIMIT // 2**30} GiB; lower train_size, val_size, "
                            f"test_size or image_size")


def _classification_task(model: Any, settings: Settings, train: Any, val: Any, test: Any) -> Task:
    """Cross-entropy, Adam with a cosine learning-rate decay over the run's optimiser steps,
    accuracy."""
    return Task(
        model=model,
        loss=F.cross_entropy,
        train_data=DataLoader(train, batch_size=settings.batch_size, shuffle=True),
        val_data=DataLoader(val, batch_size=EVAL_BATCH) if val is not None else None,
        test_data=DataLoader(test, batch_size=EVAL_BATCH),
        metrics=["loss", "accuracy"],
        monitor="loss",
        make_optimizer=lambda parameters: Adam(parameters, lr=settings.lr),
        make_scheduler=lambda optimizer, total_steps: CosineAnnealingLR(optimizer, T_max=total_steps),
        scheduler_interval="step",
    )


def _split_off_validation(dataset: Any, val_size: int, eval_transform: Any) -> tuple[Any, Any]:
    """Random disjoint ``(train, val)`` subsets; ``val`` sees ``eval_transform`` (no augmentation)."""
    if not 0 <= val_size < len(dataset):
        raise SettingsError(f"val_size must be in [0, {len(dataset)}) for {len(dataset)} training "
                            f"images, got {val_size}")
    if val_size == 0:
        return dataset, None
    order = backend.generator().permutation(len(dataset))
    evaluated = copy.copy(dataset)  # shares the pixel arrays, not the transform
    evaluated.transform = eval_transform
    return Subset(dataset, order[val_size:]), Subset(evaluated, order[:val_size])


def _require_files(name: str, data: str, missing: list[str], expected: list[str], subfolder: str) -> None:
    if not data:
        raise SettingsError(f"recipe {name} needs --data DIR, a folder holding {', '.join(expected)} "
                            f"(each may be gzipped)")
    if missing:
        raise SettingsError(f"recipe {name}: {', '.join(missing)} not found in {data} (nor in "
                            f"{data}/{subfolder}); it needs {', '.join(expected)} (each may be gzipped)")


@recipe(
    "cnn-shapes",
    "SimpleCNN on generated coloured shapes (5 classes); >= 95% test accuracy in < 3 min on 2 cores",
    ranges={**CNN_RANGES, "train_size": (1, 1_000_000), "val_size": (0, 100_000),
            "test_size": (1, 100_000), "image_size": (8, 256)},
    epochs=8, batch_size=64, lr=2e-3, log_every=25, train_size=12000, val_size=1000,
    test_size=2000, image_size=32, width=16, hidden=128, dropout=0.25,
)
def cnn_shapes(settings: Settings) -> Task:
    check_generated_images("cnn-shapes", settings)
    # three independent streams of images: the test images are never seen in training
    train, val, test = (Shapes(size, image_size=settings.image_size, seed=3 * settings.seed + split)
                        for split, size in enumerate((settings.train_size, settings.val_size,
                                                      settings.test_size)))
    width = settings.width
    model = SimpleCNN(in_channels=3, num_classes=len(SHAPES), image_size=settings.image_size,
                      channels=(width, 2 * width, 4 * width), hidden=settings.hidden,
                      dropout=settings.dropout)
    return _classification_task(model, settings, train, val if len(val) else None, test)


@recipe(
    "cnn-mnist",
    "LeNet-5 on MNIST (or Fashion-MNIST with fashion=true) read from --data DIR",
    ranges={"val_size": (0, 59_999)},
    data="", fashion=False, epochs=5, batch_size=64, lr=1e-3, log_every=100, val_size=5000,
)
def cnn_mnist(settings: Settings) -> Task:
    kind = FashionMNIST if settings.fashion else MNIST
    expected = [name for names in kind.split_files.values() for name in names]
    _require_files("cnn-mnist", settings.data, kind.missing_files(settings.data) if settings.data else [],
                   expected, f"{kind.__name__}/raw")
    normalize = Normalize(MNIST_MEAN, MNIST_STD)
    train, val = _split_off_validation(kind(settings.data, train=True, transform=normalize),
                                       settings.val_size, normalize)
    test = kind(settings.data, train=False, transform=normalize)
    model = LeNet(in_channels=1, num_classes=10, image_size=28)
    return _classification_task(model, settings, train, val, test)


@recipe(
    "cnn-cifar10",
    "SimpleCNN on CIFAR-10 (binary version) read from --data DIR, with crop and flip augmentation",
    ranges={**CNN_RANGES, "val_size": (0, 49_999)},
    data="", augment=True, epochs=20, batch_size=64, lr=1e-3, log_every=100, val_size=5000,
    width=32, hidden=256, dropout=0.5,
)
def cnn_cifar10(settings: Settings) -> Task:
    expected = list(CIFAR10.expected_files(True) + CIFAR10.expected_files(False))
    _require_files("cnn-cifar10", settings.data,
                   CIFAR10.missing_files(settings.data) if settings.data else [], expected,
                   CIFAR10.subdirectory)
    normalize = Normalize(CIFAR_MEAN, CIFAR_STD)
    augmented = (Compose([RandomCrop(32, padding=4), RandomHorizontalFlip(), normalize])
                 if settings.augment else normalize)
    train, val = _split_off_validation(CIFAR10(settings.data, train=True, transform=augmented),
                                       settings.val_size, normalize)
    test = CIFAR10(settings.data, train=False, transform=normalize)
    width = settings.width
    model = SimpleCNN(in_channels=3, num_classes=10, image_size=32,
                      channels=(width, 2 * width, 4 * width), hidden=settings.hidden,
                      dropout=settings.dropout)
    return _classification_task(model, settings, train, val, test)

