"""viz/filters.py as a library (no CLI words in it) and `nnscratch viz` turning its errors into
one line: a missing matplotlib, an example image out of range."""

import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nnscratch.cli import main
from nnscratch.recipes.launch import train
from nnscratch.viz.filters import draw_feature_maps, draw_filters, example_dataset, example_image

pytest.importorskip("matplotlib")


@pytest.fixture
def no_matplotlib(monkeypatch):
    """An interpreter where ``import matplotlib`` fails, as without the plot extra."""
    for name in [name for name in sys.modules if name == "matplotlib" or name.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("viz-library") / "run"
    settings = {"train_size": 32, "val_size": 8, "test_size": 8, "width": 2, "hidden": 4,
                "epochs": 1, "plots": False}
    assert train("cnn-shapes", settings, {}, out=str(run), quiet=True) == 0
    return run


def test_drawing_without_matplotlib_is_an_import_error_naming_it(no_matplotlib, tmp_path):
    weight = np.zeros((4, 3, 3, 3), dtype=np.float32)
    for draw in (lambda: draw_filters(weight, tmp_path / "f.png"),
                 lambda: draw_feature_maps(weight[0], weight[:, 0], tmp_path / "m.png", "t")):
        with pytest.raises(ImportError, match="pip install 'nnscratch\\[plot\\]'") as raised:
            draw()
        assert raised.value.name == "matplotlib"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("figure", ["filters", "feature-maps"])
def test_viz_without_matplotlib_is_one_line(cnn_run, no_matplotlib, capsys, figure):
    assert main(["viz", figure, str(cnn_run), "--out", str(cnn_run / "elsewhere")]) == 2
    err = capsys.readouterr().err
    assert err == "nnscratch viz needs matplotlib: pip install 'nnscratch[plot]'\n"


@given(images=st.lists(st.integers(0, 9), min_size=1, max_size=6), index=st.integers(-8, 8))
def test_example_image_is_that_image_or_a_value_error(images, index):
    dataset = [(np.full((1, 2, 2), value, dtype=np.float32), value) for value in images]
    if 0 <= index < len(images):
        image, label = example_image(dataset, index)
        assert label == images[index] and image.shape == (1, 2, 2) and (image == images[index]).all()
    else:
        with pytest.raises(ValueError, match=f"index {index} is out of range: the data set has "
                           f"{len(images)} images"):
            example_image(dataset, index)


def test_example_dataset_is_the_test_data_first(cnn_run):
    from nnscratch.viz.filters import load_run

    _, task = load_run(cnn_run)
    assert example_dataset(task) is task.test_data.dataset
    task.test_data = None
    assert example_dataset(task) is task.val_data.dataset
    task.val_data = task.train_data = None
    assert example_dataset(task) is None
