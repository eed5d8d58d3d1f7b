"""Every recipe through the command line with ``--steps 3``: it completes, says nothing on
stderr, and a cosine schedule spans exactly the 3 steps (each record logs the positive lr its
step used)."""

import json
import math
import os
import subprocess
import sys

import pytest
from small_runs import SMALL, as_set_flags, small_settings

from nnscratch.recipes.registry import all_recipes

COSINE = {"cnn-shapes", "cnn-mnist", "cnn-cifar10", "cnn-images", "caption-shapes", "autoencoder", "seq2seq",
          "seq2seq-dates", "forecast"}
STEPS = 3


def test_every_recipe_has_small_settings():
    assert set(all_recipes()) <= set(SMALL), "add the new recipe's small settings to small_runs.py"


@pytest.mark.parametrize("recipe_name", sorted(SMALL))
def test_every_recipe_runs_three_steps(recipe_name, tmp_path):
    settings = {**small_settings(recipe_name, tmp_path), "log_every": 1}
    result = subprocess.run(
        [sys.executable, "-m", "nnscratch", "train", recipe_name, "--steps", str(STEPS), "--quiet",
         "--out", "run", *as_set_flags(settings)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == "", (result.stdout, result.stderr)
    run = tmp_path / "run"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["steps"] == STEPS
    assert all(value is None or math.isfinite(value) for value in summary["final"].values()), summary
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    for record in records:  # no NaN figure in any split (a figure not measured is absent)
        assert all(value is not None and not (isinstance(value, float) and math.isnan(value))
                   for value in record.values()), record
    logged = [record["lr"] for record in records if record["split"] == "train"]
    assert len(logged) == STEPS
    base = json.loads((run / "config.json").read_text())["settings"]["lr"]
    if recipe_name in COSINE:
        # a record's lr is the one its step used: the lr of step k is the cosine at k - 1 over
        # the 3 steps, so the first record reads the base lr and none reads 0
        expected = [base * (1 + math.cos(math.pi * k / STEPS)) / 2 for k in range(STEPS)]
        assert logged == pytest.approx(expected, rel=1e-9)
        assert logged[0] == base and all(lr > 0 for lr in logged)
    else:
        assert all(lr > 0 for lr in logged)
