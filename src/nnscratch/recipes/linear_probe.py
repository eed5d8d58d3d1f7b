"""Linear probes: how linearly separable are the classes in a representation?

A probe is softmax regression (one ``nn.Linear`` layer and cross-entropy) trained with
nnscratch on fixed features and scored on held-out ones:

    z = (f − μ) / σ                 μ, σ per feature, from the training features only
    p(y | f) = softmax(W z + b)     W, b start at zero; full-batch Adam on
    L = −mean log p(y | f) + (λ/2) ‖W‖²

Zero initialisation and full batches make a probe deterministic: it draws no random number
(so evaluating does not move the library's generator). Representation learning recipes
(autoencoder, RBM) compare a probe on their hidden features with one on the raw pixels.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy

from .. import nn
from ..autograd.grad_mode import enable_grad
from ..creation import as_tensor, from_numpy
from ..nn import functional as F
from ..optim import Adam


def probe_accuracy(train_features: numpy.ndarray, train_labels: numpy.ndarray,
                   test_features: numpy.ndarray, test_labels: numpy.ndarray, steps: int = 300,
                   lr: float = 0.05, weight_decay: float = 1e-4) -> float:
    """Test accuracy (a fraction) of softmax regression trained on ``train_features`` (N, D)
    with integer ``train_labels`` (N,), scored on ``test_features`` (M, D)."""
    train_features = numpy.asarray(train_features, dtype=numpy.float32).reshape(len(train_features), -1)
    test_features = numpy.asarray(test_features, dtype=numpy.float32).reshape(len(test_features), -1)
    if train_features.shape[1] != test_features.shape[1]:
        raise ValueError(f"probe_accuracy: train features {train_features.shape} and test "
                         f"features {test_features.shape} differ in width")
    if len(train_features) != len(train_labels) or len(test_features) != len(test_labels):
        raise ValueError(f"probe_accuracy: {len(train_features)} train features for "
                         f"{len(train_labels)} labels, {len(test_features)} test features for "
                         f"{len(test_labels)} labels")
    mean = train_features.mean(axis=0)
    scale = train_features.std(axis=0) + numpy.float32(1e-6)
    classes = int(max(train_labels.max(), test_labels.max())) + 1
    layer = nn.Linear(train_features.shape[1], classes)
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)
    optimizer = Adam(layer.parameters(), lr=lr)
    inputs = as_tensor((train_features - mean) / scale)
    targets = from_numpy(numpy.asarray(train_labels, dtype=numpy.int64))
    with enable_grad():  # probes run inside the trainer's no_grad evaluation
        for _ in range(steps):
            loss = F.cross_entropy(layer(inputs), targets)
            if weight_decay:
                loss = loss + (layer.weight * layer.weight).sum() * (weight_decay / 2)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    scores = ((test_features - mean) / scale) @ layer.weight.array.T + layer.bias.array
    return float((scores.argmax(axis=1) == numpy.asarray(test_labels)).mean())


class FeatureProbe:
    """Fixed training and test images with labels, on which probes compare a model's features
    with the raw pixels. The pixel probe does not depend on the model and is fitted once."""

    def __init__(self, train_inputs: numpy.ndarray, train_labels: numpy.ndarray,
                 test_inputs: numpy.ndarray, test_labels: numpy.ndarray, steps: int = 300) -> None:
        self.train_inputs, self.train_labels = train_inputs, train_labels
        self.test_inputs, self.test_labels = test_inputs, test_labels
        self.steps = steps
        self._pixel_accuracy: float | None = None

    def pixel_accuracy(self) -> float:
        if self._pixel_accuracy is None:
            self._pixel_accuracy = probe_accuracy(self.train_inputs, self.train_labels,
                                                  self.test_inputs, self.test_labels, self.steps)
        return self._pixel_accuracy

    def feature_accuracy(self, features: Callable[[numpy.ndarray], numpy.ndarray],
                         chunk: int = 1000) -> float:
        """The probe's accuracy on ``features(inputs)`` (computed ``chunk`` rows at a time)."""

        def encode(inputs: numpy.ndarray) -> numpy.ndarray:
            return numpy.concatenate([numpy.asarray(features(inputs[start:start + chunk]))
                                      for start in range(0, len(inputs), chunk)])

        return probe_accuracy(encode(self.train_inputs), self.train_labels,
                              encode(self.test_inputs), self.test_labels, self.steps)
