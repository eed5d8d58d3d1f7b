"""``nnscratch viz filters RUN_DIR [--out FILE.png]`` and ``nnscratch viz feature-maps RUN_DIR
[--image N] [--out DIR]``: a trained CNN's first-layer kernels, or each convolution's output for
one test image, as PNGs (the library side is nnscratch/viz/filters.py)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .arguments import Parser, UsageError

NAME = "viz"
HELP = "draw a trained CNN's first-layer filters or its feature maps for one image"
NO_MATPLOTLIB = "nnscratch viz needs matplotlib: pip install 'nnscratch[plot]'"


def configure(parser: argparse.ArgumentParser) -> None:
    figures = parser.add_subparsers(dest="figure", metavar="FIGURE", parser_class=Parser)
    filters = figures.add_parser("filters", help="the first Conv2d layer's kernels as one PNG")
    filters.add_argument("run_dir", metavar="RUN_DIR", help="a run folder made by `train`")
    filters.add_argument("--out", metavar="FILE.png", help="default RUN_DIR/viz/filters.png")
    maps = figures.add_parser("feature-maps", help="each Conv2d layer's output for one test image")
    maps.add_argument("run_dir", metavar="RUN_DIR", help="a run folder made by `train`")
    maps.add_argument("--image", type=int, default=0, metavar="N", help="index of the test image (0)")
    maps.add_argument("--out", metavar="DIR", help="folder of the PNGs (default RUN_DIR/viz)")


def run(args: argparse.Namespace) -> int:
    if args.figure is None:
        raise UsageError("nnscratch viz: name a figure: filters or feature-maps (see nnscratch viz --help)")
    from ..viz.filters import conv_layers, load_run, viz_folder

    directory = Path(args.out) if args.figure == "feature-maps" and args.out else None
    if directory is None and not (args.figure == "filters" and args.out):
        directory = viz_folder(args.run_dir)
    model, task = load_run(args.run_dir)
    layers = conv_layers(model)
    if not layers:
        raise UsageError(f"viz {args.figure}: the model of {args.run_dir} has no Conv2d layer")
    try:
        if args.figure == "filters":
            return _filters(layers[0], args.out or directory / "filters.png")
        return _feature_maps(model, task, args.image, directory)
    except ImportError as error:
        if error.name != "matplotlib":
            raise
        raise UsageError(NO_MATPLOTLIB) from None


def _filters(first_layer: tuple[str, Any], path: str | Path) -> int:
    from ..viz.filters import draw_filters

    name, layer = first_layer
    print(draw_filters(layer.weight.numpy(), path, title=f"{name}:"))
    return 0


def _feature_maps(model: Any, task: Any, index: int, directory: Path) -> int:
    from ..viz.filters import draw_feature_maps, example_dataset, example_image, feature_maps

    dataset = example_dataset(task)
    if dataset is None:
        raise UsageError("viz feature-maps: the run's recipe has no data set to take an image from")
    if not 0 <= index < len(dataset):
        raise UsageError(f"viz feature-maps: --image {index} is out of range: the data set has "
                         f"{len(dataset)} images (0..{len(dataset) - 1})")
    image, label = example_image(dataset, index)
    for number, (name, maps) in enumerate(feature_maps(model, image), start=1):
        path = directory / f"feature-maps-image{index}-conv{number}.png"
        print(draw_feature_maps(image, maps, path, f"test image {index} (label {label}): {name} output "
                                f"{maps.shape[0]}x{maps.shape[1]}x{maps.shape[2]}"))
    return 0
