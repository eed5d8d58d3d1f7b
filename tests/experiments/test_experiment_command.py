"""`nnscratch experiment list` and the command's errors."""

import pytest

import nnscratch as ns
from nnscratch.cli import main
from nnscratch.experiments import EXPERIMENTS, experiment_module


def test_list_names_every_experiment(capsys):
    assert main(["experiment", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == list(EXPERIMENTS)
    assert {"vanishing-gradient", "long-term-memory", "exploding-gradient", "dropout",
            "truncated-bptt"} == set(EXPERIMENTS)


def test_unknown_experiment_is_a_usage_error(capsys):
    assert main(["experiment", "nonsense"]) == 2
    error = capsys.readouterr().err
    assert "nonsense" in error and "vanishing-gradient" in error


@pytest.mark.parametrize("argv", [["experiment", "dropout", "--seed", "-1"],
                                  ["experiment", "dropout", "--device", "tpu"],
                                  ["experiment"]])
def test_bad_arguments_are_usage_errors(argv, capsys):
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("nnscratch")


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_each_experiment_has_quick_and_full_settings(name):
    module = experiment_module(name)
    assert module.SUMMARY and module.CLAIM and module.TITLE
    quick, full = module.Settings.quick(), module.Settings.full()
    assert quick != full


def test_unknown_module_name_raises():
    with pytest.raises(ValueError, match="unknown experiment"):
        experiment_module("nope")


@pytest.mark.skipif(ns.cuda.is_available(), reason="a GPU is present")
def test_cuda_without_a_gpu_is_a_usage_error(tmp_path, capsys):
    assert main(["experiment", "dropout", "--quick", "--device", "cuda", "--out", str(tmp_path)]) == 2
    assert "GPU" in capsys.readouterr().err
    assert not (tmp_path / "results.json").exists()
