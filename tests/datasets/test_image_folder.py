"""ImageFolder against torchvision's definition (classes, samples, targets, items) on folders the
tests write with Pillow, and Resize / Grayscale / ToTensor against PyTorch and closed forms."""

import os

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import nnscratch as ns
from nnscratch.datasets import ImageFolder
from nnscratch.datasets.transforms import Compose, Grayscale, Resize, ToTensor


def write_image(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def make_folder(root, rng, layout):
    """``layout``: {class name: [relative file names]}; each file a small random RGB image."""
    for name, files in layout.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for file in files:
            if file.lower().endswith((".png", ".jpg", ".jpeg")):
                write_image(root / name / file, rng.integers(0, 256, (5, 7, 3), dtype=np.uint8))
            else:
                (root / name / file).write_text("not an image")


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(st.text("abcXYZ_-0", min_size=1, max_size=6),
                       st.lists(st.sampled_from(["a.png", "B.PNG", "c.jpg", "d.jpeg", "sub/e.png",
                                                 "z.txt", "noext"]), unique=True, min_size=1),
                       min_size=1, max_size=4))
def test_classes_samples_and_targets_follow_torchvisions_definition(tmp_path_factory, layout):
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    make_folder(root, rng, layout)
    classes = sorted(layout)  # torchvision: sorted sub-folder names
    valid = {name: sorted(f for f in files if f.lower().endswith((".png", ".jpg", ".jpeg")))
             for name, files in layout.items()}
    if any(not files for files in valid.values()):
        with pytest.raises(FileNotFoundError, match="found no valid file for the classes"):
            ImageFolder(root)
        return
    dataset = ImageFolder(root)
    assert dataset.classes == classes
    assert dataset.class_to_idx == {name: k for k, name in enumerate(classes)}
    # class by class; within a class, os.walk order: files of the folder, then its sub-folders
    expected = []
    for k, name in enumerate(classes):
        top = sorted(f for f in valid[name] if "/" not in f)
        nested = sorted(f for f in valid[name] if "/" in f)
        expected += [(os.path.join(root, name, f), k) for f in top + nested]
    assert dataset.samples == expected and dataset.imgs is dataset.samples
    assert dataset.targets == [k for _, k in expected]


def test_items_are_decoded_images_and_targets(tmp_path, rng):
    pixels = rng.integers(0, 256, (6, 9, 3), dtype=np.uint8)
    write_image(tmp_path / "cat" / "1.png", pixels)
    write_image(tmp_path / "dog" / "2.png", pixels[:, :, 0])  # grey: loaded as RGB
    dataset = ImageFolder(tmp_path, transform=ToTensor(), target_transform=lambda t: t + 10)
    image, target = dataset[0]
    assert isinstance(image, ns.Tensor) and tuple(image.shape) == (3, 6, 9) and target == 10
    np.testing.assert_allclose(image.numpy(), pixels.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    grey, target = dataset[1]
    assert target == 11
    np.testing.assert_allclose(grey.numpy(), np.stack([pixels[:, :, 0]] * 3) / 255.0, rtol=1e-6)
    raw, _ = ImageFolder(tmp_path)[0]
    assert isinstance(raw, Image.Image) and raw.mode == "RGB"


def test_extensions_and_is_valid_file(tmp_path, rng):
    make_folder(tmp_path, rng, {"a": ["x.png", "y.jpg"], "b": ["z.png"]})
    assert len(ImageFolder(tmp_path, extensions=(".png",))) == 2
    only_y = ImageFolder(tmp_path, is_valid_file=lambda p: p.endswith("y.jpg"), allow_empty=True)
    assert [os.path.basename(p) for p, _ in only_y.samples] == ["y.jpg"]
    with pytest.raises(ValueError, match="not both"):
        ImageFolder(tmp_path, extensions=(".png",), is_valid_file=lambda p: True)


def test_no_class_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="couldn't find any class folder"):
        ImageFolder(tmp_path)
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        ImageFolder(tmp_path / "absent")


@pytest.mark.parametrize("content", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + bytes(40)])
def test_corrupt_image_is_a_value_error_naming_it(tmp_path, rng, content):
    make_folder(tmp_path, rng, {"a": ["good.png"]})
    bad = tmp_path / "a" / "bad.png"
    bad.write_bytes(content)
    dataset = ImageFolder(tmp_path)
    with pytest.raises(ValueError, match="bad.png is not a readable image"):
        dataset[0]


