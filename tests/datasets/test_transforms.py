"""Transforms against their closed forms; random ones checked for coverage and seeding."""

import numpy as np
import pytest

import nnscratch as ns
from nnscratch.datasets.transforms import Compose, Normalize, RandomCrop, RandomHorizontalFlip, ToTensor


def find_window(padded, window):
    """All (top, left) where ``window`` equals a window of ``padded`` (C, H, W)."""
    h, w = window.shape[-2:]
    return [(t, l) for t in range(padded.shape[-2] - h + 1) for l in range(padded.shape[-1] - w + 1)
            if np.array_equal(padded[..., t:t + h, l:l + w], window)]


def test_normalize_closed_form(rng):
    image = rng.random((3, 5, 4)).astype(np.float32)
    mean, std = [0.1, 0.5, 0.9], [0.2, 0.25, 2.0]
    out = Normalize(mean, std)(image)
    expected = (image - np.array(mean)[:, None, None]) / np.array(std)[:, None, None]
    assert out.dtype == np.float32 and out.shape == image.shape
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    batch = rng.random((2, 3, 5, 4))  # float64 stays float64
    out = Normalize(mean, std)(batch)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, (batch - np.array(mean)[:, None, None]) / np.array(std)[:, None, None])
    np.testing.assert_allclose(Normalize(0.5, 0.5)(image), image * 2 - 1, atol=1e-6)
    tensor_out = Normalize(mean, std)(ns.tensor(image))
    assert isinstance(tensor_out, ns.Tensor)
    np.testing.assert_allclose(tensor_out.numpy(), Normalize(mean, std)(image))


def test_normalize_errors(rng):
    with pytest.raises(ValueError, match="Normalize: 2 mean values.*3 channels"):
        Normalize([0.1, 0.2], [1, 1])(rng.random((3, 4, 4)))
    with pytest.raises(ValueError, match="non-zero"):
        Normalize([0.1], [0.0])
    with pytest.raises(ValueError, match=r"Normalize.*\(4, 4\)"):
        Normalize([0.1], [1.0])(rng.random((4, 4)))


def test_random_crop_is_a_window_of_the_padded_image(rng):
    image = rng.random((2, 6, 5)).astype(np.float32)
    padded = np.pad(image, ((0, 0), (2, 2), (2, 2)))
    seen = set()
    for _ in range(400):
        out = RandomCrop((6, 5), padding=2)(image)
        assert out.shape == (2, 6, 5) and out.dtype == np.float32
        (offset,) = find_window(padded, out)
        seen.add(offset)
    assert seen == {(t, l) for t in range(5) for l in range(5)}  # every one of the (2p+1)^2 offsets


def test_random_crop_smaller_window_and_identity(rng):
    image = rng.random((1, 8, 8))
    out = RandomCrop(3)(image)
    assert out.shape == (1, 3, 3) and find_window(image, out)
    np.testing.assert_array_equal(RandomCrop(8)(image), image)
    with pytest.raises(ValueError, match="RandomCrop"):
        RandomCrop(10, padding=0)(image)


def test_random_crop_batch_draws_per_image(rng):
    image = rng.random((3, 10, 10)).astype(np.float32)
    batch = np.stack([image] * 32)
    out = RandomCrop(10, padding=3)(batch)
    padded = np.pad(image, ((0, 0), (3, 3), (3, 3)))
    offsets = [find_window(padded, crop)[0] for crop in out]
    assert len(set(offsets)) > 10


def test_random_draws_follow_library_seed(rng):
    image = rng.random((3, 8, 8))
    ns.manual_seed(11)
    first = [RandomCrop(8, padding=2)(image) for _ in range(3)]
    ns.manual_seed(11)
    second = [RandomCrop(8, padding=2)(image) for _ in range(3)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_horizontal_flip(rng):
    image = rng.random((3, 4, 5))
    np.testing.assert_array_equal(RandomHorizontalFlip(1.0)(image), image[:, :, ::-1])
    np.testing.assert_array_equal(RandomHorizontalFlip(0.0)(image), image)
    flips = sum(np.array_equal(RandomHorizontalFlip(0.3)(image), image[:, :, ::-1]) for _ in range(2000))
    assert 0.25 < flips / 2000 < 0.35
    batch = rng.random((1000, 1, 2, 3))
    out = RandomHorizontalFlip(0.5)(batch)
    flipped = np.array([np.array_equal(o, b[..., ::-1]) for o, b in zip(out, batch)])
    kept = np.array([np.array_equal(o, b) for o, b in zip(out, batch)])
    assert (flipped ^ kept).all() and 0.43 < flipped.mean() < 0.57


def test_to_tensor():
    pixels = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10  # (H, W, C)
    out = ToTensor()(pixels)
    assert isinstance(out, ns.Tensor) and out.shape == (3, 2, 3) and out.dtype == ns.float32
    np.testing.assert_allclose(out.numpy(), pixels.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    assert ToTensor()(np.zeros((4, 5), dtype=np.uint8)).shape == (1, 4, 5)
    chw = np.ones((3, 2, 2), dtype=np.float32)
    np.testing.assert_array_equal(ToTensor()(chw).numpy(), chw)
    with pytest.raises(TypeError, match="ToTensor"):
        ToTensor()(np.zeros((2, 2), dtype=np.int64))


def test_compose_applies_in_order(rng):
    image = rng.random((1, 4, 4)).astype(np.float32)
    pipeline = Compose([RandomHorizontalFlip(1.0), Normalize([0.5], [0.25]), ToTensor()])
    out = pipeline(image)
    np.testing.assert_allclose(out.numpy(), (image[:, :, ::-1] - 0.5) / 0.25, rtol=1e-6)
    assert "RandomHorizontalFlip" in repr(pipeline)
    assert pipeline.supports_batches and not Compose([lambda x: x]).supports_batches
