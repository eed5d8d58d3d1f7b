"""CIFAR-10 binary batches the tests write; the batch parser fuzzed so only ValueError escapes."""

import gzip

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnscratch.datasets import CIFAR10
from nnscratch.datasets.cifar10 import parse_cifar_batch

TRAIN = [f"data_batch_{k}.bin" for k in range(1, 6)]


def batch_bytes(images, labels):
    """Records of 1 label byte then 1024 red, 1024 green, 1024 blue bytes (the format's definition)."""
    return b"".join(bytes([int(label)]) + image.tobytes() for image, label in zip(images, labels))


def write_batch(path, n, rng, compress=False):
    images = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
    labels = rng.integers(0, 10, n)
    raw = batch_bytes(images, labels)
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return images, labels


@pytest.mark.parametrize("subdirectory", ["", "cifar-10-batches-bin"])
def test_reads_train_and_test(tmp_path, rng, subdirectory):
    directory = tmp_path / subdirectory
    directory.mkdir(exist_ok=True)
    parts = [write_batch(directory / name, k + 1, rng, compress=(k == 2)) for k, name in enumerate(TRAIN)]
    test_images, test_labels = write_batch(directory / "test_batch.bin", 4, rng)
    train = CIFAR10(tmp_path)
    assert len(train) == 1 + 2 + 3 + 4 + 5
    np.testing.assert_array_equal(train.data, np.concatenate([images for images, _ in parts]))
    np.testing.assert_array_equal(train.targets, np.concatenate([labels for _, labels in parts]))
    test = CIFAR10(tmp_path, train=False)
    image, label = test[3]
    assert image.shape == (3, 32, 32) and image.dtype == np.float32 and isinstance(label, int)
    assert label == test_labels[3]
    # channel c of the image is bytes 1 + 1024 c … 1024 (c + 1) of the record
    record = batch_bytes(test_images[3:4], test_labels[3:4])
    green = np.frombuffer(record[1 + 1024:1 + 2048], dtype=np.uint8).reshape(32, 32)
    np.testing.assert_allclose(image[1], green / 255.0, rtol=1e-6)
    all_images, all_labels = test.arrays()
    assert all_images.shape == (4, 3, 32, 32) and all_images.dtype == np.float32
    np.testing.assert_array_equal(all_labels, test_labels)


def test_transform_applied_and_batches(tmp_path, rng):
    write_batch(tmp_path / "test_batch.bin", 5, rng)
    dataset = CIFAR10(tmp_path, train=False, transform=lambda image: image[:, :16])
    assert dataset[1][0].shape == (3, 16, 32)
    images, labels = dataset.fetch_batch([1, 3])
    assert tuple(images.shape) == (2, 3, 16, 32)
    np.testing.assert_array_equal(images.numpy()[1], dataset[3][0])
    np.testing.assert_array_equal(labels.numpy(), dataset.targets[[1, 3]])


def test_missing_files_named(tmp_path, rng):
    with pytest.raises(FileNotFoundError, match="test_batch.bin"):
        CIFAR10(tmp_path, train=False)
    for name in TRAIN[:3]:
        write_batch(tmp_path / name, 1, rng)
    with pytest.raises(FileNotFoundError, match="data_batch_4.bin, data_batch_5.bin not found"):
        CIFAR10(tmp_path)


@pytest.mark.parametrize(
    ("raw", "fault"),
    [(b"", "0 bytes"), (bytes(3072), "3072 bytes"), (bytes(3074), "3074 bytes"),
     (bytes([10]) + bytes(3072), "record 0 has label 10"), (b"\x1f\x8b\x08junk", "gzip")],
)
def test_faults_named(tmp_path, raw, fault):
    path = tmp_path / "test_batch.bin"
    path.write_bytes(raw)
    with pytest.raises(ValueError, match=fault) as info:
        CIFAR10(tmp_path, train=False)
    assert str(path) in str(info.value)


def _check_only_value_error(raw: bytes) -> None:
    try:
        images, labels = parse_cifar_batch(raw, "fuzzed-batch")
    except ValueError as error:
        assert "fuzzed-batch" in str(error)
    else:
        assert images.shape == (len(labels), 3, 32, 32)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=7000), st.booleans())
def test_fuzz_random_bytes(raw, compress):
    _check_only_value_error(gzip.compress(raw) if compress else raw)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_fuzz_truncated_files(data):
    raw = bytes([3]) + bytes(range(256)) * 12 + bytes([9]) + bytes(3072)
    if data.draw(st.booleans(), label="gzip"):
        raw = gzip.compress(raw)
    cut = data.draw(st.integers(0, len(raw)), label="cut")
    _check_only_value_error(raw[:cut])


def test_missing_files_of_both_splits(tmp_path, rng):
    assert CIFAR10.missing_files(tmp_path) == TRAIN + ["test_batch.bin"]
    (tmp_path / "cifar-10-batches-bin").mkdir()
    write_batch(tmp_path / "cifar-10-batches-bin" / "data_batch_2.bin", 1, rng)
    write_batch(tmp_path / "test_batch.bin", 1, rng)
    assert CIFAR10.missing_files(tmp_path) == [name for name in TRAIN if name != "data_batch_2.bin"]