def test_truncated_png_is_a_value_error(tmp_path, rng):
    path = tmp_path / "a" / "t.png"
    write_image(path, rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(ValueError, match="t.png is not a readable image"):
        ImageFolder(tmp_path)[0]


def test_fifo_image_refused_without_blocking(tmp_path, rng):
    make_folder(tmp_path, rng, {"a": ["ok.png"]})
    os.mkfifo(tmp_path / "a" / "pipe.png")
    with pytest.raises(ValueError, match="pipe.png is not a regular file"):
        ImageFolder(tmp_path)[1]


def test_decompression_bomb_refused(tmp_path, monkeypatch):
    write_image(tmp_path / "a" / "big.png", np.zeros((64, 64), dtype=np.uint8))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 4096 pixels: over the limit
    with pytest.raises(ValueError, match="big.png"):
        ImageFolder(tmp_path)[0]


@pytest.mark.parametrize(("shape", "size"), [((10, 14), (5, 7)), ((9, 9), (20, 13)), ((17, 23), (6, 29)),
                                             ((8, 8), (8, 8))])
def test_resize_of_arrays_matches_pytorch_antialiased_bilinear(rng, shape, size):
    x = rng.random((2, 3, *shape)).astype(np.float32)
    expected = torch.nn.functional.interpolate(torch.from_numpy(x), size=size, mode="bilinear",
                                               antialias=True, align_corners=False).numpy()
    np.testing.assert_allclose(Resize(size)(x), expected, atol=2e-6)
    np.testing.assert_allclose(Resize(size)(x[0]), expected[0], atol=2e-6)
    out = Resize(size)(ns.tensor(x))
    assert isinstance(out, ns.Tensor)
    np.testing.assert_allclose(out.numpy(), expected, atol=2e-6)


@pytest.mark.parametrize(("shape", "size", "max_size", "expected"), [
    ((6, 9), 4, None, (4, 6)),     # smaller edge (height) to 4, width int(4 * 9 / 6)
    ((10, 3), 4, None, (13, 4)),   # smaller edge (width) to 4, height int(4 * 10 / 3)
    ((5, 5), 7, None, (7, 7)),
    ((6, 30), 4, 10, (2, 10)),     # longer edge capped: (int(10 * 4 / 20), 10)
])
def test_resize_int_size_keeps_the_aspect_ratio(shape, size, max_size, expected):
    assert Resize(size, max_size=max_size)(np.zeros((1, *shape), np.float32)).shape[-2:] == expected
    image = Image.fromarray(np.zeros(shape, np.uint8))
    assert Resize(size, max_size=max_size)(image).size == expected[::-1]  # Pillow: (w, h)


def test_resize_of_pil_images_matches_pytorch_within_rounding(rng):
    pixels = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    out = np.asarray(Resize((8, 11))(Image.fromarray(pixels)), dtype=np.float32)
    expected = torch.nn.functional.interpolate(torch.from_numpy(pixels.transpose(2, 0, 1)[None].astype(np.float32)),
                                               size=(8, 11), mode="bilinear", antialias=True,
                                               align_corners=False)[0].numpy().transpose(1, 2, 0)
    assert np.abs(out - expected).max() <= 1.0  # Pillow rounds to bytes


def test_resize_refuses_bad_sizes():
    for size in (0, (3, 0, 2), -1, (2.5, 3), (0, 4)):
        with pytest.raises(ValueError, match="Resize"):
            Resize(size)


def test_grayscale_closed_forms(rng):
    pixels = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    r, g, b = (pixels[..., k].astype(np.float64) for k in range(3))
    grey = np.asarray(Grayscale()(Image.fromarray(pixels)), dtype=np.float64)
    np.testing.assert_allclose(grey, 0.299 * r + 0.587 * g + 0.114 * b, atol=0.51)  # ITU-R 601-2
    three = Grayscale(3)(Image.fromarray(pixels))
    assert three.mode == "RGB" and np.array_equal(np.asarray(three)[..., 1], grey.astype(np.uint8))
    x = rng.random((2, 3, 4, 5)).astype(np.float32)
    expected = 0.2989 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    np.testing.assert_allclose(Grayscale()(x)[:, 0], expected, rtol=1e-6)
    np.testing.assert_allclose(Grayscale(3)(x[0]), np.stack([expected[0]] * 3), rtol=1e-6)
    with pytest.raises(ValueError, match="1 or 3 channels"):
        Grayscale()(np.zeros((2, 4, 4), np.float32))


def test_to_tensor_of_pil_images_as_torchvision(rng):
    pixels = rng.integers(0, 256, (3, 4, 3), dtype=np.uint8)
    out = ToTensor()(Image.fromarray(pixels))
    assert out.dtype == ns.float32 and tuple(out.shape) == (3, 3, 4)
    np.testing.assert_allclose(out.numpy(), pixels.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    bits = ToTensor()(Image.fromarray(pixels[..., 0] > 127).convert("1"))
    np.testing.assert_array_equal(bits.numpy()[0], (pixels[..., 0] > 127).astype(np.float32))
    floats = ToTensor()(Image.fromarray(np.full((2, 2), 7.5, np.float32), mode="F"))
    np.testing.assert_array_equal(floats.numpy(), np.full((1, 2, 2), 7.5))  # not divided


def test_compose_pipeline_on_a_folder(tmp_path, rng):
    make_folder(tmp_path, rng, {"a": ["1.png"], "b": ["2.jpg"]})
    dataset = ImageFolder(tmp_path, transform=Compose([Resize((8, 8)), Grayscale(), ToTensor()]))
    assert [tuple(dataset[k][0].shape) for k in range(2)] == [(1, 8, 8), (1, 8, 8)]


def test_an_unknown_format_is_named_without_pillows_buffer_repr(tmp_path, rng):
    make_folder(tmp_path, rng, {"a": ["good.png"]})
    (tmp_path / "a" / "text.png").write_text("not an image")
    dataset = ImageFolder(tmp_path)
    index = [i for i, (path, _) in enumerate(dataset.samples) if path.endswith("text.png")][0]
    with pytest.raises(ValueError) as caught:
        dataset[index]
    message = str(caught.value)
    assert "text.png is not a readable image" in message and "BytesIO" not in message
