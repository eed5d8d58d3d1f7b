"""The `nnscratch` command end to end, through real subprocesses (`python -m nnscratch …`).

Covers a full run of the first recipe (every file of the run folder exists and parses), the
`recipes`, `info` and `evaluate` commands, and usage errors: one line on stderr, exit code 2,
never a traceback.
"""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from cli_checks import assert_usage_error

SMALL = "plots = false\ntrain_size = 400\nval_size = 100\ntest_size = 100\n"


def cli(*args, cwd, env=None, timeout=120):
    environment = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "nnscratch", *map(str, args)], cwd=cwd,
                          env=environment, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    """One complete run of `mlp-spirals` with its default settings (a few seconds)."""
    cwd = tmp_path_factory.mktemp("full")
    result = cli("train", "mlp-spirals", "--out", "runs/spirals", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return cwd / "runs" / "spirals", result


def test_train_writes_every_file_of_the_run_folder(full_run):
    run, result = full_run
    config = json.loads((run / "config.json").read_text())
    assert config["recipe"] == "mlp-spirals"
    assert config["seed"] == 0 and config["settings"]["seed"] == 0
    assert {"epochs", "batch_size", "lr", "device", "hidden"} <= set(config["settings"])
    import nnscratch

    assert config["nnscratch_version"] == nnscratch.__version__

    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    splits = {r["split"] for r in records}
    assert splits == {"train", "val", "test"}
    steps = [r["step"] for r in records if r["split"] == "train"]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)

    summary = json.loads((run / "summary.json").read_text())
    assert {"recipe", "status", "steps", "seconds", "final"} <= set(summary)
    assert summary["recipe"] == "mlp-spirals" and summary["status"] == "completed"
    assert summary["steps"] == steps[-1] and summary["seconds"] > 0
    assert set(summary["final"]) == {"loss", "accuracy"}
    assert 0.97 <= summary["final"]["accuracy"] <= 1.0  # the recipe's promise

    state = nnscratch.load(run / "model.safetensors")
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert all(np.isfinite(t.numpy()).all() for t in state.values())

    checkpoints = sorted((run / "checkpoints").glob("step-*.json"))
    assert 1 <= len(checkpoints) <= 4  # the last 3 and the best
    for path in checkpoints:
        record = json.loads(path.read_text())
        assert (run / "checkpoints" / record["tensors"]).exists()

    for name in ("loss", "accuracy"):
        png = run / "plots" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_output_to_a_pipe_is_a_few_plain_lines(full_run):
    run, result = full_run
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    epochs = max(record["epoch"] for record in records)
    logged = sum(record["split"] == "train" for record in records)  # one per log_every steps
    lines = result.stdout.splitlines()
    assert "\r" not in result.stdout  # no progress-bar redraws in a log
    assert len(lines) <= logged + epochs + 4
    assert any("accuracy" in line for line in lines)


def test_evaluate_reproduces_the_final_test_metrics(full_run):
    run, _ = full_run
    result = cli("evaluate", run, "--json", cwd=run.parent)
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    final = json.loads((run / "summary.json").read_text())["final"]
    assert metrics["accuracy"] == final["accuracy"]
    assert math.isclose(metrics["loss"], final["loss"], rel_tol=1e-6)


