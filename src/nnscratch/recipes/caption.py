"""Recipe ``caption-shapes``: a CNN + LSTM captioner learns to describe generated shapes.

The images and captions come from :class:`~nnscratch.datasets.Shapes` ("a large red circle
above a small blue square"); training, validation and test images are drawn from independent
seeds, so the test images were never seen. The captioner (:class:`~nnscratch.models.Captioner`)
is trained by teacher forcing on the cross-entropy of each next word and <eos>. Evaluation
decodes captions — greedy on the validation images every epoch, the run's decoding (beam search
with ``beam_size`` > 1) on the test images at the end — and ``summary.json``'s ``final`` holds

    loss          teacher-forced cross-entropy per target word
    exact_match   the fraction of test captions generated exactly right
    bleu          corpus BLEU-4 (0–100, sacrebleu's definition) of the test captions

Expected: exact_match >= 0.9 and bleu >= 90 in a few minutes on two CPU cores. The run folder
gets ``captioner.json`` and ``vocab.json`` (so that ``nnscratch caption RUN_DIR IMAGE.png``
needs nothing else) and ``captions.png``, a grid of test images with their generated captions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy

from .._tensor import Tensor
from ..creation import from_numpy
from ..data import DataLoader
from ..datasets.shapes import MAX_CAPTION_WORDS, Shapes
from ..models.captioner import Captioner
from ..nn import functional as F
from ..optim import Adam
from ..optim.lr_scheduler import CosineAnnealingLR
from .caption_files import CaptionFiles, caption_vocab
from .cnn import check_generated_images
from .registry import Range, Settings, SettingsError, Task, recipe

EVAL_BATCH = 500


@dataclass
class Captions:
    """The model's output for a batch: teacher-forced ``logits`` (B, T, V) and, when
    evaluating, the decoded ``hypotheses`` as text."""

    logits: Tensor
    hypotheses: list[str] | None = None


@dataclass
class CaptionTargets:
    """A batch's targets: ``words`` (B, T) ending in <eos> and padded, ``count`` the number of
    real target words, ``references`` the true captions."""

    words: Tensor
    count: int
    references: list[str]


class CaptionedImages:
    """Shapes images with their captions encoded once, served a whole batch at a time as a
    dict: ``images`` (B, 3, S, S), ``words`` (B, T) = <bos> w_1 … w_n <pad>…, ``targets``
    (B, T) = w_1 … w_n <eos> <pad>… (T: the longest caption of the batch + 1), ``count``,
    ``references`` and ``decoding`` (how evaluation decodes this split)."""

    def __init__(self, shapes: Shapes, vocab: Any, decoding: str = "greedy") -> None:
        self.shapes, self.vocab, self.decoding = shapes, vocab, decoding
        width = MAX_CAPTION_WORDS + 1
        self.words = numpy.full((len(shapes), width), vocab.pad_index, dtype=numpy.int64)
        self.targets = numpy.full((len(shapes), width), vocab.pad_index, dtype=numpy.int64)
        self.lengths = numpy.zeros(len(shapes), dtype=numpy.int64)
        for row, caption in enumerate(shapes.captions):
            ids = vocab.encode(caption.split())
            self.words[row, :len(ids) + 1] = [vocab.bos_index, *ids]
            self.targets[row, :len(ids) + 1] = [*ids, vocab.eos_index]
            self.lengths[row] = len(ids) + 1

    def __len__(self) -> int:
        return len(self.shapes)

    def fetch_batch(self, indices: Any) -> dict[str, Any]:
        indices = numpy.asarray(indices, dtype=numpy.int64)
        images = self.shapes.data[indices].astype(numpy.float32) / numpy.float32(255.0)
        steps = int(self.lengths[indices].max())
        return {"images": from_numpy(images),
                "words": from_numpy(numpy.ascontiguousarray(self.words[indices, :steps])),
                "targets": from_numpy(numpy.ascontiguousarray(self.targets[indices, :steps])),
                "count": int(self.lengths[indices].sum()),
                "references": [self.shapes.captions[int(i)] for i in indices],
                "decoding": self.decoding}


def decode_words(ids: list[int], vocab: Any) -> str:
    return " ".join(vocab.decode(ids))


def make_forward(vocab: Any, beam_size: int, length_penalty: float) -> Any:
    """The trainer's ``forward``: teacher-forced logits always; decoded captions when
    evaluating (beam search for batches marked ``decoding="beam"`` when ``beam_size`` > 1)."""
    max_length = MAX_CAPTION_WORDS + 1

    def forward(model: Captioner, batch: dict, state: Any) -> tuple[Captions, CaptionTargets, None]:
        images = batch["images"]
        output = Captions(model(images, batch["words"]))
        if not model.training:
            if batch["decoding"] == "beam" and beam_size > 1:
                found = model.beam_search(images, beam_size, max_length, length_penalty)
            else:
                found = model.greedy_decode(images, max_length)
            output.hypotheses = [decode_words(ids, vocab) for ids in found]
        return output, CaptionTargets(batch["targets"], batch["count"], batch["references"]), None

    return forward


def make_loss(pad_index: int) -> Any:
    def loss(output: Captions, target: CaptionTargets) -> Tensor:
        """Mean cross-entropy over the real target words (padding ignored)."""
        vocab_size = output.logits.shape[-1]
        return F.cross_entropy(output.logits.reshape(-1, vocab_size), target.words.reshape(-1),
                               ignore_index=pad_index)

    return loss


@recipe(
    "caption-shapes",
    "CNN + LSTM captioner (Show and Tell) of generated shapes; >= 90% exactly right captions and "
    "BLEU-4 >= 90 on held-out images in a few minutes on 2 cores",
    epochs=14, batch_size=32, lr=3e-3, log_every=50, clip_grad_norm=5.0, train_size=8000,
    val_size=500, test_size=1000, image_size=32, width=16, embedding_dim=64, hidden=128, layers=1,
    dropout=0.0, beam_size=3, length_penalty=0.0, grid=20,
    ranges={"train_size": (1, 1_000_000), "val_size": (0, 100_000), "test_size": (1, 100_000),
            "image_size": (8, 256), "width": (1, 1024), "embedding_dim": (1, 8192),
            "hidden": (1, 8192), "layers": (1, 16), "dropout": Range(0, 1, high_open=True),
            "beam_size": (1, 64), "length_penalty": (0, 10), "grid": (1, 1000)},
)
def caption_shapes(settings: Settings) -> Task:
    check_generated_images("caption-shapes", settings)
    sizes = (settings.train_size, settings.val_size, settings.test_size)
    vocab = caption_vocab()
    # three independent streams of images (as cnn-shapes draws them)
    train, val, test = (Shapes(size, image_size=settings.image_size, seed=3 * settings.seed + split)
                        for split, size in enumerate(sizes))
    width = settings.width
    try:
        model = Captioner(len(vocab), settings.embedding_dim, settings.hidden, settings.layers,
                          image_size=settings.image_size, channels=(width, 2 * width, 4 * width),
                          dropout=settings.dropout, pad_index=vocab.pad_index,
                          bos_index=vocab.bos_index, eos_index=vocab.eos_index)
    except ValueError as error:
        raise SettingsError(str(error)) from None
    decoding = {"beam_size": settings.beam_size, "length_penalty": settings.length_penalty}
    return Task(
        model=model,
        loss=make_loss(vocab.pad_index),
        train_data=DataLoader(CaptionedImages(train, vocab), batch_size=settings.batch_size,
                              shuffle=True),
        val_data=DataLoader(CaptionedImages(val, vocab), batch_size=EVAL_BATCH) if len(val) else None,
        test_data=DataLoader(CaptionedImages(test, vocab, "beam"), batch_size=EVAL_BATCH),
        metrics=["loss", "exact_match", "bleu"],
        monitor="exact_match",
        make_optimizer=lambda parameters: Adam(parameters, lr=settings.lr),
        make_scheduler=lambda optimizer, total_steps: CosineAnnealingLR(optimizer, T_max=total_steps),
        scheduler_interval="step",
        forward=make_forward(vocab, **decoding),
        count=lambda target: target.count,
        callbacks=[CaptionFiles(vocab, decoding, test, settings.grid)],
    )
