"""Recipe cnn-images end to end on tiny generated data: class folders of PNGs (with and without
train/ and test/), IDX files of 8x8 images with any number of classes; its settings and data
faults are one-line errors; viz filters works on its runs; cnn-mnist points 8x8 IDX to it."""

import gzip
import json
import struct

import numpy as np
import pytest
from PIL import Image

import nnscratch.recipes.images  # noqa: F401 - registers the recipe
from nnscratch.cli import main
from nnscratch.recipes.images import load_images
from nnscratch.recipes.launch import train
from nnscratch.recipes.registry import SettingsError

TINY = {"width": 2, "hidden": 8, "steps": 3, "batch_size": 4, "plots": False, "log_every": 1}


def summary(run):
    return json.loads((run / "summary.json").read_text())


def png_folder(root, rng, classes=("circle", "cross", "square"), per_class=4, size=(10, 12), mode="RGB"):
    for name in classes:
        (root / name).mkdir(parents=True, exist_ok=True)
        for k in range(per_class):
            shape = (*size, 3) if mode == "RGB" else size
            Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8)).save(root / name / f"{k}.png")
    return root


def write_idx(path, array, compress=False):
    code = {np.dtype(np.uint8): 0x08, np.dtype(np.int32): 0x0C}[array.dtype]
    raw = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    raw += array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)


def idx_folder(root, rng, names=("train", "t10k"), sizes=(24, 8), side=8, classes=3):
    root.mkdir(parents=True, exist_ok=True)
    for name, n in zip(names, sizes):
        write_idx(root / f"{name}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, side, side), dtype=np.uint8),
                  compress=True)
        write_idx(root / f"{name}-labels-idx1-ubyte.gz", (np.arange(n) % classes).astype(np.uint8), compress=True)
    return root


@pytest.mark.parametrize("layout", ["single", "train-test"])
def test_png_folder_end_to_end(tmp_path, rng, layout):
    data = tmp_path / "data"
    if layout == "single":
        png_folder(data, rng)
    else:
        png_folder(data / "train", rng)
        png_folder(data / "test", rng, classes=("cross", "square"), per_class=2)
    run = tmp_path / "run"
    assert train("cnn-images", {**TINY, "data": str(data), "image_size": 16}, {}, out=str(run), quiet=True) == 0
    result = summary(run)
    assert result["status"] == "completed" and result["steps"] == 3
    assert 0.0 <= result["final"]["accuracy"] <= 1.0
    assert main(["evaluate", str(run)]) == 0


def test_folder_images_are_resized_and_labelled_as_imagefolder(tmp_path, rng):
    png_folder(tmp_path / "train", rng, classes=("a", "b"), per_class=2)
    png_folder(tmp_path / "test", rng, classes=("b",), per_class=1)
    loaded = load_images(str(tmp_path), 16, 0)
    assert loaded.train.pixels.shape == (4, 3, 16, 16) and loaded.train.classes == ("a", "b")
    assert loaded.train.targets.tolist() == [0, 0, 1, 1]
    assert loaded.test.targets.tolist() == [1]  # the test folder's only class is train's 'b'
    expected = np.asarray(Image.open(tmp_path / "train" / "b" / "1.png").convert("RGB")
                          .resize((16, 16), Image.Resampling.BILINEAR)).transpose(2, 0, 1)
    np.testing.assert_array_equal(loaded.train.pixels[3], expected)
    grey = load_images(str(tmp_path), 8, 1)
    assert grey.train.pixels.shape == (4, 1, 8, 8)


def test_grey_files_give_one_channel_by_default(tmp_path, rng):
    png_folder(tmp_path, rng, classes=("a", "b"), mode="L")
    assert load_images(str(tmp_path), 0, 0).train.pixels.shape == (8, 1, 32, 32)
    assert load_images(str(tmp_path), 0, 3).train.pixels.shape == (8, 3, 32, 32)


