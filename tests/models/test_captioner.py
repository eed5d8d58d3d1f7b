"""Captioner (models/captioner.py): equal to the same network in PyTorch, overfits a few
captioned images, beam search with beam 1 is greedy decoding, a wide beam finds the most
probable caption (exhaustive search), and its input checks."""

import itertools

import numpy as np
import pytest
import torch

import nnscratch as ns
from harness import check_module
from nnscratch.datasets.shapes import Shapes
from nnscratch.models.captioner import Captioner
from nnscratch.optim import Adam
from nnscratch.recipes.caption_files import caption_vocab


class TorchCaptioner(torch.nn.Module):
    def __init__(self, vocab_size, embedding_dim, hidden, image_size, channels, pad_index):
        super().__init__()
        t, layers, previous = torch.nn, [], 3
        for width in channels:
            layers += [t.Conv2d(previous, width, 3, padding=1), t.BatchNorm2d(width), t.ReLU(), t.MaxPool2d(2)]
            previous = width
        side = image_size // 2 ** len(channels)
        self.cnn = t.Sequential(*layers, t.Flatten())
        self.image_projection = t.Linear(previous * side * side, embedding_dim)
        self.image_norm = t.BatchNorm1d(embedding_dim)
        self.embedding = t.Embedding(vocab_size, embedding_dim, padding_idx=pad_index)
        self.lstm = t.LSTM(embedding_dim, hidden, batch_first=True)
        self.output = t.Linear(hidden, vocab_size)

    def forward(self, images, words):
        image = self.image_norm(self.image_projection(self.cnn(images)))
        hidden, _ = self.lstm(torch.cat([image.unsqueeze(1), self.embedding(words)], dim=1))
        return self.output(hidden[:, 1:])


def small_captioner(vocab_size=9, **options):
    settings = dict(embedding_dim=6, hidden_size=8, image_size=8, channels=(3, 4), pad_index=0,
                    bos_index=1, eos_index=2)
    settings.update(options)
    return Captioner(vocab_size, **settings)


def test_equals_pytorch_show_and_tell():
    ours = small_captioner()
    theirs = TorchCaptioner(9, 6, 8, 8, (3, 4), pad_index=0)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    rng = np.random.default_rng(0)
    words = rng.integers(0, 9, size=(3, 5))
    words[:, 0] = 1
    words[0, 3:] = 0  # padding
    check_module(ours, theirs, [rng.random((3, 3, 8, 8)), words])


def random_model(seed, vocab_size=9, scale=3.0):
    """An untrained captioner with weights scaled up, so that it writes varied captions."""
    ns.manual_seed(seed)
    model = small_captioner(vocab_size).eval()
    for parameter in model.parameters():
        parameter.array[...] *= scale
    return model


@pytest.mark.parametrize("seed", range(4))
def test_beam_of_one_is_greedy_decoding(seed):
    model = random_model(seed)
    images = ns.rand(7, 3, 8, 8)
    greedy = model.greedy_decode(images, max_length=6)
    assert greedy == model.beam_search(images, beam_size=1, max_length=6)
    assert greedy == model.beam_search(images, beam_size=1, max_length=6, length_penalty=1.0)
    assert any(len(caption) > 0 for caption in greedy)
    for caption in greedy:  # <pad> and <bos> are never written, <eos> ends the caption
        assert not {0, 1, 2} & set(caption) and len(caption) <= 6


def caption_log_probability(model, image, caption, max_length):
    """log p(caption [+ <eos>] | image) from the teacher-forced forward pass."""
    ended = len(caption) < max_length
    words = [model.bos_index, *caption]
    logits = model(image, ns.tensor(np.array([words], dtype=np.int64)))
    log_probs = ns.nn.functional.log_softmax(logits, dim=-1).numpy()[0]
    targets = [*caption, model.eos_index] if ended else caption
    return sum(log_probs[t, word] for t, word in enumerate(targets))


@pytest.mark.parametrize("seed", range(3))
def test_wide_beam_finds_the_most_probable_caption(seed):
    """With a beam wide enough to keep every candidate, beam search is exhaustive search."""
    vocab_size, max_length = 6, 3  # words 3, 4, 5 (0 <pad>, 1 <bos>, 2 <eos>)
    model = random_model(seed, vocab_size, scale=2.0)
    image = ns.rand(1, 3, 8, 8)
    candidates = [list(c) for length in range(max_length + 1)
                  for c in itertools.product([3, 4, 5], repeat=length)]
    scores = [caption_log_probability(model, image, c, max_length) for c in candidates]
    best = candidates[int(np.argmax(scores))]
    assert model.beam_search(image, beam_size=27, max_length=max_length) == [best]


def test_overfits_a_few_captioned_images():
    vocab = caption_vocab()
    shapes = Shapes(6, image_size=16, seed=4)
    captions = [caption.split() for caption in shapes.captions]
    longest = max(len(c) for c in captions) + 1
    words = np.full((6, longest), vocab.pad_index, dtype=np.int64)
    targets = words.copy()
    for row, caption in enumerate(captions):
        ids = vocab.encode(caption)
        words[row, :len(ids) + 1] = [vocab.bos_index, *ids]
        targets[row, :len(ids) + 1] = [*ids, vocab.eos_index]
    images = ns.tensor(shapes.data.astype(np.float32) / 255)
    model = Captioner(len(vocab), 16, 32, image_size=16, channels=(8, 16), pad_index=vocab.pad_index,
                      bos_index=vocab.bos_index, eos_index=vocab.eos_index)
    optimizer = Adam(model.parameters(), lr=0.01)
    for _ in range(150):
        logits = model(images, ns.tensor(words))
        loss = ns.nn.functional.cross_entropy(logits.reshape(-1, len(vocab)), ns.tensor(targets).reshape(-1),
                                              ignore_index=vocab.pad_index)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    decoded = [" ".join(vocab.decode(ids)) for ids in model.greedy_decode(images, 13)]
    assert decoded == shapes.captions
    assert [" ".join(vocab.decode(ids)) for ids in model.beam_search(images, 3, 13)] == shapes.captions


def test_errors_name_the_shapes():
    model = small_captioner()
    with pytest.raises(ValueError, match=r"\(B, 3, 8, 8\).*\(2, 3, 9, 9\)"):
        model(ns.zeros(2, 3, 9, 9), ns.zeros(2, 3, dtype=ns.int64))
    with pytest.raises(ValueError, match=r"words \(B, T\) for 2 images.*\(3, 4\)"):
        model(ns.zeros(2, 3, 8, 8), ns.zeros(3, 4, dtype=ns.int64))
    with pytest.raises(ValueError, match="too small"):
        Captioner(9, image_size=4, channels=(4, 4, 4))
    with pytest.raises(ValueError, match="special indices"):
        Captioner(3, eos_index=5)
    with pytest.raises(ValueError, match="beam_size"):
        model.beam_search(ns.zeros(1, 3, 8, 8), beam_size=0)
