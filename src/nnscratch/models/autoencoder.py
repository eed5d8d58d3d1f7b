"""Autoencoders: networks trained to reproduce their input through a narrow code.

    code           = encoder(x̃)          x̃ = x, or a corrupted x when denoising (training only)
    reconstruction = σ(decoder(code))     pixels in [0, 1]
    loss           = ‖reconstruction − x‖² (or cross-entropy): the *clean* x is the target

An undercomplete code (smaller than the input) cannot copy the input and must keep what
matters most (with one linear layer and squared error it spans the principal subspace,
Baldi & Hornik 1989). A denoising autoencoder (Vincent et al. 2008) sees corrupted inputs —
``"mask"``: each input value zeroed with probability ``noise``; ``"gaussian"``: N(0, noise²)
added — and must undo the corruption. Corruption is drawn from the library generator and only
in ``train()`` mode.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import backend, nn
from .._tensor import Tensor
from ..creation import as_tensor

NOISE_TYPES = ("mask", "gaussian")
_ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


def corrupt(x: Tensor, noise: float, noise_type: str) -> Tensor:
    """``x`` with masking noise (zero with probability ``noise``) or additive Gaussian noise
    of standard deviation ``noise``; a constant (no gradient flows into the noise)."""
    generator = backend.generator(x.device)
    array = x.array
    if noise_type == "mask":
        keep = generator.random(array.shape, dtype=array.dtype) >= noise
        return as_tensor(array * keep)
    return as_tensor(array + noise * generator.standard_normal(array.shape, dtype=array.dtype))


def _check_noise(owner: str, noise: float, noise_type: str) -> None:
    if noise_type not in NOISE_TYPES:
        raise ValueError(f"{owner}: noise_type must be one of {NOISE_TYPES}, got {noise_type!r}")
    if not (0.0 <= noise < 1.0 if noise_type == "mask" else noise >= 0.0):
        raise ValueError(f"{owner}: noise must be in [0, 1) for masking and >= 0 for Gaussian "
                         f"noise, got {noise}")


def _activation(owner: str, name: str) -> nn.Module:
    if name not in _ACTIVATIONS:
        raise ValueError(f"{owner}: activation must be one of {', '.join(_ACTIVATIONS)}, got {name!r}")
    return _ACTIVATIONS[name]()


class Autoencoder(nn.Module):
    """A dense, undercomplete autoencoder::

        encoder: input_size → hidden_sizes[0] → … → code_size   (Linear + activation; the code linear)
        decoder: code_size → … reversed … → input_size           (Linear + activation; the last σ)

    Args:
        input_size: values per example (784 for 28x28 images).
        code_size: size of the code; must be smaller than ``input_size``.
        hidden_sizes: widths of the hidden layers between input and code (mirrored in the
            decoder); ``()`` makes a single-layer encoder and decoder.
        activation: ``"relu"``, ``"sigmoid"`` or ``"tanh"`` after every hidden layer.
        noise, noise_type: input corruption for a denoising autoencoder (0: none).

    Shapes: ``forward(x (N, *))`` → reconstruction of x's shape with values in (0, 1), where
    ``*`` flattens to ``input_size``; ``encode(x)`` → ``(N, code_size)``; ``decode(code)`` →
    ``(N, input_size)``. ``first_layer_weights`` is the first Linear's weight
    ``(hidden_sizes[0] or code_size, input_size)``, the learned features.
    """

    def __init__(self, input_size: int, code_size: int = 64, hidden_sizes: Sequence[int] = (256,),
                 activation: str = "relu", noise: float = 0.0, noise_type: str = "mask") -> None:
        super().__init__()
        sizes = [input_size, *hidden_sizes, code_size]
        if any(not isinstance(s, int) or s < 1 for s in sizes):
            raise ValueError(f"Autoencoder: sizes must be positive integers, got input_size={input_size}, "
                             f"hidden_sizes={tuple(hidden_sizes)}, code_size={code_size}")
        if code_size >= input_size:
            raise ValueError(f"Autoencoder: code_size ({code_size}) must be smaller than input_size "
                             f"({input_size}) for an undercomplete code")
        _check_noise("Autoencoder", noise, noise_type)
        self.input_size, self.code_size, self.hidden_sizes = input_size, code_size, tuple(hidden_sizes)
        self.activation, self.noise, self.noise_type = activation, noise, noise_type
        encoder: list[nn.Module] = []
        for inputs, outputs in zip(sizes[:-1], sizes[1:]):
            encoder += [nn.Linear(inputs, outputs), _activation("Autoencoder", activation)]
        encoder.pop()  # a linear code: no unit of it can die or saturate
        decoder: list[nn.Module] = []
        reversed_sizes = sizes[::-1]
        for inputs, outputs in zip(reversed_sizes[:-1], reversed_sizes[1:]):
            decoder += [nn.Linear(inputs, outputs), _activation("Autoencoder", activation)]
        decoder[-1] = nn.Sigmoid()
        self.encoder, self.decoder = nn.Sequential(*encoder), nn.Sequential(*decoder)

    @property
    def config(self) -> dict[str, Any]:
        return {"input_size": self.input_size, "code_size": self.code_size,
                "hidden_sizes": list(self.hidden_sizes), "activation": self.activation,
                "noise": self.noise, "noise_type": self.noise_type}

    @property
    def first_layer_weights(self) -> Tensor:
        return self.encoder[0].weight

    def _flat(self, x: Tensor) -> Tensor:
        if x.ndim < 2 or math.prod(x.shape[1:]) != self.input_size:
            raise ValueError(f"Autoencoder: expected inputs (N, {self.input_size}) or (N, …) with "
                             f"{self.input_size} values each, got {tuple(x.shape)}")
        return x.reshape(x.shape[0], self.input_size)

    def encode(self, x: Tensor) -> Tensor:
        """The code of each (clean) example: ``(N, code_size)``."""
        return self.encoder(self._flat(x))

    def decode(self, code: Tensor) -> Tensor:
        return self.decoder(code)

    def forward(self, x: Tensor) -> Tensor:
        flat = self._flat(x)
        if self.training and self.noise > 0:
            flat = corrupt(flat, self.noise, self.noise_type)
        return self.decoder(self.encoder(flat)).reshape(x.shape)


def upsample2(x: Tensor) -> Tensor:
    """Nearest-neighbour upsampling by 2: (N, C, H, W) → (N, C, 2H, 2W)."""
    n, c, h, w = x.shape
    return x.reshape(n, c, h, 1, w, 1).expand(n, c, h, 2, w, 2).reshape(n, c, 2 * h, 2 * w)


class ConvAutoencoder(nn.Module):
    """A convolutional autoencoder for ``(N, in_channels, image_size, image_size)`` images::

        encoder: [conv k×k (same) → ReLU → max-pool 2] per entry of ``channels``
                 → flatten → Linear → code (code_size)
        decoder: Linear → ReLU → reshape → [upsample 2 → conv k×k (same) → ReLU] mirrored,
                 the last convolution to ``in_channels`` followed by σ

    ``image_size`` must be divisible by ``2 ** len(channels)``. ``first_layer_weights`` is the
    first convolution's weight ``(channels[0], in_channels, k, k)``.
    """

    def __init__(self, in_channels: int = 1, image_size: int = 28, channels: Sequence[int] = (16, 32),
                 code_size: int = 32, kernel_size: int = 5, noise: float = 0.0,
                 noise_type: str = "mask") -> None:
        super().__init__()
        channels = tuple(channels)
        side = image_size // 2 ** len(channels)
        if not channels or side < 1 or side * 2 ** len(channels) != image_size:
            raise ValueError(f"ConvAutoencoder: image_size {image_size} must be a positive multiple "
                             f"of 2**{len(channels)} (one halving per entry of channels {channels})")
        if kernel_size % 2 != 1:
            raise ValueError(f"ConvAutoencoder: kernel_size must be odd, got {kernel_size}")
        if code_size >= in_channels * image_size * image_size:
            raise ValueError(f"ConvAutoencoder: code_size ({code_size}) must be smaller than the "
                             f"{in_channels * image_size * image_size} input values")
        _check_noise("ConvAutoencoder", noise, noise_type)
        self.in_channels, self.image_size, self.channels = in_channels, image_size, channels
        self.code_size, self.kernel_size, self.side = code_size, kernel_size, side
        self.noise, self.noise_type = noise, noise_type
        padding = kernel_size // 2
        encoder: list[nn.Module] = []
        previous = in_channels
        for width in channels:
            encoder += [nn.Conv2d(previous, width, kernel_size, padding=padding), nn.ReLU(), nn.MaxPool2d(2)]
            previous = width
        encoder += [nn.Flatten(), nn.Linear(previous * side * side, code_size)]
        self.encoder = nn.Sequential(*encoder)
        self.expand = nn.Sequential(nn.Linear(code_size, previous * side * side), nn.ReLU())
        widths = list(channels[::-1][1:]) + [in_channels]
        self.decoder_convs = nn.ModuleList(
            [nn.Conv2d(width_in, width_out, kernel_size, padding=padding)
             for width_in, width_out in zip(channels[::-1], widths)])

    @property
    def config(self) -> dict[str, Any]:
        return {"in_channels": self.in_channels, "image_size": self.image_size,
                "channels": list(self.channels), "code_size": self.code_size,
                "kernel_size": self.kernel_size, "noise": self.noise, "noise_type": self.noise_type}

    @property
    def first_layer_weights(self) -> Tensor:
        return self.encoder[0].weight

    def _check(self, x: Tensor) -> None:
        expected = (self.in_channels, self.image_size, self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"ConvAutoencoder: expected images (N, {', '.join(map(str, expected))}), "
                             f"got {tuple(x.shape)}")

    def encode(self, x: Tensor) -> Tensor:
        self._check(x)
        return self.encoder(x)

    def decode(self, code: Tensor) -> Tensor:
        x = self.expand(code).reshape(code.shape[0], self.channels[-1], self.side, self.side)
        last = len(self.decoder_convs) - 1
        for index, convolution in enumerate(self.decoder_convs):
            x = convolution(upsample2(x))
            x = x.sigmoid() if index == last else x.relu()
        return x

    def forward(self, x: Tensor) -> Tensor:
        self._check(x)
        if self.training and self.noise > 0:
            x = corrupt(x, self.noise, self.noise_type)
        return self.decode(self.encoder(x))
