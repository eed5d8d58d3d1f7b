"""Convolutional classifiers: ``LeNet`` (LeNet-5 style) and ``SimpleCNN``.

Both split into ``features`` (the convolution and pooling stages, a ``Sequential`` whose
``Conv2d`` outputs are the feature maps ``nnscratch viz feature-maps`` draws) and
``classifier`` (flatten and fully connected layers), and return logits ``(N, num_classes)``.
"""

from __future__ import annotations

from .. import nn
from .._tensor import Tensor

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


def _activation(owner: str, name: str) -> nn.Module:
    if name not in _ACTIVATIONS:
        raise ValueError(f"{owner}: activation must be one of {', '.join(_ACTIVATIONS)}, got {name!r}")
    return _ACTIVATIONS[name]()


def _check_input(owner: str, x: Tensor, channels: int, size: int) -> None:
    if x.ndim != 4 or tuple(x.shape[1:]) != (channels, size, size):
        raise ValueError(
            f"{owner}: expected input of shape (N, {channels}, {size}, {size}), got {tuple(x.shape)}"
        )


class LeNet(nn.Module):
    """LeNet-5 (LeCun et al. 1998) with max pooling::

        conv 5x5, 6 maps -> act -> max-pool 2 -> conv 5x5, 16 maps -> act -> max-pool 2
        -> flatten -> fc 120 -> act -> fc 84 -> act -> fc num_classes

    For 28x28 inputs (MNIST) the first convolution pads by 2, which gives the original 32x32
    geometry (16 maps of 5x5 before the classifier); other sizes are used unpadded (a 32x32
    CIFAR image also ends at 5x5).

    Shapes: input ``(N, in_channels, image_size, image_size)`` -> logits ``(N, num_classes)``.
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28,
                 activation: str = "relu") -> None:
        super().__init__()
        padding = 2 if image_size == 28 else 0
        side = ((image_size + 2 * padding - 4) // 2 - 4) // 2  # two (conv 5, pool 2) stages
        if side < 1:
            raise ValueError(f"LeNet: image_size {image_size} is too small (at least 16 needed)")
        self.in_channels, self.image_size = in_channels, image_size
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=padding), _activation("LeNet", activation), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), _activation("LeNet", activation), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * side * side, 120), _activation("LeNet", activation),
            nn.Linear(120, 84), _activation("LeNet", activation),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        _check_input("LeNet", x, self.in_channels, self.image_size)
        return self.classifier(self.features(x))


class SimpleCNN(nn.Module):
    """A few convolution blocks, then two fully connected layers::

        [conv 3x3 (padding 1) -> ReLU -> max-pool 2] for each entry of ``channels``
        -> flatten -> dropout -> fc ``hidden`` -> ReLU -> dropout -> fc num_classes

    Each block halves the side (``image_size // 2**len(channels)`` must stay >= 1).

    Shapes: input ``(N, in_channels, image_size, image_size)`` -> logits ``(N, num_classes)``.
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10, image_size: int = 32,
                 channels: tuple[int, ...] = (32, 64, 128), hidden: int = 256, dropout: float = 0.5) -> None:
        super().__init__()
        side = image_size // 2 ** len(channels)
        if not channels or side < 1:
            raise ValueError(f"SimpleCNN: {len(channels)} blocks need image_size >= {2 ** len(channels)} "
                             f"and at least one block, got image_size {image_size}")
        self.in_channels, self.image_size = in_channels, image_size
        blocks: list[nn.Module] = []
        previous = in_channels
        for width in channels:
            blocks += [nn.Conv2d(previous, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            previous = width
        self.features = nn.Sequential(*blocks)
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout),
            nn.Linear(previous * side * side, hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        _check_input("SimpleCNN", x, self.in_channels, self.image_size)
        return self.classifier(self.features(x))
