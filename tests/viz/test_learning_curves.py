"""learning_curves: one PNG per metric from metrics.jsonl records, drawn headless."""

import pytest

from nnscratch.viz.learning_curves import plot_learning_curves

pytest.importorskip("matplotlib")


def test_learning_curves_are_png_files(tmp_path):
    records = [{"step": s, "epoch": 1, "split": "train", "loss": 1.0 / s, "lr": 0.1,
                "samples_per_second": 100.0, "seconds": 0.1 * s} for s in range(1, 20)]
    records += [{"step": 10, "epoch": 1, "split": "val", "loss": 0.2, "accuracy": 0.8},
                {"step": 19, "epoch": 2, "split": "val", "loss": None, "accuracy": 0.9},
                {"step": 19, "epoch": 2, "split": "test", "loss": 0.1, "accuracy": 0.95}]
    written = plot_learning_curves(records, tmp_path / "plots")
    assert sorted(p.name for p in written) == ["accuracy.png", "loss.png", "lr.png"]
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == sorted(p.name for p in written)
