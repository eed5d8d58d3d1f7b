"""Seeing inside a trained CNN: its first layer's kernels and each convolution's output.

:func:`load_run` rebuilds a run's recipe (its model and data, from ``config.json``) with the
final weights (or the newest valid checkpoint of an unfinished run); the figures are PNGs:

- :func:`draw_filters` (``filters.png``): the kernels of a ``Conv2d``, one panel per output
  channel. A kernel over 3 input channels is drawn in colour (its channels as red, green,
  blue); over one channel in grey; over more, as the mean over its input channels. Each panel
  is scaled linearly from its own minimum (black) to maximum (white).
- :func:`draw_feature_maps` (``feature-maps-image<N>-conv<k>.png``): for one image, the output
  of a ``Conv2d`` (before its activation), one panel per channel, next to the input image.

``nnscratch viz filters|feature-maps RUN_DIR`` (nnscratch/cli/viz.py) draws them into
``RUN_DIR/viz/``. Matplotlib is needed (``pip install 'nnscratch[plot]'``).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..creation import from_numpy
from .figure_file import atomic_save_figure

#: the largest config.json read (a run's settings are a few kilobytes)
CONFIG_LIMIT = 1 << 20


def load_run(run_dir: str | Path) -> tuple[Any, Any]:
    """``(model, task)`` of a run folder: the recipe rebuilt on the CPU with the run's weights.

    ``config.json`` is read as untrusted input (a regular JSON file of bounded size whose
    ``recipe`` is a string and ``settings`` an object); the settings are checked by the
    recipe's own declared ranges; weights that do not fit the rebuilt model are one ValueError
    naming the weights' file."""
    from ..recipes.launch import build
    from ..recipes.registry import SettingsError, get_recipe, resolve_settings
    from ..recipes.run_files import load_weights, run_weights
    from ..train.run import RunFolder
    from ..untrusted import field, read_json_object

    run = RunFolder(run_dir)
    if not run.path.is_dir():
        raise FileNotFoundError(f"viz: run folder {run.path} does not exist"
                                if not run.path.exists() else f"viz: {run.path} is not a folder")
    if not run.config_path.exists() and not run.config_path.is_symlink():
        raise FileNotFoundError(f"viz: {run.path} is not a run folder (no config.json)")
    saved = read_json_object(run.config_path, max_bytes=CONFIG_LIMIT, what="run configuration")
    name = field(saved, "recipe", str, source=run.config_path)
    stored = field(saved, "settings", dict, source=run.config_path)
    try:
        recipe = get_recipe(name)
    except SettingsError as error:
        raise ValueError(f"{run.config_path}: field 'recipe': {error}") from None
    try:
        settings = resolve_settings(recipe, {k: v for k, v in stored.items()
                                             if k in recipe.defaults}, {"device": "cpu"},
                                    source=str(run.config_path))
        task, _, _ = build(recipe, settings)
    except SettingsError as error:  # a setting of the wrong type or out of its range
        raise ValueError(f"{run.config_path}: field 'settings': {error}") from None
    weights, source = run_weights(run, "cpu")
    load_weights(task.model, weights, source)
    task.model.eval()
    return task.model, task


def conv_layers(model: Any) -> list[tuple[str, Any]]:
    """``(name, layer)`` of every ``Conv2d`` of ``model``, in the order of ``named_modules``."""
    from ..nn.conv import Conv2d

    return [(name, module) for name, module in model.named_modules() if isinstance(module, Conv2d)]


def feature_maps(model: Any, image: Any) -> list[tuple[str, numpy.ndarray]]:
    """Run ``model`` on one image ``(C, H, W)`` and return each Conv2d's output ``(O, H', W')``.

    The layers' ``forward`` is wrapped for the duration of the call only (no hook API needed).
    """
    layers = conv_layers(model)
    captured: dict[str, numpy.ndarray] = {}

    def recording(name: str, forward: Any) -> Any:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            out = forward(*args, **kwargs)
            captured[name] = out.numpy()[0]
            return out
        return wrapped

    for name, layer in layers:
        object.__setattr__(layer, "forward", recording(name, layer.forward))
    try:
        array = image.numpy() if isinstance(image, Tensor) else numpy.asarray(image)
        with no_grad():
            model(from_numpy(numpy.ascontiguousarray(array[None], dtype=numpy.float32)))
    finally:
        for _, layer in layers:
            vars(layer).pop("forward", None)
    return [(name, captured[name]) for name, _ in layers if name in captured]


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ImportError("drawing filters and feature maps needs matplotlib: pip install "
                          "'nnscratch[plot]'", name="matplotlib") from None
    matplotlib.use("Agg")  # headless
    import matplotlib.pyplot as plt

    return plt


