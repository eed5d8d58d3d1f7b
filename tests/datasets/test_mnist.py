"""MNIST / FashionMNIST on small IDX files the tests write (plain and gzipped)."""

import gzip
import struct

import numpy as np
import pytest

import nnscratch as ns
from nnscratch.data import DataLoader
from nnscratch.data.collate import default_collate
from nnscratch.datasets import MNIST, FashionMNIST
from nnscratch.datasets.transforms import Normalize


def write_idx(path, array, compress=False):
    code = {np.uint8: 0x08, np.int32: 0x0C}[array.dtype.type]
    raw = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    raw += array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)


def make_split(directory, prefix, n, rng, compress=False, suffix=""):
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    directory.mkdir(parents=True, exist_ok=True)
    write_idx(directory / f"{prefix}-images-idx3-ubyte{suffix}", images, compress)
    write_idx(directory / f"{prefix}-labels-idx1-ubyte{suffix}", labels, compress)
    return images, labels


@pytest.mark.parametrize("compress,suffix", [(False, ""), (True, ".gz"), (True, "")])
def test_reads_both_splits(tmp_path, rng, compress, suffix):
    train_images, train_labels = make_split(tmp_path, "train", 7, rng, compress, suffix)
    test_images, test_labels = make_split(tmp_path, "t10k", 3, rng, compress, suffix)
    train, test = MNIST(tmp_path), MNIST(tmp_path, train=False)
    assert (len(train), len(test)) == (7, 3)
    image, label = train[4]
    assert image.shape == (1, 28, 28) and image.dtype == np.float32
    assert isinstance(label, int) and label == train_labels[4]
    np.testing.assert_allclose(image[0], train_images[4] / 255.0, rtol=1e-6)
    assert 0.0 <= image.min() and image.max() <= 1.0
    np.testing.assert_array_equal(test.targets, test_labels)
    np.testing.assert_array_equal(test.data, test_images)
    all_images, all_labels = train.arrays()
    assert all_images.shape == (7, 1, 28, 28) and all_images.dtype == np.float32
    np.testing.assert_allclose(all_images[:, 0], train_images / 255.0, rtol=1e-6)
    assert all_labels.dtype == np.int64


def test_torchvision_layout_and_fashion(tmp_path, rng):
    images, labels = make_split(tmp_path / "FashionMNIST" / "raw", "t10k", 5, rng, compress=True, suffix=".gz")
    dataset = FashionMNIST(tmp_path, train=False)
    np.testing.assert_array_equal(dataset.targets, labels)
    assert len(dataset.classes) == 10 and dataset.classes[9] == "Ankle boot"


def test_transform_applied(tmp_path, rng):
    make_split(tmp_path, "train", 2, rng)
    dataset = MNIST(tmp_path, transform=lambda image: image * 2 - 1)
    image, _ = dataset[0]
    np.testing.assert_allclose(image[0], dataset.data[0] / 255.0 * 2 - 1, rtol=1e-6, atol=1e-7)


def test_data_loader_batches(tmp_path, rng):
    make_split(tmp_path, "train", 10, rng)
    batches = list(DataLoader(MNIST(tmp_path), batch_size=4))
    assert [tuple(x.shape) for x, _ in batches] == [(4, 1, 28, 28), (4, 1, 28, 28), (2, 1, 28, 28)]


def test_missing_files_named(tmp_path, rng):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.*train-labels-idx1-ubyte"):
        MNIST(tmp_path)
    make_split(tmp_path, "train", 3, rng)
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte"):
        MNIST(tmp_path, train=False)


def test_inconsistent_files_rejected(tmp_path, rng):
    make_split(tmp_path, "train", 4, rng)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(3, dtype=np.uint8))
    with pytest.raises(ValueError, match="3 labels.*4 images"):
        MNIST(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([1, 2, 3, 10], dtype=np.uint8))
    with pytest.raises(ValueError, match="label 10"):
        MNIST(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((4, 28, 27), dtype=np.uint8))
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.*28, 27"):
        MNIST(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((4, 28, 28), dtype=np.int32))
    with pytest.raises(ValueError, match="uint8"):
        MNIST(tmp_path)


def test_download_from_mirror(tmp_path, rng, monkeypatch):
    mirror = tmp_path / "mirror"
    images, labels = make_split(mirror, "train", 3, rng, compress=True, suffix=".gz")
    make_split(mirror, "t10k", 2, rng, compress=True, suffix=".gz")
    monkeypatch.setattr(MNIST, "mirrors", ("file:///nonexistent/", mirror.as_uri() + "/"))
    dataset = MNIST(tmp_path / "root", download=True)
    np.testing.assert_array_equal(dataset.data, images)
    assert sorted(p.name for p in (tmp_path / "root").iterdir()) == sorted(
        p.name for p in mirror.iterdir())


def test_download_failure_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(MNIST, "mirrors", ("file:///nonexistent/",))
    with pytest.raises(RuntimeError, match="could not download train-images-idx3-ubyte.gz"):
        MNIST(tmp_path, download=True)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("transform", [None, Normalize([0.5], [0.25]), lambda image: image[:, ::2, ::2] * 3])
def test_fetch_batch_matches_items(tmp_path, rng, transform):
    make_split(tmp_path, "train", 6, rng)
    dataset = MNIST(tmp_path, transform=transform)
    images, labels = dataset.fetch_batch([4, 0, 5])
    expected_images, expected_labels = default_collate([dataset[i] for i in (4, 0, 5)])
    np.testing.assert_allclose(images.numpy(), expected_images.numpy(), rtol=1e-6)
    assert images.dtype == ns.float32 and labels.dtype == ns.int64
    np.testing.assert_array_equal(labels.numpy(), expected_labels.numpy())


def test_missing_files_of_both_splits(tmp_path, rng):
    assert MNIST.missing_files(tmp_path) == ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    make_split(tmp_path / "MNIST" / "raw", "train", 2, rng, compress=True, suffix=".gz")
    assert MNIST.missing_files(tmp_path) == ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    assert len(FashionMNIST.missing_files(tmp_path)) == 4  # looks in FashionMNIST/raw, not MNIST/raw
