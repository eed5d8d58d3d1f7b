"""long-term-memory (small set-up): gated networks beat the adding baseline, the tanh RNN does not."""

import json

import pytest

from nnscratch.datasets.memory_tasks import ADDING_BASELINE_MSE, copy_memory_baseline
from nnscratch.experiments import run_experiment
from nnscratch.experiments.long_term_memory import Settings

# the --quick adding set-up without the peephole LSTM; the copy task only as a smoke run
SMALL = Settings(adding_lengths=(50,), copy_delays=(5,), architectures=("rnn", "lstm", "gru"),
                 hidden_size=64, adding_steps=1500, copy_steps=30, lr=0.01, test_size=300,
                 solved_mse=2e-3, target_mse=ADDING_BASELINE_MSE / 10)


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    out = tmp_path_factory.mktemp("memory")
    return run_experiment("long-term-memory", out, quick=True, seed=0, settings=SMALL), out


def test_lstm_and_gru_beat_the_baseline_where_the_rnn_does_not(experiment):
    adding = experiment[0].results["adding"]["50"]
    assert adding["lstm"]["final"] < ADDING_BASELINE_MSE / 10
    assert adding["gru"]["final"] < ADDING_BASELINE_MSE / 10
    assert adding["rnn"]["final"] > ADDING_BASELINE_MSE / 2
    assert adding["rnn"]["baseline"] == pytest.approx(1 / 6)


def test_copy_task_reports_its_baseline(experiment):
    copy = experiment[0].results["copy"]["5"]
    assert copy["lstm"]["baseline"] == pytest.approx(copy_memory_baseline(5))
    assert len(copy["lstm"]["curve"]["test"]) == len(copy["lstm"]["curve"]["steps"]) >= 2


def test_files_and_cached_runs(experiment):
    report, out = experiment
    for name in ("results.json", "report.md", "adding.png", "copy.png"):
        assert (out / name).stat().st_size > 0
    assert len(list((out / "runs").glob("*.json"))) == 6
    data = json.loads((out / "results.json").read_text())
    assert data["results"]["adding"]["50"]["gru"]["final"] == report.results["adding"]["50"]["gru"]["final"]
    assert all(check.holds for check in report.checks)


def test_a_second_run_reuses_the_finished_runs(experiment, monkeypatch):
    from nnscratch.experiments import long_term_memory

    def refuse(*args, **kwargs):
        raise AssertionError("trained again although the run was kept")

    monkeypatch.setattr(long_term_memory, "train_one", refuse)
    report = run_experiment("long-term-memory", experiment[1], quick=True, seed=0, settings=SMALL)
    assert report.results == experiment[0].results
