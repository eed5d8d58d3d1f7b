"""vanishing-gradient (small set-up): its numbers against the bounds and claims it illustrates."""

import json
import math

import numpy as np
import pytest

from nnscratch.experiments import run_experiment
from nnscratch.experiments.vanishing_gradient import Settings

# smaller than --quick (no GRU, narrower MLP); chosen with seeds 0-4, all of which show the claims
SMALL = Settings(architectures=("rnn", "lstm"), length=60, hidden_size=64, train_steps=1500, lr=0.01,
                 measure_batch=50, width=64, mlp_batch=128)


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    out = tmp_path_factory.mktemp("vanishing")
    report = run_experiment("vanishing-gradient", out, quick=True, seed=0, settings=SMALL)
    return report, out


def test_files_are_written(experiment):
    report, out = experiment
    for name in ("results.json", "report.md", "through_time.png", "recurrent_scale.png", "depth.png"):
        assert (out / name).stat().st_size > 0
    data = json.loads((out / "results.json").read_text())
    assert data["results"]["through_time"]["lstm"]["trained"] == report.results["through_time"]["lstm"]["trained"]


def test_scaled_rnn_gradient_obeys_the_singular_value_bound(experiment):
    # |tanh'| <= 1 and every singular value of W_hh is s: each step multiplies the norm by <= s
    scaled = experiment[0].results["scaled_rnn"]
    for scale, values in scaled.items():
        norms = np.array(values["norms"])
        bound = norms[0] * float(scale) ** np.arange(len(norms))
        assert (norms <= bound * (1 + 1e-9)).all(), scale


def test_scaled_rnn_vanishes_at_half_and_explodes_at_two(experiment):
    slopes = {float(s): v["log_slope"] for s, v in experiment[0].results["scaled_rnn"].items()}
    assert slopes[0.5] < math.log(0.5) + 0.05 < 0
    assert 0 < slopes[2.0] <= math.log(2.0)
    assert slopes[0.5] < slopes[1.0] < slopes[2.0]


def test_trained_lstm_gradient_reaches_far_beyond_the_rnn(experiment):
    through_time = experiment[0].results["through_time"]
    lstm, rnn = through_time["lstm"], through_time["rnn"]
    assert lstm["test_mse"] < 0.02 < 0.1 < rnn["test_mse"]  # the LSTM learned the task, the RNN did not
    assert lstm["trained_relative"][50] > 1e3 * rnn["trained_relative"][50]
    # at initialisation both decay: the LSTM's advantage is learned
    assert lstm["init_relative"][50] < 1e-2 and rnn["init_relative"][50] < 1e-2


def test_sigmoid_gradients_fall_with_depth_much_faster_than_relu(experiment):
    mlp = experiment[0].results["mlp"]
    assert mlp["sigmoid"]["first_over_last"] < 1e-3 * mlp["relu"]["first_over_last"]
    # sigmoid' <= 1/4: about a factor 4 per layer with Glorot's variance-preserving weights
    assert mlp["sigmoid"]["log10_slope_per_layer"] < -0.3
    assert abs(mlp["relu"]["log10_slope_per_layer"]) < 0.1


def test_every_checked_statement_holds(experiment):
    report = experiment[0]
    assert report.checks and all(check.holds for check in report.checks), report.checks