@pytest.mark.parametrize("names", [("train", "t10k"), ("digits",)])
def test_idx_8x8_with_any_number_of_classes(tmp_path, rng, names):
    data = idx_folder(tmp_path / "data", rng, names=names, sizes=(24, 8)[:len(names)], classes=4)
    loaded = load_images(str(data), 0, 0)
    assert loaded.train.pixels.shape[1:] == (1, 8, 8) and loaded.train.classes == ("0", "1", "2", "3")
    assert (loaded.test is None) == (len(names) == 1)
    run = tmp_path / "run"
    assert train("cnn-images", {**TINY, "data": str(data)}, {}, out=str(run), quiet=True) == 0
    assert summary(run)["steps"] == 3


def test_idx_pixels_survive_unchanged_at_their_own_size(tmp_path, rng):
    data = tmp_path / "data"
    data.mkdir()
    images = rng.integers(0, 256, (6, 9, 9), dtype=np.uint8)
    write_idx(data / "x-images-idx3-ubyte", images)
    write_idx(data / "x-labels-idx1-ubyte", np.array([0, 1, 0, 1, 0, 1], np.uint8))
    loaded = load_images(str(data), 0, 3)
    np.testing.assert_array_equal(loaded.train.pixels[:, 1], images)
    assert load_images(str(data), 12, 1).train.pixels.shape == (6, 1, 12, 12)


def test_viz_filters_on_a_cnn_images_run(tmp_path, rng):
    data = png_folder(tmp_path / "data", rng, classes=("a", "b"))
    run = tmp_path / "run"
    assert train("cnn-images", {**TINY, "data": str(data), "image_size": 8}, {}, out=str(run), quiet=True) == 0
    assert main(["viz", "filters", str(run)]) == 0
    assert (run / "viz" / "filters.png").stat().st_size > 0
    assert main(["viz", "feature-maps", str(run), "--image", "0"]) == 0


@pytest.mark.parametrize(("flags", "words"), [
    ({}, "needs --data DIR"),
    ({"channels": 2}, "'channels' must be 1"),
    ({"image_size": 4}, "'image_size' must be 0"),
    ({"image_size": 100000}, "image_size"),
    ({"val_fraction": 0.6, "test_fraction": 0.5}, "must be < 1"),
    ({"test_fraction": 0.0}, "test_fraction"),
])
def test_bad_settings_are_one_line_errors(tmp_path, rng, capsys, flags, words):
    data = png_folder(tmp_path / "data", rng, classes=("a", "b"))
    args = ["train", "cnn-images", "--out", str(tmp_path / "run"), "--steps", "1"]
    if flags:
        args += ["--data", str(data)]
    for name, value in flags.items():
        args += ["--set", f"{name}={value}"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert not (tmp_path / "run").exists()


def _no_classes(root, rng):
    root.mkdir()
    (root / "loose.png").write_bytes(b"")


def _one_class(root, rng):
    png_folder(root, rng, classes=("only",))


def _corrupt(root, rng):
    png_folder(root, rng, classes=("a", "b"))
    (root / "b" / "9.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")


def _lonely_idx(root, rng):
    root.mkdir()
    write_idx(root / "train-images-idx3-ubyte", np.zeros((2, 8, 8), np.uint8))


def _one_label(root, rng):
    idx_folder(root, rng, names=("x",), sizes=(6,), classes=1)


def _tiny_idx(root, rng):
    idx_folder(root, rng, names=("x",), sizes=(6,), side=4)


@pytest.mark.parametrize(("make", "words"), [
    (_no_classes, "couldn't find any class folder"), (_one_class, "needs at least two"),
    (_corrupt, "9.png is not a readable image"), (_lonely_idx, "has no partner"),
    (_one_label, "single class"), (_tiny_idx, "set image_size=8"),
])
def test_bad_data_is_a_one_line_error(tmp_path, rng, capsys, make, words):
    make(tmp_path / "data", rng)
    assert main(["train", "cnn-images", "--data", str(tmp_path / "data"), "--out",
                 str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_cnn_mnist_refuses_8x8_idx_in_one_line_pointing_at_cnn_images(tmp_path, rng, capsys):
    idx_folder(tmp_path, rng)
    assert main(["train", "cnn-mnist", "--data", str(tmp_path), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "(24, 8, 8)" in err and "cnn-images" in err


def test_load_images_needs_a_folder(tmp_path):
    with pytest.raises(SettingsError, match="is not a folder"):
        load_images(str(tmp_path / "absent"), 0, 0)
