"""Whole batches of an image data set at once (the DataLoader's ``fetch_batch`` fast path).

Image data sets keep their pixels as one uint8 array ``(N, C, H, W)``; a batch is one fancy
index, one conversion to float32 in [0, 1], and the transform applied to the batch when it
can take one (``transform.supports_batches``, true of every transform in ``transforms.py``),
else image by image. No per-example Python object is built.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy

from .._tensor import Tensor
from ..creation import as_tensor
from ..data.collate import default_collate


def image_batch(pixels: numpy.ndarray, targets: numpy.ndarray, indices: Sequence[int],
                transform: Callable[[Any], Any] | None) -> list:
    """``[images, labels]``: images float32 ``(B, C, H, W)`` (after ``transform``) and labels
    int64 ``(B,)``, both Tensors, for the examples at ``indices``."""
    indices = numpy.asarray(indices, dtype=numpy.int64)
    images = pixels[indices].astype(numpy.float32)
    images /= numpy.float32(255.0)
    if transform is not None:
        if getattr(transform, "supports_batches", False):
            images = transform(images)
        else:
            images = default_collate([transform(image) for image in images])
    if not isinstance(images, Tensor):
        images = as_tensor(numpy.ascontiguousarray(images))
    return [images, as_tensor(targets[indices])]
