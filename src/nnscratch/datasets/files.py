"""Reading data files: gzip detected by its magic bytes, faults reported as ``ValueError``.

Loaders of real formats (IDX, CIFAR binary) share these two helpers so that a corrupt or
truncated file always surfaces as one ``ValueError`` naming the file and the fault, never as a
``zlib.error``, ``EOFError`` or ``gzip.BadGzipFile`` from deep inside the standard library.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Sequence
from pathlib import Path

GZIP_MAGIC = b"\x1f\x8b"


def maybe_gunzip(raw: bytes, source: str) -> bytes:
    """``raw`` decompressed when it starts with the gzip magic bytes, else ``raw`` itself."""
    if not raw.startswith(GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:  # BadGzipFile is an OSError
        raise ValueError(f"{source}: corrupt or truncated gzip data ({error})") from None


def find_file(directories: Sequence[Path], names: Sequence[str]) -> Path | None:
    """The first existing ``directory / name`` over directories, then names; None if none."""
    for directory in directories:
        for name in names:
            candidate = Path(directory) / name
            if candidate.is_file():
                return candidate
    return None
