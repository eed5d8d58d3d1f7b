"""ImageFolder: images kept one folder per class, as torchvision's ``ImageFolder`` reads them::

    root/cat/001.png
    root/cat/nested/002.jpg
    root/dog/xyz.jpeg

``classes`` are the sorted names of the sub-folders of ``root``, ``class_to_idx`` maps each to
its index, and ``samples`` lists ``(path, class_index)`` for every file with an image
extension (case-insensitive), class by class and in sorted order within each folder tree.
Items are ``(image, target)``: the decoded image (a Pillow RGB image unless ``loader`` says
otherwise) after ``transform``, and the class index after ``target_transform``.

The files are untrusted input: a file that is not a regular file (a FIFO, a device), larger
than :data:`MAX_IMAGE_BYTES`, not an image or damaged, or one that would decode into more
pixels than Pillow's decompression-bomb limit, is a ``ValueError`` naming it. Unlike
torchvision, links to sub-folders are not followed (a link loop cannot make the scan endless);
a class folder that is itself a link is.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..data.dataset import Dataset
from ..untrusted import UntrustedFileError, read_bytes

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
MAX_IMAGE_BYTES = 256 * 1024 * 1024


def find_classes(directory: str | os.PathLike) -> tuple[list[str], dict[str, int]]:
    """``(classes, class_to_idx)``: the sorted sub-folder names of ``directory`` and their
    indices; FileNotFoundError when it has none."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"ImageFolder: {directory} is not a folder")
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"ImageFolder: couldn't find any class folder in {directory} "
                                f"(expected one sub-folder of images per class)")
    return classes, {name: index for index, name in enumerate(classes)}


def has_file_allowed_extension(filename: str, extensions: str | tuple[str, ...]) -> bool:
    """True when ``filename`` ends with one of ``extensions`` (case-insensitive)."""
    return filename.lower().endswith(extensions if isinstance(extensions, str) else tuple(extensions))


def make_dataset(directory: str | os.PathLike, class_to_idx: dict[str, int],
                 extensions: str | tuple[str, ...] | None = None,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> list[tuple[str, int]]:
    """``(path, class_index)`` of every valid file under each class folder of ``directory``.

    Exactly one of ``extensions`` and ``is_valid_file`` says which files count. A class with
    no valid file is a FileNotFoundError naming it, unless ``allow_empty``.
    """
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("ImageFolder: give exactly one of extensions and is_valid_file")
    if is_valid_file is None:
        allowed = tuple(extensions) if not isinstance(extensions, str) else extensions

        def is_valid_file(path: str) -> bool:
            return has_file_allowed_extension(path, allowed)

    instances, available = [], set()
    for target_class in sorted(class_to_idx):
        class_index = class_to_idx[target_class]
        target_dir = os.path.join(directory, target_class)
        if not os.path.isdir(target_dir):
            continue
        for root, _, names in sorted(os.walk(target_dir, followlinks=False)):
            for name in sorted(names):
                path = os.path.join(root, name)
                if is_valid_file(path):
                    instances.append((path, class_index))
                    available.add(target_class)
    empty = set(class_to_idx) - available
    if empty and not allow_empty:
        message = f"ImageFolder: {directory}: found no valid file for the classes {', '.join(sorted(empty))}"
        if extensions is not None:
            shown = extensions if isinstance(extensions, str) else ", ".join(extensions)
            message += f"; supported extensions are: {shown}"
        raise FileNotFoundError(message)
    return instances


def pil_image(path: str | os.PathLike) -> Any:
    """The image file ``path`` decoded by Pillow (fully, not lazily), or ValueError naming it:
    not a regular file, too large, not an image, damaged, or a decompression bomb."""
    pil = _pil()
    data = read_bytes(path, max_bytes=MAX_IMAGE_BYTES, what="image file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pil.DecompressionBombWarning)
            image = pil.open(io.BytesIO(data))
            image.load()
    # Pillow's decoders report a damaged file with many exception types (OSError, SyntaxError,
    # ValueError, struct.error, EOFError, IndexError …); each is this file's fault
    except Exception as error:  # noqa: BLE001
        if isinstance(error, (pil.DecompressionBombError, pil.DecompressionBombWarning)):
            raise UntrustedFileError(f"image file {path}: {error}") from None
        if isinstance(error, pil.UnidentifiedImageError):  # its text names the buffer, not the file
            raise UntrustedFileError(f"image file {path} is not a readable image (no known "
                                     f"image format)") from None
        raise UntrustedFileError(f"image file {path} is not a readable image "
                                 f"({type(error).__name__}: {error})") from None
    return image


def pil_loader(path: str | os.PathLike) -> Any:
    """The default loader: the image at ``path`` as a Pillow RGB image (as torchvision's)."""
    image = pil_image(path)
    try:
        return image.convert("RGB")
    except Exception as error:  # noqa: BLE001 - see pil_image
        raise UntrustedFileError(f"image file {path} cannot be converted to RGB "
                                 f"({type(error).__name__}: {error})") from None


class ImageFolder(Dataset):
    """Images in one sub-folder per class (see the module docstring).

    Args:
        root: the folder holding one sub-folder per class.
        transform: applied to each decoded image (e.g. ``Compose([Resize(32), ToTensor()])``).
        target_transform: applied to each class index.
        loader: ``path -> image``; default :func:`pil_loader` (Pillow, RGB).
        is_valid_file: ``path -> bool`` choosing the files; excludes ``extensions``.
        extensions: file name endings that count as images; default :data:`IMG_EXTENSIONS`
            when ``is_valid_file`` is not given.
        allow_empty: accept class folders without any image.

    Attributes: ``root``, ``classes``, ``class_to_idx``, ``samples`` (and its alias ``imgs``)
    as ``(path, class_index)``, ``targets`` (the class index of each sample).
    """

    def __init__(self, root: str | os.PathLike, transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[int], Any] | None = None,
                 loader: Callable[[str], Any] | None = None,
                 is_valid_file: Callable[[str], bool] | None = None,
                 extensions: Sequence[str] | str | None = None, allow_empty: bool = False) -> None:
        if is_valid_file is not None and extensions is not None:
            raise ValueError("ImageFolder: give extensions or is_valid_file, not both")
        if is_valid_file is None and extensions is None:
            extensions = IMG_EXTENSIONS
        self.root = Path(root)
        self.transform, self.target_transform = transform, target_transform
        self.loader = loader if loader is not None else pil_loader
        if extensions is not None and not isinstance(extensions, str):
            extensions = tuple(extensions)
        self.extensions = extensions
        self.classes, self.class_to_idx = find_classes(self.root)
        self.samples = make_dataset(self.root, self.class_to_idx, self.extensions, is_valid_file,
                                    allow_empty)
        self.imgs = self.samples
        self.targets = [target for _, target in self.samples]

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __repr__(self) -> str:
        return (f"ImageFolder(root={str(self.root)!r}, classes={len(self.classes)}, "
                f"samples={len(self)})")


def _pil() -> Any:
    """Pillow's ``Image`` module, imported on first use."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a declared dependency
        raise ImportError("ImageFolder needs Pillow to decode images: pip install pillow") from None
    return Image
