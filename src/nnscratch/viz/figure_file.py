"""A matplotlib figure written as a PNG file atomically (a crash leaves the old file or the new).

Every figure of nnscratch is saved through :func:`atomic_save_figure`: rendered into memory,
then written with :func:`~nnscratch.train.atomic.atomic_write_bytes` (a temporary file renamed
into place), and closed so that pyplot does not keep it.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from ..train.atomic import atomic_write_bytes


def atomic_save_figure(figure: Any, path: str | os.PathLike, **savefig_options: Any) -> Path:
    """Render a matplotlib ``figure`` as PNG, write it atomically to ``path``, close it."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", **savefig_options)
    finally:
        plt.close(figure)
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)
