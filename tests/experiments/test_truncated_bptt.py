"""truncated-bptt (small set-up): a window shorter than the lag fails, a longer one learns."""

import pytest

from nnscratch.experiments import run_experiment
from nnscratch.experiments.truncated_bptt import Settings

SMALL = Settings(lag=10, windows=(5, 20), hidden_size=32, stream_length=120, batches=60, eval_every=10,
                 forget_bias=0.0)


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    out = tmp_path_factory.mktemp("truncated")
    return run_experiment("truncated-bptt", out, quick=True, seed=0, settings=SMALL), out


def test_window_shorter_than_the_lag_stays_at_chance(experiment):
    short = experiment[0].results["runs"]["5"]
    assert 0.4 < short["final_accuracy"] < 0.6


def test_window_longer_than_the_lag_learns(experiment):
    long = experiment[0].results["runs"]["20"]
    assert long["final_accuracy"] > 0.9


def test_the_shorter_window_made_more_updates(experiment):
    # it did not fail for lack of updates: it made more of them, on the same data
    runs = experiment[0].results["runs"]
    assert runs["5"]["updates"] > runs["20"]["updates"]
    assert (experiment[1] / "truncation.png").stat().st_size > 0