def test_quiet_prints_nothing(tmp_path):
    (tmp_path / "small.toml").write_text(SMALL)
    result = cli("train", "mlp-spirals", "--epochs", 1, "--config", "small.toml",
                       "--quiet", "--out", "r", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["status"] == "completed"


def test_default_run_folder_is_recipe_and_time(tmp_path):
    (tmp_path / "small.toml").write_text(SMALL)
    result = cli("train", "mlp-spirals", "--steps", 5, "--config", "small.toml", "--quiet",
                       cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.startswith("mlp-spirals-")
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 5  # --steps alone bounds the run


def test_flags_override_the_config_file(tmp_path):
    (tmp_path / "c.toml").write_text(SMALL + "batch-size = 50\nepochs = 3\nlr = 0.05\n")
    result = cli("train", "mlp-spirals", "--config", "c.toml", "--epochs", 1, "--quiet",
                       "--out", "r", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    settings = json.loads((tmp_path / "r" / "config.json").read_text())["settings"]
    assert (settings["batch_size"], settings["epochs"], settings["lr"]) == (50, 1, 0.05)
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["steps"] == 400 // 50


def test_recipes_lists_names_descriptions_and_defaults(tmp_path):
    result = cli("recipes", cwd=tmp_path)
    assert result.returncode == 0
    assert "mlp-spirals:" in result.stdout
    assert "epochs=" in result.stdout and "lr=" in result.stdout


def test_info_names_version_blas_and_gpu(tmp_path):
    import nnscratch

    result = cli("info", cwd=tmp_path)
    assert result.returncode == 0
    text = result.stdout
    assert f"nnscratch {nnscratch.__version__}" in text
    assert "numpy" in text and "BLAS" in text
    assert "gpu" in text
    threads_line = next(line for line in text.splitlines() if line.startswith("threads"))
    assert int(threads_line.split()[1]) >= 1


def nnscratch_run_info(cwd):
    return cli("info", cwd=cwd)


@pytest.mark.parametrize("args, words", [
    (["train", "no-such-recipe"], ["unknown recipe", "mlp-spirals"]),
    (["train", "mlp-spirals", "--epochs", "0"], ["--epochs"]),
    (["train", "mlp-spirals", "--epochs", "many"], ["--epochs", "many"]),
    (["train", "mlp-spirals", "--lr", "-1"], ["--lr"]),
    (["train", "mlp-spirals", "--device", "tpu"], ["--device", "tpu"]),
    (["train", "mlp-spirals", "--batch-size", "1.5"], ["--batch-size"]),
    (["train", "mlp-spirals", "--no-such-flag"], ["--no-such-flag"]),
    (["train", "mlp-spirals", "--config", "missing.toml"], ["missing.toml"]),
    (["train", "--resume", "no-such-run"], ["no-such-run"]),
    (["evaluate", "no-such-run"], ["no-such-run"]),
    (["frobnicate"], ["frobnicate"]),
    ([], ["command"]),
])
def test_usage_errors_are_one_line_and_exit_2(tmp_path, args, words):
    assert_usage_error(cli(*args, cwd=tmp_path), *words)


@pytest.mark.parametrize("toml, words", [
    ("no_such_setting = 3\n", ["no_such_setting"]),
    ("epochs = 'ten'\n", ["epochs"]),
    ("lr = -0.5\n", ["lr"]),
    ("epochs = [\n", ["not valid TOML"]),
    ("[section]\nepochs = 2\n", ["section"]),
])
def test_bad_config_files_are_one_line_and_exit_2(tmp_path, toml, words):
    (tmp_path / "bad.toml").write_text(toml)
    result = cli("train", "mlp-spirals", "--config", "bad.toml", cwd=tmp_path)
    assert_usage_error(result, *words)
    assert not (tmp_path / "runs").exists()  # nothing was started


def test_an_existing_run_is_not_overwritten(tmp_path):
    (tmp_path / "small.toml").write_text(SMALL)
    first = cli("train", "mlp-spirals", "--steps", 3, "--config", "small.toml", "--quiet",
                      "--out", "r", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    second = cli("train", "mlp-spirals", "--steps", 3, "--config", "small.toml",
                       "--out", "r", cwd=tmp_path)
    assert_usage_error(second, "--resume")


def test_an_unwritable_run_folder_is_a_clear_error(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    result = cli("train", "mlp-spirals", "--steps", 3, "--out", "a-file/run", cwd=tmp_path)
    assert_usage_error(result, "a-file/run")


def test_resume_refuses_a_setting_that_changes_the_computation(tmp_path):
    (tmp_path / "small.toml").write_text(SMALL)
    first = cli("train", "mlp-spirals", "--epochs", 1, "--config", "small.toml",
                      "--quiet", "--out", "r", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    result = cli("train", "--resume", "r", "--set", "hidden=9", cwd=tmp_path)
    assert_usage_error(result, "hidden")  # (the lr may change on resume: issue 14.10)
    other = cli("train", "another-recipe", "--resume", "r", cwd=tmp_path)
    assert_usage_error(other, "mlp-spirals")


def test_set_overrides_any_recipe_setting(tmp_path):
    (tmp_path / "small.toml").write_text(SMALL + "hidden = 32\n")
    result = cli("train", "mlp-spirals", "--config", "small.toml", "--set", "hidden=8",
                 "--set", "noise=0.05", "--steps", 2, "--quiet", "--out", "r", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    settings = json.loads((tmp_path / "r" / "config.json").read_text())["settings"]
    assert settings["hidden"] == 8 and settings["noise"] == 0.05
    assert_usage_error(cli("train", "mlp-spirals", "--set", "hidden=wide", cwd=tmp_path),
                       "hidden")
    assert_usage_error(cli("train", "mlp-spirals", "--set", "hidden", cwd=tmp_path), "KEY=VALUE")


def test_cuda_without_a_gpu_is_a_usage_error(tmp_path):
    import nnscratch

    if nnscratch.cuda.is_available():
        pytest.skip("a GPU is usable here")
    result = cli("train", "mlp-spirals", "--device", "cuda", "--steps", 1, cwd=tmp_path)
    assert_usage_error(result, "GPU")


def test_evaluate_a_run_bounded_by_steps(tmp_path):
    import subprocess
    import sys

    run = tmp_path / "run"
    train = subprocess.run([sys.executable, "-m", "nnscratch", "train", "mlp-spirals", "--steps", "20",
                            "--out", str(run), "--quiet"], capture_output=True, text=True)
    assert train.returncode == 0, train.stderr
    result = subprocess.run([sys.executable, "-m", "nnscratch", "evaluate", str(run), "--json"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "accuracy" in result.stdout


@pytest.mark.parametrize("recipe, assignment, setting", [
    ("mlp-spirals", "hidden=-5", "hidden"),
    ("mlp-spirals", "noise=-1", "noise"),
    ("autoencoder", "noise=-1", "noise"),
    ("cnn-shapes", "dropout=2", "dropout"),
    ("mlp-spirals", "lr=nan", "lr"),
    ("mlp-spirals", "lr=inf", "lr"),
    ("mlp-spirals", "lr=-inf", "lr"),
    ("mlp-spirals", "hidden=100000000", "hidden"),
    ("cnn-shapes", "hidden=100000000", "hidden"),
    ("rbm", "method=\"pcdx\"", "method"),
    ("mlp-spirals", "hidden=none", "hidden"),
])
def test_a_setting_out_of_its_range_is_refused_before_any_work(tmp_path, recipe, assignment, setting):
    result = cli("train", recipe, "--set", assignment, cwd=tmp_path)
    assert_usage_error(result, f"'{setting}'")
    assert list(tmp_path.iterdir()) == []  # no run folder


def test_an_optional_setting_is_turned_off_with_none(tmp_path):
    result = cli("train", "mlp-spirals", "--set", "clip_grad_norm=none", "--set",
                 "early_stopping_patience=none", "--steps", 2, "--set", "train_size=64", "--set",
                 "plots=false", "--quiet", "--out", "r", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    settings = json.loads((tmp_path / "r" / "config.json").read_text())["settings"]
    assert settings["clip_grad_norm"] is None and settings["early_stopping_patience"] is None


def test_recipes_shows_the_allowed_values(tmp_path):
    text = cli("recipes", cwd=tmp_path).stdout
    spirals = next(line for line in text.splitlines() if "hidden=64" in line)
    assert "hidden=64 [1, 8192]" in spirals and "lr=0.01 (0, 100]" in spirals
    assert "clip_grad_norm=5.0 (0, 1e6]" in spirals
    assert "model='dense' dense|conv" in text


def test_flags_are_never_abbreviated(tmp_path):
    result = cli("train", "mlp-spirals", "--epoch", 1, cwd=tmp_path)
    assert_usage_error(result, "--epoch", "nnscratch train --help")
    assert list(tmp_path.iterdir()) == []
    from nnscratch.cli import build_parser

    def parsers(parser):  # every parser and sub-parser, however deep
        yield parser
        for action in parser._actions:
            for sub in getattr(action, "choices", None).values() if isinstance(
                    getattr(action, "choices", None), dict) else ():
                yield from parsers(sub)

    found = list(parsers(build_parser()))
    assert len(found) > 8 and all(not parser.allow_abbrev for parser in found)


@pytest.mark.parametrize("args, pointer", [
    (["train", "mlp-spirals", "--no-such-flag"], "nnscratch train --help"),
    (["evaluate", "run", "--no-such-flag"], "nnscratch evaluate --help"),
    (["--no-such-flag"], "nnscratch --help"),
])
def test_an_unknown_flag_points_to_its_commands_help(tmp_path, args, pointer):
    assert_usage_error(cli(*args, cwd=tmp_path), "--no-such-flag", pointer)


def test_version(tmp_path):
    import nnscratch

    result = cli("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"nnscratch {nnscratch.__version__}"


@pytest.mark.parametrize("recipe", ["cnn-shapes", "caption-shapes"])
def test_generated_images_that_would_not_fit_in_memory_are_refused(tmp_path, recipe):
    result = cli("train", recipe, "--set", "train_size=1000000", "--set", "image_size=256", cwd=tmp_path)
    assert_usage_error(result, "GiB", "image_size")
    assert list(tmp_path.iterdir()) == []
