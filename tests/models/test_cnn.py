"""LeNet and SimpleCNN: shapes, parameter counts, parity with the same network in PyTorch,
and a few training steps that reduce the loss."""

import numpy as np
import pytest
import torch

import nnscratch as ns
import nnscratch.nn.functional as F
from nnscratch.datasets import Shapes
from nnscratch.models import LeNet, SimpleCNN
from nnscratch.optim import Adam


def torch_lenet(in_channels, num_classes, padding, side):
    t = torch.nn
    return t.Sequential(
        t.Sequential(t.Conv2d(in_channels, 6, 5, padding=padding), t.ReLU(), t.MaxPool2d(2),
                     t.Conv2d(6, 16, 5), t.ReLU(), t.MaxPool2d(2)),
        t.Sequential(t.Flatten(), t.Linear(16 * side * side, 120), t.ReLU(), t.Linear(120, 84), t.ReLU(),
                     t.Linear(84, num_classes)))


def torch_simple_cnn(in_channels, num_classes, side, channels, hidden):
    t = torch.nn
    blocks, previous = [], in_channels
    for width in channels:
        blocks += [t.Conv2d(previous, width, 3, padding=1), t.ReLU(), t.MaxPool2d(2)]
        previous = width
    return t.Sequential(t.Sequential(*blocks), t.Sequential(
        t.Flatten(), t.Dropout(0.5), t.Linear(previous * side * side, hidden), t.ReLU(), t.Dropout(0.5),
        t.Linear(hidden, num_classes)))


def copy_into(model, reference):
    """Load the torch reference's weights (names features.* / classifier.* map to 0.* / 1.*)."""
    state = {k.replace("0.", "features.", 1) if k.startswith("0.") else k.replace("1.", "classifier.", 1):
             v.detach().numpy() for k, v in reference.state_dict().items()}
    model.load_state_dict(state)


def assert_same_logits(model, reference, x):
    model.eval()
    reference.eval()
    with ns.no_grad():
        ours = model(ns.tensor(x)).numpy()
    theirs = reference(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("in_channels,image_size,padding", [(1, 28, 2), (3, 32, 0)])
def test_lenet_matches_torch(rng, in_channels, image_size, padding):
    model = LeNet(in_channels=in_channels, num_classes=7, image_size=image_size)
    reference = torch_lenet(in_channels, 7, padding, 5)
    copy_into(model, reference)
    x = rng.standard_normal((3, in_channels, image_size, image_size)).astype(np.float32)
    assert tuple(model(ns.tensor(x)).shape) == (3, 7)
    assert_same_logits(model, reference, x)


def test_lenet5_parameter_count():
    # conv1 6*25+6, conv2 16*6*25+16, fc 400*120+120, 120*84+84, 84*10+10 (LeCun et al. 1998)
    expected = 156 + 2416 + 48120 + 10164 + 850
    assert sum(p.numel() for p in LeNet().parameters()) == expected


def test_simple_cnn_matches_torch(rng):
    model = SimpleCNN(in_channels=3, num_classes=5, image_size=16, channels=(4, 8), hidden=12)
    reference = torch_simple_cnn(3, 5, 4, (4, 8), 12)
    copy_into(model, reference)
    x = rng.standard_normal((2, 3, 16, 16)).astype(np.float32)
    assert_same_logits(model, reference, x)
    assert tuple(SimpleCNN()(ns.randn(2, 3, 32, 32)).shape) == (2, 10)


def test_simple_cnn_dropout_only_in_training(rng):
    model = SimpleCNN(in_channels=1, num_classes=3, image_size=8, channels=(4,), hidden=64, dropout=0.5)
    x = ns.tensor(rng.standard_normal((4, 1, 8, 8)).astype(np.float32))
    model.eval()
    np.testing.assert_array_equal(model(x).numpy(), model(x).numpy())
    model.train()
    assert not np.array_equal(model(x).numpy(), model(x).numpy())


def test_bad_input_and_arguments():
    with pytest.raises(ValueError, match=r"LeNet.*\(N, 1, 28, 28\).*\(2, 3, 28, 28\)"):
        LeNet()(ns.zeros(2, 3, 28, 28))
    with pytest.raises(ValueError, match="SimpleCNN"):
        SimpleCNN(image_size=4, channels=(8, 8, 8))
    with pytest.raises(ValueError, match="LeNet"):
        LeNet(image_size=12)
    with pytest.raises(ValueError, match="activation"):
        LeNet(activation="swish")


@pytest.mark.parametrize("make", [
    lambda: LeNet(in_channels=3, num_classes=5, image_size=16),
    lambda: SimpleCNN(num_classes=5, image_size=16, channels=(8, 16), hidden=32, dropout=0.1),
])
def test_a_few_steps_reduce_the_loss(make):
    images, labels = Shapes(48, image_size=16, seed=0).arrays()
    x, y = ns.tensor(images), ns.tensor(labels)
    model = make()
    optimizer = Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(25):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.6 * losses[0], losses
