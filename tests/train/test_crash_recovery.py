"""Crashes, interrupts and poisoned losses, end to end through real `nnscratch` processes.

The truth is an uninterrupted run with the same seed: a run killed with SIGKILL (at a random
step), stopped by SIGINT/SIGTERM, or resumed past a corrupt checkpoint must end with
parameters bit-identical to it. Faults are injected at exact steps with the test hooks of
`nnscratch.train.faults` (NNSCRATCH_TEST_SIGNAL_AT_STEP, NNSCRATCH_TEST_NAN_AT_STEP).
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from nnscratch.train.checkpoint import Checkpointer, load_checkpoint

# 400 training points in batches of 32: 13 steps per epoch, 39 in all
SMALL = "plots = false\ntrain_size = 400\nval_size = 100\ntest_size = 100\nepochs = 3\n"
TOTAL_STEPS = 39


def cli(*args, cwd, env=None, timeout=120):
    environment = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "nnscratch", *map(str, args)], cwd=cwd,
                          env=environment, capture_output=True, text=True, timeout=timeout)


def train(cwd, out, *extra, env=None):
    return cli("train", "mlp-spirals", "--config", "small.toml", "--checkpoint-every", 5,
               "--quiet", "--out", out, *extra, cwd=cwd, env=env)


def summary(run):
    return json.loads((run / "summary.json").read_text())


def assert_bit_identical(run_a, run_b):
    a, b = load_file(run_a / "model.safetensors"), load_file(run_b / "model.safetensors")
    assert list(a) == list(b)
    for name in a:
        assert a[name].dtype == b[name].dtype
        assert np.array_equal(a[name].view(np.uint8), b[name].view(np.uint8)), name


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A folder with the small config and one uninterrupted reference run."""
    cwd = tmp_path_factory.mktemp("crash")
    (cwd / "small.toml").write_text(SMALL)
    result = train(cwd, "reference")
    assert result.returncode == 0, result.stderr
    assert summary(cwd / "reference")["steps"] == TOTAL_STEPS
    return cwd


def test_sigkill_at_a_random_step_then_resume_is_bit_identical(workspace):
    step = random.Random().randint(2, TOTAL_STEPS - 1)
    killed = train(workspace, "killed", env={"NNSCRATCH_TEST_SIGNAL_AT_STEP": f"{step}:SIGKILL"})
    assert killed.returncode == -signal.SIGKILL, (step, killed.stderr)
    assert not (workspace / "killed" / "summary.json").exists()
    resumed = cli("train", "--resume", "killed", "--quiet", cwd=workspace)
    assert resumed.returncode == 0, (step, resumed.stderr)
    assert summary(workspace / "killed")["status"] == "completed"
    assert summary(workspace / "killed")["steps"] == TOTAL_STEPS
    assert_bit_identical(workspace / "reference", workspace / "killed")
    # replayed steps are not logged twice
    steps = [json.loads(line)["step"] for line in
             (workspace / "killed" / "metrics.jsonl").read_text().splitlines()
             if json.loads(line)["split"] == "train"]
    assert len(steps) == len(set(steps)), step


