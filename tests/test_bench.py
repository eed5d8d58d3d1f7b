"""``nnscratch bench``: the CLI door to the benchmark runner (benchmarks/ in the checkout)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nnscratch import cli
from nnscratch.cli import bench

REPOSITORY = Path(__file__).resolve().parent.parent


def test_bench_runs_the_runner_with_its_options_from_any_directory(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    result = subprocess.run(
        [sys.executable, "-m", "nnscratch", "bench", "--workloads", "mlp", "--size", "small",
         "--rounds", "1", "--steps", "1", "--warmup", "1", "--no-peak", "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)["rows"]
    assert row["workload"] == "mlp" and row["loss_agree"]
    # the same first-step loss as PyTorch's: the runner really ran both sides
    assert row["nnscratch"]["first_loss"] == pytest.approx(row["reference"]["first_loss"], rel=1e-5)


def test_bench_passes_help_through_to_the_runner(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "nnscratch", "bench", "--help"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert "--workloads" in result.stdout and "--rounds" in result.stdout


def test_bench_finds_the_checkout_beside_an_editable_install(tmp_path: Path) -> None:
    assert bench.find_benchmarks(tmp_path) == REPOSITORY
    assert bench.find_benchmarks(REPOSITORY) == REPOSITORY


def test_bench_without_a_checkout_is_a_one_line_usage_error(monkeypatch, capsys) -> None:
    monkeypatch.setattr(bench, "find_benchmarks", lambda start=None: None)
    assert cli.main(["bench", "--workloads", "mlp"]) == cli.USAGE_ERROR
    message = capsys.readouterr().err.strip()
    assert "\n" not in message and "benchmarks/" in message
