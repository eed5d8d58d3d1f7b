"""forecasts: the truth, each model and baseline segment drawn where it belongs, as one PNG."""

import numpy as np
import pytest

from nnscratch.viz import forecasts


def test_segments_are_drawn_over_the_steps_they_forecast(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    drawn = {}
    real_save = forecasts.atomic_save_figure

    def record(figure, path, **options):
        axes = figure.axes[0]
        drawn["lines"] = [(line.get_label(), line.get_xdata(), line.get_ydata()) for line in axes.lines]
        drawn["title"], drawn["labels"] = axes.get_title(), (axes.get_xlabel(), axes.get_ylabel())
        return real_save(figure, path, **options)

    monkeypatch.setattr(forecasts, "atomic_save_figure", record)
    x = np.arange(10, 20)
    truth = np.sin(x)
    segments = [np.arange(14, 17), np.arange(17, 20)]
    model = [np.full(3, 1.0), np.full(3, 2.0)]
    baseline = [np.full(3, -1.0), np.full(3, -2.0)]
    path = forecasts.draw_forecasts(tmp_path / "run" / "forecast.png", x, truth, segments, model,
                                    baseline, split_at=14, x_label="step", y_label="sales",
                                    title="run: sales")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = drawn["lines"]
    assert len(lines) == 1 + 2 * len(segments) + 1  # truth, each segment twice, the split
    np.testing.assert_array_equal(lines[0][1], x)
    np.testing.assert_array_equal(lines[0][2], truth)
    for k in range(len(segments)):
        for (_, xs, ys), values in zip(lines[1 + 2 * k:3 + 2 * k], (model[k], baseline[k])):
            np.testing.assert_array_equal(xs, segments[k])
            np.testing.assert_array_equal(ys, values)
    assert [label for label, _, _ in lines[:3]] == ["truth", "model forecast", "AR baseline"]
    assert list(lines[-1][1]) == [14, 14]
    assert drawn["title"] == "run: sales" and drawn["labels"] == ("step", "sales")


def test_mismatched_segments_are_refused_before_drawing(tmp_path):
    with pytest.raises(ValueError, match="draw_forecasts: 2 segments but 1 model and 2 baseline"):
        forecasts.draw_forecasts(tmp_path / "f.png", [0, 1], [0, 1], [[0], [1]], [[0]], [[0], [1]],
                                 split_at=0, x_label="step", y_label="y", title="t")
    assert not (tmp_path / "f.png").exists()
