"""The files of a caption-shapes run, its picture of captioned test images, and
``nnscratch caption RUN_DIR IMAGE.png``.

A ``caption-shapes`` run folder holds, besides what every run has:

    captioner.json   the Captioner's constructor arguments and the decoding settings
    vocab.json       the words (datasets/vocab.py format)
    captions.png     test images with their generated captions (green: exactly right;
                     red: wrong, with the true caption after it)

so that ``nnscratch caption`` rebuilds the model from the run folder alone.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy

from ..cli import UsageError, command
from ..datasets.shapes import CAPTION_WORDS
from ..datasets.vocab import DEFAULT_SPECIALS, Vocab
from ..train.callbacks import Callback

CONFIG_FILE, VOCAB_FILE, GRID_FILE = "captioner.json", "vocab.json", "captions.png"


def caption_vocab() -> Vocab:
    """<pad> <unk> <bos> <eos> followed by every word of the Shapes caption grammar."""
    return Vocab([*DEFAULT_SPECIALS, *CAPTION_WORDS], specials=DEFAULT_SPECIALS)


class Captioning:
    """A trained captioner with its vocabulary and decoding settings, ready to caption."""

    def __init__(self, model: Any, vocab: Vocab, beam_size: int = 1, length_penalty: float = 0.0,
                 max_length: int = 20) -> None:
        self.model, self.vocab = model, vocab
        self.beam_size, self.length_penalty, self.max_length = beam_size, length_penalty, max_length

    def caption(self, images: numpy.ndarray, beam_size: int | None = None) -> list[str]:
        """One caption per image of ``images`` (N, C, S, S) float32 in [0, 1]."""
        from ..autograd.grad_mode import no_grad
        from ..tensor import Tensor

        beam_size = self.beam_size if beam_size is None else beam_size
        device = next(iter(self.model.parameters())).device
        was_training = self.model.training
        self.model.eval()
        try:
            with no_grad():
                batch = Tensor._make(numpy.ascontiguousarray(images, dtype=numpy.float32)).to(device)
                if beam_size > 1:
                    found = self.model.beam_search(batch, beam_size, self.max_length, self.length_penalty)
                else:
                    found = self.model.greedy_decode(batch, self.max_length)
        finally:
            self.model.train(was_training)
        return [" ".join(self.vocab.decode(ids)) for ids in found]


def load_captioning(run_dir: str | Path, device: str = "cpu") -> Captioning:
    """The captioner of a run folder (final weights, or its newest valid checkpoint)."""
    from ..models.captioner import Captioner
    from ..train.run import RunFolder

    run = RunFolder(run_dir)
    config_path = run.path / CONFIG_FILE
    if not config_path.exists():
        raise FileNotFoundError(f"{run.path} is not a caption-shapes run folder (no {CONFIG_FILE})")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
        model = Captioner(**config["model"])
        decoding = dict(config.get("decoding", {}))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{config_path} is not a valid captioner description ({error})") from None
    vocab = Vocab.load(run.path / VOCAB_FILE)
    weights = run.final_weights()
    model.load_state_dict(weights)
    model.to(device).eval()
    return Captioning(model, vocab, **decoding)


def read_image(path: str | Path, image_size: int) -> numpy.ndarray:
    """An image file as float32 (3, image_size, image_size) in [0, 1]: read with
    matplotlib (PNG natively), alpha dropped, grey repeated over three channels, and resized
    by nearest neighbour when its size differs."""
    import matplotlib.image

    try:
        pixels = numpy.asarray(matplotlib.image.imread(str(path)))
    except FileNotFoundError:
        raise
    except (OSError, ValueError, SyntaxError) as error:
        raise ValueError(f"{path} is not an image matplotlib can read ({error})") from None
    if pixels.dtype.kind in "ui":
        pixels = pixels / float(numpy.iinfo(pixels.dtype).max)
    pixels = pixels.astype(numpy.float32)
    if pixels.ndim == 2:
        pixels = numpy.repeat(pixels[:, :, None], 3, axis=2)
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        raise ValueError(f"{path}: expected a grey, RGB or RGBA image, got pixels of shape {pixels.shape}")
    pixels = pixels[:, :, :3]
    height, width = pixels.shape[:2]
    if (height, width) != (image_size, image_size):  # nearest neighbour: pixel centres
        rows = ((numpy.arange(image_size) + 0.5) * height / image_size).astype(int)
        columns = ((numpy.arange(image_size) + 0.5) * width / image_size).astype(int)
        pixels = pixels[rows][:, columns]
    return numpy.ascontiguousarray(pixels.transpose(2, 0, 1))


def draw_caption_grid(captioning: Captioning, images: numpy.ndarray, references: Sequence[str],
                      path: str | Path) -> Path:
    """Test images titled with their generated captions (wrong ones in red, with the truth)."""
    from .image_grid import save_image_grid

    generated = captioning.caption(images)
    titles, colors = [], []
    for hypothesis, reference in zip(generated, references):
        right = hypothesis == reference
        titles.append(hypothesis if right else f"{hypothesis}  [truth: {reference}]")
        colors.append("darkgreen" if right else "red")
    correct = sum(c == "darkgreen" for c in colors)
    return save_image_grid(images, path, columns=5, titles=titles, title_colors=colors,
                           cell_inches=2.0, suptitle=f"generated captions of {len(images)} test "
                           f"images ({correct} exactly right)")


class CaptionFiles(Callback):
    """Writes captioner.json and vocab.json when a run starts and captions.png when it
    completes (the first ``grid`` test images)."""

    def __init__(self, vocab: Vocab, decoding: dict[str, Any], test: Any, grid: int) -> None:
        self.vocab, self.decoding, self.test, self.grid = vocab, decoding, test, grid

    def on_fit_start(self, trainer: Any) -> None:
        if trainer.run is None:
            return
        from ..train.atomic import atomic_write_json

        atomic_write_json(trainer.run.path / CONFIG_FILE, {"model": trainer.model.config,
                                                           "decoding": self.decoding})
        self.vocab.save(trainer.run.path / VOCAB_FILE)

    def on_fit_end(self, trainer: Any, status: str) -> None:
        if trainer.run is None or status != "completed" or self.grid < 1:
            return
        count = min(self.grid, len(self.test))
        images = self.test.data[:count].astype(numpy.float32) / numpy.float32(255.0)
        try:
            draw_caption_grid(Captioning(trainer.model, self.vocab, **self.decoding), images,
                              self.test.captions[:count], trainer.run.path / GRID_FILE)
        except ImportError:
            trainer.progress.message("matplotlib is not installed: no caption grid "
                                     "(pip install 'nnscratch[plot]')")


# ---------------------------------------------------------------------------- the command
def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a caption-shapes run folder")
    parser.add_argument("images", nargs="+", metavar="IMAGE.png", help="images to caption")
    parser.add_argument("--beam", type=int, metavar="K", help="beam size (default: the run's; 1 is "
                        "greedy decoding)")
    parser.add_argument("--device", default="cpu", metavar="cpu|cuda", help="where to run")


@command("caption", "print a caption for each image, from a trained caption-shapes run", _configure)
def caption_command(args: argparse.Namespace) -> int:
    if args.beam is not None and args.beam < 1:
        raise UsageError(f"nnscratch caption: --beam must be >= 1, got {args.beam}")
    try:
        captioning = load_captioning(args.run_dir, args.device)
        size = captioning.model.image_size
        images = numpy.stack([read_image(path, size) for path in args.images])
        captions = captioning.caption(images, args.beam)
    except ValueError as error:
        raise UsageError(f"nnscratch caption: {error}") from None
    for path, caption in zip(args.images, captions):
        print(caption if len(args.images) == 1 else f"{path}: {caption}")
    return 0
