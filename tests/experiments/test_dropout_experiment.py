"""dropout (--quick through the command line): dropout narrows the train/validation gap."""

import json

import pytest

from nnscratch.cli import main


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("dropout")
    assert main(["experiment", "dropout", "--quick", "--out", str(out), "--seed", "0"]) == 0
    for name in ("report.md", "curves.png", "boundaries.png"):
        assert (out / name).stat().st_size > 0
    return json.loads((out / "results.json").read_text())


def test_without_dropout_the_network_overfits(results):
    plain = results["results"]["final"]["0.0"]
    assert plain["train_accuracy"] > plain["val_accuracy"] + 0.1
    assert plain["val_loss"] > 3 * plain["train_loss"]


def test_dropout_narrows_the_gap(results):
    final = results["results"]["final"]
    plain, dropped = final["0.0"], final["0.5"]
    assert dropped["loss_gap"] < plain["loss_gap"] / 2
    assert dropped["accuracy_gap"] < plain["accuracy_gap"]
    assert dropped["val_loss"] < plain["val_loss"]


def test_report_records_the_run(results):
    assert results["experiment"] == "dropout" and results["quick"] is True and results["seed"] == 0
    assert results["command"] == "nnscratch experiment dropout --quick --seed 0"
    assert all(check["holds"] for check in results["checks"])
