"""launch.py: a schedule's horizon is the run's number of optimiser steps, a completed run is
left alone by --resume, a signal's exit status, and evaluate of a crafted run folder."""

import hashlib
import json
import math
import os
import signal
import subprocess
import sys

import pytest
from small_runs import SMALL, as_set_flags, small_settings

from cli_checks import assert_usage_error
from nnscratch.recipes.launch import build, total_steps
from nnscratch.recipes.registry import Settings, all_recipes, get_recipe, resolve_settings

# the recipes the issue found with a cosine schedule sized in epochs
COSINE = {"cnn-shapes", "cnn-mnist", "cnn-cifar10", "cnn-images", "caption-shapes", "autoencoder", "seq2seq",
          "seq2seq-dates", "forecast"}
ENVIRONMENT = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}


def cli(*args, cwd, env=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "nnscratch", *map(str, args)], cwd=cwd,
                          env={**ENVIRONMENT, **(env or {})}, capture_output=True, text=True,
                          timeout=timeout)


def built(recipe_name, folder, **bounds):
    found = get_recipe(recipe_name)
    settings = resolve_settings(found, small_settings(recipe_name, folder), bounds)
    return settings, build(found, settings)


def test_total_steps_is_the_bound_that_ends_the_run_first():
    batches = list(range(7))  # 7 batches per epoch
    assert total_steps(Settings(steps=20, epochs=None), batches) == 20
    assert total_steps(Settings(steps=None, epochs=3), batches) == 21
    assert total_steps(Settings(steps=20, epochs=2), batches) == 14
    assert total_steps(Settings(steps=10, epochs=2), batches) == 10
    assert total_steps(Settings(steps=5, epochs=2), iter(batches)) == 5  # no length: steps bound


@pytest.mark.parametrize("recipe_name", sorted(SMALL))
def test_a_cosine_decays_over_the_runs_optimiser_steps(recipe_name, tmp_path):
    steps = 7
    settings, (task, optimizer, scheduler) = built(recipe_name, tmp_path, steps=steps)
    if recipe_name not in COSINE:
        assert scheduler is None or not hasattr(scheduler, "T_max")
        return
    assert task.scheduler_interval == "step" and scheduler.T_max == steps
    base = settings.lr
    used = []
    for _ in range(steps):  # as the trainer does: the step uses the lr, then the schedule steps
        used.append(optimizer.param_groups[0]["lr"])
        scheduler.step()
    # the closed form of cosine annealing over `steps` steps (SGDR without restarts)
    expected = [base * (1 + math.cos(math.pi * k / steps)) / 2 for k in range(steps)]
    assert used == pytest.approx(expected, rel=1e-9)
    assert all(lr > 0 for lr in used) and all(a > b for a, b in zip(used, used[1:]))
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)  # the end of the run

    # --epochs E sizes the same schedule as --steps E × batches per epoch
    _, (task, _, by_epochs) = built(recipe_name, tmp_path, epochs=2)
    assert by_epochs.T_max == 2 * len(task.train_data)


def test_every_cosine_recipe_is_covered():
    found = {name for name in SMALL if name in all_recipes()}
    assert COSINE <= found


