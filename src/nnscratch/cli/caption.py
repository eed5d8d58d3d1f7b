"""``nnscratch caption RUN_DIR IMAGE.png … [--beam K]``: a caption for each image from a
caption-shapes run (the library side is :func:`nnscratch.recipes.caption_files.load_captioning`)."""

from __future__ import annotations

import argparse

from .arguments import UsageError

NAME = "caption"
HELP = "print a caption for each image, from a trained caption-shapes run"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a caption-shapes run folder")
    parser.add_argument("images", nargs="+", metavar="IMAGE.png", help="images to caption")
    parser.add_argument("--beam", type=int, metavar="K", help="beam size (default: the run's; 1 is "
                        "greedy decoding)")
    parser.add_argument("--device", default="cpu", metavar="cpu|cuda", help="where to run")


def run(args: argparse.Namespace) -> int:
    if args.beam is not None and args.beam < 1:
        raise UsageError(f"nnscratch caption: --beam must be >= 1, got {args.beam}")
    import numpy

    from ..recipes.caption_files import load_captioning, read_image

    try:
        captioning = load_captioning(args.run_dir, args.device)
        size = captioning.model.image_size
        images = numpy.stack([read_image(path, size) for path in args.images])
        captions = captioning.caption(images, args.beam)
    except ValueError as error:  # a file of the run folder or an image that is not readable, named
        raise UsageError(f"nnscratch caption: {error}") from None
    for path, caption in zip(args.images, captions):
        print(caption if len(args.images) == 1 else f"{path}: {caption}")
    return 0
