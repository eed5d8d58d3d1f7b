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


def _copy(run_dir, tmp_path):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    return copy


def _one_line(capsys, *words):
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for word in words:
        assert word in lines[0], (word, lines[0])


@pytest.mark.parametrize("changes, words", [
    ({"recipe": ["x"]}, "'recipe' must be a string"),
    ({"settings": []}, "'settings' must be an object"),
    ({"recipe": "no-such-recipe"}, "no-such-recipe"),
    ({"settings": {"width": "x"}}, "width"),
    ({"settings": {"width": 1_000_000_000}}, "width"),
])
def test_a_crafted_config_is_one_line_naming_it(run_dir, tmp_path, capsys, changes, words):
    import json

    copy = _copy(run_dir, tmp_path)
    config = json.loads((copy / "config.json").read_text())
    for key, value in changes.items():
        config[key] = {**config["settings"], **value} if isinstance(value, dict) else value
    (copy / "config.json").write_text(json.dumps(config))
    assert main(["viz", "filters", str(copy)]) == 2
    _one_line(capsys, "config.json", words)


def test_weights_that_do_not_fit_are_one_line_naming_the_file(run_dir, capsys, monkeypatch):
    from nnscratch.train.run import RunFolder

    weights = ns.load(run_dir / "model.safetensors")
    name = next(k for k in weights if k.endswith("weight") and weights[k].ndim == 4)
    weights[name] = ns.zeros(*weights[name].shape[:-1], weights[name].shape[-1] + 1)
    del weights[next(k for k in weights if k.endswith("bias"))]
    # what a folder whose weights' digest was recorded for other weights would hold
    monkeypatch.setattr(RunFolder, "final_weights", lambda self, device="cpu": weights)
    assert main(["viz", "filters", str(run_dir)]) == 2
    _one_line(capsys, "model.safetensors", name, "Missing key")


def test_a_viz_folder_that_links_outside_is_not_written_through(run_dir, tmp_path, capsys):
    import shutil

    copy = _copy(run_dir, tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(copy / "viz", ignore_errors=True)  # written by the tests above
    (copy / "viz").symlink_to(outside, target_is_directory=True)
    for figure in ("filters", "feature-maps"):
        assert main(["viz", figure, str(copy)]) == 2
        _one_line(capsys, str(copy / "viz"), "link")
    assert list(outside.iterdir()) == []
    assert main(["viz", "filters", str(copy), "--out", str(tmp_path / "f.png")]) == 0  # asked for
