"""RunFolder: the files of a run parse strictly, and a resume cuts the metrics log back."""

import json

import pytest

from nnscratch.train.run import RunFolder, default_run_path


def test_summary_has_exactly_the_documented_keys_and_strict_json(tmp_path):
    run = RunFolder(tmp_path / "r")
    run.create()
    run.write_summary("demo", "failed", 12, 3.14159, {"loss": float("nan"), "accuracy": 0.5})
    text = (tmp_path / "r" / "summary.json").read_text()
    summary = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
    assert summary == {"recipe": "demo", "status": "failed", "steps": 12, "seconds": 3.142,
                       "final": {"loss": None, "accuracy": 0.5}}
    with pytest.raises(ValueError, match="status"):
        run.write_summary("demo", "crashed", 1, 1.0, {})


def test_config_records_settings_seed_and_versions(tmp_path):
    import numpy

    import nnscratch

    run = RunFolder(tmp_path / "r")
    run.create()
    run.write_config("demo", {"seed": 7, "lr": 0.1, "steps": None})
    config = run.read_config()
    assert config["recipe"] == "demo" and config["seed"] == 7
    assert config["settings"] == {"seed": 7, "lr": 0.1, "steps": None}
    assert config["nnscratch_version"] == nnscratch.__version__
    assert config["numpy_version"] == numpy.__version__


def test_read_config_names_the_fault(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a run folder"):
        RunFolder(tmp_path).read_config()
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="config.json"):
        RunFolder(tmp_path).read_config()


def test_resume_cuts_the_log_back_to_the_checkpoint_step(tmp_path):
    run = RunFolder(tmp_path)
    run.create()
    run.open_metrics()
    for step in (10, 20, 30):
        run.log({"step": step, "split": "train", "loss": 1.0 / step})
    run.log({"step": 30, "split": "val", "loss": float("inf")})
    run.close()
    with open(run.metrics_path, "a") as handle:
        handle.write('{"step": 40, "split": "tr')  # torn by a crash
    run.open_metrics(keep_until_step=20)
    run.log({"step": 30, "split": "train", "loss": 0.5})
    run.close()
    records = run.read_metrics()
    assert [(r["step"], r["loss"]) for r in records] == [(10, 0.1), (20, 0.05), (30, 0.5)]


def test_default_run_path_is_unique(tmp_path):
    first = default_run_path("demo", tmp_path)
    first.mkdir()
    second = default_run_path("demo", tmp_path)
    assert first.name.startswith("demo-") and second != first and not second.exists()
