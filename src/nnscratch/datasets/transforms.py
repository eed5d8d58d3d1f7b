"""Image transforms for data sets: ``Compose``, ``Normalize``, ``RandomCrop``,
``RandomHorizontalFlip``, ``ToTensor``.

They work on channel-first float arrays, one image ``(C, H, W)`` or a batch ``(N, C, H, W)``
(each image of a batch gets its own random draw), numpy or cupy, and on ``ns.Tensor`` (the
result is then a Tensor on the same device, outside the autograd graph). Random draws come from
the library's CPU generator (``nnscratch.backend.generator()``), so ``ns.manual_seed`` fixes them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy

from .. import backend
from ..tensor import Tensor


def _unwrap(image: Any) -> tuple[Any, bool]:
    if isinstance(image, Tensor):
        return image.array, True
    return image, False


def _wrap(array: Any, was_tensor: bool) -> Any:
    return Tensor._make(array) if was_tensor else array


def _check_image(name: str, array: Any) -> None:
    if getattr(array, "ndim", 0) not in (3, 4):
        raise ValueError(
            f"{name}: expected an image (C, H, W) or a batch (N, C, H, W), "
            f"got shape {getattr(array, 'shape', None)}"
        )


class Compose:
    """Apply transforms one after another: ``Compose([RandomCrop(32, 4), Normalize(m, s)])``."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    @property
    def supports_batches(self) -> bool:
        """True when every transform takes a batch ``(N, C, H, W)`` as well as one image."""
        return all(getattr(t, "supports_batches", False) for t in self.transforms)

    def __call__(self, image: Any) -> Any:
        for transform in self.transforms:
            image = transform(image)
        return image

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"


class Normalize:
    """Per-channel standardisation: ``out[c] = (x[c] - mean[c]) / std[c]``.

    ``mean`` and ``std`` are sequences of one value per channel (or single numbers); the result
    keeps the input's float dtype.
    """

    supports_batches = True

    def __init__(self, mean: Sequence[float] | float, std: Sequence[float] | float) -> None:
        self.mean = numpy.atleast_1d(numpy.asarray(mean, dtype=numpy.float64))
        self.std = numpy.atleast_1d(numpy.asarray(std, dtype=numpy.float64))
        if self.mean.ndim != 1 or self.std.ndim != 1:
            raise ValueError(
                f"Normalize: mean and std must be 1-D, got {self.mean.shape} and {self.std.shape}"
            )
        if numpy.any(self.std == 0):
            raise ValueError(f"Normalize: std must be non-zero, got {self.std.tolist()}")

    def __call__(self, image: Any) -> Any:
        array, was_tensor = _unwrap(image)
        _check_image("Normalize", array)
        channels = array.shape[-3]
        for name, values in (("mean", self.mean), ("std", self.std)):
            if values.size not in (1, channels):
                raise ValueError(
                    f"Normalize: {values.size} {name} values for an image of {channels} channels "
                    f"(shape {array.shape})"
                )
        xp = backend.get_array_module(array)
        dtype = array.dtype if array.dtype.kind == "f" else numpy.float32
        mean = xp.asarray(self.mean.astype(dtype)).reshape(-1, 1, 1)
        scale = xp.asarray((1.0 / self.std).astype(dtype)).reshape(-1, 1, 1)
        out = array.astype(dtype, copy=True)
        out -= mean
        out *= scale
        return _wrap(out, was_tensor)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class RandomCrop:
    """Crop a random ``size`` window, after zero-padding each side by ``padding`` pixels.

    ``size`` is an int (square) or ``(height, width)``. The top-left corner of the window is
    uniform over the ``(H + 2p - h + 1) x (W + 2p - w + 1)`` possible positions.
    """

    supports_batches = True

    def __init__(self, size: int | tuple[int, int], padding: int = 0) -> None:
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        if len(self.size) != 2 or min(self.size) < 1:
            raise ValueError(f"RandomCrop: size must be a positive int or pair, got {size!r}")
        if padding < 0:
            raise ValueError(f"RandomCrop: padding must be >= 0, got {padding}")
        self.padding = int(padding)

    def __call__(self, image: Any) -> Any:
        array, was_tensor = _unwrap(image)
        _check_image("RandomCrop", array)
        xp = backend.get_array_module(array)
        p, (h, w) = self.padding, self.size
        height, width = array.shape[-2] + 2 * p, array.shape[-1] + 2 * p
        if h > height or w > width:
            raise ValueError(
                f"RandomCrop: crop {self.size} larger than the padded image {(height, width)} "
                f"(input shape {array.shape}, padding {p})"
            )
        if p:
            array = xp.pad(array, [(0, 0)] * (array.ndim - 2) + [(p, p), (p, p)])
        batch = array[None] if array.ndim == 3 else array
        n = batch.shape[0]
        gen = backend.generator()
        top = gen.integers(0, height - h + 1, size=n)
        left = gen.integers(0, width - w + 1, size=n)
        # gather every image's window at once: rows (n, h), columns (n, w)
        rows = xp.asarray(top[:, None] + numpy.arange(h))
        cols = xp.asarray(left[:, None] + numpy.arange(w))
        samples = xp.arange(n)[:, None, None, None]
        channels = xp.arange(batch.shape[1])[None, :, None, None]
        out = batch[samples, channels, rows[:, None, :, None], cols[:, None, None, :]]
        return _wrap(out[0] if array.ndim == 3 else out, was_tensor)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror left-right (``out[..., j] = x[..., W - 1 - j]``) with probability ``p``."""

    supports_batches = True

    def __init__(self, p: float = 0.5) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p}")
        self.p = p

    def __call__(self, image: Any) -> Any:
        array, was_tensor = _unwrap(image)
        _check_image("RandomHorizontalFlip", array)
        xp = backend.get_array_module(array)
        if array.ndim == 3:
            flip = backend.generator().random() < self.p
            out = array[..., ::-1].copy() if flip else array.copy()
        else:
            flip = xp.asarray(backend.generator().random(array.shape[0]) < self.p)
            out = xp.where(flip[:, None, None, None], array[..., ::-1], array)
        return _wrap(out, was_tensor)

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class ToTensor:
    """Turn an image into an ``ns.Tensor``.

    A uint8 array is read as torchvision does, ``(H, W)`` or ``(H, W, C)``, and becomes float32
    ``(C, H, W)`` divided by 255; a float array is taken as already channel-first and wrapped
    as it is (the data sets here already give float ``(C, H, W)`` in [0, 1]).
    """

    supports_batches = True

    def __call__(self, image: Any) -> Tensor:
        if isinstance(image, Tensor):
            return image
        array = image if hasattr(image, "ndim") else numpy.asarray(image)
        if array.dtype == numpy.uint8:
            if array.ndim == 2:
                array = array[:, :, None]
            if array.ndim != 3:
                raise ValueError(
                    f"ToTensor: expected a uint8 image (H, W) or (H, W, C), got shape {array.shape}"
                )
            xp = backend.get_array_module(array)
            array = xp.ascontiguousarray(array.transpose(2, 0, 1)).astype(numpy.float32)
            array /= numpy.float32(255.0)
        elif array.dtype.kind != "f":
            raise TypeError(f"ToTensor: expected a uint8 or float image, got dtype {array.dtype}")
        return Tensor._make(array)

    def __repr__(self) -> str:
        return "ToTensor()"
