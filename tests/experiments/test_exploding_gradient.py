"""exploding-gradient (quick set-up): clipping keeps an exploding RNN trainable."""

import math

import pytest

from nnscratch.datasets.memory_tasks import ADDING_BASELINE_MSE
from nnscratch.experiments import run_experiment
from nnscratch.experiments.exploding_gradient import DIVERGED, Settings

SMALL = Settings.quick()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("exploding")
    report = run_experiment("exploding-gradient", out, quick=True, seed=0, settings=SMALL)
    assert (out / "clipping.png").stat().st_size > 0
    return report.results["runs"]


def test_without_clipping_the_same_rate_diverges(runs):
    unclipped = runs["unclipped"]
    assert unclipped["diverged_at"] is not None
    assert len(unclipped["losses"]) == unclipped["diverged_at"] < SMALL.steps
    last = unclipped["losses"][-1]
    assert not math.isfinite(last) or last > DIVERGED


def test_with_clipping_the_gradient_still_spikes_but_training_succeeds(runs):
    clipped = runs["clipped"]
    assert clipped["diverged_at"] is None and len(clipped["losses"]) == SMALL.steps
    assert clipped["max_grad_norm"] > 10 * clipped["median_grad_norm"]
    assert clipped["final_loss"] < ADDING_BASELINE_MSE / 2


def test_a_smaller_rate_without_clipping_learns_less(runs):
    small, clipped = runs["unclipped_small_lr"], runs["clipped"]
    assert small["diverged_at"] is not None or small["final_loss"] > clipped["final_loss"]
