"""Autoencoder and ConvAutoencoder (models/autoencoder.py): equal to the same networks in
PyTorch, shapes, denoising corruption, overfitting a few images, and input checks."""

import numpy as np
import pytest
import torch

import nnscratch as ns
from harness import check_module
from nnscratch.models.autoencoder import Autoencoder, ConvAutoencoder, corrupt, upsample2
from nnscratch.optim import Adam


class TorchAutoencoder(torch.nn.Module):
    def __init__(self, input_size, code_size, hidden):
        super().__init__()
        t = torch.nn
        self.encoder = t.Sequential(t.Linear(input_size, hidden), t.ReLU(), t.Linear(hidden, code_size))
        self.decoder = t.Sequential(t.Linear(code_size, hidden), t.ReLU(), t.Linear(hidden, input_size),
                                    t.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x.reshape(x.shape[0], -1))).reshape(x.shape)


class TorchConvAutoencoder(torch.nn.Module):
    def __init__(self, channels, code_size, kernel, side):
        super().__init__()
        t, (a, b) = torch.nn, channels
        p = kernel // 2
        self.side, self.width = side, b
        self.encoder = t.Sequential(t.Conv2d(1, a, kernel, padding=p), t.ReLU(), t.MaxPool2d(2),
                                    t.Conv2d(a, b, kernel, padding=p), t.ReLU(), t.MaxPool2d(2),
                                    t.Flatten(), t.Linear(b * side * side, code_size))
        self.expand = t.Sequential(t.Linear(code_size, b * side * side), t.ReLU())
        self.decoder_convs = t.ModuleList([t.Conv2d(b, a, kernel, padding=p), t.Conv2d(a, 1, kernel, padding=p)])
        self.up = t.Upsample(scale_factor=2, mode="nearest")

    def forward(self, x):
        y = self.expand(self.encoder(x)).reshape(x.shape[0], self.width, self.side, self.side)
        y = torch.relu(self.decoder_convs[0](self.up(y)))
        return torch.sigmoid(self.decoder_convs[1](self.up(y)))


def test_dense_autoencoder_equals_pytorch():
    ours, theirs = Autoencoder(36, 5, (12,)), TorchAutoencoder(36, 5, 12)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    check_module(ours, theirs, [np.random.default_rng(0).random((4, 1, 6, 6))])


def test_conv_autoencoder_equals_pytorch():
    ours = ConvAutoencoder(1, 8, (3, 4), code_size=6, kernel_size=3)
    theirs = TorchConvAutoencoder((3, 4), 6, 3, 2)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    check_module(ours, theirs, [np.random.default_rng(1).random((2, 1, 8, 8))])


def test_upsample_equals_nearest_upsampling():
    x = np.random.default_rng(2).standard_normal((2, 3, 4, 5))
    expected = torch.nn.Upsample(scale_factor=2, mode="nearest")(torch.tensor(x)).numpy()
    np.testing.assert_array_equal(upsample2(ns.tensor(x)).numpy(), expected)


def test_shapes_and_codes():
    images = ns.rand(5, 1, 28, 28)
    dense = Autoencoder(784, 20, (64,))
    assert dense(images).shape == (5, 1, 28, 28)
    assert dense(images.reshape(5, 784)).shape == (5, 784)
    assert dense.encode(images).shape == (5, 20)
    assert dense.decode(dense.encode(images)).shape == (5, 784)
    assert dense.first_layer_weights.shape == (64, 784)
    assert Autoencoder(784, 20, ()).first_layer_weights.shape == (20, 784)
    conv = ConvAutoencoder(code_size=10)
    out = conv(images)
    assert out.shape == (5, 1, 28, 28) and float(out.min()) > 0 and float(out.max()) < 1
    assert conv.encode(images).shape == (5, 10)
    assert conv.first_layer_weights.shape == (16, 1, 5, 5)


def test_masking_noise_rate_and_gaussian_noise_scale():
    ones = ns.ones(200, 500)
    masked = corrupt(ones, 0.3, "mask").numpy()
    assert set(np.unique(masked)) == {0.0, 1.0}
    assert abs((masked == 0).mean() - 0.3) < 0.01
    noisy = corrupt(ns.zeros(200, 500), 0.2, "gaussian").numpy()
    assert abs(noisy.std() - 0.2) < 0.005 and noisy.dtype == np.float32


def test_denoising_corrupts_only_in_training():
    model = Autoencoder(16, 4, (8,), noise=0.5)
    x = ns.rand(3, 16)
    model.eval()
    np.testing.assert_array_equal(model(x).numpy(), model(x).numpy())
    model.train()
    ns.manual_seed(1)
    first = model(x).numpy()
    ns.manual_seed(1)
    np.testing.assert_array_equal(model(x).numpy(), first)  # draws from the library generator
    assert not np.allclose(model(x).numpy(), first)
    clean = model.eval()(x).numpy()
    assert not np.allclose(first, clean)


@pytest.mark.parametrize("make", [lambda: Autoencoder(64, 8, (32,)),
                                  lambda: ConvAutoencoder(1, 8, (4, 8), code_size=8, kernel_size=3)])
def test_overfits_a_few_images(make):
    rng = np.random.default_rng(0)
    images = np.zeros((4, 1, 8, 8), np.float32)  # four distinct bright squares on black
    for index, (row, column) in enumerate([(0, 0), (0, 4), (4, 0), (4, 4)]):
        images[index, 0, row:row + 4, column:column + 4] = 1.0
    images += rng.uniform(0, 0.05, images.shape).astype(np.float32)
    x = ns.tensor(images)
    model = make()
    optimizer = Adam(model.parameters(), lr=0.01)
    for _ in range(300):
        loss = ns.nn.functional.mse_loss(model(x), x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.01  # the mean image would leave ~0.19


def test_errors():
    with pytest.raises(ValueError, match="smaller than input_size"):
        Autoencoder(16, 16)
    with pytest.raises(ValueError, match=r"\(N, 16\).*\(2, 15\)"):
        Autoencoder(16, 4)(ns.zeros(2, 15))
    with pytest.raises(ValueError, match="noise"):
        Autoencoder(16, 4, noise=1.5)
    with pytest.raises(ValueError, match="noise_type"):
        Autoencoder(16, 4, noise=0.1, noise_type="salt")
    with pytest.raises(ValueError, match="multiple"):
        ConvAutoencoder(image_size=30)
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\).*\(2, 3, 28, 28\)"):
        ConvAutoencoder()(ns.zeros(2, 3, 28, 28))