def test_a_corrupt_newest_checkpoint_falls_back_to_the_previous_one(workspace):
    killed = train(workspace, "corrupt", env={"NNSCRATCH_TEST_SIGNAL_AT_STEP": "33:SIGKILL"})
    assert killed.returncode == -signal.SIGKILL
    checkpoints = Checkpointer(workspace / "corrupt" / "checkpoints").list()
    newest = json.loads(checkpoints[-1].path.read_text())
    tensors = workspace / "corrupt" / "checkpoints" / newest["tensors"]
    blob = bytearray(tensors.read_bytes())
    blob[len(blob) // 2] ^= 0xFF  # one flipped byte in the middle of the weights
    tensors.write_bytes(bytes(blob))

    resumed = cli("train", "--resume", "corrupt", "--quiet", cwd=workspace)
    assert resumed.returncode == 0, resumed.stderr
    assert newest["tensors"] in resumed.stderr and "corrupt" in resumed.stderr
    assert_bit_identical(workspace / "reference", workspace / "corrupt")


def test_a_truncated_newest_checkpoint_falls_back_too(workspace):
    killed = train(workspace, "truncated", env={"NNSCRATCH_TEST_SIGNAL_AT_STEP": "12:SIGKILL"})
    assert killed.returncode == -signal.SIGKILL
    newest = Checkpointer(workspace / "truncated" / "checkpoints").list()[-1]
    newest.path.write_text(newest.path.read_text()[:40])  # a torn JSON record
    resumed = cli("train", "--resume", "truncated", "--quiet", cwd=workspace)
    assert resumed.returncode == 0, resumed.stderr
    assert newest.path.name in resumed.stderr
    assert_bit_identical(workspace / "reference", workspace / "truncated")


def test_nan_loss_fails_naming_the_step_and_keeps_the_last_good_checkpoint(workspace):
    result = train(workspace, "nan", env={"NNSCRATCH_TEST_NAN_AT_STEP": "17"})
    assert result.returncode == 1
    assert "step 17" in result.stderr and "Traceback" not in result.stderr
    assert summary(workspace / "nan")["status"] == "failed"
    assert not (workspace / "nan" / "model.safetensors").exists()
    checkpointer = Checkpointer(workspace / "nan" / "checkpoints")
    last_good = checkpointer.last_valid()
    assert last_good is not None and str(last_good.relative_to(workspace)) in result.stderr
    assert max(info.step for info in checkpointer.list()) < 17  # nothing saved after the NaN
    state = load_checkpoint(last_good)
    assert all(np.isfinite(t.numpy()).all() for t in state["model"].values())


@pytest.mark.parametrize("name, step", [("SIGINT", 20), ("SIGTERM", 13)])  # 13: epoch's last
def test_a_signal_stops_cleanly_and_the_run_resumes_bit_identical(workspace, name, step):
    out = f"stopped-{name}"
    result = train(workspace, out, env={"NNSCRATCH_TEST_SIGNAL_AT_STEP": f"{step}:{name}"})
    assert result.returncode == 128 + getattr(signal, name), result.stderr  # the shell's rule
    assert "Traceback" not in result.stderr and "--resume" in result.stderr
    assert summary(workspace / out)["status"] == "stopped"
    assert summary(workspace / out)["steps"] == step
    assert max(info.step for info in Checkpointer(workspace / out / "checkpoints").list()) == step
    resumed = cli("train", "--resume", out, "--quiet", cwd=workspace)
    assert resumed.returncode == 0, resumed.stderr
    assert_bit_identical(workspace / "reference", workspace / out)


def test_sigterm_from_outside_while_training(tmp_path):
    """A real asynchronous signal, delivered whenever it lands (mid-op, mid-checkpoint …)."""
    endless = SMALL.replace("epochs = 3", "epochs = 100000\nearly_stopping_patience = 100000")
    (tmp_path / "small.toml").write_text(endless)
    process = subprocess.Popen(
        [sys.executable, "-m", "nnscratch", "train", "mlp-spirals", "--config", "small.toml",
         "--checkpoint-every", "5", "--quiet", "--out", "long"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    checkpoints = tmp_path / "long" / "checkpoints"
    while not (checkpoints.exists() and any(checkpoints.glob("step-*.json"))):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(random.Random().uniform(0.0, 0.3))
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert summary(tmp_path / "long")["status"] == "stopped"
    last = Checkpointer(checkpoints).last_valid()
    assert json.loads(last.read_text())["step"] == summary(tmp_path / "long")["steps"]


def temporaries(run):
    """Every hidden temporary file left in a run folder (any writer's naming)."""
    return sorted(str(path.relative_to(run)) for path in run.rglob(".*")
                  if path.is_file() and "tmp" in path.name)


@pytest.mark.parametrize("written, kill", [
    ("step-00000015-*.safetensors", "SIGKILL"),  # the tensors of the step-15 checkpoint
    ("step-00000020.json", "SIGKILL"),            # the record: its tensors file is orphaned too
    ("summary.json", "SIGKILL"),                  # the weights are written, the summary is not
])
def test_a_kill_inside_a_write_leaves_temporaries_that_the_resume_removes(workspace, written,
                                                                          kill):
    out = f"killed-in-{written.split('.')[0].rstrip('-*')}"
    killed = train(workspace, out, env={"NNSCRATCH_TEST_SIGNAL_IN_WRITE": f"{written}:{kill}"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    left = temporaries(workspace / out)
    assert len(left) == 1 and Path(left[0]).name.startswith("." + written[:5]), left
    resumed = cli("train", "--resume", out, "--quiet", cwd=workspace)
    assert resumed.returncode == 0, resumed.stderr
    assert temporaries(workspace / out) == []
    referenced = {json.loads(info.path.read_text())["tensors"]
                  for info in Checkpointer(workspace / out / "checkpoints").list()}
    assert {p.name for p in (workspace / out / "checkpoints").glob("*.safetensors")} == referenced
    assert summary(workspace / out)["status"] == "completed"
    assert_bit_identical(workspace / "reference", workspace / out)


@pytest.mark.parametrize("first, second, written", [
    ("SIGINT", "SIGINT", "step-00000022-*.safetensors"),  # Ctrl-C twice: the save is cut short
    ("SIGINT", "SIGINT", "summary.json"),                 # … or the summary is being written
    ("SIGTERM", "SIGTERM", "step-00000022.json"),
    ("SIGTERM", "SIGINT", "summary.json"),
])
def test_a_second_signal_while_the_first_is_handled_leaves_no_temporary_and_a_summary(
        workspace, first, second, written):
    out = f"twice-{first}-{second}-{written.split('.')[0].rstrip('-*')}"
    result = train(workspace, out, env={"NNSCRATCH_TEST_SIGNAL_AT_STEP": f"22:{first}",
                                        "NNSCRATCH_TEST_SIGNAL_IN_WRITE": f"{written}:{second}"})
    assert result.returncode == 128 + getattr(signal, first), result.stderr
    assert "Traceback" not in result.stderr
    assert temporaries(workspace / out) == []
    assert summary(workspace / out)["status"] == "stopped"
    resumed = cli("train", "--resume", out, "--quiet", cwd=workspace)
    assert resumed.returncode == 0, resumed.stderr
    assert_bit_identical(workspace / "reference", workspace / out)
