"""`nnscratch viz filters / feature-maps` on a short cnn-shapes run: PNGs written, the captured
feature maps equal the convolution computed directly, usage errors in one line."""

import numpy as np
import pytest

import nnscratch as ns
import nnscratch.nn.functional as F
import nnscratch.recipes.cnn  # noqa: F401 - registers the recipes
from nnscratch.cli import main
from nnscratch.recipes.launch import train
from nnscratch.viz.filters import conv_layers, feature_maps, load_run

pytest.importorskip("matplotlib")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    run = tmp_path_factory.mktemp("viz") / "run"
    settings = {"train_size": 128, "val_size": 32, "test_size": 16, "width": 4, "hidden": 8,
                "epochs": 1, "plots": False}
    assert train("cnn-shapes", settings, {}, out=str(run), quiet=True) == 0
    return run


def test_filters_png(run_dir, capsys):
    assert main(["viz", "filters", str(run_dir)]) == 0
    path = run_dir / "viz" / "filters.png"
    assert capsys.readouterr().out.strip() == str(path)
    assert path.read_bytes().startswith(PNG_MAGIC)


def test_feature_maps_pngs(run_dir, tmp_path, capsys):
    assert main(["viz", "feature-maps", str(run_dir), "--image", "5", "--out", str(tmp_path)]) == 0
    written = capsys.readouterr().out.split()
    assert [p.rsplit("/", 1)[1] for p in written] == [f"feature-maps-image5-conv{k}.png" for k in (1, 2, 3)]
    for path in written:
        assert open(path, "rb").read(8) == PNG_MAGIC


def test_feature_maps_are_the_conv_outputs(run_dir):
    model, task = load_run(run_dir)
    image = task.test_data.dataset[2][0]
    maps = feature_maps(model, image)
    (name, first), *_ = conv_layers(model)
    assert [n for n, _ in maps] == [n for n, _ in conv_layers(model)]
    with ns.no_grad():
        expected = F.conv2d(ns.tensor(image[None]), first.weight, first.bias, padding=1).numpy()[0]
    np.testing.assert_allclose(maps[0][1], expected, rtol=1e-5, atol=1e-6)
    assert [m.shape for _, m in maps] == [(4, 32, 32), (8, 16, 16), (16, 8, 8)]
    assert "forward" not in vars(first)  # the layers are left as they were


@pytest.mark.parametrize("argv, words", [
    (["viz"], "name a figure"),
    (["viz", "feature-maps", "RUN", "--image", "99"], "out of range"),
    (["viz", "filters", "/nonexistent/run"], "/nonexistent/run"),
])
def test_usage_errors(run_dir, capsys, argv, words):
    argv = [str(run_dir) if a == "RUN" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and words in err and "Traceback" not in err
