"""Shapes: determinism, pixels that match the labels and captions, captions that parse."""

import math

import numpy as np
import pytest

from nnscratch.data import DataLoader
from nnscratch.datasets import Shapes, parse_caption
from nnscratch.datasets.shapes import CAPTION_WORDS, COLORS, MAX_CAPTION_WORDS, RELATIONS, SHAPES

# fraction of the 2r x 2r bounding box each shape covers, from its geometry (module docstring)
AREA_RATIO = {"circle": math.pi / 4, "square": 1.0, "triangle": 0.5, "cross": 2 * 0.3 - 0.3**2,
              "ring": math.pi / 4 * (1 - 0.5**2)}


def color_mask(image, color):
    """Pixels whose three channels equal the colour (images rendered without noise)."""
    return np.all(np.abs(image - np.asarray(color, dtype=np.float32)[:, None, None]) < 0.01, axis=0)


def test_deterministic_under_seed():
    a, b, c = Shapes(50, seed=3), Shapes(50, seed=3), Shapes(50, seed=4)
    np.testing.assert_array_equal(a.data, b.data)
    assert a.captions == b.captions and (a.targets == b.targets).all()
    assert not np.array_equal(a.data, c.data)


def test_items():
    dataset = Shapes(20, image_size=24, seed=1)
    image, label = dataset[5]
    assert image.shape == (3, 24, 24) and image.dtype == np.float32 and isinstance(label, int)
    assert 0.0 <= image.min() and image.max() <= 1.0
    images, labels = dataset.arrays()
    assert images.shape == (20, 3, 24, 24) and labels.dtype == np.int64
    np.testing.assert_array_equal(images[5], image)
    image, label, caption = Shapes(20, image_size=24, seed=1, return_caption=True)[5]
    assert caption == dataset.captions[5]
    flipped = Shapes(2, seed=1, transform=lambda x: x[:, :, ::-1])
    np.testing.assert_array_equal(flipped[0][0], flipped.data[0, :, :, ::-1] / np.float32(255))


def test_every_shape_colour_relation_appears():
    dataset = Shapes(600, seed=0)
    parsed = [parse_caption(c) for c in dataset.captions]
    assert {p[0][2] for p in parsed} == set(SHAPES)
    assert {p[0][1] for p in parsed} == set(COLORS)
    assert {p[1] for p in parsed} == set(RELATIONS) | {None}
    assert np.bincount(dataset.targets, minlength=5).min() > 80


def test_captions_follow_grammar_and_labels():
    dataset = Shapes(300, seed=2)
    for index, caption in enumerate(dataset.captions):
        main, relation, other = parse_caption(caption)
        assert dataset.targets[index] == SHAPES.index(main[2])
        assert set(caption.split()) <= set(CAPTION_WORDS)
        assert len(caption.split()) <= MAX_CAPTION_WORDS
        if relation is not None:
            assert main[0] == "large" and other[0] == "small" and main[1] != other[1]
    for bad in ["a red circle", "a small red circle above", "the small red circle", "a small red hexagon"]:
        with pytest.raises(ValueError, match="grammar"):
            parse_caption(bad)


@pytest.mark.parametrize("shape", SHAPES)
def test_single_shape_pixels_match_label(shape):
    dataset = Shapes(300, image_size=96, seed=5, two_shape_fraction=0.0, noise=0.0)
    chosen = [i for i in range(len(dataset)) if dataset.objects(i)[0].shape == shape
              and dataset.objects(i)[0].size == "large"][:5]
    assert chosen
    for index in chosen:
        (obj,) = dataset.objects(index)
        assert dataset.captions[index] == f"a large {obj.color} {shape}"
        mask = color_mask(dataset[index][0], COLORS[obj.color])
        ys, xs = np.nonzero(mask)
        # the bounding box of the coloured pixels is the shape's box, within a pixel
        assert xs.mean() + 0.5 == pytest.approx(obj.center[0], abs=0.5)  # every shape is symmetric in x
        assert xs.max() - xs.min() + 1 == pytest.approx(2 * obj.radius, abs=1.5)
        assert ys.max() - ys.min() + 1 == pytest.approx(2 * obj.radius, abs=1.5)
        box = mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        h, w = box.shape
        assert box.mean() == pytest.approx(AREA_RATIO[shape], abs=0.04), shape
        corners = box[[0, 0, -1, -1], [0, -1, 0, -1]]
        centre = box[h // 2, w // 2]
        if shape == "square":
            assert corners.all() and centre
        elif shape in ("circle", "ring", "cross"):
            assert not corners.any()
            assert centre == (shape != "ring")
        elif shape == "triangle":  # apex up: narrow first row, full last row
            assert box[0].sum() <= 3 and box[-1].sum() >= w - 2


def test_two_shapes_obey_relation():
    dataset = Shapes(200, seed=7, two_shape_fraction=1.0, noise=0.0)
    for index in range(len(dataset)):
        main, relation, other = parse_caption(dataset.captions[index])
        image = dataset[index][0]
        main_mask, other_mask = color_mask(image, COLORS[main[1]]), color_mask(image, COLORS[other[1]])
        main_y, main_x = np.nonzero(main_mask)
        other_y, other_x = np.nonzero(other_mask)
        assert np.ptp(main_x) > np.ptp(other_x) and np.ptp(main_y) > np.ptp(other_y)  # main large, other small
        if relation == "above":
            assert main_y.max() < other_y.min()
        elif relation == "below":
            assert main_y.min() > other_y.max()
        elif relation == "to the left of":
            assert main_x.max() < other_x.min()
        else:
            assert main_x.min() > other_x.max()


def test_noise_is_present_by_default():
    image = Shapes(1, seed=0, two_shape_fraction=0.0)[0][0]
    background = image[:, :3, :3]
    assert background.std() > 0.01


def test_data_loader_batches():
    dataset = Shapes(10, seed=0, return_caption=True)
    images, labels, captions = next(iter(DataLoader(dataset, batch_size=8)))
    assert tuple(images.shape) == (8, 3, 32, 32) and tuple(labels.shape) == (8,)
    assert captions == dataset.captions[:8]
    np.testing.assert_array_equal(images.numpy()[7], dataset[7][0])
    np.testing.assert_array_equal(labels.numpy(), dataset.targets[:8])


@pytest.mark.parametrize("kwargs", [dict(n=-1), dict(n=4, image_size=8), dict(n=4, two_shape_fraction=2.0),
                                    dict(n=4, noise=-0.1)])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="Shapes"):
        Shapes(**kwargs)
