"""Image transforms for data sets: ``Compose``, ``Normalize``, ``RandomCrop``,
``RandomHorizontalFlip``, ``Resize``, ``Grayscale``, ``ToTensor`` (torchvision's names and
definitions).

They work on channel-first float arrays, one image ``(C, H, W)`` or a batch ``(N, C, H, W)``
(each image of a batch gets its own random draw), numpy or cupy, and on ``ns.Tensor`` (the
result is then a Tensor on the same device, outside the autograd graph). ``Resize``,
``Grayscale`` and ``ToTensor`` also take Pillow images, as torchvision's do, so that
``Compose([Resize(32), Grayscale(), ToTensor()])`` reads an :class:`ImageFolder`'s images.
Random draws come from the library's CPU generator (``nnscratch.backend.generator()``), so
``ns.manual_seed`` fixes them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy

from .. import backend
from .._tensor import Tensor
from ..creation import as_tensor


def _unwrap(image: Any) -> tuple[Any, bool]:
    if isinstance(image, Tensor):
        return image.array, True
    return image, False


def _wrap(array: Any, was_tensor: bool) -> Any:
    return as_tensor(array) if was_tensor else array


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
    """Turn an image into a float32 ``ns.Tensor`` ``(C, H, W)``, as torchvision's ``ToTensor``.

    A Pillow image or a uint8 array ``(H, W)`` / ``(H, W, C)`` becomes ``(C, H, W)`` divided
    by 255 (a 1-bit image counts its pixels as 0 or 255); a Pillow image of 32-bit integers or
    floats (modes ``I``, ``I;16``, ``F``) keeps its values, as torchvision does for images
    that are not bytes. A float array is taken as already channel-first and wrapped as it is
    (the data sets here already give float ``(C, H, W)`` in [0, 1]).
    """

    supports_batches = True

    def __call__(self, image: Any) -> Tensor:
        if isinstance(image, Tensor):
            return image
        if _is_pil(image):
            return as_tensor(_pil_to_chw(image))
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
        return as_tensor(array)

    def __repr__(self) -> str:
        return "ToTensor()"


class Resize:
    """Resize to ``size`` with bilinear interpolation (torchvision's default, antialiased).

    ``size`` ``(h, w)`` is the output size; an int ``s`` matches the smaller edge to ``s``
    and keeps the aspect ratio: an image of ``H > W`` becomes ``(int(s * H / W), s)``. With
    ``max_size``, the longer edge is then capped at it (only for an int ``size``).

    A Pillow image is resized by Pillow (``Image.resize``, ``BILINEAR``: torchvision does the
    same); a float array ``(C, H, W)`` / ``(N, C, H, W)`` or Tensor channel by channel as
    32-bit float images by Pillow, whose bilinear filter widens its support by the scale
    when shrinking (the antialiasing that torchvision's ``antialias=True`` reproduces).
    """

    supports_batches = True

    def __init__(self, size: int | Sequence[int], interpolation: str = "bilinear",
                 max_size: int | None = None, antialias: bool = True) -> None:
        sizes = (size,) if isinstance(size, int) else tuple(size)
        if len(sizes) not in (1, 2) or not all(isinstance(k, int) and not isinstance(k, bool)
                                               and k >= 1 for k in sizes):
            raise ValueError(f"Resize: size must be a positive int or (height, width), got {size!r}")
        if interpolation != "bilinear":
            raise ValueError(f"Resize: only interpolation='bilinear' is implemented, got {interpolation!r}")
        if not antialias:
            raise ValueError("Resize: only antialias=True (torchvision's default) is implemented")
        if max_size is not None and (len(sizes) != 1 or max_size <= sizes[0]):
            raise ValueError(f"Resize: max_size needs an int size smaller than it, got size {size!r} "
                             f"and max_size {max_size!r}")
        self.size, self.max_size = sizes, max_size

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """``(new_height, new_width)`` for an input of ``height`` x ``width``."""
        if len(self.size) == 2:
            return self.size
        short, long = (width, height) if width <= height else (height, width)
        new_short, new_long = self.size[0], int(self.size[0] * long / short)
        if self.max_size is not None and new_long > self.max_size:
            new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_long, new_short) if width <= height else (new_short, new_long)

    def __call__(self, image: Any) -> Any:
        image_module = _pil()
        if _is_pil(image):
            height, width = self.output_size(image.height, image.width)
            return image.resize((width, height), image_module.Resampling.BILINEAR)
        array, was_tensor = _unwrap(image)
        _check_image("Resize", array)
        where = backend.device_of(array)
        planes = backend.to_device(array, backend.CPU)
        height, width = self.output_size(*planes.shape[-2:])
        flat = planes.reshape(-1, *planes.shape[-2:]).astype(numpy.float32)
        out = numpy.empty((len(flat), height, width), dtype=numpy.float32)
        for k, plane in enumerate(flat):
            resized = image_module.fromarray(plane, mode="F").resize(
                (width, height), image_module.Resampling.BILINEAR)
            out[k] = numpy.asarray(resized)
        out = out.reshape(*planes.shape[:-2], height, width)
        return _wrap(backend.to_device(out, where), was_tensor)

    def __repr__(self) -> str:
        size = self.size[0] if len(self.size) == 1 else self.size
        return f"Resize(size={size}, interpolation=bilinear, max_size={self.max_size}, antialias=True)"


class Grayscale:
    """Grey levels ``L = 0.299 R + 0.587 G + 0.114 B`` (ITU-R 601-2), with
    ``num_output_channels`` 1 or 3 (three equal channels), as torchvision's ``Grayscale``.

    A Pillow image is converted by Pillow (``convert("L")``); a float array or Tensor
    ``(3, H, W)`` / ``(N, 3, H, W)`` by the weights torchvision uses for tensors (0.2989,
    0.587, 0.114); a one-channel image is already grey.
    """

    supports_batches = True
    WEIGHTS = (0.2989, 0.587, 0.114)

    def __init__(self, num_output_channels: int = 1) -> None:
        if num_output_channels not in (1, 3):
            raise ValueError(f"Grayscale: num_output_channels must be 1 or 3, got {num_output_channels!r}")
        self.num_output_channels = num_output_channels

    def __call__(self, image: Any) -> Any:
        if _is_pil(image):
            grey = image.convert("L")
            return grey.convert("RGB") if self.num_output_channels == 3 else grey
        array, was_tensor = _unwrap(image)
        _check_image("Grayscale", array)
        channels = array.shape[-3]
        if channels == 3:
            r, g, b = (array[..., k:k + 1, :, :] for k in range(3))
            dtype = array.dtype if array.dtype.kind == "f" else numpy.float32
            grey = (r * self.WEIGHTS[0] + g * self.WEIGHTS[1] + b * self.WEIGHTS[2]).astype(dtype)
        elif channels == 1:
            grey = array.copy()
        else:
            raise ValueError(f"Grayscale: expected 1 or 3 channels, got shape {array.shape}")
        if self.num_output_channels == 3:
            xp = backend.get_array_module(grey)
            grey = xp.concatenate([grey] * 3, axis=-3)
        return _wrap(grey, was_tensor)

    def __repr__(self) -> str:
        return f"Grayscale(num_output_channels={self.num_output_channels})"


def _pil() -> Any:
    """Pillow's ``Image`` module, imported on first use."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a declared dependency
        raise ImportError("image files need Pillow: pip install pillow") from None
    return Image


def _is_pil(image: Any) -> bool:
    module = type(image).__module__
    return module.startswith("PIL.") and hasattr(image, "getbands")


def _pil_to_chw(image: Any) -> numpy.ndarray:
    """A Pillow image as float32 ``(C, H, W)``: bytes divided by 255, other modes as they are."""
    if image.mode == "1":
        array = numpy.asarray(image, dtype=numpy.uint8) * numpy.uint8(255)
    else:
        array = numpy.asarray(image)
    if array.ndim == 2:
        array = array[:, :, None]
    out = numpy.ascontiguousarray(array.transpose(2, 0, 1), dtype=numpy.float32)
    if array.dtype == numpy.uint8:
        out /= numpy.float32(255.0)
    return out