def snapshot(folder):
    """Every file under ``folder`` with its size, mtime and SHA-256."""
    return {str(path.relative_to(folder)): (path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
            for path in sorted(folder.rglob("*")) if path.is_file()} | \
        {str(path.relative_to(folder)) + "/": None for path in folder.rglob("*") if path.is_dir()}


def cosine(base, t, horizon):
    """Cosine annealing's closed form at step ``t`` of ``horizon`` (SGDR, no restarts)."""
    return base * (1 + math.cos(math.pi * t / horizon)) / 2


def train_small(recipe_name, cwd, *flags, env=None):
    settings = small_settings(recipe_name, cwd)
    return cli("train", recipe_name, "--out", "run", "--quiet", *flags, *as_set_flags(settings), cwd=cwd,
               env=env)


def summary(run):
    return json.loads((run / "summary.json").read_text())


def test_resuming_a_completed_run_changes_nothing(tmp_path):
    # mlp-spirals with early stopping after the first bad epoch: the run completes before its bound
    first = train_small("mlp-spirals", tmp_path, "--epochs", 6, "--set", "early_stopping_patience=1",
                        "--set", "lr=0.5")
    assert first.returncode == 0, first.stderr
    run = tmp_path / "run"
    assert summary(run)["status"] == "completed"
    before = snapshot(run)
    again = cli("train", "--resume", "run", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stderr == "" and len(again.stdout.strip().splitlines()) == 1
    assert "complete" in again.stdout and str(summary(run)["steps"]) in again.stdout
    assert snapshot(run) == before
    # the same bounds given again, or a bound the run did not have, do not lengthen it
    same = cli("train", "--resume", "run", "--epochs", 6, "--steps", 100000, cwd=tmp_path)
    assert same.returncode == 0 and "complete" in same.stdout and snapshot(run) == before


def test_a_completed_run_continues_with_a_longer_bound(tmp_path):
    first = train_small("cnn-shapes", tmp_path, "--epochs", 1, "--set", "log_every=1")  # 4 steps
    assert first.returncode == 0, first.stderr
    run = tmp_path / "run"
    assert summary(run)["steps"] == 4
    before = snapshot(run)
    for same in (["--steps", 4], ["--epochs", 1], ["--steps", 3], ["--epochs", 1, "--steps", 99]):
        short = cli("train", "--resume", "run", *same, cwd=tmp_path)
        assert short.returncode == 0 and "complete" in short.stdout and snapshot(run) == before, same
    longer = cli("train", "--resume", "run", "--steps", 10, "--quiet", cwd=tmp_path)
    assert longer.returncode == 0, longer.stderr
    assert summary(run)["steps"] == 10
    # the schedule is stretched over the new horizon from step 4 on: step k (logged with the
    # lr it used) took the cosine over 10 steps at k - 1
    lrs = {r["step"]: r["lr"] for r in map(json.loads, (run / "metrics.jsonl").read_text().splitlines())
           if r["split"] == "train"}
    base = json.loads((run / "config.json").read_text())["settings"]["lr"]
    for step in range(5, 11):
        assert lrs[step] == pytest.approx(cosine(base, step - 1, 10), abs=1e-12)
    for step in range(1, 5):  # the first session's steps, over its 4-step horizon
        assert lrs[step] == pytest.approx(cosine(base, step - 1, 4), abs=1e-12)
    config = json.loads((run / "config.json").read_text())
    assert (config["settings"]["steps"], config["settings"]["epochs"]) == (10, None)
    assert config["resumes"][-1]["changed"] == {"steps": [None, 10], "epochs": [1, None]}
    # and a longer --epochs continues too (10 steps are 2.5 epochs: 3 epochs are 12 steps),
    # stopped by a signal and resumed without flags it keeps its new bound
    more = cli("train", "--resume", "run", "--epochs", 3, "--quiet", cwd=tmp_path,
               env={"NNSCRATCH_TEST_SIGNAL_AT_STEP": "11:SIGTERM"})
    assert more.returncode == 128 + signal.SIGTERM, more.stderr
    last = cli("train", "--resume", "run", "--quiet", cwd=tmp_path)
    assert last.returncode == 0, last.stderr
    assert summary(run)["steps"] == 12 and summary(run)["status"] == "completed"


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_a_signal_ends_the_run_with_128_plus_its_number(tmp_path, name):
    result = train_small("mlp-spirals", tmp_path, "--steps", 50,
                         env={"NNSCRATCH_TEST_SIGNAL_AT_STEP": f"5:{name}"})
    number = int(getattr(signal, name))
    assert result.returncode == 128 + number, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "--resume" in result.stderr
    assert summary(tmp_path / "run")["status"] == "stopped"


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("evaluated")
    result = train_small("mlp-spirals", cwd, "--steps", 3)
    assert result.returncode == 0, result.stderr
    return cwd / "run"


def crafted(finished_run, tmp_path, edit):
    folder = tmp_path / "crafted"
    folder.mkdir()
    for path in finished_run.iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    config = json.loads((finished_run / "config.json").read_text())
    edit(config, folder)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def set_setting(name, value):
    def edit(config, folder):
        config["settings"][name] = value
    return edit


def set_field(name, value):
    def edit(config, folder):
        config[name] = value
    return edit


@pytest.mark.parametrize("edit, words", [
    (set_field("recipe", ["mlp-spirals"]), ["config.json", "'recipe'"]),
    (set_field("recipe", "no-such-recipe"), ["config.json", "'recipe'", "no-such-recipe"]),
    (set_field("settings", []), ["config.json", "'settings'"]),
    (set_setting("hidden", "wide"), ["config.json", "'hidden'"]),
    (set_setting("hidden", 10**9), ["config.json", "'hidden'"]),
    (set_setting("hidden", -3), ["config.json", "'hidden'"]),
    (set_setting("lr", None), ["config.json", "'lr'"]),
    (set_setting("batch_size", [1]), ["config.json", "'batch_size'"]),
    (set_setting("steps", None), ["config.json", "epochs", "steps"]),  # epochs is None too
], ids=["recipe-list", "recipe-unknown", "settings-list", "type", "huge", "negative", "none", "list",
        "unbounded"])
def test_evaluate_of_a_crafted_config_is_one_line(finished_run, tmp_path, edit, words):
    folder = crafted(finished_run, tmp_path, edit)
    assert_usage_error(cli("evaluate", folder, cwd=tmp_path), *words)


def test_evaluate_of_weights_that_do_not_fit_is_one_line(finished_run, tmp_path):
    import nnscratch as ns

    for change in ("missing", "shape"):
        folder = tmp_path / change
        folder.mkdir()
        for path in finished_run.iterdir():
            if path.is_file():
                (folder / path.name).write_bytes(path.read_bytes())
        weights = ns.load(folder / "model.safetensors")
        name = sorted(weights)[0]
        if change == "missing":
            del weights[name]
        else:
            weights[name] = ns.zeros(3, 3)
        (folder / "model.safetensors").unlink()
        ns.save(weights, folder / "model.safetensors")
        # record the new file's digest, so what is tested is the fit, not the digest
        data = (folder / "model.safetensors").read_bytes()
        record = json.loads((folder / "summary.json").read_text())
        record["model"].update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
        (folder / "summary.json").write_text(json.dumps(record))
        assert_usage_error(cli("evaluate", folder, cwd=tmp_path), "model", name)


def test_resume_refuses_another_out_folder(tmp_path):
    first = train_small("mlp-spirals", tmp_path, "--steps", 3)
    assert first.returncode == 0, first.stderr
    result = cli("train", "--resume", "run", "--out", "elsewhere", "--steps", 6, cwd=tmp_path)
    assert_usage_error(result, "--out elsewhere")
    assert not (tmp_path / "elsewhere").exists()
    same = cli("train", "--resume", "run", "--out", "run", "--steps", 6, "--quiet", cwd=tmp_path)
    assert same.returncode == 0, same.stderr


def test_a_resumed_run_keeps_its_horizon(tmp_path):
    stopped = train_small("cnn-shapes", tmp_path, "--steps", 8, "--set", "log_every=1",
                          env={"NNSCRATCH_TEST_SIGNAL_AT_STEP": "3:SIGTERM"})
    assert stopped.returncode == 128 + signal.SIGTERM, stopped.stderr
    resumed = cli("train", "--resume", "run", "--quiet", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    run = tmp_path / "run"
    lrs = {r["step"]: r["lr"] for r in map(json.loads, (run / "metrics.jsonl").read_text().splitlines())
           if r["split"] == "train"}
    base = json.loads((run / "config.json").read_text())["settings"]["lr"]
    assert sorted(lrs) == list(range(1, 9))
    for step, lr in lrs.items():  # one cosine over the 8 steps, across the two sessions
        assert lr == pytest.approx(cosine(base, step - 1, 8), abs=1e-12)


def test_evaluate_on_another_device(finished_run, tmp_path):
    folder = crafted(finished_run, tmp_path, set_setting("device", "cuda"))
    import nnscratch

    if not nnscratch.cuda.is_available():
        assert_usage_error(cli("evaluate", folder, cwd=tmp_path), "GPU")
    result = cli("evaluate", folder, "--device", "cpu", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == summary(finished_run)["final"]


@pytest.mark.parametrize("command", [["evaluate", "nope"], ["train", "--resume", "nope"]])
def test_a_missing_run_folder_is_said_to_not_exist(tmp_path, command):
    assert_usage_error(cli(*command, cwd=tmp_path), "run folder nope does not exist")
    assert list(tmp_path.iterdir()) == []


def test_two_trainers_started_together_never_share_a_run_folder(tmp_path):
    """Issue 14.8: the "already holds a run" check and the run itself sit under one lock, so
    of several `train --out X` started at once exactly one runs and the others get one line
    naming the folder (and the holder, when it is still running)."""
    for attempt in range(3):
        out = tmp_path / f"race-{attempt}"
        command = [sys.executable, "-m", "nnscratch", "train", "mlp-spirals", "--steps", "40",
                   "--quiet", "--seed", "0", "--out", str(out)]
        racers = [subprocess.Popen(command + ["--set", f"hidden={8 + i}"], cwd=tmp_path,
                                   env=ENVIRONMENT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True) for i in range(3)]
        results = [(racer.wait(timeout=180), racer.stderr.read()) for racer in racers]
        winners = [i for i, (code, _) in enumerate(results) if code == 0]
        assert len(winners) == 1, results
        for code, stderr in (results[i] for i in range(3) if i not in winners):
            assert code == 2 and "Traceback" not in stderr, stderr
            assert len(stderr.strip().splitlines()) == 1 and str(out) in stderr, stderr
        # the folder is the winner's alone: its config holds the winner's own setting
        config = json.loads((out / "config.json").read_text())
        assert config["settings"]["hidden"] == 8 + winners[0]
        lines = (out / "metrics.jsonl").read_text().splitlines()
        steps = [json.loads(line).get("step") for line in lines if '"split": "train"' in line]
        assert len(steps) == len(set(steps)), "metrics logged twice"


def train_records(run):
    return [r for r in map(json.loads, (run / "metrics.jsonl").read_text().splitlines())
            if r["split"] == "train"]


def test_a_failed_run_resumes_with_a_new_learning_rate(tmp_path):
    """Issue 14.10: a run that failed continues from its last good checkpoint with another
    --lr; the restored cosine continues from the new base, and config.json records it."""
    failed = train_small("cnn-shapes", tmp_path, "--steps", 8, "--set", "log_every=1",
                         env={"NNSCRATCH_TEST_NAN_AT_STEP": "6"})  # 4 steps an epoch: saved at 4
    assert failed.returncode == 1 and "last good checkpoint" in failed.stderr, failed.stderr
    run = tmp_path / "run"
    old = json.loads((run / "config.json").read_text())["settings"]["lr"]
    new = old / 4
    resumed = cli("train", "--resume", "run", "--lr", new, "--quiet", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert summary(run)["status"] == "completed" and summary(run)["steps"] == 8
    used = {r["step"]: r["lr"] for r in train_records(run)}
    for step in range(1, 5):  # the first session: the old base
        assert used[step] == pytest.approx(cosine(old, step - 1, 8), abs=1e-15)
    for step in range(5, 9):  # from the checkpoint on: the same cosine over the new base
        assert used[step] == pytest.approx(cosine(new, step - 1, 8), abs=1e-15)
    config = json.loads((run / "config.json").read_text())
    assert config["settings"]["lr"] == new
    assert config["resumes"][-1]["changed"] == {"lr": [old, new]}
    # the new rate is the run's now: a later resume neither refuses nor rescales it
    again = cli("train", "--resume", "run", "--lr", new, "--steps", 10, "--quiet", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    used = {r["step"]: r["lr"] for r in train_records(run)}
    assert used[9] == pytest.approx(cosine(new, 8, 10), abs=1e-15)


def test_a_bad_setting_in_config_json_names_the_file_and_setting(finished_run, tmp_path):
    folder = crafted(finished_run, tmp_path, set_setting("hidden", -5))
    for command in (["evaluate", folder], ["train", "--resume", folder, "--steps", 6]):
        result = cli(*command, cwd=tmp_path)
        assert_usage_error(result, str(folder / "config.json"), "'hidden'", "-5")
