"""The files of a caption-shapes run, its picture of captioned test images, and the
captioner it makes.

A ``caption-shapes`` run folder holds, besides what every run has:

    captioner.json   the Captioner's constructor arguments and the decoding settings
    vocab.json       the words (datasets/vocab.py format)
    captions.png     test images with their generated captions (green: exactly right;
                     red: wrong, with the true caption after it)

so that :func:`load_captioning` (and ``nnscratch caption RUN_DIR IMAGE.png``, in
nnscratch/cli/caption.py) rebuilds the model from the run folder alone.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy

from ..datasets.shapes import CAPTION_WORDS
from ..datasets.vocab import DEFAULT_SPECIALS, Vocab
from ..train.callbacks import Callback
from ..untrusted import UntrustedFileError
from .run_files import (
    captioner_description,
    captioner_shapes,
    check_shapes,
    json_bytes,
    load_weights,
    read_description,
    read_vocab,
    run_weights,
    write_once,
)

CONFIG_FILE, VOCAB_FILE, GRID_FILE = "captioner.json", "vocab.json", "captions.png"
#: the largest image file read (a 32×32 PNG is about 3 kB)
IMAGE_FILE_LIMIT = 64 * 1024 * 1024
#: the most pixels an image to caption may have (4096 × 4096; it is shrunk to 32 × 32 anyway)
IMAGE_PIXEL_LIMIT = 1 << 24


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
        from ..creation import from_numpy

        beam_size = self.beam_size if beam_size is None else beam_size
        device = next(iter(self.model.parameters())).device
        was_training = self.model.training
        self.model.eval()
        try:
            with no_grad():
                batch = from_numpy(numpy.ascontiguousarray(images, dtype=numpy.float32)).to(device)
                if beam_size > 1:
                    found = self.model.beam_search(batch, beam_size, self.max_length, self.length_penalty)
                else:
                    found = self.model.greedy_decode(batch, self.max_length)
        finally:
            self.model.train(was_training)
        return [" ".join(self.vocab.decode(ids)) for ids in found]


def load_captioning(run_dir: str | Path, device: str = "cpu") -> Captioning:
    """The captioner of a run folder (final weights, or its newest valid checkpoint).

    ``captioner.json``, ``vocab.json`` and the weights are checked against each other before
    the model is built (run_files.py); any fault is one ValueError naming the file and field."""
    from ..models.captioner import Captioner
    from ..train.run import RunFolder

    run = RunFolder(run_dir)
    if not run.path.is_dir():
        raise FileNotFoundError(f"run folder {run.path} does not exist" if not run.path.exists()
                                else f"{run.path} is not a folder")
    config_path = run.path / CONFIG_FILE
    if not config_path.exists() and not config_path.is_symlink():
        raise FileNotFoundError(f"{run.path} is not a caption-shapes run folder (no {CONFIG_FILE})")
    config = captioner_description(read_description(config_path, "captioner description"),
                                   config_path)
    arguments = config["model"]
    vocab = read_vocab(run.path / VOCAB_FILE, size=arguments["vocab_size"], source=config_path,
                       size_field="model.vocab_size")
    for key in ("pad_index", "bos_index", "eos_index"):
        index = getattr(vocab, key)
        if arguments[key] != index:
            raise UntrustedFileError(f"{config_path}: field 'model.{key}' is {arguments[key]} but "
                                     f"{run.path / VOCAB_FILE} has that token at {index}")
    weights, source = run_weights(run)
    check_shapes(weights, captioner_shapes(arguments), description=config_path,
                 weights_source=source)
    try:
        model = Captioner(**arguments)
    except ValueError as error:
        raise UntrustedFileError(f"{config_path}: {error}") from None
    load_weights(model, weights, source)
    model.to(device).eval()
    return Captioning(model, vocab, **config["decoding"])


def read_image(path: str | Path, image_size: int) -> numpy.ndarray:
    """An image file as float32 (3, image_size, image_size) in [0, 1]: decoded with Pillow
    (PNG, JPEG, …), grey or palette images as RGB, alpha dropped, and resized by nearest
    neighbour when its size differs. The file is untrusted: a special file, a file over
    :data:`IMAGE_FILE_LIMIT` or an image of more than :data:`IMAGE_PIXEL_LIMIT` pixels (a
    decompression bomb: a few bytes that declare 40,000 × 40,000 pixels) is refused before
    it is decoded."""
    from PIL import Image, UnidentifiedImageError

    from ..untrusted import read_bytes

    # a regular file of bounded size (a FIFO would block the decoder forever)
    data = read_bytes(path, max_bytes=IMAGE_FILE_LIMIT, what="image")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > IMAGE_PIXEL_LIMIT:
                raise UntrustedFileError(f"{path} declares {width} x {height} pixels, more than "
                                         f"the {IMAGE_PIXEL_LIMIT} an image to caption may have")
            pixels = numpy.asarray(image.convert("RGB"), dtype=numpy.float32) / numpy.float32(255)
    except UntrustedFileError:
        raise
    except UnidentifiedImageError:  # (its own text names the in-memory buffer, not the file)
        raise UntrustedFileError(f"{path} is not an image Pillow can read (no known image "
                                 f"format)") from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, EOFError) as error:
        raise UntrustedFileError(f"{path} is not an image Pillow can read ({error})") from None
    height, width = pixels.shape[:2]
    if (height, width) != (image_size, image_size):  # nearest neighbour: pixel centres
        rows = ((numpy.arange(image_size) + 0.5) * height / image_size).astype(int)
        columns = ((numpy.arange(image_size) + 0.5) * width / image_size).astype(int)
        pixels = pixels[rows][:, columns]
    return numpy.ascontiguousarray(pixels.transpose(2, 0, 1))


def draw_caption_grid(captioning: Captioning, images: numpy.ndarray, references: Sequence[str],
                      path: str | Path) -> Path:
    """Test images titled with their generated captions (wrong ones in red, with the truth)."""
    from ..viz.image_grid import save_image_grid

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
        """Write the sidecars atomically, each only when it differs from the file there."""
        if trainer.run is None:
            return
        write_once(trainer.run.path / CONFIG_FILE, json_bytes({"model": trainer.model.config,
                                                               "decoding": self.decoding}))
        write_once(trainer.run.path / VOCAB_FILE, self.vocab.dumps().encode("utf-8"))

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
