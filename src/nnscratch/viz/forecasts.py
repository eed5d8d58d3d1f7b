"""A time series with forecasts drawn over it: the truth, the model's and a baseline's forecasts.

One PNG: the truth as a black line, each forecast segment (a model's solid red, the baseline's
dashed blue) over the steps it predicts, and a dotted line where the forecasts begin.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .figure_file import atomic_save_figure


def draw_forecasts(path: str | Path, x: Any, truth: Any, segment_x: Sequence[Any],
                   model_forecasts: Sequence[Any], baseline_forecasts: Sequence[Any], *,
                   split_at: Any, x_label: str, y_label: str, title: str,
                   baseline_name: str = "AR baseline") -> Path:
    """Write the figure into the PNG ``path``; return it.

    ``x``, ``truth``: the shown part of the series (same length; ``x`` steps or datetimes).
    ``segment_x[k]``: the ``horizon`` positions forecast ``k`` covers, ``model_forecasts[k]``
    and ``baseline_forecasts[k]`` its values (each as long as ``segment_x[k]``). Raises
    ImportError when matplotlib is missing.
    """
    if not len(segment_x) == len(model_forecasts) == len(baseline_forecasts):
        raise ValueError(f"draw_forecasts: {len(segment_x)} segments but {len(model_forecasts)} "
                         f"model and {len(baseline_forecasts)} baseline forecasts")
    import matplotlib

    matplotlib.use("Agg")  # headless
    import matplotlib.pyplot as plt

    path = Path(path)
    figure, axes = plt.subplots(figsize=(11, 4), dpi=100)
    axes.plot(x, truth, color="black", linewidth=1, label="truth")
    for number, (steps, model, baseline) in enumerate(zip(segment_x, model_forecasts,
                                                          baseline_forecasts)):
        axes.plot(steps, model, color="tab:red", linewidth=1.5,
                  label="model forecast" if number == 0 else None)
        axes.plot(steps, baseline, color="tab:blue", linewidth=1, linestyle="--",
                  label=baseline_name if number == 0 else None)
    axes.axvline(split_at, color="grey", linestyle=":", linewidth=1)
    axes.set_title(title, fontsize=10)
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_save_figure(figure, path)