def _scaled(panel: numpy.ndarray) -> numpy.ndarray:
    low, high = float(panel.min()), float(panel.max())
    return (panel - low) / (high - low) if high > low else numpy.zeros_like(panel)


def _grid(count: int) -> tuple[int, int]:
    columns = math.ceil(math.sqrt(count))
    return math.ceil(count / columns), columns


def draw_filters(weight: numpy.ndarray, path: str | Path, title: str = "") -> Path:
    """Write the kernels ``weight`` (O, I, kH, kW) as a grid of panels to ``path`` (PNG)."""
    plt = _pyplot()
    out_channels, in_channels = weight.shape[:2]
    rows, columns = _grid(out_channels)
    figure, axes = plt.subplots(rows, columns, figsize=(1.2 * columns, 1.2 * rows + 0.4), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= out_channels:
            continue
        kernel = weight[index]
        if in_channels == 3:
            axis.imshow(_scaled(kernel.transpose(1, 2, 0)), interpolation="nearest")
        else:
            axis.imshow(_scaled(kernel.mean(axis=0)), cmap="gray", interpolation="nearest")
    how = {1: "grey", 3: "RGB"}.get(in_channels, f"mean over {in_channels} input channels")
    figure.suptitle(f"{title} {out_channels} kernels {weight.shape[2]}x{weight.shape[3]} ({how})".strip(),
                    fontsize=9)
    return _save(figure, path)


def draw_feature_maps(image: numpy.ndarray, maps: numpy.ndarray, path: str | Path, title: str) -> Path:
    """Write the input ``image`` (C, H, W) and each channel of ``maps`` (O, H', W') to ``path``."""
    plt = _pyplot()
    rows, columns = _grid(len(maps) + 1)
    figure, axes = plt.subplots(rows, columns, figsize=(1.3 * columns, 1.3 * rows + 0.4), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index == 0:
            shown = _scaled(image.transpose(1, 2, 0)) if image.shape[0] == 3 else _scaled(image.mean(axis=0))
            axis.imshow(shown, cmap=None if image.shape[0] == 3 else "gray", interpolation="nearest")
            axis.set_title("input", fontsize=7)
        elif index <= len(maps):
            axis.imshow(maps[index - 1], cmap="viridis", interpolation="nearest")
            axis.set_title(str(index - 1), fontsize=6)
    figure.suptitle(title, fontsize=9)
    return _save(figure, path)


def _save(figure: Any, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    return atomic_save_figure(figure, path, dpi=100)


def viz_folder(run_dir: str | Path) -> Path:
    """``RUN_DIR/viz``, where the figures go by default; refused when it is a link or not a
    folder, so that a shared run folder cannot make viz write outside it."""
    folder = Path(run_dir) / "viz"
    if folder.is_symlink():
        raise ValueError(f"{folder} is a link (to {os.readlink(folder)}); viz writes its figures "
                         f"only inside the run folder: remove the link or give --out")
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder} is not a folder; remove it or give --out")
    return folder


def example_dataset(task: Any) -> Any | None:
    """The data set of ``task`` that example images come from: its test data, else its
    validation data, else its training data; None when it has none of them."""
    for loader in (task.test_data, task.val_data, task.train_data):
        dataset = getattr(loader, "dataset", None)
        if dataset is not None:
            return dataset
    return None


def example_image(dataset: Any, index: int) -> tuple[numpy.ndarray, Any]:
    """Image ``index`` of ``dataset`` as the model sees it, (C, H, W), and its label (``"3,
    triangle"`` when the data set names its classes)."""
    if not 0 <= index < len(dataset):
        raise ValueError(f"example_image: index {index} is out of range: the data set has "
                         f"{len(dataset)} images (0..{len(dataset) - 1})")
    image, label, *_ = dataset[index]
    image = image.numpy() if isinstance(image, Tensor) else numpy.asarray(image)
    classes = getattr(dataset, "classes", None) or getattr(getattr(dataset, "dataset", None), "classes", None)
    if classes is not None and isinstance(label, int) and 0 <= label < len(classes):
        label = f"{label}, {classes[label]}"
    return image, label
