"""PNG grids of small images (reconstructions, learned filters, samples, captioned pictures).

Drawn headless with matplotlib (an optional dependency: ``pip install 'nnscratch[plot]'``) and
written atomically (a temporary file renamed into place), as the trainer's plots are, with a
Hangul font (:func:`~nnscratch.viz.fonts.hangul_rc`): titles carry run names, which may be Korean.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy

from .figure_file import atomic_save_figure


def as_displayable(images: numpy.ndarray) -> numpy.ndarray:
    """Images ``(N, C, H, W)``, ``(N, H, W)`` or flat ``(N, H·W)`` (square) as ``(N, H, W)``
    grey or ``(N, H, W, 3)`` colour arrays for ``imshow``."""
    images = numpy.asarray(images, dtype=numpy.float32)
    if images.ndim == 2:
        side = int(round(images.shape[1] ** 0.5))
        if side * side != images.shape[1]:
            raise ValueError(f"image grid: flat images of {images.shape[1]} values are not square")
        return images.reshape(-1, side, side)
    if images.ndim == 4:
        if images.shape[1] == 1:
            return images[:, 0]
        if images.shape[1] == 3:
            return images.transpose(0, 2, 3, 1)
        raise ValueError(f"image grid: expected 1 or 3 channels, got shape {images.shape}")
    if images.ndim == 3:
        return images
    raise ValueError(f"image grid: expected (N, C, H, W), (N, H, W) or (N, H·W), got {images.shape}")


def save_image_grid(images: numpy.ndarray, path: str | Path, columns: int = 8,
                    titles: Sequence[str] | None = None, normalize_each: bool = False,
                    suptitle: str | None = None, cell_inches: float = 1.0,
                    row_labels: Sequence[str] | None = None,
                    title_colors: Sequence[str] | None = None) -> Path:
    """Write ``images`` as a grid of ``columns`` per row into the PNG ``path``.

    ``normalize_each`` maps every image to its own [min, max] (learned filters); otherwise grey
    images are shown in [0, 1]. ``titles`` go above each image (wrapped to the cell's width,
    in ``title_colors`` when given); ``row_labels`` to the left of each row.
    """
    import matplotlib

    matplotlib.use("Agg")  # headless

    from .fonts import hangul_rc

    with matplotlib.rc_context(hangul_rc()):
        return _draw_grid(as_displayable(images), Path(path), columns, titles, normalize_each,
                          suptitle, cell_inches, row_labels, title_colors)


def _draw_grid(pictures: numpy.ndarray, path: Path, columns: int, titles: Sequence[str] | None,
               normalize_each: bool, suptitle: str | None, cell_inches: float,
               row_labels: Sequence[str] | None, title_colors: Sequence[str] | None) -> Path:
    import matplotlib.pyplot as plt

    count = len(pictures)
    if count == 0:
        raise ValueError("image grid: no images to draw")
    columns = max(1, min(columns, count))
    rows = (count + columns - 1) // columns
    title_lines = 0
    width_chars = max(8, int(cell_inches * 14))
    if titles is not None:
        title_lines = max(len(textwrap.wrap(t, width_chars)) or 1 for t in titles)
    height = cell_inches + 0.16 * title_lines
    figure, axes = plt.subplots(rows, columns, figsize=(columns * cell_inches + (0.6 if row_labels else 0),
                                                        rows * height + (0.4 if suptitle else 0)),
                                dpi=100, squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.set_xticks([])
        axis.set_yticks([])
        if index >= count:
            axis.axis("off")
            continue
        picture = pictures[index]
        if normalize_each:
            low, high = float(picture.min()), float(picture.max())
            picture = (picture - low) / (high - low) if high > low else picture * 0
        else:
            picture = numpy.clip(picture, 0.0, 1.0)
        axis.imshow(picture, cmap="gray" if picture.ndim == 2 else None, vmin=0.0, vmax=1.0,
                    interpolation="nearest")
        if titles is not None:
            color = title_colors[index] if title_colors is not None else "black"
            axis.set_title("\n".join(textwrap.wrap(titles[index], width_chars)), fontsize=7,
                           color=color)
        if row_labels is not None and index % columns == 0 and index // columns < len(row_labels):
            axis.set_ylabel(row_labels[index // columns], fontsize=8)
    if suptitle:
        figure.suptitle(suptitle, fontsize=10)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_save_figure(figure, path)
