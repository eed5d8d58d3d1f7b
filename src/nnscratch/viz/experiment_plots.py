"""Figures of the experiments: panels of curves, drawn headless (Agg) into PNG files.

An experiment describes what to draw — :class:`Panel`\\ s holding :class:`Curve`\\ s and
horizontal reference lines (a trivial baseline) — and :func:`save_panels` lays the panels out in
a grid and writes the file. Missing values (None, NaN, or non-positive ones on a log axis) are
left out of a curve rather than drawn as zeros.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .figure_file import atomic_save_figure
from .fonts import hangul_rc


@dataclass
class Curve:
    """One line: ``y`` against ``x``; ``style`` is passed to matplotlib's ``plot``."""

    label: str
    x: Sequence
    y: Sequence
    style: dict = field(default_factory=dict)


@dataclass
class Panel:
    """One set of axes."""

    title: str
    xlabel: str
    ylabel: str
    curves: list = field(default_factory=list)
    log_y: bool = False
    references: list = field(default_factory=list)  # (label, y) horizontal dashed lines
    y_limits: tuple | None = None  # (bottom, top); None for either end: matplotlib's choice


def _points(curve: Curve, log_y: bool) -> tuple[list, list]:
    xs, ys = [], []
    for x, y in zip(curve.x, curve.y):
        if y is None or not math.isfinite(float(y)) or (log_y and float(y) <= 0):
            continue
        xs.append(x)
        ys.append(float(y))
    return xs, ys


def save_panels(path: str | Path, panels: Sequence[Panel], columns: int | None = None,
                panel_size: tuple[float, float] = (5.0, 3.8)) -> Path:
    """Draw ``panels`` in a grid (``columns`` wide, all in one row by default) into ``path``."""
    import matplotlib

    matplotlib.use("Agg")  # headless: no display needed
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = columns or len(panels)
    rows = -(-len(panels) // columns)
    with matplotlib.rc_context(hangul_rc()):  # titles and labels may be Korean
        figure, grid = plt.subplots(rows, columns, figsize=(panel_size[0] * columns, panel_size[1] * rows),
                                    dpi=100, squeeze=False)
        for axes, panel in zip(grid.flat, panels):
            for curve in panel.curves:
                xs, ys = _points(curve, panel.log_y)
                if xs:
                    axes.plot(xs, ys, label=curve.label, **curve.style)
            for label, value in panel.references:
                axes.axhline(value, linestyle="--", color="grey", linewidth=1, label=label)
            if panel.log_y:
                axes.set_yscale("log")
            if panel.y_limits is not None:
                axes.set_ylim(*panel.y_limits)
            axes.set_title(panel.title, fontsize=10)
            axes.set_xlabel(panel.xlabel)
            axes.set_ylabel(panel.ylabel)
            axes.grid(True, alpha=0.3)
            if axes.get_legend_handles_labels()[0]:
                axes.legend(fontsize=8)
        for axes in list(grid.flat)[len(panels):]:
            axes.set_visible(False)
        figure.tight_layout()
        return atomic_save_figure(figure, path)


def save_decision_regions(path: str | Path, grid_x, grid_y, regions: dict, points, labels) -> Path:
    """One panel per entry of ``regions`` (title → class index on the ``grid_x``/``grid_y`` mesh,
    two classes) with the labelled ``points`` (N, 2) on top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    figure, grid = plt.subplots(1, len(regions), figsize=(4 * len(regions), 4), dpi=100, squeeze=False)
    for axes, (title, classes) in zip(grid.flat, regions.items()):
        axes.contourf(grid_x, grid_y, classes, levels=[-0.5, 0.5, 1.5], colors=["#c6dbef", "#fdd0a2"])
        axes.scatter(points[:, 0], points[:, 1], c=labels, cmap="coolwarm", s=10, edgecolors="k",
                     linewidths=0.3)
        axes.set_title(title, fontsize=10)
        axes.set_xticks([])
        axes.set_yticks([])
    figure.tight_layout()
    return atomic_save_figure(figure, path)
