"""Captioner: a CNN reads the image, an LSTM writes its caption (Show and Tell, Vinyals et al. 2015).

    x_{−1} = BN(W_I · CNN(I) + b_I)      the image mapped into the word-embedding space
    x_t    = W_e S_t                     t = 0 … N−1, S_0 = <bos>; W_e learned jointly
    h_t    = LSTM(x_t, h_{t−1})          the image is the LSTM's first input, fed once
    p_{t+1} = softmax(W_o h_t + b_o)     the distribution of the next word S_{t+1}

Training maximises Σ_t log p_t(S_t) over the caption and its <eos> (teacher forcing: the true
previous word is fed). Decoding is greedy (the most probable word at each step) or a beam search
(see :meth:`Captioner.beam_search`). The CNN, the projection W_I, the embedding W_e and the LSTM
are trained together from scratch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy

from .. import backend, nn
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..creation import as_tensor
from ..functional import cat
from ..nn import functional as F
from .beam_search import search_beams


def _host(tensor: Tensor) -> numpy.ndarray:
    return backend.to_device(tensor.array, backend.CPU)


class Captioner(nn.Module):
    """An image captioner over a vocabulary of ``vocab_size`` words.

    Args:
        vocab_size: words, special tokens included.
        embedding_dim: size of word embeddings, and of the image embedding.
        hidden_size, num_layers: of the LSTM decoder.
        image_size, in_channels: the images' side and channels.
        channels: widths of the CNN's blocks [conv 3×3 (same) → batch norm → ReLU → max-pool 2].
        dropout: on the image and word embeddings, in ``train()`` mode.
        pad_index, bos_index, eos_index: the special tokens' indices.
        forget_bias: initial bias of the LSTM's forget gates. The image is seen once, before
            the first word, and must be remembered to the caption's end: a large bias (σ(6) ≈
            0.998) starts every cell remembering (Gers et al. 2000 and Jozefowicz et al. 2015
            use 1 for the same reason), which here speeds learning several-fold.

    Shapes: ``forward(images (B, C, S, S), words (B, T))`` → logits ``(B, T, vocab_size)``,
    where ``words`` starts with <bos> and ``logits[:, t]`` predicts the word after
    ``words[:, t]``; ``greedy_decode`` / ``beam_search`` return one list of word indices
    (without <bos> and <eos>) per image.
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 64, hidden_size: int = 128,
                 num_layers: int = 1, image_size: int = 32, in_channels: int = 3,
                 channels: Sequence[int] = (16, 32, 64), dropout: float = 0.0, pad_index: int = 0,
                 bos_index: int = 2, eos_index: int = 3, forget_bias: float = 6.0) -> None:
        super().__init__()
        channels = tuple(channels)
        side = image_size // 2 ** len(channels)
        if not channels or side < 1:
            raise ValueError(f"Captioner: {len(channels)} CNN blocks halve the image {len(channels)} "
                             f"times; image_size {image_size} is too small")
        for name, value in (("vocab_size", vocab_size), ("embedding_dim", embedding_dim),
                            ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"Captioner: {name} must be a positive integer, got {value!r}")
        if not all(0 <= index < vocab_size for index in (pad_index, bos_index, eos_index)):
            raise ValueError(f"Captioner: special indices {(pad_index, bos_index, eos_index)} must "
                             f"lie in [0, {vocab_size})")
        self.vocab_size, self.embedding_dim, self.hidden_size = vocab_size, embedding_dim, hidden_size
        self.num_layers, self.image_size, self.in_channels = num_layers, image_size, in_channels
        self.channels, self.dropout_p = channels, dropout
        self.pad_index, self.bos_index, self.eos_index = pad_index, bos_index, eos_index
        blocks: list[nn.Module] = []
        previous = in_channels
        for width in channels:
            blocks += [nn.Conv2d(previous, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
                       nn.MaxPool2d(2)]
            previous = width
        self.cnn = nn.Sequential(*blocks, nn.Flatten())
        self.image_projection = nn.Linear(previous * side * side, embedding_dim)
        self.image_norm = nn.BatchNorm1d(embedding_dim)
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_index)
        self.drop = nn.Dropout(dropout)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers, batch_first=True)
        self.output = nn.Linear(hidden_size, vocab_size)
        self.forget_bias = forget_bias
        with no_grad():  # b_f = forget_bias (b_ih) + 0 (b_hh): the cell starts out remembering
            for layer in range(num_layers):
                getattr(self.lstm, f"bias_ih_l{layer}").array[hidden_size:2 * hidden_size] = forget_bias
                getattr(self.lstm, f"bias_hh_l{layer}").array[hidden_size:2 * hidden_size] = 0.0

    @property
    def config(self) -> dict[str, Any]:
        """Constructor arguments (to rebuild the model from a run folder)."""
        return {"vocab_size": self.vocab_size, "embedding_dim": self.embedding_dim,
                "hidden_size": self.hidden_size, "num_layers": self.num_layers,
                "image_size": self.image_size, "in_channels": self.in_channels,
                "channels": list(self.channels), "dropout": self.dropout_p,
                "pad_index": self.pad_index, "bos_index": self.bos_index, "eos_index": self.eos_index,
                "forget_bias": self.forget_bias}

    def _check_images(self, images: Tensor) -> None:
        expected = (self.in_channels, self.image_size, self.image_size)
        if images.ndim != 4 or tuple(images.shape[1:]) != expected:
            raise ValueError(f"Captioner: expected images (B, {', '.join(map(str, expected))}), got "
                             f"{tuple(images.shape)}")

    def image_embedding(self, images: Tensor) -> Tensor:
        """x_{−1} = BN(W_I · CNN(I) + b_I): ``(B, embedding_dim)``. The batch normalisation (as
        in common Show-and-Tell implementations) gives every embedding feature unit variance
        over the images, so that the decoder tells images apart from the first step."""
        self._check_images(images)
        return self.image_norm(self.image_projection(self.cnn(images)))

    def forward(self, images: Tensor, words: Tensor) -> Tensor:
        if words.ndim != 2 or words.shape[0] != images.shape[0]:
            raise ValueError(f"Captioner: expected words (B, T) for {images.shape[0]} images, got "
                             f"{tuple(words.shape)}")
        inputs = cat([self.image_embedding(images).unsqueeze(1), self.embedding(words)], dim=1)
        hidden, _ = self.lstm(self.drop(inputs))  # (B, 1 + T, H)
        return self.output(hidden[:, 1:])  # the step that read the image predicts nothing

    def start(self, images: Tensor) -> Any:
        """The LSTM state after reading the image (before <bos>)."""
        _, state = self.lstm(self.image_embedding(images).unsqueeze(1))
        return state

    def step(self, words: Tensor, state: Any) -> tuple[Tensor, Any]:
        """Feed one word per row ``(B,)``: log-probabilities of the next word ``(B, V)`` and
        the new state."""
        hidden, state = self.lstm(self.embedding(words.unsqueeze(1)), state)
        return F.log_softmax(self.output(hidden[:, 0]), dim=-1), state

    def _next_word_scores(self, log_probs: Tensor) -> numpy.ndarray:
        """Host log-probabilities (float64) with <pad> and <bos>, never written, at −inf."""
        scores = _host(log_probs).astype(numpy.float64)
        scores[:, [self.pad_index, self.bos_index]] = -numpy.inf
        return scores

    def _words(self, rows: numpy.ndarray, device: Any) -> Tensor:
        return as_tensor(backend.to_device(rows.astype(numpy.int64), device))

    def greedy_decode(self, images: Tensor, max_length: int = 20) -> list[list[int]]:
        """The most probable word at every step, until <eos> or ``max_length`` words (<pad>
        and <bos> are never chosen)."""
        if max_length < 1:
            raise ValueError(f"Captioner.greedy_decode: max_length must be >= 1, got {max_length}")
        batch, device = images.shape[0], images.device
        captions: list[list[int]] = [[] for _ in range(batch)]
        open_rows = numpy.arange(batch)
        with no_grad():
            state = self.start(images)
            words = numpy.full(batch, self.bos_index)
            for _ in range(max_length):
                log_probs, state = self.step(self._words(words, device), state)
                chosen = self._next_word_scores(log_probs).argmax(axis=1)
                still_open = []
                for position, (row, word) in enumerate(zip(open_rows, chosen)):
                    if word == self.eos_index:
                        continue
                    captions[row].append(int(word))
                    still_open.append(position)
                if not still_open:
                    break
                keep = numpy.asarray(still_open)
                open_rows, words = open_rows[keep], chosen[keep]
                state = _select(state, self._words(keep, device))
        return captions

    def beam_search(self, images: Tensor, beam_size: int = 3, max_length: int = 20,
                    length_penalty: float = 0.0) -> list[list[int]]:
        """The caption of highest ``score / length^length_penalty`` found by beam search.

        Every image keeps ``beam_size`` open captions. At each step all are extended by every
        word and the ``beam_size`` best extensions by total log-probability survive; an
        extension that is <eos> finishes its caption (its length counts the <eos>). An image
        is done when its best surviving candidate finishes — so ``beam_size=1`` is greedy
        decoding exactly — or after ``max_length`` words, when open captions are ranked too.
        The search is :func:`~.beam_search.search_beams`, shared with Seq2Seq.
        """
        if beam_size < 1 or max_length < 1:
            raise ValueError(f"Captioner.beam_search: beam_size and max_length must be >= 1, got "
                             f"{beam_size} and {max_length}")
        batch, device = images.shape[0], images.device

        def step(words: numpy.ndarray, state: Any) -> tuple:
            log_probs, state = self.step(self._words(words, device), state)
            return self._next_word_scores(log_probs), state, None

        def reorder(state: Any, parents: numpy.ndarray) -> Any:
            return _select(state, self._words(parents, device))

        with no_grad():
            # the image is read once; row b·K + k of the state is beam k of image b
            state = reorder(self.start(images), numpy.repeat(numpy.arange(batch), beam_size))
            found = search_beams(step, reorder, state, batch, beam_size, max_length,
                                 length_penalty, self.bos_index, self.eos_index)
        return [hypothesis.tokens for hypothesis in found]


def _select(state: Any, rows: Tensor) -> Any:
    """The LSTM state ``(h, c)`` (layers, B, H) restricted to ``rows``."""
    return tuple(part[:, rows] for part in state)
