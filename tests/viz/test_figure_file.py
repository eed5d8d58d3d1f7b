"""figure_file: a figure is rendered, written atomically and closed, even when the write fails."""

import pytest

from nnscratch.train.atomic import WriteError
from nnscratch.viz.figure_file import atomic_save_figure


def test_figure_is_written_as_png_atomically_and_closed(tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")

    figure, axes = plt.subplots()
    axes.plot([0, 1], [1, 0])
    path = tmp_path / "curve.png"
    path.write_bytes(b"old")
    assert atomic_save_figure(figure, path) == path
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert figure.number not in plt.get_fignums()
    assert [p.name for p in tmp_path.iterdir()] == ["curve.png"]  # no temporary left

    figure, _ = plt.subplots()
    with pytest.raises(WriteError, match="missing"):
        atomic_save_figure(figure, tmp_path / "missing" / "curve.png")
    assert figure.number not in plt.get_fignums()
